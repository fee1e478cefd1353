// The mock's state in PostgreSQL, shared by every replica. Each process keeps
// a copy of the (small) record tables in memory so the operations read
// synchronously, as on SQLite; `refresh` (before every operation, one cheap
// query) reloads it when another replica committed since. Writes take the
// row lock of mock_state, so they are serialised across replicas, catch up
// first, run the operation's function against the copy, and send what it
// changed to the database in the same transaction that bumps the revision.
// The copy only shows a write once it committed.
import type pg from 'pg';
import { registerMigrations, withDatabase } from '../../storage/postgres.js';
import type { BlobRecord, RecordTypes, StoredCollection } from './records.js';
import { parseRecord, type MockStore } from './store.js';

registerMigrations([{
  version: 1,
  name: 'mock driver records, blobs and content',
  sql: `
CREATE TABLE mock_records (collection text NOT NULL, id text COLLATE "C" NOT NULL, data text NOT NULL, PRIMARY KEY (collection, id));
CREATE TABLE mock_blobs (bucket text NOT NULL, id text COLLATE "C" NOT NULL, data text NOT NULL, PRIMARY KEY (bucket, id));
CREATE TABLE mock_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE mock_state (id integer PRIMARY KEY CHECK (id = 1), revision bigint NOT NULL);
INSERT INTO mock_state (id, revision) VALUES (1, 0);
CREATE TABLE mock_content_files (file text PRIMARY KEY, length bigint, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE mock_content_chunks (
  file text NOT NULL REFERENCES mock_content_files (file) ON DELETE CASCADE,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (file, seq)
);`,
}]);

type TableName = 'records' | 'blobs' | 'meta';
/** Per table: upsert and delete (parameters: group, id[, data]; meta has no group) and load. */
const SQL: Record<TableName, { put: string; delete: string; all: string; grouped: boolean }> = {
  records: {
    put: 'INSERT INTO mock_records (collection, id, data) VALUES ($1, $2, $3) ON CONFLICT (collection, id) DO UPDATE SET data = excluded.data',
    delete: 'DELETE FROM mock_records WHERE collection = $1 AND id = $2',
    all: 'SELECT collection AS grp, id, data FROM mock_records',
    grouped: true,
  },
  blobs: {
    put: 'INSERT INTO mock_blobs (bucket, id, data) VALUES ($1, $2, $3) ON CONFLICT (bucket, id) DO UPDATE SET data = excluded.data',
    delete: 'DELETE FROM mock_blobs WHERE bucket = $1 AND id = $2',
    all: 'SELECT bucket AS grp, id, data FROM mock_blobs',
    grouped: true,
  },
  meta: {
    put: 'INSERT INTO mock_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    delete: 'DELETE FROM mock_meta WHERE key = $1',
    all: `SELECT '' AS grp, key AS id, value AS data FROM mock_meta`,
    grouped: false,
  },
};

/** JSON documents by group (collection, bucket) and id. */
type Grouped = Map<string, Map<string, string>>;
type Tables = Record<TableName, Grouped>;

/** One change of a write: data undefined deletes. */
interface Change {
  table: TableName;
  group: string;
  id: string;
  data: string | undefined;
}

function emptyTables(): Tables {
  return { records: new Map(), blobs: new Map(), meta: new Map() };
}

