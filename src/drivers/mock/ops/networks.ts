// Networks, subnets and network interfaces (mock-driver.md §6.9).
import type { Driver } from '../../../core/driver.js';
import { MissingParameter, NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Network, Subnet } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate } from '../catalog.js';
import { timedId } from '../ids.js';
import { toNetworkInterface, type NetworkInterfaceRecord } from '../records.js';
import type { MockStore } from '../store.js';
import { randomAddressIn } from '../util.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver,
  'networks' | 'network' | 'create_network' | 'destroy_network'
  | 'subnets' | 'subnet' | 'create_subnet' | 'destroy_subnet'
  | 'network_interfaces' | 'network_interface' | 'create_network_interface' | 'destroy_network_interface'>;

/** Removes a subnet and its entry in its network's list. */
function deleteSubnet(store: MockStore, subnet: Subnet): void {
  const network = subnet.networkId === undefined ? undefined : store.get('networks', subnet.networkId);
  if (network) store.put('networks', { ...network, subnetIds: network.subnetIds.filter((s) => s !== subnet.id) });
  store.delete('subnets', subnet.id);
}

/** Removes an interface and its entry in its instance's list. */
function deleteInterface(store: MockStore, nic: NetworkInterfaceRecord): void {
  const instance = nic.instanceId === undefined ? undefined : store.get('instances', nic.instanceId);
  if (instance?.networkInterfaceIds) {
    store.put('instances', { ...instance, networkInterfaceIds: instance.networkInterfaceIds.filter((n) => n !== nic.id) });
  }
  store.delete('network_interfaces', nic.id);
}

export function networkOperations({ store }: MockBackend): Ops {
  return {
    networks: async (ctx, filter) => {
      authenticate(ctx);
      return applyFilters('networks', store.list('networks'), filter);
    },
    network: async (ctx, id) => {
      authenticate(ctx);
      return store.get('networks', id);
    },
    create_network: async (ctx, { addressBlock, name }) => {
      authenticate(ctx);
      return store.write(() => {
        const id = name ?? timedId(store, 'net_', (c) => store.has('networks', c));
        const network: Network = { id, name: id, addressBlocks: [addressBlock ?? null], subnetIds: [], state: 'UP' };
        return store.put('networks', network);
      });
    },
    destroy_network: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => {
        const network = store.get('networks', id);
        if (!network) throw new NotFound();
        for (const subnetId of network.subnetIds) store.delete('subnets', subnetId);
        store.delete('networks', id);
      });
    },

    subnets: async (ctx, filter) => {
      authenticate(ctx);
      return applyFilters('subnets', store.list('subnets'), filter);
    },
    subnet: async (ctx, id) => {
      authenticate(ctx);
      return store.get('subnets', id);
    },
    create_subnet: async (ctx, { networkId, addressBlock, name }) => {
      authenticate(ctx);
      return store.write(() => {
        const network = store.get('networks', networkId);
        if (!network) throw new NotFound();
        const id = name ?? timedId(store, 'subnet_', (c) => store.has('subnets', c));
        const existing = store.get('subnets', id);
        if (existing) deleteSubnet(store, existing); // a named subnet replaces its namesake (original)
        const subnet: Subnet = { id, name: id, networkId, addressBlock, state: 'UP', type: null };
        const current = store.get('networks', networkId) ?? network;
        store.put('networks', { ...current, subnetIds: [...current.subnetIds, id] });
        return store.put('subnets', subnet);
      });
    },
    destroy_subnet: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => {
        const subnet = store.get('subnets', id);
        if (!subnet) throw new NotFound();
        deleteSubnet(store, subnet);
      });
    },

    network_interfaces: async (ctx, filter) => {
      authenticate(ctx);
      return applyFilters('network_interfaces', store.list('network_interfaces').map(toNetworkInterface), filter);
    },
    network_interface: async (ctx, id) => {
      authenticate(ctx);
      const nic = store.get('network_interfaces', id);
      return nic && toNetworkInterface(nic);
    },
    create_network_interface: async (ctx, { instanceId, networkId, name, params }) => {
      authenticate(ctx);
      // The mock takes the address from a subnet, so it needs one (the original crashed without).
      const subnetId = params.subnet;
      if (subnetId === undefined || subnetId === '') throw new MissingParameter('subnet', Object.keys(params));
      return store.write(() => {
        const subnet = store.get('subnets', subnetId);
        if (!subnet) throw new NotFound();
        if (!store.has('instances', instanceId)) throw new NotFound();
        const ipAddress = randomAddressIn(subnet.addressBlock ?? '');
        if (ipAddress === undefined) throw new ValidationFailure(`Subnet '${subnetId}' has no IPv4 address block`);
        const id = name !== undefined && name !== '' ? name : timedId(store, 'nic_', (c) => store.has('network_interfaces', c));
        const existing = store.get('network_interfaces', id);
        if (existing) deleteInterface(store, existing); // a named interface replaces its namesake
        const nic: NetworkInterfaceRecord = { id, name: id, instanceId, networkId, ipAddress };
        store.put('network_interfaces', nic);
        const instance = store.get('instances', instanceId)!;
        store.put('instances', { ...instance, networkInterfaceIds: [...(instance.networkInterfaceIds ?? []), id] });
        return toNetworkInterface(nic);
      });
    },
    destroy_network_interface: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => {
        const nic = store.get('network_interfaces', id);
        if (!nic) throw new NotFound();
        deleteInterface(store, nic);
      });
    },
  };
}
