// Entry point of the libvirt driver: the factory the server registers. Loading
// needs no libvirt: a machine without it still runs the server, and requests
// to this driver answer 502 "libvirt is not installed (virsh not found)".
import type { DriverFactory } from '../../core/driver.js';
import { LibvirtBackend } from './backend.js';
import { libvirtDeclaration } from './declaration.js';
import { createLibvirtDriver } from './driver.js';
import { parseOptions } from './options.js';
import { keyStore } from './postgres-keys.js';
import { LibvirtStore } from './store.js';
import { VIRSH_MISSING, virshAvailable } from './virsh.js';

export const libvirtDriverFactory: DriverFactory = {
  declaration: libvirtDeclaration(),
  declare: (options) => libvirtDeclaration(parseOptions(options)),
  // config.dataDir is <server data dir>/libvirt: the metadata (and, unless on PostgreSQL, key) store lives there.
  load: async (config) => {
    const opts = parseOptions(config.options);
    if (!(await virshAvailable(opts.virsh))) {
      console.warn(`deltacloudd: libvirt driver: ${VIRSH_MISSING}; its requests will answer 502 (see scripts/libvirt/setup.sh)`);
    }
    const store = new LibvirtStore(config.dataDir);
    return createLibvirtDriver(new LibvirtBackend(opts, store, await keyStore(store, config.databaseUrl)));
  },
};

export { LIBVIRT_STATE_MACHINE } from './declaration.js';
export { parseOptions, type LibvirtOptions } from './options.js';
