// The rackspace Driver: the openstack driver's code signing in with an API key
// at Identity v2.0, limited to what Rackspace's catalogue serves it (Cloud
// Servers = Nova v2, Cloud Images = Glance v2, Cloud Files = Swift), plus CDN
// publishing of buckets.
import type { Capability, Driver, RequestContext } from '../../core/driver.js';
import { createOpenStackDriver, type OpenStackDriver } from '../openstack/driver.js';
import * as cdn from './cdn.js';
import type { RackspaceOptions } from './config.js';
import { rackspaceDeclaration } from './declaration.js';
import { apiKeyIdentity } from './identity.js';

/** The openstack driver's capabilities that Rackspace's services answer. */
const SHARED_CAPABILITIES = [
  'realms', 'hardware_profiles', 'hardware_profile',
  'images', 'image', 'create_image', 'destroy_image',
  'instances', 'instance', 'create_instance', 'start_instance', 'stop_instance', 'reboot_instance', 'destroy_instance',
  'keys', 'key', 'create_key', 'destroy_key',
  'buckets', 'create_bucket', 'delete_bucket', 'blob', 'blob_data', 'create_blob', 'delete_blob',
  'blob_metadata', 'update_blob_metadata', 'init_segmented_blob', 'blob_segment', 'finalize_segmented_blob',
] as const satisfies readonly Capability[];

export function createRackspaceDriver(options: RackspaceOptions): OpenStackDriver {
  const base = createOpenStackDriver(options.openstack, apiKeyIdentity(options));
  const session = (ctx: RequestContext) => base.client.session(ctx);
  const shared: Partial<Driver> = {};
  for (const capability of SHARED_CAPABILITIES) Object.assign(shared, { [capability]: base[capability] });
  return {
    ...shared,
    declaration: rackspaceDeclaration(options),
    client: base.client,
    verify_credentials: base.verify_credentials,
    supported_collections: base.supported_collections,
    bucket: async (ctx, id) => cdn.bucket(await session(ctx), id),
    update_bucket_cdn: async (ctx, args) => cdn.updateBucketCdn(await session(ctx), args),
    close: () => base.client.close(),
  };
}
