// Networks = virtual networks of the provider's resource group (their address
// space is the address blocks), subnets = their subnets. A subnet lives inside
// its network: its id is `<network>:<subnet>` (`:` is in no Azure resource
// name), and one listing of the networks answers both collections. A new
// network gets the provider's location and one address block (10.0.0.0/16
// unless given); names and blocks are checked before any call.
import type { Subnet as AzureSubnet, VirtualNetwork } from '@azure/arm-network';
import { isIPv4, isIPv6 } from 'node:net';
import type { Driver, Filter, RequestContext } from '../../core/driver.js';
import { NotFound, ValidationFailure } from '../../core/errors.js';
import type { Network, Subnet } from '../../core/model.js';
import { locationOf, membersOf, nameOf, pollingOf, type ArmConnections } from './arm.js';
import type { AzureOptions } from './config.js';
import { checkResourceName } from './keys.js';
import { generatedName } from './network.js';

type NetworkOps = Required<Pick<Driver, 'networks' | 'network' | 'create_network' | 'destroy_network' | 'subnets' | 'subnet' | 'create_subnet' | 'destroy_subnet'>>;

const DEFAULT_BLOCK = '10.0.0.0/16';

/** `a.b.c.d/n` (n ≤ 32) or an IPv6 prefix (n ≤ 128), else 400. */
function checkAddressBlock(block: string): string {
  const [address = '', bits = '', ...rest] = block.split('/');
  const prefix = Number(bits);
  const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : -1;
  if (rest.length > 0 || !/^\d{1,3}$/.test(bits) || prefix > max) throw new ValidationFailure(`address_block '${block}' is not an address prefix (CIDR, e.g. 10.0.0.0/16)`);
  return block;
}

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

/** `<network>:<subnet>` → its parts (checked), or undefined when the id has no such shape. */
function subnetParts(id: string): [string, string] | undefined {
  const at = id.indexOf(SEPARATOR);
  if (at <= 0) return undefined;
  const network = id.slice(0, at);
  const subnet = id.slice(at + 1);
  return [checkResourceName(network, 'Network'), checkResourceName(subnet, 'Subnet')];
}

export function virtualNetworkOperations(options: AzureOptions, connections: ArmConnections): NetworkOps {
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
      const parts = subnetParts(id);
      if (!parts) return undefined;
      const found = await vnets.show(ctx, parts[0]);
      return found && subnetsOf(found.vnet).find((subnet) => subnet.id === id);
    },
    create_network: async (ctx, { addressBlock, name }) => {
      const network = checkResourceName(name ?? generatedName('net'), 'Network');
      const block = checkAddressBlock(addressBlock ?? DEFAULT_BLOCK);
      const [s, clients] = connections.open(ctx);
      const location = locationOf(clients.scope, 'a network');
      const created = await s.call(() => clients.network.virtualNetworks.beginCreateOrUpdateAndWait(clients.scope.resourceGroup, network,
        { location, addressSpace: { addressPrefixes: [block] } }, pollingOf(s, options)));
      return networkOf(created);
    },
    destroy_network: async (ctx, id) => {
      checkResourceName(id, 'Network');
      const [s, clients] = connections.open(ctx);
      await s.call(() => clients.network.virtualNetworks.beginDeleteAndWait(clients.scope.resourceGroup, id, pollingOf(s, options)));
    },
    create_subnet: async (ctx, { networkId, addressBlock, name }) => {
      checkResourceName(networkId, 'Network');
      const subnet = checkResourceName(name ?? generatedName('subnet'), 'Subnet');
      const addressPrefix = checkAddressBlock(addressBlock);
      const [s, clients] = connections.open(ctx);
      const created = await s.call(() => clients.network.subnets.beginCreateOrUpdateAndWait(clients.scope.resourceGroup, networkId, subnet, { addressPrefix }, pollingOf(s, options)));
      return subnetOf(networkId, created);
    },
    destroy_subnet: async (ctx, id) => {
      const parts = subnetParts(id);
      if (!parts) throw new NotFound(`No subnet ${id}: a subnet is <network>:<subnet>`);
      const [s, clients] = connections.open(ctx);
      await s.call(() => clients.network.subnets.beginDeleteAndWait(clients.scope.resourceGroup, parts[0], parts[1], pollingOf(s, options)));
    },
  };
}
