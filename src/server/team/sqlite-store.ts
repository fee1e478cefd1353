// The team store in an embedded SQLite file (`<dataDir>/team.sqlite`, 0600).
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../config.js';
import { profileOf, tokenOf, type ProfileRow, type TokenRow } from './rows.js';
import { StoreConflict, type StoredProfile, type StoredToken, type TeamStore } from './store.js';

export const teamStorePath = (dataDir: string) => join(dataDir, 'team.sqlite');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS profiles (
  name TEXT PRIMARY KEY, driver TEXT NOT NULL, provider TEXT, sealed_credentials TEXT, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, name TEXT, profile TEXT NOT NULL, scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
  secret_hash TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT
);`;

export class SqliteTeamStore implements TeamStore {
  readonly #db: Database.Database;
  readonly #statements;

  constructor(readonly location: string) {
    mkdirSync(dirname(location), { recursive: true, mode: 0o700 });
    const fresh = !existsSync(location);
    try {
      this.#db = new Database(location);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('busy_timeout = 5000');
      this.#db.exec(SCHEMA);
    } catch (error) {
      throw new ConfigError(`Team store ${location} cannot be opened: ${(error as Error).message}`);
    }
    if (fresh) chmodSync(location, 0o600);
    const db = this.#db;
    this.#statements = {
      addProfile: db.prepare<[string, string, string | null, string | null, string]>(
        'INSERT INTO profiles (name, driver, provider, sealed_credentials, created_at) VALUES (?, ?, ?, ?, ?)'),
      profile: db.prepare<[string], ProfileRow>('SELECT * FROM profiles WHERE name = ?'),
      profiles: db.prepare<[], ProfileRow>('SELECT * FROM profiles ORDER BY name'),
      removeProfile: db.prepare<[string]>('DELETE FROM profiles WHERE name = ?'),
      addToken: db.prepare<[string, string | null, string, string, string, string, string | null]>(
        'INSERT INTO tokens (id, name, profile, scope, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      token: db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE id = ?'),
      tokens: db.prepare<[], TokenRow>('SELECT * FROM tokens ORDER BY created_at, id'),
      revokeToken: db.prepare<[string, string]>('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      // Asked on every token request: prepared once (Database.pragma compiles it each time).
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
  }

  async addProfile(p: StoredProfile): Promise<void> {
    try {
      this.#statements.addProfile.run(p.name, p.driver, p.provider ?? null, p.sealedCredentials ?? null, p.createdAt);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new StoreConflict(`Profile '${p.name}' exists already`);
      throw error;
    }
  }

  async profile(name: string): Promise<StoredProfile | undefined> {
    const row = this.#statements.profile.get(name);
    return row && profileOf(row);
  }

  async profiles(): Promise<StoredProfile[]> {
    return this.#statements.profiles.all().map(profileOf);
  }

  async removeProfile(name: string): Promise<boolean> {
    return this.#statements.removeProfile.run(name).changes > 0;
  }

  async addToken(t: StoredToken): Promise<void> {
    this.#statements.addToken.run(t.id, t.name ?? null, t.profile, t.scope, t.secretHash, t.createdAt, t.expiresAt ?? null);
  }

  async token(id: string): Promise<StoredToken | undefined> {
    const row = this.#statements.token.get(id);
    return row && tokenOf(row);
  }

  async tokens(): Promise<StoredToken[]> {
    return this.#statements.tokens.all().map(tokenOf);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return this.#statements.revokeToken.run(at, id).changes > 0;
  }

  /** Read once per event-loop turn (see revisionNow). */
  #turnRevision: number | undefined;

  async revision(): Promise<number> {
    return this.revisionNow();
  }

  /**
   * data_version moves when another connection (the CLI) commits; this connection only reads while
   * serving. Asking costs file-lock system calls, so it is asked once per event-loop turn: a request
   * sent after a change committed is read in a later turn than any check made before the change.
   */
  revisionNow(): number {
    if (this.#turnRevision === undefined) {
      this.#turnRevision = Number(this.#statements.dataVersion.get());
      setImmediate(() => (this.#turnRevision = undefined));
    }
    return this.#turnRevision;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
