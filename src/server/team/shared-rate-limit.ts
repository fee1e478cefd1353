// Rate-limit windows on PostgreSQL (`--database postgres://…`), shared by
// every replica: one upsert per counted request into a fixed-window counter
// row keyed by the caller and the window's start, both taken from the
// database (its clock decides the window, so replicas with skewed clocks
// still agree). The caller is stored as a keyed hash (HMAC with a random key
// kept in the database, the same for every replica): never a user name, an
// access key id or an address. Past windows are pruned by each replica once a
// minute. A database error lets the request through (fail open: a limit is
// not worth refusing service over) and is logged once until counting works
// again.
import { createHmac, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { acquirePool, migrate, registerMigrations, releasePool } from '../../storage/postgres.js';
import { ALLOWED, secondsLeft, WINDOW_MS, type LimitOutcome, type RequestLimiter } from './rate-limit.js';

registerMigrations([{
  // After the team store's 130 (registerMigrations keeps the first of a version).
  version: 131,
  name: 'Team rate-limit windows',
  sql: `
CREATE TABLE team_rate_windows (
  caller_key text NOT NULL, window_start bigint NOT NULL, used integer NOT NULL, PRIMARY KEY (caller_key, window_start)
);
CREATE TABLE team_rate_key (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), hash_key text NOT NULL);`,
}]);

/** The window of the statement's time, in milliseconds since the epoch (the database's clock). */
const WINDOW_START = `(floor(extract(epoch FROM statement_timestamp()) * 1000 / ${WINDOW_MS}) * ${WINDOW_MS})::bigint`;

const COUNT = `INSERT INTO team_rate_windows (caller_key, window_start, used) VALUES ($1, ${WINDOW_START}, 1)
ON CONFLICT (caller_key, window_start) DO UPDATE SET used = team_rate_windows.used + 1
RETURNING used, window_start, (extract(epoch FROM statement_timestamp()) * 1000)::bigint AS now_ms`;

const PRUNE = `DELETE FROM team_rate_windows WHERE window_start < ${WINDOW_START} - ${WINDOW_MS}`;

export class SharedRateLimiter implements RequestLimiter {
  readonly #pool: pg.Pool;
  #hashKey = Buffer.alloc(0);
  #failing = false;
  #lastPrune = 0;

  private constructor(private readonly url: string, private readonly readsPerMinute: number, private readonly writesPerMinute: number,
    private readonly warn: (message: string) => void) {
    this.#pool = acquirePool(url);
  }

  /** Migrates and reads (or, the first replica, makes) the key the callers are hashed with. */
  static async open(url: string, readsPerMinute: number, writesPerMinute: number, warn: (message: string) => void): Promise<SharedRateLimiter> {
    const limiter = new SharedRateLimiter(url, readsPerMinute, writesPerMinute, warn);
    try {
      await migrate(limiter.#pool);
      await limiter.#pool.query('INSERT INTO team_rate_key (hash_key) VALUES ($1) ON CONFLICT DO NOTHING', [randomBytes(32).toString('base64')]);
      const row = (await limiter.#pool.query<{ hash_key: string }>('SELECT hash_key FROM team_rate_key')).rows[0];
      limiter.#hashKey = Buffer.from(row?.hash_key ?? '', 'base64');
    } catch (error) {
      await limiter.close();
      throw error;
    }
    return limiter;
  }

  /** A key shared by the replicas (for hashing Basic user names alike on each). */
  get hashKey(): Buffer {
    return this.#hashKey;
  }

  async take(caller: string, write: boolean): Promise<LimitOutcome> {
    const limit = write ? this.writesPerMinute : this.readsPerMinute;
    if (limit === 0) return ALLOWED;
    this.#pruneNowAndThen();
    const key = createHmac('sha256', this.#hashKey).update(write ? 'w\n' : 'r\n').update(caller, 'utf8').digest('base64url');
    let row: { used: number; window_start: string; now_ms: string } | undefined;
    try {
      row = (await this.#pool.query<{ used: number; window_start: string; now_ms: string }>(COUNT, [key])).rows[0];
    } catch (error) {
      this.#failed(error);
      return ALLOWED;
    }
    this.#failing = false;
    if (!row || row.used <= limit) return ALLOWED;
    return { retryAfter: secondsLeft(Number(row.window_start), Number(row.now_ms)) };
  }

  #failed(error: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    // The code only: a driver message may name the database's address.
    const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'no code';
    this.warn(`Rate limits are not counted: the database did not answer the count (${code}); requests pass unlimited until it does`);
  }

  #pruneNowAndThen(): void {
    const now = Date.now();
    if (now - this.#lastPrune < WINDOW_MS) return;
    this.#lastPrune = now;
    this.#pool.query(PRUNE).catch((error: unknown) => this.#failed(error));
  }

  async close(): Promise<void> {
    await releasePool(this.url);
  }
}
