// The libvirt driver's SSH keys in PostgreSQL (--database postgres://…), so
// every replica lists, uses and deletes the same keys. The name is the
// primary key: of two replicas creating one name at once, exactly one
// inserts it, the other gets the 403 a second create gets on one server.
import type pg from 'pg';
import { parseDatabaseUrl } from '../../storage/database-url.js';
import { acquirePool, registerMigrations, releasePool, whenMigrated, withDatabase } from '../../storage/postgres.js';
import { sqliteKeys, type KeyRecord, type KeyStore, type LibvirtStore } from './store.js';

registerMigrations([{
  version: 21,
  name: 'libvirt driver keys',
  sql: `
CREATE TABLE libvirt_keys (
  id text PRIMARY KEY,
  public_key text NOT NULL,
  fingerprint text NOT NULL,
  imported boolean NOT NULL,
  created text NOT NULL
);`,
}]);

interface KeyRow { id: string; public_key: string; fingerprint: string; imported: boolean; created: string }

const toRecord = (r: KeyRow): KeyRecord => ({ id: r.id, publicKey: r.public_key, fingerprint: r.fingerprint, imported: r.imported, created: r.created });

export class PostgresKeys implements KeyStore {
  private readonly pool: pg.Pool;

  constructor(private readonly url: string) {
    this.pool = acquirePool(url);
  }

  /** Migrates now, so a database unreachable at start shows at start. */
  async open(): Promise<this> {
    await whenMigrated(this.pool);
    return this;
  }

  private rows(sql: string, params: unknown[]): Promise<KeyRow[]> {
    return withDatabase(async () => {
      await whenMigrated(this.pool);
      return (await this.pool.query<KeyRow>(sql, params)).rows;
    });
  }

  async key(id: string): Promise<KeyRecord | undefined> {
    const [row] = await this.rows('SELECT * FROM libvirt_keys WHERE id = $1', [id]);
    return row && toRecord(row);
  }

  async keys(): Promise<KeyRecord[]> {
    return (await this.rows('SELECT * FROM libvirt_keys ORDER BY id', [])).map(toRecord);
  }

  async insertKey(k: KeyRecord): Promise<boolean> {
    const inserted = await this.rows(`INSERT INTO libvirt_keys (id, public_key, fingerprint, imported, created) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (id) DO NOTHING RETURNING id`, [k.id, k.publicKey, k.fingerprint, k.imported, k.created]);
    return inserted.length === 1;
  }

  async deleteKey(id: string): Promise<boolean> {
    return (await this.rows('DELETE FROM libvirt_keys WHERE id = $1 RETURNING id', [id])).length === 1;
  }

  async close(): Promise<void> {
    await releasePool(this.url);
  }
}

/** Keys in PostgreSQL when the server runs on it, else in the driver's SQLite store. */
export async function keyStore(store: LibvirtStore, databaseUrl: string | undefined): Promise<KeyStore> {
  return databaseUrl && parseDatabaseUrl(databaseUrl).kind === 'postgres' ? new PostgresKeys(databaseUrl).open() : sqliteKeys(store);
}
