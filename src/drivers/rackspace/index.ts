// Entry point of the rackspace driver: the factory the server registers.
import type { DriverFactory } from '../../core/driver.js';
import { OpenStackConfigError } from '../openstack/config.js';
import { parseRackspaceOptions, type RackspaceOptions } from './config.js';
import { RACKSPACE_DECLARATION, rackspaceDeclaration } from './declaration.js';
import { createRackspaceDriver } from './driver.js';

function options(raw: Record<string, unknown>): RackspaceOptions {
  try {
    return parseRackspaceOptions(raw);
  } catch (e) {
    if (e instanceof OpenStackConfigError) throw new Error(`rackspace driver configuration: ${e.message}`);
    throw e;
  }
}

export const rackspaceDriverFactory: DriverFactory = {
  declaration: RACKSPACE_DECLARATION,
  declare: (raw) => rackspaceDeclaration(options(raw)),
  load: async (config) => createRackspaceDriver(options(config.options)),
};
