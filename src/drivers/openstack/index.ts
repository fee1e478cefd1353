// Entry point of the openstack driver: the factory the server registers.
import type { DriverFactory } from '../../core/driver.js';
import { OpenStackConfigError, parseOptions } from './config.js';
import { OPENSTACK_DECLARATION } from './declaration.js';
import { createOpenStackDriver } from './driver.js';

export const openstackDriverFactory: DriverFactory = {
  declaration: OPENSTACK_DECLARATION,
  load: async (config) => {
    let options;
    try {
      options = parseOptions(config.options);
    } catch (e) {
      if (e instanceof OpenStackConfigError) throw new Error(`openstack driver configuration: ${e.message}`);
      throw e;
    }
    // Declarations are static, but the operator's named providers are worth
    // showing in /api/drivers once the driver is loaded (spec §11.1 entry points).
    if (options.providers.size > 0) {
      const keystone: Record<string, string> = {};
      for (const [name, p] of options.providers) keystone[name] = p.region ? `${p.authUrl};${p.region}` : p.authUrl;
      OPENSTACK_DECLARATION.entrypoints = { keystone };
    }
    return createOpenStackDriver(options);
  },
};

export { createOpenStackDriver, type OpenStackDriver } from './driver.js';
export { parseOptions } from './config.js';
