// Every driver this server ships. Declarations are cheap; `load` brings in a
// driver's SDKs only when a request first selects it.
import type { DriverFactory } from '../core/driver.js';
import { azureDriverFactory } from './azure/index.js';
import { digitaloceanDriverFactory } from './digitalocean/index.js';
import { ec2DriverFactory } from './ec2/index.js';
import { libvirtDriverFactory } from './libvirt/index.js';
import { linodeDriverFactory } from './linode/index.js';
import { mockDriverFactory } from './mock/index.js';
import { openstackDriverFactory } from './openstack/index.js';
import { podmanDriverFactory } from './podman/index.js';
import { rackspaceDriverFactory } from './rackspace/index.js';

export const DRIVER_FACTORIES: readonly DriverFactory[] = [mockDriverFactory, openstackDriverFactory, libvirtDriverFactory, ec2DriverFactory, podmanDriverFactory, rackspaceDriverFactory, azureDriverFactory, digitaloceanDriverFactory, linodeDriverFactory];
