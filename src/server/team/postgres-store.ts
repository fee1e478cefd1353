// The team store on PostgreSQL (`--database postgres://…`): profiles and
// tokens shared by every replica, so a token created through one is accepted
// by all and a revocation applies on each at its next request. A revision
// row is bumped in the same statement as every write; `revision()` reads it
// (one indexed row) so that each replica drops what it cached on any change.
import type pg from 'pg';
import { ConfigError } from '../config.js';
import { describeDatabase } from '../../storage/database-url.js';
import { acquirePool, migrate, registerMigrations, releasePool, withDatabase } from '../../storage/postgres.js';
import { profileOf, tokenOf, type ProfileRow, type TokenRow } from './rows.js';
import { StoreConflict, type StoredProfile, type StoredToken, type TeamStore } from './store.js';

registerMigrations([{
  // Far from the other modules' versions (1, 2, …): registerMigrations keeps the first of a version.
  version: 130,
  name: 'Team profiles and tokens',
  sql: `
CREATE TABLE team_profiles (
  name text PRIMARY KEY, driver text NOT NULL, provider text, sealed_credentials text, created_at text NOT NULL
);
CREATE TABLE team_tokens (
  id text PRIMARY KEY, name text, profile text NOT NULL, scope text NOT NULL CHECK (scope IN ('read', 'write')),
  secret_hash text NOT NULL, created_at text NOT NULL, expires_at text, revoked_at text
);
CREATE TABLE team_revision (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), revision bigint NOT NULL);
INSERT INTO team_revision (revision) VALUES (0);`,
}]);

/** Prefix of every write: the revision moves in the same statement. */
const BUMP = 'WITH bump AS (UPDATE team_revision SET revision = revision + 1) ';

export class PostgresTeamStore implements TeamStore {
  readonly location: string;
  readonly #pool: pg.Pool;

  private constructor(private readonly url: string) {
    this.location = describeDatabase({ kind: 'postgres', url });
    this.#pool = acquirePool(url);
  }

  /** Connects and migrates; an unreachable database stops the start-up with a message naming it (never its password). */
  static async open(url: string): Promise<PostgresTeamStore> {
    const store = new PostgresTeamStore(url);
    try {
      await migrate(store.#pool);
    } catch (error) {
      await store.close();
      throw new ConfigError(`Team store ${store.location} cannot be opened: ${(error as Error).message}`);
    }
    return store;
  }

  #query<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return withDatabase(() => this.#pool.query<R>(sql, values));
  }

  async addProfile(p: StoredProfile): Promise<void> {
    try {
      await this.#query(`${BUMP}INSERT INTO team_profiles (name, driver, provider, sealed_credentials, created_at) VALUES ($1, $2, $3, $4, $5)`,
        [p.name, p.driver, p.provider ?? null, p.sealedCredentials ?? null, p.createdAt]);
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === '23505') throw new StoreConflict(`Profile '${p.name}' exists already`);
      throw error;
    }
  }

  async profile(name: string): Promise<StoredProfile | undefined> {
    const row = (await this.#query<ProfileRow>('SELECT * FROM team_profiles WHERE name = $1', [name])).rows[0];
    return row && profileOf(row);
  }

  async profiles(): Promise<StoredProfile[]> {
    return (await this.#query<ProfileRow>('SELECT * FROM team_profiles ORDER BY name')).rows.map(profileOf);
  }

  async removeProfile(name: string): Promise<boolean> {
    return ((await this.#query(`${BUMP}DELETE FROM team_profiles WHERE name = $1`, [name])).rowCount ?? 0) > 0;
  }

  async addToken(t: StoredToken): Promise<void> {
    await this.#query(`${BUMP}INSERT INTO team_tokens (id, name, profile, scope, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [t.id, t.name ?? null, t.profile, t.scope, t.secretHash, t.createdAt, t.expiresAt ?? null]);
  }

  async token(id: string): Promise<StoredToken | undefined> {
    const row = (await this.#query<TokenRow>('SELECT * FROM team_tokens WHERE id = $1', [id])).rows[0];
    return row && tokenOf(row);
  }

  async tokens(): Promise<StoredToken[]> {
    return (await this.#query<TokenRow>('SELECT * FROM team_tokens ORDER BY created_at, id')).rows.map(tokenOf);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return ((await this.#query(`${BUMP}UPDATE team_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, [at, id])).rowCount ?? 0) > 0;
  }

  async revision(): Promise<number> {
    const row = (await this.#query<{ revision: string }>('SELECT revision FROM team_revision')).rows[0];
    return Number(row?.revision ?? 0);
  }

  async close(): Promise<void> {
    await releasePool(this.url);
  }
}
