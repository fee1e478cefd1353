// Addresses (mock-driver.md §6.8): associating one replaces the instance's
// public addresses; disassociating restores the made-up host name.
import type { Driver } from '../../../core/driver.js';
import { Forbidden, NotFound } from '../../../core/errors.js';
import type { Address } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate } from '../catalog.js';
import { countedId } from '../ids.js';
import type { MockStore } from '../store.js';
import { ipv4ToNumber, numberToIpv4 } from '../util.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver,
  'addresses' | 'address' | 'create_address' | 'destroy_address' | 'associate_address' | 'disassociate_address'>;

/** Used when every address was released (the original crashed then). */
const FIRST_ADDRESS = '192.168.0.1';

/** The numerically highest existing address + 1, and above every address allocated before (released ones are not reused). */
function nextAddress(store: MockStore): string {
  let highest: number | undefined;
  for (const id of store.ids('addresses')) {
    const n = ipv4ToNumber(id);
    if (n !== undefined && (highest === undefined || n > highest)) highest = n;
  }
  const floor = highest === undefined ? ipv4ToNumber(FIRST_ADDRESS)! : highest + 1;
  return countedId(store, 'addresses', floor, (n) => numberToIpv4(n >>> 0), (id) => store.has('addresses', id));
}

function requireAddress(store: MockStore, id: string): Address {
  const address = store.get('addresses', id);
  if (!address) throw new NotFound();
  return address;
}

export function addressOperations({ store }: MockBackend): Ops {
  return {
    addresses: async (ctx, filter) => {
      authenticate(ctx);
      return applyFilters('addresses', store.list('addresses'), filter);
    },
    address: async (ctx, id) => {
      authenticate(ctx);
      return store.get('addresses', id);
    },
    create_address: async (ctx) => {
      authenticate(ctx);
      return store.write(() => store.put('addresses', { id: nextAddress(store) }));
    },
    destroy_address: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => {
        if (requireAddress(store, id).instanceId !== undefined) throw new Forbidden('AddressInUse');
        store.delete('addresses', id);
      });
    },
    associate_address: async (ctx, { id, instanceId }) => {
      authenticate(ctx);
      await store.write(() => {
        const address = requireAddress(store, id);
        if (address.instanceId !== undefined) throw new Forbidden('AddressInUse');
        const instance = store.get('instances', instanceId);
        if (!instance) throw new NotFound();
        store.put('addresses', { ...address, instanceId });
        store.put('instances', { ...instance, publicAddresses: [{ address: id, type: 'ipv4' }] });
      });
    },
    disassociate_address: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => {
        const address = requireAddress(store, id);
        if (address.instanceId === undefined) throw new Forbidden('AddressNotInUse');
        const instance = store.get('instances', address.instanceId);
        store.put('addresses', { id: address.id });
        if (instance) {
          const hostname = `${instance.imageId}.${instance.id}.public.com`;
          store.put('instances', { ...instance, publicAddresses: [{ address: hostname, type: 'hostname' }] });
        }
      });
    },
  };
}
