// The libvirt Driver: the declaration plus one group of operations per area,
// all working on the same backend (options, store, connections).
import type { Driver } from '../../core/driver.js';
import { LibvirtBackend } from './backend.js';
import { libvirtDeclaration } from './declaration.js';
import { hostOperations } from './ops/host.js';
import { imageOperations } from './ops/images.js';
import { instanceOperations } from './ops/instances.js';
import { keyOperations } from './ops/keys.js';
import { metricOperations } from './ops/metrics.js';
import { storageOperations } from './ops/storage.js';

export function createLibvirtDriver(backend: LibvirtBackend): Driver {
  const { opts } = backend;
  return {
    declaration: libvirtDeclaration(opts),
    // The server checks the operator's credentials before any call reaches this driver.
    verify_credentials: async () => undefined,
    ...hostOperations(backend),
    ...imageOperations(backend),
    ...instanceOperations(backend),
    ...keyOperations(backend),
    ...storageOperations(backend),
    ...metricOperations(backend),
    close: async () => {
      backend.store.close();
      await backend.keys.close();
    },
  };
}
