// The azure Driver: Blob Storage with a storage account's key (or a SAS);
// virtual machines through Resource Manager with a service principal, in the
// provider's Resource Manager scope.
import type { CollectionName, Driver } from '../../core/driver.js';
import { ArmConnections, armScopeOf } from './arm.js';
import { addressOperations } from './addresses.js';
import { blobOperations } from './blob.js';
import { computeOperations } from './compute.js';
import { instanceCreateOperations } from './create.js';
import { imageOperations } from './images.js';
import { keyOperations } from './keys.js';
import { loadBalancerOperations } from './load-balancers.js';
import { metricOperations } from './metrics.js';
import { networkOperations } from './network.js';
import { virtualNetworkOperations } from './networks.js';
import { volumeOperations } from './volumes.js';
import type { AzureOptions } from './config.js';
import { azureDeclaration } from './declaration.js';
import { parseCredentials, resolveProvider } from './provider.js';
import { AzureSession } from './session.js';

const BLOB_COLLECTIONS: CollectionName[] = ['buckets'];
const ARM_COLLECTIONS: CollectionName[] = ['realms', 'hardware_profiles', 'images', 'instances', 'instance_states', 'keys', 'storage_volumes', 'storage_snapshots', 'addresses', 'firewalls',
  'load_balancers', 'networks', 'subnets', 'metrics'];

export function createAzureDriver(options: AzureOptions): Driver {
  const blobs = blobOperations(options);
  const connections = new ArmConnections(options);
  const compute = computeOperations(options, connections);
  return {
    declaration: azureDeclaration(options),
    supported_collections: async (ctx) => {
      const provider = resolveProvider(ctx.provider, options);
      const arm = armScopeOf(provider) ? ARM_COLLECTIONS : [];
      // Without credentials: what the provider offers to either kind.
      if (!ctx.credentials) return ['drivers', ...BLOB_COLLECTIONS, ...arm];
      return parseCredentials(ctx.credentials).kind === 'storage' ? ['drivers', ...BLOB_COLLECTIONS] : ['drivers', ...arm];
    },
    verify_credentials: async (ctx) => {
      if (parseCredentials(ctx.requireCredentials()).kind === 'storage') await blobs.buckets!(ctx, {});
      // A service principal: Entra ID issuing it a token (the Resource Manager scope is not needed for that).
      else await connections.verify(new AzureSession(ctx, options));
    },
    ...blobs,
    ...compute,
    ...instanceCreateOperations(options, connections),
    ...imageOperations(options, connections),
    ...keyOperations(options, connections),
    ...volumeOperations(options, connections),
    ...networkOperations(options, connections),
    ...addressOperations(options, connections),
    ...loadBalancerOperations(options, connections),
    ...virtualNetworkOperations(options, connections),
    ...metricOperations(connections),
    close: async () => {},
  };
}
