// The mock's state, behind one interface (MockStore) with two implementations
// chosen at start-up: SQLite in the data directory (here, the default) and
// PostgreSQL (postgres-store.ts). Records are JSON documents keyed by
// (collection, id); blobs have their own table keyed by (bucket, blob id) and
// keep their content apart (see blob-files.ts / postgres-content.ts).
// SQLite: WAL + synchronous=NORMAL: a committed write survives a process crash.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobRecord, RecordTypes, StoredCollection } from './records.js';

export const DATABASE_FILE = 'mock.sqlite3';
/** How stale another process's writes may look to this one's revision and listings outside a write (ms). */
export const OTHER_WRITERS_MS = 5;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
  bucket TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (bucket, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/** Prepared once: the hot paths (listings) only bind and step. */
function prepareStatements(db: Database.Database) {
  const prepare = (sql: string) => db.prepare(sql);
  /** A statement answering its first column, typed as `R`. */
  const pluck = <R>(sql: string) => db.prepare<unknown[], R>(sql).pluck();
  return {
    get: pluck<string>('SELECT data FROM records WHERE collection = ? AND id = ?'),
    has: pluck<number>('SELECT 1 FROM records WHERE collection = ? AND id = ?'),
    list: pluck<string>('SELECT data FROM records WHERE collection = ? ORDER BY id'),
    ids: pluck<string>('SELECT id FROM records WHERE collection = ? ORDER BY id'),
    put: prepare(`INSERT INTO records (collection, id, data) VALUES (?, ?, ?)
                  ON CONFLICT (collection, id) DO UPDATE SET data = excluded.data`),
    delete: prepare('DELETE FROM records WHERE collection = ? AND id = ?'),
    blobGet: pluck<string>('SELECT data FROM blobs WHERE bucket = ? AND id = ?'),
    blobIds: pluck<string>('SELECT id FROM blobs WHERE bucket = ? ORDER BY id'),
    blobKeys: db.prepare<[], { bucket: string; id: string }>('SELECT bucket, id FROM blobs ORDER BY bucket, id'),
    blobCount: pluck<number>('SELECT count(*) FROM blobs WHERE bucket = ?'),
    blobAll: pluck<string>('SELECT data FROM blobs'),
    blobPut: prepare(`INSERT INTO blobs (bucket, id, data) VALUES (?, ?, ?)
                      ON CONFLICT (bucket, id) DO UPDATE SET data = excluded.data`),
    blobDelete: prepare('DELETE FROM blobs WHERE bucket = ? AND id = ?'),
    metaGet: pluck<string>('SELECT value FROM meta WHERE key = ?'),
    dataVersion: pluck<number>('PRAGMA data_version'),
    metaPut: prepare(`INSERT INTO meta (key, value) VALUES (?, ?)
                      ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
  };
}
type Statements = ReturnType<typeof prepareStatements>;

/** A record as this store wrote it (JSON of the record type it was put as). */
export function parseRecord<T>(data: string): T {
  return JSON.parse(data);
}

/** An object of a parsed record (not an array: arrays are tested first). */
const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** A deep copy of a parsed record (plain objects, arrays and primitives only): several times faster than parsing it again. */
function copyJson<T>(value: T): T;
function copyJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJson);
  if (!isJsonObject(value)) return value;
  const copy: Record<string, unknown> = {};
  // `for…in` rather than Object.entries: no array of pairs per object (records come from JSON.parse: plain, own keys only).
  for (const key in value) {
    const item = value[key];
    // As JSON.parse makes it: an own property, even under a name that would set the prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: copyJson(item), enumerable: true, writable: true, configurable: true });
    else copy[key] = copyJson(item);
  }
  return copy;
}

/**
 * Reads answer committed state synchronously (as of the last `refresh` on
 * a shared database); every change goes through `write`, whose function
 * runs synchronously and atomically (its reads see its own writes), and is
 * durable once the promise resolves.
 */
export interface MockStore {
  /** True when other processes (replicas) write to the same state, so reads must `refresh` first. */
  readonly shared: boolean;
  /** Brings this process's view up to date with other processes' commits. */
  refresh(): Promise<void>;
  write<T>(fn: () => T): Promise<T>;
  get<C extends StoredCollection>(collection: C, id: string): RecordTypes[C] | undefined;
  has(collection: StoredCollection, id: string): boolean;
  list<C extends StoredCollection>(collection: C): Array<RecordTypes[C]>;
  ids(collection: StoredCollection): string[];
  put<C extends StoredCollection>(collection: C, record: RecordTypes[C]): RecordTypes[C];
  delete(collection: StoredCollection, id: string): boolean;
  getBlob(bucketId: string, blobId: string): BlobRecord | undefined;
  blobIds(bucketId: string): string[];
  blobIdsByBucket(): Map<string, string[]>;
  blobCount(bucketId: string): number;
  blobFiles(): Set<string>;
  putBlob(record: BlobRecord): BlobRecord;
  deleteBlob(bucketId: string, blobId: string): boolean;
  getMeta(key: string): string | undefined;
  putMeta(key: string, value: string): void;
  clear(): void;
  revision(): string;
  close(): Promise<void>;
}

export class SqliteMockStore implements MockStore {
  private readonly db: Database.Database;
  private readonly stmt: Statements;
  /** Writes through this connection; SQLite's data_version only counts other connections' commits. */
  private localWrites = 0;
  private dataVersion = 0;
  private dataVersionReadAt = -Infinity;
  private revisionOf = { dataVersion: -1, localWrites: -1, text: '' };
  /** The records of the last listing of each collection, parsed, and the revision they were read at (see `list`). */
  private readonly listed: { [C in StoredCollection]?: { revision: string; records: Array<RecordTypes[C]> } } = {};
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    this.db = new Database(join(dir, DATABASE_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.stmt = prepareStatements(this.db);
    this.runInTransaction = this.db.transaction((fn: () => unknown) => fn());
  }

  /**
   * Runs `fn` in one write transaction (BEGIN IMMEDIATE, so concurrent
   * writers wait instead of failing on upgrade). Reads, id allocation and
   * writes inside `fn` are atomic together; a throw rolls everything back.
   */
  async write<T>(fn: () => T): Promise<T> {
    try {
      return this.runInTransaction.immediate(fn) as T;
    } finally {
      this.localWrites++;
    }
  }

  /** One file, read live: nothing to catch up on (its revision already counts other processes' commits). */
  readonly shared = false;
  async refresh(): Promise<void> {}

  get<C extends StoredCollection>(collection: C, id: string): RecordTypes[C] | undefined {
    const data = this.stmt.get.get(collection, id);
    return data === undefined ? undefined : parseRecord<RecordTypes[C]>(data);
  }

  has(collection: StoredCollection, id: string): boolean {
    return this.stmt.has.get(collection, id) !== undefined;
  }

  /** All records of a collection, ordered by id (byte order, like the original's sorted file names). */
  /**
   * Read and parsed again only when the revision moved: polling reads skip the query and the
   * parse. Each caller gets its own copies (it may change them). Inside a write transaction the
   * rows are always read, so a write never acts on another process's superseded state.
   */
  list<C extends StoredCollection>(collection: C): Array<RecordTypes[C]> {
    const read = () => this.stmt.list.all(collection).map((data) => parseRecord<RecordTypes[C]>(data));
    if (this.db.inTransaction) return read();
    const revision = this.revision();
    const known = this.listed[collection];
    if (known?.revision === revision) return known.records.map(copyJson);
    const records = read();
    // (TypeScript cannot check an assignment through a generic key of a mapped type; reads through it type well.)
    Object.assign(this.listed, { [collection]: { revision, records } });
    return records.map(copyJson);
  }

  ids(collection: StoredCollection): string[] {
    return this.stmt.ids.all(collection);
  }

  put<C extends StoredCollection>(collection: C, record: RecordTypes[C]): RecordTypes[C] {
    this.stmt.put.run(collection, record.id, JSON.stringify(record));
    this.localWrites++;
    return record;
  }

  /** Whether a record was deleted. */
  delete(collection: StoredCollection, id: string): boolean {
    this.localWrites++;
    return this.stmt.delete.run(collection, id).changes > 0;
  }

  getBlob(bucketId: string, blobId: string): BlobRecord | undefined {
    const data = this.stmt.blobGet.get(bucketId, blobId);
    return data === undefined ? undefined : parseRecord<BlobRecord>(data);
  }

  blobIds(bucketId: string): string[] {
    return this.stmt.blobIds.all(bucketId);
  }

  /** bucket id → its blob ids in id order, for every bucket that has blobs. */
  blobIdsByBucket(): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const row of this.stmt.blobKeys.all()) {
      const ids = map.get(row.bucket);
      if (ids) ids.push(row.id);
      else map.set(row.bucket, [row.id]);
    }
    return map;
  }

  blobCount(bucketId: string): number {
    return this.stmt.blobCount.get(bucketId) ?? 0;
  }

  /** Content file names referenced by blob records. */
  blobFiles(): Set<string> {
    return new Set(this.stmt.blobAll.all().map((data) => parseRecord<BlobRecord>(data).file));
  }

  putBlob(record: BlobRecord): BlobRecord {
    this.stmt.blobPut.run(record.bucketId, record.id, JSON.stringify(record));
    this.localWrites++;
    return record;
  }

  deleteBlob(bucketId: string, blobId: string): boolean {
    this.localWrites++;
    return this.stmt.blobDelete.run(bucketId, blobId).changes > 0;
  }

  getMeta(key: string): string | undefined {
    return this.stmt.metaGet.get(key);
  }

  putMeta(key: string, value: string): void {
    this.stmt.metaPut.run(key, value);
  }

  /** Removes every record, blob record and meta entry (content files are the caller's business). */
  clear(): void {
    this.localWrites++;
    this.db.exec('DELETE FROM records; DELETE FROM blobs; DELETE FROM meta;');
  }

  /**
   * Changes whenever committed state may differ: at once for our own writes
   * (counted), and within OTHER_WRITERS_MS for another process's commits
   * (SQLite's data_version, polled at most that often: it costs a query).
   */
  revision(): string {
    const now = performance.now();
    if (now - this.dataVersionReadAt >= OTHER_WRITERS_MS) {
      this.dataVersion = this.stmt.dataVersion.get() ?? 0;
      this.dataVersionReadAt = now;
    }
    // Asked several times per request: the same string until a count moves.
    if (this.revisionOf.dataVersion !== this.dataVersion || this.revisionOf.localWrites !== this.localWrites) {
      this.revisionOf = { dataVersion: this.dataVersion, localWrites: this.localWrites, text: `${this.dataVersion}:${this.localWrites}` };
    }
    return this.revisionOf.text;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
