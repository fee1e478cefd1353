// Opening the mock's storage — SQLite files in a directory, or PostgreSQL —
// and seeding it on first use (mock-driver.md §3).
import { mkdirSync } from 'node:fs';
import { acquirePool, isConnectionError, migrate, releasePool } from '../../storage/postgres.js';
import { describeDatabase, type DatabaseTarget } from '../../storage/database-url.js';
import { BlobFiles, type BlobContent } from './blob-files.js';
import { PostgresContent } from './postgres-content.js';
import { PostgresMockStore } from './postgres-store.js';
import { writeSeed, writeSeedContent } from './seed.js';
import { SqliteMockStore, type MockStore } from './store.js';

/** What every operation works on. */
export interface MockBackend {
  store: MockStore;
  files: BlobContent;
}

const SEEDED_KEY = 'seeded_at';
/** Unreferenced content younger than this may belong to an upload in progress elsewhere. */
const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;

/** The store and content of `target` (PostgreSQL: migrated first). */
async function connect(target: DatabaseTarget): Promise<MockBackend> {
  if (target.kind === 'sqlite') {
    mkdirSync(target.path, { recursive: true, mode: 0o750 });
    const store = new SqliteMockStore(target.path);
    try {
      return { store, files: new BlobFiles(target.path) };
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const pool = acquirePool(target.url);
  try {
    await migrate(pool).catch((err: unknown) => {
      if (isConnectionError(err) && err instanceof Error) throw new Error(`cannot reach the database ${describeDatabase(target)} (${err.message})`);
      throw err;
    });
    const store = new PostgresMockStore(pool, () => releasePool(target.url));
    await store.refresh();
    return { store, files: new PostgresContent(pool) };
  } catch (err) {
    await releasePool(target.url);
    throw err;
  }
}

/** Puts the seed in (after `clear` when replacing), content first, records in one transaction. */
async function seed(backend: MockBackend, replace: boolean): Promise<void> {
  const { store, files } = backend;
  if (!replace && store.getMeta(SEEDED_KEY) !== undefined) return;
  const blobs = await writeSeedContent(files);
  // Check and seed in one transaction: two processes starting together seed once.
  // A flag rather than "no images": deleting every image must not bring the seed back.
  const seeded = await store.write(() => {
    if (!replace && store.getMeta(SEEDED_KEY) !== undefined) return false;
    if (replace) store.clear();
    writeSeed(store, blobs);
    store.putMeta(SEEDED_KEY, new Date().toISOString());
    return true;
  });
  if (!seeded) for (const blob of blobs) await files.remove(blob.file);
}

export async function openBackend(target: DatabaseTarget): Promise<MockBackend> {
  const backend = await connect(target);
  try {
    await seed(backend, false);
    await backend.files.sweep(backend.store.blobFiles(), ORPHAN_MIN_AGE_MS);
    return backend;
  } catch (err) {
    await backend.store.close();
    throw err;
  }
}

/** Replaces whatever `target` holds by a fresh copy of the seed. */
export async function resetBackend(target: DatabaseTarget): Promise<void> {
  const backend = await connect(target);
  try {
    await seed(backend, true);
    await backend.files.sweep(backend.store.blobFiles(), 0);
  } finally {
    await backend.store.close();
  }
}
