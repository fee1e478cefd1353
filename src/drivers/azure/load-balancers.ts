// Load balancers = Azure load balancers (layer 4) in the provider's resource
// group, each with one frontend on a public IP address made for it, one
// backend pool and a load-balancing rule per listener. Instances join and
// leave the pool through their primary NIC's primary IP configuration. The id
// is the load balancer's name; a name Azure could not hold is no load
// balancer (404 without a call).
import type { LoadBalancer as AzureLoadBalancer, NetworkInterface } from '@azure/arm-network';
import type { Driver, LoadBalancerCreate, RequestContext } from '../../core/driver.js';
import { NotFound, ValidationFailure } from '../../core/errors.js';
import { orUndefined } from '../../core/kit/lookup.js';
import type { Instance, LoadBalancer } from '../../core/model.js';
import { listed, locationOf, nameOf, pollingOf, type ArmClients, type ArmConnections } from './arm.js';
import { ZONES } from './compute.js';
import type { AzureOptions } from './config.js';
import { checkResourceName } from './keys.js';
import type { AzureSession } from './session.js';

type LoadBalancerOps = Required<Pick<Driver,
  'load_balancers' | 'load_balancer' | 'create_load_balancer' | 'destroy_load_balancer' | 'lb_register_instance' | 'lb_unregister_instance'>>;

/** Azure balances TCP and UDP; HTTP(S) listeners are TCP on their ports (the instances terminate them). */
const PROTOCOLS: Record<string, 'Tcp' | 'Udp'> = { tcp: 'Tcp', http: 'Tcp', https: 'Tcp', udp: 'Udp' };

/** The parts this driver names after the balancer. */
const frontendName = (balancer: string) => `fe-${balancer}`;
const poolName = (balancer: string) => `be-${balancer}`;
const publicIpName = (balancer: string) => `${balancer}-ip`;

/** A name Azure could hold, else undefined (the resource cannot exist). */
function validName(name: string): string | undefined {
  try {
    return checkResourceName(name, 'Load balancer');
  } catch {
    return undefined;
  }
}

/** The segment after `type` in an ARM id (`…/networkInterfaces/nic1/ipConfigurations/c` → `nic1` for `networkInterfaces`). */
function segmentAfter(id: string, type: string): string | undefined {
  const parts = id.split('/');
  const at = parts.findIndex((part) => part.toLowerCase() === type.toLowerCase());
  return at >= 0 ? parts[at + 1] : undefined;
}

/** The resource group in an ARM id (another than the provider's is possible for a referenced resource). */
const resourceGroupOf = (id: string, fallback: string) => segmentAfter(id, 'resourceGroups') ?? fallback;

const port = (value: string, what: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new ValidationFailure(`${what} is a port from 1 to 65535`);
  return n;
};

/** An instance known by its name only. */
const instanceRef = (id: string): Instance => ({ id, publicAddresses: [], privateAddresses: [], storageVolumes: [], canCreateImage: false, actions: [] });

