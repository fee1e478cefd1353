// Entry point of the digitalocean driver: the factory the server registers.
import { restDriverFactory } from '../shared/rest/provider.js';
import { DIGITALOCEAN_API, DIGITALOCEAN_DECLARATION } from './declaration.js';
import { parseSpacesOptions } from './spaces-options.js';

export const digitaloceanDriverFactory = restDriverFactory(
  DIGITALOCEAN_DECLARATION, DIGITALOCEAN_API,
  async (options, raw) => (await import('./driver.js')).createDigitalOceanDriver(options, raw),
  (raw, options) => { parseSpacesOptions(raw, options, DIGITALOCEAN_API.name); },
);
