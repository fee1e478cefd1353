// The podman Driver: the declaration plus one group of operations per area,
// all on the same backend (options, engine clients, host facts).
import type { Driver } from '../../core/driver.js';
import type { PodmanBackend } from './backend.js';
import { containerOperations } from './containers.js';
import { podmanDeclaration } from './declaration.js';
import { imageOperations } from './images.js';
import { metricOperations } from './metrics.js';
import { volumeOperations } from './volumes.js';

export function createPodmanDriver(backend: PodmanBackend): Driver {
  return {
    declaration: podmanDeclaration(backend.opts),
    // The server checks the operator's credentials before any call reaches this driver.
    verify_credentials: async () => undefined,
    realms: async (ctx) => [await backend.realm(backend.engine(ctx), ctx.signal)],
    realm: async (ctx, id) => {
      const realm = await backend.realm(backend.engine(ctx), ctx.signal);
      return realm.id === id ? realm : undefined;
    },
    hardware_profiles: async (ctx) => backend.profiles(backend.engine(ctx), ctx.signal),
    hardware_profile: async (ctx, id) => (await backend.profiles(backend.engine(ctx), ctx.signal)).find((p) => p.id === id),
    ...imageOperations(backend),
    ...containerOperations(backend),
    ...volumeOperations(backend),
    ...metricOperations(backend),
    close: () => backend.close(),
  };
}
