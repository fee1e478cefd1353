// Entry point of the digitalocean driver: the factory the server registers.
import type { DriverFactory } from '../../core/driver.js';
import { parseRestOptions, restDeclaration } from '../shared/rest/provider.js';
import { DIGITALOCEAN_API, DIGITALOCEAN_DECLARATION } from './declaration.js';

const options = (raw: Record<string, unknown>) => parseRestOptions('digitalocean', raw, DIGITALOCEAN_API);

export const digitaloceanDriverFactory: DriverFactory = {
  declaration: DIGITALOCEAN_DECLARATION,
  declare: (raw) => restDeclaration(DIGITALOCEAN_DECLARATION, options(raw)),
  load: async (config) => (await import('./driver.js')).createDigitalOceanDriver(options(config.options)),
};
