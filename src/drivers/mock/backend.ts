// Opening the mock's storage: the database, the blob-content directory, and
// seeding on first use (mock-driver.md §3).
import { mkdirSync } from 'node:fs';
import { BlobFiles } from './blob-files.js';
import { writeSeed } from './seed.js';
import { MockStore } from './store.js';

/** What every operation works on. */
export interface MockBackend {
  store: MockStore;
  files: BlobFiles;
}

const SEEDED_KEY = 'seeded_at';
/** Unreferenced content files younger than this may belong to an upload in progress elsewhere. */
const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;

export function openBackend(dataDir: string): MockBackend {
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  const store = new MockStore(dataDir);
  try {
    const files = new BlobFiles(dataDir);
    // Check and seed in one transaction: two processes starting together seed once.
    // A flag rather than "no images": deleting every image must not bring the seed back.
    store.write(() => {
      if (store.getMeta(SEEDED_KEY) !== undefined) return;
      writeSeed(store, files);
      store.putMeta(SEEDED_KEY, new Date().toISOString());
    });
    files.sweep(store.blobFiles(), ORPHAN_MIN_AGE_MS);
    return { store, files };
  } catch (err) {
    store.close();
    throw err;
  }
}

/** Replaces whatever `dataDir` holds by a fresh copy of the seed. */
export function resetBackend(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  const store = new MockStore(dataDir);
  try {
    const files = new BlobFiles(dataDir);
    store.write(() => {
      store.clear();
      writeSeed(store, files);
      store.putMeta(SEEDED_KEY, new Date().toISOString());
    });
    files.sweep(store.blobFiles(), 0);
  } finally {
    store.close();
  }
}
