// The team store in an embedded SQLite file (`<dataDir>/team.sqlite`, 0600).
import { chmodSync, existsSync, mkdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../config.js';
import { profileOf, tokenOf, type ProfileRow, type TokenRow } from './rows.js';
import { StoreConflict, type StoredProfile, type StoredToken, type TeamStore } from './store.js';

export const teamStorePath = (dataDir: string) => join(dataDir, 'team.sqlite');

/**
 * How long after a write of another process data_version is still asked every turn: the commit it
 * belongs to becomes visible when that process has synced the log and updated the shared index.
 */
const SETTLE_MS = 5_000;

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

  /** The last data_version read; undefined when it must be read again. */
  #knownRevision: number | undefined;
  /** Watches the store's files for commits of other processes; null where it cannot (then read once per turn). */
  #watcher: FSWatcher | null | undefined;
  /** When the watch last saw a file change (performance.now()). */
  #changedAt = 0;

  async revision(): Promise<number> {
    return this.revisionNow();
  }

  /**
   * data_version moves when another connection (the CLI) commits; this connection only reads while
   * serving. Asking costs file-lock system calls (several microseconds each here), so while nothing
   * changes it is not asked again: a directory watch tells when the file or its write-ahead log was
   * written. The event comes with a commit's first write, before the commit is visible, and before
   * the committing process can return (so before any request its caller sends next); from then on
   * data_version is asked once per event-loop turn until SETTLE_MS after the last write. Where no
   * watch can be set up, it is asked once per turn always.
   */
  revisionNow(): number {
    if (this.#watcher === undefined) this.#watcher = this.#watch();
    if (this.#knownRevision === undefined) {
      this.#knownRevision = Number(this.#statements.dataVersion.get());
      if (this.#watcher === null || performance.now() - this.#changedAt < SETTLE_MS) setImmediate(() => (this.#knownRevision = undefined));
    }
    return this.#knownRevision;
  }

  #watch(): FSWatcher | null {
    const file = basename(this.location);
    const ours = new Set([file, `${file}-wal`]);
    const changed = () => {
      this.#changedAt = performance.now();
      this.#knownRevision = undefined;
    };
    try {
      const watcher = watch(dirname(this.location), { persistent: false }, (_event, name) => {
        if (name === null || ours.has(String(name))) changed();
      });
      watcher.on('error', () => {
        watcher.close();
        this.#watcher = null;
        changed();
      });
      // A commit already under way when the watch began is settled like one seen by it.
      changed();
      return watcher;
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    this.#db.close();
  }
}
