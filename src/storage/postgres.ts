// PostgreSQL plumbing shared by everything that keeps state there: one pool
// per URL, versioned migrations applied under an advisory lock (replicas
// starting together migrate once), and the error a lost database becomes.
import pg from 'pg';
import { ProviderUnavailable } from '../core/errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration of the project, in order; modules append theirs by version. */
const MIGRATIONS: Migration[] = [];

export function registerMigrations(migrations: readonly Migration[]): void {
  for (const m of migrations) {
    if (MIGRATIONS.some((known) => known.version === m.version)) continue;
    MIGRATIONS.push(m);
  }
  MIGRATIONS.sort((a, b) => a.version - b.version);
}

/** Arbitrary fixed key of the session advisory lock taken while migrating. */
const MIGRATION_LOCK = 7_311_853_018;
/** How long a client waits for a connection before the request gets a 503. */
const CONNECT_TIMEOUT_MS = 3_000;
/** Seconds a client is told to wait while the database is away. */
export const RETRY_AFTER_SECONDS = 2;

const pools = new Map<string, { pool: pg.Pool; users: number }>();

/** The shared pool for `url` (counted: release it with releasePool). */
export function acquirePool(url: string): pg.Pool {
  let entry = pools.get(url);
  if (!entry) {
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, idleTimeoutMillis: 30_000 });
    // An idle client losing its connection (database restarted) must not crash the process.
    pool.on('error', () => undefined);
    entry = { pool, users: 0 };
    pools.set(url, entry);
  }
  entry.users++;
  return entry.pool;
}

export async function releasePool(url: string): Promise<void> {
  const entry = pools.get(url);
  if (!entry || --entry.users > 0) return;
  pools.delete(url);
  await entry.pool.end();
}

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

export interface MigrationStatus {
  version: number;
  name: string;
  appliedAt?: Date;
}

/** Applies the pending migrations, each in its own transaction, holding the migration lock. The versions applied. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

const migrations = new WeakMap<pg.Pool, Promise<unknown>>();

/** Resolves once `pool`'s database is migrated (migrating once per pool; a failure is retried by the next caller). */
export function whenMigrated(pool: pg.Pool): Promise<unknown> {
  let done = migrations.get(pool);
  if (!done) {
    done = migrate(pool).catch((err: unknown) => {
      migrations.delete(pool);
      throw err;
    });
    migrations.set(pool, done);
  }
  return done;
}

/** Every known migration and when it was applied (undefined: pending). */
export async function migrationStatus(pool: pg.Pool): Promise<MigrationStatus[]> {
  const exists = await pool.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  const applied = new Map<number, Date>();
  if (exists.rows[0]?.t) {
    for (const r of (await pool.query<{ version: number; applied_at: Date }>('SELECT version, applied_at FROM schema_migrations')).rows) {
      applied.set(r.version, r.applied_at);
    }
  }
  return MIGRATIONS.map((m) => ({ version: m.version, name: m.name, appliedAt: applied.get(m.version) }));
}

/** Connection-level failures (refused, reset, timed out, server shutting down) as opposed to SQL errors. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '08006', '08001', '08003'].includes(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(err.message);
}

/** Runs `fn`; a lost database becomes a 503 with Retry-After (the request may be retried), anything else passes through. */
export async function withDatabase<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConnectionError(err)) throw new ProviderUnavailable('Database unavailable', RETRY_AFTER_SECONDS);
    throw err;
  }
}