export function loadBalancerOperations(options: AzureOptions, connections: ArmConnections): LoadBalancerOps {
  const lro = (s: AzureSession) => pollingOf(s, options);

  /** The realms a (regional) balancer serves: every zone of its location. */
  function realmsOf(location: string | undefined): string[] {
    return location ? ZONES.map((zone) => `${location}-${zone}`) : [];
  }

  /** The balancer with its frontends' public addresses and its pool's instances (the NICs' virtual machines). */
  async function balancerOf(s: AzureSession, { network, scope }: ArmClients, lb: AzureLoadBalancer): Promise<LoadBalancer> {
    const ipIds = (lb.frontendIPConfigurations ?? []).flatMap((fe) => (fe.publicIPAddress?.id ? [fe.publicIPAddress.id] : []));
    // A pool member is a NIC's IP configuration (`…/networkInterfaces/<nic>/ipConfigurations/<c>`): each NIC once.
    const nics = new Map<string, [string, string]>();
    for (const config of (lb.backendAddressPools ?? []).flatMap((pool) => pool.backendIPConfigurations ?? [])) {
      const nic = config.id ? segmentAfter(config.id, 'networkInterfaces') : undefined;
      if (config.id && nic) nics.set(`${resourceGroupOf(config.id, scope.resourceGroup)}/${nic}`, [resourceGroupOf(config.id, scope.resourceGroup), nic]);
    }
    const [addresses, members] = await Promise.all([
      Promise.all(ipIds.map((id) => s.call(() => network.publicIPAddresses.get(resourceGroupOf(id, scope.resourceGroup), nameOf(id), { abortSignal: s.signal })))),
      Promise.all([...nics.values()].map(([group, nic]) => s.call(() => network.networkInterfaces.get(group, nic, { abortSignal: s.signal })))),
    ]);
    return {
      id: lb.name ?? nameOf(lb.id),
      realmIds: realmsOf(lb.location),
      listeners: (lb.loadBalancingRules ?? []).map((rule) => ({
        id: rule.name ?? null,
        protocol: (rule.protocol ?? '').toUpperCase(),
        loadBalancerPort: rule.frontendPort ?? '',
        instancePort: rule.backendPort ?? '',
      })),
      instances: members.flatMap((nic) => (nic.virtualMachine?.id ? [instanceRef(nameOf(nic.virtualMachine.id))] : [])),
      publicAddresses: addresses.flatMap((ip) => (ip.ipAddress ? [ip.ipAddress] : [])),
    };
  }

  async function find(s: AzureSession, clients: ArmClients, name: string): Promise<AzureLoadBalancer | undefined> {
    return orUndefined(() => s.call(() => clients.network.loadBalancers.get(clients.scope.resourceGroup, name, { abortSignal: s.signal })));
  }

  /** Adds the balancer's pool to, or removes it from, the instance's primary NIC's primary IP configuration. */
  async function membership(ctx: RequestContext, id: string, instanceId: string, join: boolean): Promise<LoadBalancer> {
    const name = validName(id);
    if (!name) throw new NotFound(`No load balancer ${id}`);
    if (!validName(instanceId)) throw new NotFound(`No instance ${instanceId}`);
    const [s, clients] = connections.open(ctx);
    const { network, compute, scope } = clients;
    const lb = await find(s, clients, name);
    if (!lb) throw new NotFound(`No load balancer ${id}`);
    const pool = lb.backendAddressPools?.[0]?.id;
    if (!pool) throw new ValidationFailure(`Load balancer ${id} has no backend pool`);
    const vm = await orUndefined(() => s.call(() => compute.virtualMachines.get(scope.resourceGroup, instanceId, { abortSignal: s.signal })));
    if (!vm) throw new NotFound(`No instance ${instanceId}`);
    const refs = vm.networkProfile?.networkInterfaces ?? [];
    const nicId = (refs.find((ref) => ref.primary) ?? refs[0])?.id;
    if (!nicId) throw new ValidationFailure(`Instance ${instanceId} has no network interface`);
    const nicGroup = resourceGroupOf(nicId, scope.resourceGroup);
    const nic: NetworkInterface = await s.call(() => network.networkInterfaces.get(nicGroup, nameOf(nicId), { abortSignal: s.signal }));
    const configs = nic.ipConfigurations ?? [];
    const config = configs.find((c) => c.primary) ?? configs[0];
    if (!config) throw new ValidationFailure(`Instance ${instanceId}'s network interface has no IP configuration`);
    const pools = config.loadBalancerBackendAddressPools ?? [];
    const inPool = pools.some((p) => p.id?.toLowerCase() === pool.toLowerCase());
    if (inPool !== join) {
      // Subnets are referred to by id: the SDK would send the defaults it filled in on reading them as the subnet's policies.
      for (const c of configs) if (c.subnet?.id) c.subnet = { id: c.subnet.id };
      config.loadBalancerBackendAddressPools = join ? [...pools, { id: pool }] : pools.filter((p) => p.id?.toLowerCase() !== pool.toLowerCase());
      await s.call(() => network.networkInterfaces.beginCreateOrUpdateAndWait(nicGroup, nameOf(nicId), nic, lro(s)));
    }
    const updated = await find(s, clients, name);
    if (!updated) throw new NotFound(`No load balancer ${id}`);
    return balancerOf(s, clients, updated);
  }

  return {
    load_balancers: async (ctx, filter) => {
      const [s, clients] = connections.open(ctx);
      const pages = clients.network.loadBalancers.list(clients.scope.resourceGroup, { abortSignal: s.signal });
      const found = await listed(s, pages, (lb) => ({ id: lb.name ?? nameOf(lb.id), lb }), filter.id);
      return Promise.all(found.map(({ lb }) => balancerOf(s, clients, lb)));
    },
    load_balancer: async (ctx, id) => {
      const name = validName(id);
      if (!name) return undefined;
      const [s, clients] = connections.open(ctx);
      const lb = await find(s, clients, name);
      return lb ? balancerOf(s, clients, lb) : undefined;
    },
    // A public IP address for the frontend first; a failed balancer takes it with it.
    create_load_balancer: async (ctx, req: LoadBalancerCreate) => {
      const name = checkResourceName(req.name, 'Load balancer');
      const protocol = PROTOCOLS[req.listenerProtocol.toLowerCase()];
      if (!protocol) throw new ValidationFailure(`listener_protocol must be one of ${Object.keys(PROTOCOLS).join(', ')}`);
      const frontendPort = port(req.listenerBalancerPort, 'listener_balancer_port');
      const backendPort = port(req.listenerInstancePort, 'listener_instance_port');
      const [s, clients] = connections.open(ctx);
      const { network, scope } = clients;
      const location = locationOf(scope, 'a load balancer');
      if (!realmsOf(location).includes(req.realmId) && req.realmId !== location) {
        throw new ValidationFailure(`Realm ${req.realmId} is not one of this provider's (${realmsOf(location).join(', ')})`);
      }
      const prefix = `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.Network/loadBalancers/${name}`;
      const ip = await s.call(() => network.publicIPAddresses.beginCreateOrUpdateAndWait(scope.resourceGroup, publicIpName(name), { location }, lro(s)));
      try {
        const lb = await s.call(() => network.loadBalancers.beginCreateOrUpdateAndWait(scope.resourceGroup, name, {
          location,
          frontendIPConfigurations: [{ name: frontendName(name), publicIPAddress: { id: ip.id } }],
          backendAddressPools: [{ name: poolName(name) }],
          loadBalancingRules: [{
            name: `rule-${frontendPort}`,
            frontendIPConfiguration: { id: `${prefix}/frontendIPConfigurations/${frontendName(name)}` },
            backendAddressPool: { id: `${prefix}/backendAddressPools/${poolName(name)}` },
            protocol, frontendPort, backendPort,
          }],
        }, lro(s)));
        return balancerOf(s, clients, lb);
      } catch (error) {
        await network.publicIPAddresses.beginDeleteAndWait(scope.resourceGroup, nameOf(ip.id) || publicIpName(name), lro(s)).catch(() => undefined);
        throw error;
      }
    },
    // The balancer, then the public IP address this driver made for it (the one named after it).
    destroy_load_balancer: async (ctx, id) => {
      const name = validName(id);
      if (!name) throw new NotFound(`No load balancer ${id}`);
      const [s, clients] = connections.open(ctx);
      const { network, scope } = clients;
      const lb = await find(s, clients, name);
      if (!lb) throw new NotFound(`No load balancer ${id}`);
      await s.call(() => network.loadBalancers.beginDeleteAndWait(scope.resourceGroup, name, lro(s)));
      const own = (lb.frontendIPConfigurations ?? []).flatMap((fe) => (fe.publicIPAddress?.id && nameOf(fe.publicIPAddress.id) === publicIpName(name) ? [fe.publicIPAddress.id] : []));
      for (const ipId of own) await s.call(() => network.publicIPAddresses.beginDeleteAndWait(resourceGroupOf(ipId, scope.resourceGroup), nameOf(ipId), lro(s)));
    },
    lb_register_instance: (ctx, { id, instanceId }) => membership(ctx, id, instanceId, true),
    lb_unregister_instance: (ctx, { id, instanceId }) => membership(ctx, id, instanceId, false),
  };
}
