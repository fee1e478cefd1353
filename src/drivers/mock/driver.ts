// The mock Driver: the declaration plus one group of operations per area,
// all working on the same backend (database + blob files).
import type { Driver } from '../../core/driver.js';
import type { MockBackend } from './backend.js';
import { authenticate } from './catalog.js';
import { MOCK_DECLARATION } from './declaration.js';
import { addressOperations } from './ops/addresses.js';
import { bucketOperations } from './ops/buckets.js';
import { firewallOperations } from './ops/firewalls.js';
import { imageOperations } from './ops/images.js';
import { instanceOperations } from './ops/instances.js';
import { keyOperations } from './ops/keys.js';
import { loadBalancerOperations } from './ops/load-balancers.js';
import { metricOperations } from './ops/metrics.js';
import { networkOperations } from './ops/networks.js';
import { realmAndProfileOperations } from './ops/realms-profiles.js';
import { volumeOperations } from './ops/volumes.js';

export function createMockDriver(backend: MockBackend): Driver {
  return {
    declaration: MOCK_DECLARATION,
    verify_credentials: async (ctx) => {
      authenticate(ctx);
    },
    ...realmAndProfileOperations(),
    ...imageOperations(backend),
    ...instanceOperations(backend),
    ...keyOperations(backend),
    ...metricOperations(backend),
    ...volumeOperations(backend),
    ...bucketOperations(backend),
    ...addressOperations(backend),
    ...networkOperations(backend),
    ...firewallOperations(backend),
    ...loadBalancerOperations(backend),
    revision: () => backend.store.revision(),
    close: async () => {
      backend.store.close();
    },
  };
}
