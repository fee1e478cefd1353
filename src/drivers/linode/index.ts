// Entry point of the linode driver: the factory the server registers.
import { restDriverFactory } from '../shared/rest/provider.js';
import { LINODE_API, LINODE_DECLARATION } from './declaration.js';
import { parseObjectStorageOptions } from './object-storage-options.js';

export const linodeDriverFactory = restDriverFactory(
  LINODE_DECLARATION, LINODE_API,
  async (options, raw) => (await import('./driver.js')).createLinodeDriver(options, raw),
  (raw, options) => { parseObjectStorageOptions(raw, options, LINODE_API.name); },
);
