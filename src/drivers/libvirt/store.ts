// The driver's own state, in one SQLite database in its data directory:
// SSH keys (libvirt has no notion of them; in PostgreSQL instead with
// --database postgres://…, see KeyStore) and the descriptive metadata
// (name, description, creation time) of images, volumes and snapshots, which
// pool volumes cannot carry. The pools and domains stay the source of truth:
// a volume without a record is still listed, a record without a volume is not.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, isRecord } from '../../core/guards.js';

export const DATABASE_FILE = 'libvirt.sqlite3';

export interface KeyRecord {
  id: string;
  publicKey: string;
  fingerprint: string;
  imported: boolean;
  created: string;
}

/**
 * The driver's SSH keys: in its SQLite store (sqliteKeys), or with
 * --database postgres://… in PostgreSQL, shared by replicas (postgres-keys.ts).
 */
export interface KeyStore {
  key(id: string): Promise<KeyRecord | undefined>;
  keys(): Promise<KeyRecord[]>;
  /** False when a key of that id exists already (also when another replica created it a moment ago). */
  insertKey(k: KeyRecord): Promise<boolean>;
  deleteKey(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The keys of `store` behind the KeyStore interface (closing is the store's owner's). */
export function sqliteKeys(store: LibvirtStore): KeyStore {
  return {
    key: async (id) => store.key(id),
    keys: async () => store.keys(),
    insertKey: async (k) => store.insertKey(k),
    deleteKey: async (id) => store.deleteKey(id),
    close: async () => undefined,
  };
}

export type MetaKind = 'image' | 'volume' | 'snapshot';

export interface ResourceMeta {
  name?: string;
  description?: string;
  created?: string;
  [k: string]: string | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS keys (
  id TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  imported INTEGER NOT NULL,
  created TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  uri TEXT NOT NULL,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (uri, kind, id)
) WITHOUT ROWID;
`;

interface KeyRow { id: string; public_key: string; fingerprint: string; imported: number; created: string }

const toKey = (r: KeyRow): KeyRecord => ({ id: r.id, publicKey: r.public_key, fingerprint: r.fingerprint, imported: r.imported === 1, created: r.created });

export class LibvirtStore {
  private readonly db: Database.Database;
  private readonly stmt;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(dir, DATABASE_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.stmt = {
      keyGet: this.db.prepare<[string], KeyRow>('SELECT * FROM keys WHERE id = ?'),
      keyList: this.db.prepare<[], KeyRow>('SELECT * FROM keys ORDER BY id'),
      keyInsert: this.db.prepare('INSERT INTO keys (id, public_key, fingerprint, imported, created) VALUES (?, ?, ?, ?, ?)'),
      keyDelete: this.db.prepare('DELETE FROM keys WHERE id = ?'),
      metaGet: this.db.prepare<[string, MetaKind, string], string>('SELECT data FROM meta WHERE uri = ? AND kind = ? AND id = ?').pluck(),
      metaPut: this.db.prepare(`INSERT INTO meta (uri, kind, id, data) VALUES (?, ?, ?, ?)
                                ON CONFLICT (uri, kind, id) DO UPDATE SET data = excluded.data`),
      metaDelete: this.db.prepare('DELETE FROM meta WHERE uri = ? AND kind = ? AND id = ?'),
    };
  }

  key(id: string): KeyRecord | undefined {
    const row = this.stmt.keyGet.get(id);
    return row && toKey(row);
  }

  keys(): KeyRecord[] {
    return this.stmt.keyList.all().map(toKey);
  }

  /** False when a key of that id exists already. */
  insertKey(k: KeyRecord): boolean {
    try {
      this.stmt.keyInsert.run(k.id, k.publicKey, k.fingerprint, k.imported ? 1 : 0, k.created);
      return true;
    } catch (e) {
      if (errorCode(e) === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw e;
    }
  }

  deleteKey(id: string): boolean {
    return this.stmt.keyDelete.run(id).changes > 0;
  }

  meta(uri: string, kind: MetaKind, id: string): ResourceMeta {
    const data = this.stmt.metaGet.get(uri, kind, id);
    const meta: ResourceMeta = {};
    const parsed: unknown = data === undefined ? undefined : JSON.parse(data);
    if (isRecord(parsed)) for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') meta[name] = value;
    return meta;
  }

  putMeta(uri: string, kind: MetaKind, id: string, meta: ResourceMeta): void {
    this.stmt.metaPut.run(uri, kind, id, JSON.stringify(meta));
  }

  deleteMeta(uri: string, kind: MetaKind, id: string): void {
    this.stmt.metaDelete.run(uri, kind, id);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
