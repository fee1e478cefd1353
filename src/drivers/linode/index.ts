// Entry point of the linode driver: the factory the server registers.
import { restDriverFactory } from '../shared/rest/provider.js';
import { LINODE_API, LINODE_DECLARATION } from './declaration.js';

export const linodeDriverFactory = restDriverFactory(LINODE_DECLARATION, LINODE_API, async (options) => (await import('./driver.js')).createLinodeDriver(options));