/** Byte order of ids, like the SQLite store's ORDER BY id (and COLLATE "C" here). */
function sortedIds(group: Map<string, string> | undefined): string[] {
  return group ? [...group.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : [];
}

export class PostgresMockStore implements MockStore {
  readonly shared = true;
  private tables = emptyTables();
  private loadedRevision = -1;
  /** Changes of the write whose function is running (undefined outside one). */
  private pending: Change[] | undefined;
  /** In-process queue of writes (the row lock serialises replicas; this keeps one pool client per write). */
  private writeQueue: Promise<unknown> = Promise.resolve();
  private refreshing: Promise<void> | undefined;

  constructor(private readonly pool: pg.Pool, private readonly onClose: () => Promise<void>) {}

  // --- reads (the in-memory copy) ---

  private read(table: TableName, group: string, id: string): string | undefined {
    return this.tables[table].get(group)?.get(id);
  }

  get<C extends StoredCollection>(collection: C, id: string): RecordTypes[C] | undefined {
    const data = this.read('records', collection, id);
    return data === undefined ? undefined : parseRecord<RecordTypes[C]>(data);
  }

  has(collection: StoredCollection, id: string): boolean {
    return this.read('records', collection, id) !== undefined;
  }

  list<C extends StoredCollection>(collection: C): Array<RecordTypes[C]> {
    const group = this.tables.records.get(collection);
    return sortedIds(group).map((id) => parseRecord<RecordTypes[C]>(group!.get(id)!));
  }

  ids(collection: StoredCollection): string[] {
    return sortedIds(this.tables.records.get(collection));
  }

  getBlob(bucketId: string, blobId: string): BlobRecord | undefined {
    const data = this.read('blobs', bucketId, blobId);
    return data === undefined ? undefined : parseRecord<BlobRecord>(data);
  }

  blobIds(bucketId: string): string[] {
    return sortedIds(this.tables.blobs.get(bucketId));
  }

  blobIdsByBucket(): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const bucket of [...this.tables.blobs.keys()].sort()) {
      const ids = this.blobIds(bucket);
      if (ids.length > 0) map.set(bucket, ids);
    }
    return map;
  }

  blobCount(bucketId: string): number {
    return this.tables.blobs.get(bucketId)?.size ?? 0;
  }

  blobFiles(): Set<string> {
    const files = new Set<string>();
    for (const group of this.tables.blobs.values()) {
      for (const data of group.values()) files.add(parseRecord<BlobRecord>(data).file);
    }
    return files;
  }

  getMeta(key: string): string | undefined {
    return this.read('meta', '', key);
  }

  revision(): string {
    return String(this.loadedRevision);
  }

  // --- changes (inside write) ---

  private change(table: TableName, group: string, id: string, data: string | undefined): boolean {
    if (!this.pending) throw new Error('Mock store changed outside a write');
    const existed = this.read(table, group, id) !== undefined;
    this.pending.push({ table, group, id, data });
    this.apply({ table, group, id, data });
    return existed;
  }

  private apply({ table, group, id, data }: Change): void {
    const groups = this.tables[table];
    if (data === undefined) {
      groups.get(group)?.delete(id);
      return;
    }
    let rows = groups.get(group);
    if (!rows) groups.set(group, (rows = new Map()));
    rows.set(id, data);
  }

  put<C extends StoredCollection>(collection: C, record: RecordTypes[C]): RecordTypes[C] {
    this.change('records', collection, record.id, JSON.stringify(record));
    return record;
  }

  delete(collection: StoredCollection, id: string): boolean {
    return this.change('records', collection, id, undefined);
  }

  putBlob(record: BlobRecord): BlobRecord {
    this.change('blobs', record.bucketId, record.id, JSON.stringify(record));
    return record;
  }

  deleteBlob(bucketId: string, blobId: string): boolean {
    return this.change('blobs', bucketId, blobId, undefined);
  }

  putMeta(key: string, value: string): void {
    this.change('meta', '', key, value);
  }

  clear(): void {
    for (const table of ['records', 'blobs', 'meta'] as const) {
      for (const [group, rows] of this.tables[table]) {
        for (const id of [...rows.keys()]) this.change(table, group, id, undefined);
      }
    }
  }

  // --- synchronisation ---

  /**
   * Reloads the copy when the database's revision moved past ours. Each call
   * reads the revision itself (a load already running may predate a commit
   * this caller must see); loads are shared.
   */
  async refresh(): Promise<void> {
    await withDatabase(async () => {
      const { rows } = await this.pool.query<{ revision: string }>('SELECT revision FROM mock_state WHERE id = 1');
      const wanted = Number(rows[0]?.revision);
      while (this.loadedRevision < wanted) {
        this.refreshing ??= this.loadSnapshot().finally(() => {
          this.refreshing = undefined;
        });
        await this.refreshing;
      }
    });
  }

  private async loadSnapshot(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await this.load(client);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }

  /** Loads every table in the client's current snapshot; kept only if newer than what we have. */
  private async load(client: pg.PoolClient): Promise<void> {
    const revision = Number((await client.query<{ revision: string }>('SELECT revision FROM mock_state WHERE id = 1')).rows[0]?.revision);
    const tables = emptyTables();
    for (const table of ['records', 'blobs', 'meta'] as const) {
      for (const row of (await client.query<{ grp: string; id: string; data: string }>(SQL[table].all)).rows) {
        let rows = tables[table].get(row.grp);
        if (!rows) tables[table].set(row.grp, (rows = new Map()));
        rows.set(row.id, row.data);
      }
    }
    if (revision > this.loadedRevision && !this.pending) {
      this.tables = tables;
      this.loadedRevision = revision;
    }
  }

  async write<T>(fn: () => T): Promise<T> {
    const run = this.writeQueue.then(() => withDatabase(() => this.writeNow(fn)));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  private async writeNow<T>(fn: () => T): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const locked = await client.query<{ revision: string }>('SELECT revision FROM mock_state WHERE id = 1 FOR UPDATE');
      if (Number(locked.rows[0]?.revision) !== this.loadedRevision) await this.load(client);
      const changes: Change[] = [];
      const before = this.tables;
      // The function works on a private copy of the groups it touches, so a failed write leaves `tables` as it was.
      this.tables = shallowCopy(before);
      this.pending = changes;
      let result: T;
      try {
        result = fn();
      } finally {
        this.pending = undefined;
        this.tables = before;
      }
      for (const c of changes) {
        const sql = SQL[c.table];
        const key = sql.grouped ? [c.group, c.id] : [c.id];
        await client.query(c.data === undefined ? sql.delete : sql.put, c.data === undefined ? key : [...key, c.data]);
      }
      const bumped = await client.query<{ revision: string }>('UPDATE mock_state SET revision = revision + 1 WHERE id = 1 RETURNING revision');
      await client.query('COMMIT');
      const committed = Number(bumped.rows[0]?.revision);
      // A load that finished meanwhile may already show this commit; otherwise ours is the next revision.
      if (this.loadedRevision === committed - 1) {
        this.tables = shallowCopy(this.tables);
        for (const c of changes) this.apply(c);
        this.loadedRevision = committed;
      }
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.writeQueue;
    await this.onClose();
  }
}

/** New group maps (copied on first use would be leaner; the mock's tables are small). */
function shallowCopy(tables: Tables): Tables {
  const copy = emptyTables();
  for (const table of ['records', 'blobs', 'meta'] as const) {
    for (const [group, rows] of tables[table]) copy[table].set(group, new Map(rows));
  }
  return copy;
}
