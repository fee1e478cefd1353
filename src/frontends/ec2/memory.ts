// What the EC2 front end remembers between requests, in memory per server
// process (bounded LRUs; lost on restart): ClientToken idempotency and the
// reservation each instance was launched in. Drivers know neither concept.
import { createHash } from 'node:crypto';
import { Ec2Error } from './errors.js';

/** A Map that forgets its least recently used entries beyond `capacity`. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
  }
}

const MAX_CLIENT_TOKEN_LENGTH = 64;

/**
 * ClientToken idempotency: the first request with a token runs; any later
 * one with the same token (same account and action) gets the same result,
 * also while the first is still running. A failed run forgets its token so
 * the client may retry. Reusing a token with other parameters is refused,
 * as on AWS.
 */
export class ClientTokens {
  private readonly runs = new LruMap<string, { fingerprint: string; result: Promise<unknown> }>(10_000);

  async once<T>(scope: string, token: string | undefined, params: Record<string, string>, run: () => Promise<T>): Promise<T> {
    if (token === undefined) return run();
    if (token.length > MAX_CLIENT_TOKEN_LENGTH) {
      throw new Ec2Error('InvalidParameterValue', `ClientToken must be at most ${MAX_CLIENT_TOKEN_LENGTH} characters`);
    }
    const key = `${scope}\n${token}`;
    const fingerprint = createHash('sha256').update(JSON.stringify(
      Object.entries(params).filter(([k]) => k !== 'ClientToken' && !k.startsWith('X-Amz-')).sort(),
    )).digest('hex');
    const earlier = this.runs.get(key);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        throw new Ec2Error('IdempotentParameterMismatch', `The client token '${token}' was already used with different parameters`);
      }
      return earlier.result as Promise<T>;
    }
    const result = run();
    this.runs.set(key, { fingerprint, result });
    result.catch(() => this.runs.delete(key));
    return result;
  }
}

export interface Placement {
  reservationId: string;
  launchIndex: number;
  clientToken?: string;
}

/**
 * Reservation of each instance launched through this front end; others get a
 * stable one derived from their id (so every instance is in exactly one).
 */
export class Reservations {
  private readonly byInstance = new LruMap<string, Placement>(100_000);

  static derive(scope: string, instanceId: string): string {
    return `r-${createHash('sha256').update(`${scope}\n${instanceId}`).digest('hex').slice(0, 17)}`;
  }

  record(scope: string, instanceIds: string[], clientToken?: string): string {
    const reservationId = Reservations.derive(scope, instanceIds[0] ?? '');
    instanceIds.forEach((id, launchIndex) => this.byInstance.set(`${scope}\n${id}`, { reservationId, launchIndex, clientToken }));
    return reservationId;
  }

  /** A terminated instance's id may be reused by the back end for a new instance. */
  forget(scope: string, instanceId: string): void {
    this.byInstance.delete(`${scope}\n${instanceId}`);
  }

  of(scope: string, instanceId: string): Placement {
    return this.byInstance.get(`${scope}\n${instanceId}`) ?? { reservationId: Reservations.derive(scope, instanceId), launchIndex: 0 };
  }
}
