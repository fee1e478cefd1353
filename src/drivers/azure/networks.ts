// Networks = virtual networks of the provider's resource group (their address
// space is the address blocks), subnets = their subnets. A subnet lives inside
// its network: its id is `<network>:<subnet>` (`:` is in no Azure resource
// name), and one listing of the networks answers both collections.
import type { Subnet as AzureSubnet, VirtualNetwork } from '@azure/arm-network';
import type { Driver, Filter, RequestContext } from '../../core/driver.js';
import type { Network, Subnet } from '../../core/model.js';
import { membersOf, nameOf, type ArmConnections } from './arm.js';
import { checkResourceName } from './keys.js';

type NetworkOps = Required<Pick<Driver, 'networks' | 'network' | 'subnets' | 'subnet'>>;

const SEPARATOR = ':';

/** Azure's provisioning state as Deltacloud's network/subnet state. */
const stateOf = (provisioning: string | undefined) => {
  const state = (provisioning ?? '').toLowerCase();
  return state === 'succeeded' ? 'AVAILABLE' : state === 'failed' ? 'ERROR' : state === 'deleting' ? 'DELETING' : 'PENDING';
};

const subnetId = (network: string, subnet: string) => `${network}${SEPARATOR}${subnet}`;

function subnetOf(network: string, subnet: AzureSubnet): Subnet {
  const name = subnet.name ?? nameOf(subnet.id);
  return {
    id: subnetId(network, name),
    name,
    state: stateOf(subnet.provisioningState),
    addressBlock: subnet.addressPrefix ?? subnet.addressPrefixes?.[0],
    networkId: network,
    type: null,
  };
}

function networkOf(vnet: VirtualNetwork): Network {
  const id = vnet.name ?? nameOf(vnet.id);
  return {
    id,
    name: id,
    state: stateOf(vnet.provisioningState),
    addressBlocks: vnet.addressSpace?.addressPrefixes ?? [],
    subnetIds: (vnet.subnets ?? []).map((subnet) => subnetId(id, subnet.name ?? nameOf(subnet.id))),
  };
}

const subnetsOf = (vnet: VirtualNetwork): Subnet[] => {
  const network = vnet.name ?? nameOf(vnet.id);
  return (vnet.subnets ?? []).map((subnet) => subnetOf(network, subnet));
};

export function virtualNetworkOperations(connections: ArmConnections): NetworkOps {
  const vnets = membersOf(connections, 'Network', checkResourceName, {
    list: ({ network, scope }, abortSignal) => network.virtualNetworks.list(scope.resourceGroup, { abortSignal }),
    get: ({ network, scope }, name, abortSignal) => network.virtualNetworks.get(scope.resourceGroup, name, { abortSignal }),
    map: (vnet: VirtualNetwork) => ({ id: vnet.name ?? nameOf(vnet.id), vnet }),
  });
  return {
    networks: async (ctx, filter) => (await vnets.list(ctx, filter)).map(({ vnet }) => networkOf(vnet)),
    network: async (ctx, id) => {
      const found = await vnets.show(ctx, id);
      return found && networkOf(found.vnet);
    },
    subnets: async (ctx: RequestContext, filter: Filter) => {
      const all = (await vnets.list(ctx, {})).flatMap(({ vnet }) => subnetsOf(vnet));
      return all.filter((subnet) => !filter.id || subnet.id === filter.id);
    },
    // The subnet's network, then the subnet in it: no subnet of a malformed id.
    subnet: async (ctx, id) => {
      const at = id.indexOf(SEPARATOR);
      if (at <= 0) return undefined;
      const found = await vnets.show(ctx, id.slice(0, at));
      return found && subnetsOf(found.vnet).find((subnet) => subnet.id === id);
    },
  };
}
