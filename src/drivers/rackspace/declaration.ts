// What the rackspace driver declares: the documented regions as providers,
// the openstack driver's features for what Cloud Servers and Cloud Files
// offer, and its instance life cycle (Nova v2 underneath).
import type { DriverDeclaration } from '../../core/driver.js';
import { deepFreeze } from '../../core/freeze.js';
import { OPENSTACK_STATE_MACHINE } from '../openstack/declaration.js';
import { RACKSPACE_REGIONS, type RackspaceOptions } from './config.js';

export const RACKSPACE_DECLARATION: DriverDeclaration = {
  id: 'rackspace',
  name: 'Rackspace',
  reach: 'remote',
  usernameLabel: 'Rackspace user name',
  passwordLabel: 'API key',
  features: {
    instances: ['user_name', 'user_data', 'authentication_key', 'authentication_password', 'instance_count', 'realm_filter'],
    images: ['owner_id', 'image_name', 'image_description'],
    keys: ['import_key'],
    buckets: ['bucket_cdn'],
  },
  stateMachine: OPENSTACK_STATE_MACHINE,
  entrypoints: { identity: Object.fromEntries(RACKSPACE_REGIONS.map((r) => [r, 'https://identity.api.rackspacecloud.com/v2.0'])) },
};

/** The declaration for the operator's options: the regions offered, each signing in at the identity URL. */
export function rackspaceDeclaration(options: RackspaceOptions): DriverDeclaration {
  const defaultProvider = options.defaultRegion ?? (options.regions.length === 1 ? options.regions[0] : undefined);
  return deepFreeze({
    ...RACKSPACE_DECLARATION,
    entrypoints: { identity: Object.fromEntries(options.regions.map((r) => [r, options.identityUrl])) },
    ...(defaultProvider ? { defaultProvider } : {}),
  });
}
