// Addresses = public IP addresses; one is associated with an instance when
// it sits on an IP configuration of a network interface that a VM uses (the
// NIC names its VM). Associate and disassociate set and clear the public IP
// of the VM's NIC's primary IP configuration: Resource Manager changes a NIC
// only by a whole PUT, so the NIC is read, changed and written back (the SDK
// leaves out what Azure computes, such as the provisioning state).
import type { NetworkInterface, NetworkManagementClient, PublicIPAddress } from '@azure/arm-network';
import type { Driver, Filter, RequestContext } from '../../core/driver.js';
import { orUndefined } from '../../core/kit/lookup.js';
import { ValidationFailure } from '../../core/errors.js';
import type { Address } from '../../core/model.js';
import { listed, nameOf, pollingOf, type ArmConnections } from './arm.js';
import type { AzureOptions } from './config.js';
import { checkResourceName } from './keys.js';
import type { AzureSession } from './session.js';

type AddressOps = Required<Pick<Driver, 'addresses' | 'address' | 'associate_address' | 'disassociate_address'>>;

interface NicConfiguration {
  group: string;
  nic: string;
  configuration?: string;
}

/** The segment after `name` in a resource id (Resource Manager ids are case-insensitive). */
function segmentAfter(parts: string[], name: string): string | undefined {
  const at = parts.findIndex((part) => part.toLowerCase() === name.toLowerCase());
  return at >= 0 ? parts[at + 1] : undefined;
}

/** A NIC's (or one of its IP configurations') resource id → its group and names; undefined for other owners (a load balancer's frontend). */
export function nicOf(id: string | undefined): NicConfiguration | undefined {
  const parts = (id ?? '').split('/');
  const group = segmentAfter(parts, 'resourceGroups');
  const nic = segmentAfter(parts, 'networkInterfaces');
  const configuration = segmentAfter(parts, 'ipConfigurations');
  return group && nic ? { group, nic, ...(configuration ? { configuration } : {}) } : undefined;
}

/** Public IPs as addresses, each on a VM's NIC with that VM as its instance (a NIC several IPs share is read once). */
async function addressesOf(s: AzureSession, network: NetworkManagementClient, ips: PublicIPAddress[]): Promise<Address[]> {
  const vmOfNic = new Map<string, Promise<string | undefined>>();
  return Promise.all(ips.map(async (ip) => {
    const id = ip.name ?? nameOf(ip.id);
    const owner = nicOf(ip.ipConfiguration?.id);
    if (!owner) return { id };
    const key = `${owner.group}/${owner.nic}`;
    let vm = vmOfNic.get(key);
    if (!vm) {
      vm = network.networkInterfaces.get(owner.group, owner.nic, { abortSignal: s.signal }).then((nic) => (nic.virtualMachine?.id ? nameOf(nic.virtualMachine.id) : undefined));
      vmOfNic.set(key, vm);
    }
    const instanceId = await vm;
    return instanceId ? { id, instanceId } : { id };
  }));
}

export function addressOperations(options: AzureOptions, connections: ArmConnections): AddressOps {
  const arm = (ctx: RequestContext) => connections.open(ctx);

  /** Reads the NIC, lets `change` set or clear the public IP of one of its IP configurations, writes it back. */
  async function rewriteNic(s: AzureSession, network: NetworkManagementClient, owner: NicConfiguration, change: (nic: NetworkInterface) => void): Promise<void> {
    const nic = await s.call(() => network.networkInterfaces.get(owner.group, owner.nic, { abortSignal: s.signal }));
    // A subnet is referenced by its id: the SDK fills a read subnet's policies with their defaults, which are the subnet's to set, not the NIC's.
    for (const configuration of nic.ipConfigurations ?? []) if (configuration.subnet) configuration.subnet = { id: configuration.subnet.id };
    change(nic);
    await s.call(() => network.networkInterfaces.beginCreateOrUpdateAndWait(owner.group, owner.nic, nic, pollingOf(s, options)));
  }

  return {
    addresses: async (ctx, filter: Filter) => {
      const [s, { network, scope }] = arm(ctx);
      const ips = await listed(s, network.publicIPAddresses.list(scope.resourceGroup, { abortSignal: s.signal }), (ip) => ({ ...ip, id: ip.name ?? nameOf(ip.id) }), filter.id);
      return s.call(() => addressesOf(s, network, ips));
    },
    address: async (ctx, id) => {
      checkResourceName(id, 'Address');
      const [s, { network, scope }] = arm(ctx);
      return orUndefined(() => s.call(async () => (await addressesOf(s, network, [await network.publicIPAddresses.get(scope.resourceGroup, id, { abortSignal: s.signal })]))[0]));
    },
    associate_address: async (ctx, { id, instanceId }) => {
      checkResourceName(id, 'Address');
      checkResourceName(instanceId, 'Instance');
      const [s, { compute, network, scope }] = arm(ctx);
      const vm = await s.call(() => compute.virtualMachines.get(scope.resourceGroup, instanceId, { abortSignal: s.signal }));
      const nics = vm.networkProfile?.networkInterfaces ?? [];
      const owner = nicOf((nics.find((nic) => nic.primary) ?? nics[0])?.id);
      if (!owner) throw new ValidationFailure(`Instance ${instanceId} has no network interface`);
      const ipId = `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.Network/publicIPAddresses/${id}`;
      await rewriteNic(s, network, owner, (nic) => {
        const configurations = nic.ipConfigurations ?? [];
        const primary = configurations.find((c) => c.primary) ?? configurations[0];
        if (!primary) throw new ValidationFailure(`Instance ${instanceId}'s network interface has no IP configuration`);
        primary.publicIPAddress = { id: ipId };
      });
    },
    disassociate_address: async (ctx, id) => {
      checkResourceName(id, 'Address');
      const [s, { network, scope }] = arm(ctx);
      const ip = await s.call(() => network.publicIPAddresses.get(scope.resourceGroup, id, { abortSignal: s.signal }));
      const owner = nicOf(ip.ipConfiguration?.id);
      if (!owner?.configuration) throw new ValidationFailure(`Address ${id} is not associated with an instance`);
      await rewriteNic(s, network, owner, (nic) => {
        const configuration = (nic.ipConfigurations ?? []).find((c) => c.name === owner.configuration);
        if (configuration) delete configuration.publicIPAddress;
      });
    },
  };
}
