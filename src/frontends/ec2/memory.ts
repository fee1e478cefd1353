// What the EC2 front end remembers between requests: ClientToken
// idempotency, the reservation each instance was launched in, and instances
// terminated lately. In memory per server process (bounded; lost on
// restart), or with --database postgres://… in the database, shared by
// replicas (shared-tokens.ts, shared-placements.ts). Drivers know none of
// these concepts.
import { createHash } from 'node:crypto';
import type { Instance } from '../../core/model.js';
import { ConfigError } from '../../server/config.js';
import { Ec2Error } from './errors.js';
import { isRecord } from '../../core/guards.js';
import type { SharedClientTokens } from './shared-tokens.js';

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
    const oldest = this.map.keys().next();
    if (this.map.size > this.capacity && !oldest.done) this.map.delete(oldest.value);
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

  /** With `shared` (PostgreSQL), tokens hold across replicas and restarts; this process's map still joins its own concurrent runs. */
  constructor(private readonly shared?: SharedClientTokens) {}

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
        throw mismatch(token);
      }
      return earlier.result as Promise<T>;
    }
    const result = this.shared ? runShared(this.shared, key, token, fingerprint, run) : run();
    this.runs.set(key, { fingerprint, result });
    result.catch(() => this.runs.delete(key));
    return result;
  }

  async close(): Promise<void> {
    await this.shared?.close();
  }
}

async function runShared<T>(shared: SharedClientTokens, key: string, token: string, fingerprint: string, run: () => Promise<T>): Promise<T> {
  const outcome = await shared.once(key, fingerprint, run);
  if ('mismatch' in outcome) throw mismatch(token);
  return outcome.answer;
}

function mismatch(token: string): Ec2Error {
  return new Ec2Error('IdempotentParameterMismatch', `The client token '${token}' was already used with different parameters`);
}

export interface Placement {
  reservationId: string;
  launchIndex: number;
  clientToken?: string;
}

/** The reservation an instance not launched through this front end is in: derived from its id, the same on every replica. */
export function derivedReservation(scope: string, instanceId: string): string {
  return `r-${createHash('sha256').update(`${scope}\n${instanceId}`).digest('hex').slice(0, 17)}`;
}

/** The placements of a launch: one reservation (derived from the first instance), launch index by position. */
export function launchPlacements(scope: string, instanceIds: string[], clientToken?: string): Placement[] {
  const reservationId = derivedReservation(scope, instanceIds[0] ?? '');
  return instanceIds.map((_, launchIndex) => ({ reservationId, launchIndex, clientToken }));
}

/**
 * Reservation of each instance launched through this front end; others get a
 * stable one derived from their id (so every instance is in exactly one).
 * In memory per process, or in PostgreSQL shared by replicas (shared-placements.ts).
 */
export interface Reservations {
  /** Remembers a launch; its reservation id. */
  record(scope: string, instanceIds: string[], clientToken?: string): Promise<string>;
  /** Placement of each of `instanceIds` (derived for those not launched here). */
  of(scope: string, instanceIds: readonly string[]): Promise<Map<string, Placement>>;
}

export class MemoryReservations implements Reservations {
  private readonly byInstance = new LruMap<string, Placement>(100_000);

  async record(scope: string, instanceIds: string[], clientToken?: string): Promise<string> {
    const placements = launchPlacements(scope, instanceIds, clientToken);
    instanceIds.forEach((id, n) => this.byInstance.set(`${scope}\n${id}`, placements[n]!));
    return placements[0]?.reservationId ?? derivedReservation(scope, '');
  }

  /** A back end may reuse a terminated instance's id for a new instance (the terminated list keeps the old placement). */
  forget(scope: string, instanceId: string): void {
    this.byInstance.delete(`${scope}\n${instanceId}`);
  }

  async of(scope: string, instanceIds: readonly string[]): Promise<Map<string, Placement>> {
    return new Map(instanceIds.map((id) => [id, this.byInstance.get(`${scope}\n${id}`) ?? { reservationId: derivedReservation(scope, id), launchIndex: 0 }]));
  }
}

/** How long AWS keeps showing a terminated instance: about an hour. */
export const DEFAULT_TERMINATED_VISIBLE_SECONDS = 3600;

/** `terminatedVisibleSeconds` of the configuration's `ec2` section (0: not kept at all). */
export function terminatedVisibleSeconds(section: unknown): number {
  const value = isRecord(section) ? section.terminatedVisibleSeconds : undefined;
  if (value === undefined) return DEFAULT_TERMINATED_VISIBLE_SECONDS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError('configuration "ec2.terminatedVisibleSeconds" must be a whole number of seconds (0 or more)');
  }
  return value;
}

export interface TerminatedInstance {
  /** The instance as it was, in state FINISH (terminated), without addresses, volumes or actions. */
  instance: Instance;
  placement: Placement;
}

/**
 * Instances terminated through this front end stay visible as `terminated`
 * for a while after the back end has forgotten them, as on AWS: waiters
 * (`aws ec2 wait instance-terminated`) and scripts poll for that state, and
 * a NotFound instead fails them. `record` also ends the instance's live
 * reservation (a back end may reuse its id).
 */
export interface TerminatedInstances {
  record(scope: string, instance: Instance, placement: Placement): Promise<void>;
  /** The back end account's terminated instances still visible, in termination order. */
  list(scope: string): Promise<TerminatedInstance[]>;
  get(scope: string, instanceId: string): Promise<TerminatedInstance | undefined>;
}

/** The instance as a terminated one is shown: in state FINISH, without addresses, volumes or actions. */
export function terminatedView(instance: Instance): Instance {
  return { ...instance, state: 'FINISH', actions: [], publicAddresses: [], privateAddresses: [], storageVolumes: [] };
}

/** In memory, at most `capacity` entries (oldest go first). */
export class MemoryTerminatedInstances implements TerminatedInstances {
  /** In termination order, so the first entries are the first to expire. */
  private readonly entries = new Map<string, TerminatedInstance & { until: number }>();

  constructor(private readonly visibleMs: number, private readonly now: () => number,
    private readonly reservations: MemoryReservations, private readonly capacity = 10_000) {}

  async record(scope: string, instance: Instance, placement: Placement): Promise<void> {
    this.reservations.forget(scope, instance.id);
    if (this.visibleMs <= 0) return;
    const key = `${scope}\n${instance.id}`;
    this.entries.delete(key);
    this.entries.set(key, { instance: terminatedView(instance), placement, until: this.now() + this.visibleMs });
    const oldest = this.entries.keys().next();
    if (this.entries.size > this.capacity && !oldest.done) this.entries.delete(oldest.value);
  }

  async list(scope: string): Promise<TerminatedInstance[]> {
    this.expire();
    const prefix = `${scope}\n`;
    return [...this.entries].filter(([key]) => key.startsWith(prefix)).map(([, entry]) => entry);
  }

  async get(scope: string, instanceId: string): Promise<TerminatedInstance | undefined> {
    this.expire();
    return this.entries.get(`${scope}\n${instanceId}`);
  }

  private expire(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.until > now) break;
      this.entries.delete(key);
    }
  }
}
