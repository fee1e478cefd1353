// Entry point of the openstack driver: the factory the server registers.
import type { DriverFactory } from '../../core/driver.js';
import { OpenStackConfigError, parseOptions } from './config.js';
import { OPENSTACK_DECLARATION, openstackDeclaration } from './declaration.js';
import { createOpenStackDriver } from './driver.js';

function options(raw: Record<string, unknown>) {
  try {
    return parseOptions(raw);
  } catch (e) {
    if (e instanceof OpenStackConfigError) throw new Error(`openstack driver configuration: ${e.message}`);
    throw e;
  }
}

export const openstackDriverFactory: DriverFactory = {
  declaration: OPENSTACK_DECLARATION,
  declare: (raw) => openstackDeclaration(options(raw)),
  load: async (config) => createOpenStackDriver(options(config.options)),
};

export { createOpenStackDriver, type OpenStackDriver } from './driver.js';
export { parseOptions } from './config.js';
