// Entry point of the ec2 (Amazon Web Services) driver: the factory the server
// registers. The AWS SDK is loaded only when a request first selects ec2.
import type { DriverFactory } from '../../core/driver.js';
import { parseOptions } from './config.js';
import { EC2_DECLARATION, ec2Declaration } from './declaration.js';

export const ec2DriverFactory: DriverFactory = {
  declaration: EC2_DECLARATION,
  declare: (options) => ec2Declaration(parseOptions(options)),
  load: async (config) => {
    const options = parseOptions(config.options);
    const { createEc2Driver } = await import('./driver.js');
    return createEc2Driver(options);
  },
};
