// Entry point of the azure driver: the factory the server registers. The
// Azure SDKs load only when a request first selects the driver.
import type { DriverFactory } from '../../core/driver.js';
import { AzureConfigError, parseOptions } from './config.js';
import { AZURE_DECLARATION, azureDeclaration } from './declaration.js';

function options(raw: Record<string, unknown>) {
  try {
    return parseOptions(raw);
  } catch (e) {
    if (e instanceof AzureConfigError) throw new Error(`azure driver configuration: ${e.message}`);
    throw e;
  }
}

export const azureDriverFactory: DriverFactory = {
  declaration: AZURE_DECLARATION,
  declare: (raw) => azureDeclaration(options(raw)),
  load: async (config) => (await import('./driver.js')).createAzureDriver(options(config.options)),
};
