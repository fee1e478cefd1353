// Realms (the connected host) and hardware profiles (sized from it).
import type { Driver } from '../../../core/driver.js';
import type { Realm } from '../../../core/model.js';
import type { LibvirtBackend } from '../backend.js';

type Ops = Pick<Driver, 'realms' | 'realm' | 'hardware_profiles' | 'hardware_profile'>;

export function hostOperations(backend: LibvirtBackend): Ops {
  const realm = async (ctx: Parameters<NonNullable<Driver['realms']>>[0]): Promise<Realm> => {
    const lv = backend.connect(ctx);
    const node = await lv.nodeInfo();
    return { id: node.hostname, name: `${node.hostname} (${lv.uri}, ${node.cpus} CPUs, ${node.memoryMiB} MiB)`, state: 'AVAILABLE' };
  };
  return {
    realms: async (ctx) => [await realm(ctx)],
    realm: async (ctx, id) => {
      const r = await realm(ctx);
      return r.id === id ? r : undefined;
    },
    hardware_profiles: async (ctx) => backend.profiles(backend.connect(ctx)),
    hardware_profile: async (ctx, id) => (await backend.profiles(backend.connect(ctx))).find((p) => p.id === id),
  };
}
