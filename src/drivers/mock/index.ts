// Entry point of the mock driver: the factory the server registers, and the
// reset used by `--reset`.
import type { DriverFactory } from '../../core/driver.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../../storage/database-url.js';
import { openBackend, resetBackend } from './backend.js';
import { MOCK_DECLARATION } from './declaration.js';
import { createMockDriver } from './driver.js';

/** `--database` when given (SQLite or PostgreSQL), else SQLite in the data directory (DELTACLOUD_MOCK_STORAGE). */
export function mockTarget(dataDir: string, databaseUrl?: string): DatabaseTarget {
  return databaseUrl ? parseDatabaseUrl(databaseUrl) : { kind: 'sqlite', path: dataDir };
}

export const mockDriverFactory: DriverFactory = {
  declaration: MOCK_DECLARATION,
  declare: () => MOCK_DECLARATION,
  // config.dataDir is the resolved DELTACLOUD_MOCK_STORAGE directory.
  load: async (config) => createMockDriver(await openBackend(mockTarget(config.dataDir, config.databaseUrl))),
};

/** Restores the seed (the directory is created if missing), discarding all changes. */
export async function resetMockStorage(dir: string, databaseUrl?: string): Promise<void> {
  await resetBackend(mockTarget(dir, databaseUrl));
}

export { MOCK_PASSWORD, MOCK_USER } from './catalog.js';
