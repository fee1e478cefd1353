// Entry point of the mock driver: the factory the server registers, and the
// reset used by `--reset`.
import type { DriverFactory } from '../../core/driver.js';
import { openBackend, resetBackend } from './backend.js';
import { MOCK_DECLARATION } from './declaration.js';
import { createMockDriver } from './driver.js';

export const mockDriverFactory: DriverFactory = {
  declaration: MOCK_DECLARATION,
  declare: () => MOCK_DECLARATION,
  // config.dataDir is the resolved DELTACLOUD_MOCK_STORAGE directory.
  load: async (config) => createMockDriver(openBackend(config.dataDir)),
};

/** Restores the seed in `dir` (created if missing), discarding all changes. */
export function resetMockStorage(dir: string): void {
  resetBackend(dir);
}

export { MOCK_PASSWORD, MOCK_USER } from './catalog.js';
