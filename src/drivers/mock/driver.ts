// The mock Driver: the declaration plus one group of operations per area,
// all working on the same backend (store + blob content).
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

type Operations = Omit<Driver, 'declaration' | 'revision' | 'syncRevision' | 'close'>;

/**
 * On a shared store, each operation first catches up with other processes' commits, so it reads
 * current state. SQLite reads its file live: its operations are left as they are (no extra await per call).
 */
function caughtUp(backend: MockBackend, operations: Operations): Operations {
  if (!backend.store.shared) return operations;
  const wrapped: Record<string, unknown> = {};
  for (const [name, op] of Object.entries(operations)) {
    wrapped[name] = typeof op === 'function'
      ? async (...args: unknown[]) => {
        await backend.store.refresh();
        return Reflect.apply(op, operations, args);
      }
      : op;
  }
  return wrapped as Operations; // same keys, each function wrapped
}

export function createMockDriver(backend: MockBackend): Driver {
  const operations: Operations = {
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
  };
  return {
    declaration: MOCK_DECLARATION,
    ...caughtUp(backend, operations),
    revision: () => backend.store.revision(),
    // Only a shared (PostgreSQL) store needs the re-read before cached reads; without it, repeats are answered early.
    ...(backend.store.shared ? { syncRevision: () => backend.store.refresh() } : {}),
    close: () => backend.store.close(),
  };
}
