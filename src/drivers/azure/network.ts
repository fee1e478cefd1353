// Addresses = public IP addresses and firewalls = network security groups
// (their own security rules as Deltacloud rules), in the provider's resource
// group, through @azure/arm-network. Both are named resources: the id is the
// resource name. Azure's default rules of every group (allow the virtual
// network and the load balancer in, deny the rest) are not listed: they cannot
// be changed or removed.
import type { NetworkSecurityGroup, PublicIPAddress, SecurityRule } from '@azure/arm-network';
import { randomBytes } from 'node:crypto';
import type { Driver, FirewallRuleCreate, RequestContext } from '../../core/driver.js';
import { NotFound, ValidationFailure } from '../../core/errors.js';
import type { Address, Firewall, FirewallRule, FirewallSource } from '../../core/model.js';
import { locationOf, membersOf, nameOf, pollingOf, type ArmConnections } from './arm.js';
import type { AzureOptions } from './config.js';
import { checkResourceName } from './keys.js';
import type { AzureSession } from './session.js';

type NetworkOps = Required<Pick<Driver,
  'addresses' | 'address' | 'create_address' | 'destroy_address'
  | 'firewalls' | 'firewall' | 'create_firewall' | 'delete_firewall' | 'create_firewall_rule' | 'delete_firewall_rule'>>;

/** Security rule priorities: 100 (first) to 4096 (last); a new rule goes after the group's last. */
const FIRST_PRIORITY = 100;
const LAST_PRIORITY = 4096;
const PRIORITY_STEP = 10;

const PROTOCOLS: Record<string, string> = { tcp: 'Tcp', udp: 'Udp', icmp: 'Icmp' };

const addressOf = (ip: PublicIPAddress): Address => ({ id: ip.name ?? nameOf(ip.id) });

/** `10.0.0.0/8` or `192.0.2.1` → an address source; `*` is every IPv4 address; a service tag (`VirtualNetwork`, `Internet`) is a group. */
function sourceOf(prefix: string): FirewallSource {
  if (prefix === '*') return { type: 'address', family: 'ipv4', address: '0.0.0.0', prefix: '0' };
  const [address, bits] = prefix.split('/');
  if (/^[\d.]+$/.test(address!)) return { type: 'address', family: 'ipv4', address: address!, prefix: bits ?? '32' };
  if (address!.includes(':')) return { type: 'address', family: 'ipv6', address: address!, prefix: bits ?? '128' };
  return { type: 'group', name: prefix, owner: 'Azure' };
}

/** `80`, `8000-8080` or `*` (every port) as from/to. */
function portsOf(range: string | undefined): Pick<FirewallRule, 'portFrom' | 'portTo'> {
  if (!range) return {};
  if (range === '*') return { portFrom: '0', portTo: '65535' };
  const [from, to] = range.split('-');
  return { portFrom: from, portTo: to ?? from };
}

function ruleOf(rule: SecurityRule): FirewallRule {
  const prefixes = rule.sourceAddressPrefixes?.length ? rule.sourceAddressPrefixes : rule.sourceAddressPrefix ? [rule.sourceAddressPrefix] : [];
  return {
    id: rule.name ?? nameOf(rule.id),
    protocol: rule.protocol === '*' ? 'all' : rule.protocol?.toLowerCase(),
    ...portsOf(rule.destinationPortRange),
    direction: rule.direction === 'Outbound' ? 'egress' : 'ingress',
    ruleAction: rule.access?.toLowerCase(),
    sources: prefixes.map(sourceOf),
  };
}

const firewallOf = (group: NetworkSecurityGroup): Firewall => {
  const id = group.name ?? nameOf(group.id);
  return { id, name: id, rules: (group.securityRules ?? []).map(ruleOf) };
};

/** The priority after the group's last rule. */
function nextPriority(group: NetworkSecurityGroup): number {
  const last = Math.max(FIRST_PRIORITY - PRIORITY_STEP, ...(group.securityRules ?? []).map((r) => r.priority ?? 0));
  const next = last + PRIORITY_STEP;
  if (next > LAST_PRIORITY) throw new ValidationFailure(`Firewall ${group.name ?? ''} has no priority left for another rule`);
  return next;
}

/** Deltacloud's rule (let `protocol` in on `portFrom`-`portTo` from `addresses`) as a security rule, checked before any call; its priority comes later. */
function securityRuleOf(rule: FirewallRuleCreate): Omit<SecurityRule, 'priority'> {
  if (Object.keys(rule.groups).length > 0) throw new ValidationFailure('Azure security rules name addresses, not groups');
  const protocol = PROTOCOLS[rule.protocol.toLowerCase()];
  if (!protocol) throw new ValidationFailure(`Azure security rules allow tcp, udp or icmp, not '${rule.protocol}'`);
  if (rule.addresses.length === 0) throw new ValidationFailure('A firewall rule names at least one address (ip_address)');
  const from = Number(rule.portFrom);
  const to = Number(rule.portTo);
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > 65535 || from > to) {
    throw new ValidationFailure('Ports are whole numbers from 0 to 65535, port_from not above port_to');
  }
  const sources = rule.addresses.length === 1 ? { sourceAddressPrefix: rule.addresses[0] } : { sourceAddressPrefixes: rule.addresses };
  return {
    protocol,
    ...sources,
    destinationAddressPrefix: '*',
    access: 'Allow',
    destinationPortRange: from === to ? String(from) : `${from}-${to}`,
    sourcePortRange: '*',
    direction: 'Inbound',
  };
}

/** A new resource's name: the API gives addresses none. */
export const generatedName = (kind: string) => `deltacloud-${kind}-${randomBytes(4).toString('hex')}`;

export function networkOperations(options: AzureOptions, connections: ArmConnections): NetworkOps {
  const arm = (ctx: RequestContext) => connections.open(ctx);
  const lro = (s: AzureSession) => pollingOf(s, options);
  const addresses = membersOf(connections, 'Address', checkResourceName, {
    list: ({ network, scope }, abortSignal) => network.publicIPAddresses.list(scope.resourceGroup, { abortSignal }),
    get: ({ network, scope }, name, abortSignal) => network.publicIPAddresses.get(scope.resourceGroup, name, { abortSignal }),
    map: addressOf,
  });
  const firewalls = membersOf(connections, 'Firewall', checkResourceName, {
    list: ({ network, scope }, abortSignal) => network.networkSecurityGroups.list(scope.resourceGroup, { abortSignal }),
    get: ({ network, scope }, name, abortSignal) => network.networkSecurityGroups.get(scope.resourceGroup, name, { abortSignal }),
    map: firewallOf,
  });
  return {
    addresses: (ctx, filter) => addresses.list(ctx, filter),
    address: (ctx, id) => addresses.show(ctx, id),
    create_address: async (ctx, args) => {
      if (args?.instanceId) throw new ValidationFailure('Azure allocates a public IP address on its own: create it, then associate it');
      const [s, { network, scope }] = arm(ctx);
      const location = locationOf(scope, 'an address');
      return s.call(async () => addressOf(await network.publicIPAddresses.beginCreateOrUpdateAndWait(scope.resourceGroup, generatedName('ip'), { location }, lro(s))));
    },
    destroy_address: async (ctx, id) => {
      checkResourceName(id, 'Address');
      const [s, { network, scope }] = arm(ctx);
      await s.call(() => network.publicIPAddresses.beginDeleteAndWait(scope.resourceGroup, id, lro(s)));
    },

    firewalls: (ctx, filter) => firewalls.list(ctx, filter),
    firewall: (ctx, id) => firewalls.show(ctx, id),
    // Network security groups carry no description: the one given is not kept.
    create_firewall: async (ctx, { name }) => {
      checkResourceName(name, 'Firewall');
      const [s, { network, scope }] = arm(ctx);
      const location = locationOf(scope, 'a firewall');
      return s.call(async () => firewallOf(await network.networkSecurityGroups.beginCreateOrUpdateAndWait(scope.resourceGroup, name, { location }, lro(s))));
    },
    delete_firewall: async (ctx, id) => {
      checkResourceName(id, 'Firewall');
      const [s, { network, scope }] = arm(ctx);
      await s.call(() => network.networkSecurityGroups.beginDeleteAndWait(scope.resourceGroup, id, lro(s)));
    },
    create_firewall_rule: async (ctx, rule) => {
      checkResourceName(rule.firewallId, 'Firewall');
      const securityRule = securityRuleOf(rule);
      const [s, { network, scope }] = arm(ctx);
      const group = await s.call(() => network.networkSecurityGroups.get(scope.resourceGroup, rule.firewallId, { abortSignal: s.signal }));
      const priority = nextPriority(group);
      await s.call(() => network.securityRules.beginCreateOrUpdateAndWait(scope.resourceGroup, rule.firewallId, generatedName('rule'), { ...securityRule, priority }, lro(s)));
      const updated = await firewalls.show(ctx, rule.firewallId);
      if (!updated) throw new NotFound(`No firewall ${rule.firewallId}`);
      return updated;
    },
    delete_firewall_rule: async (ctx, { firewallId, ruleId }) => {
      checkResourceName(firewallId, 'Firewall');
      checkResourceName(ruleId, 'Rule');
      const [s, { network, scope }] = arm(ctx);
      await s.call(() => network.securityRules.beginDeleteAndWait(scope.resourceGroup, firewallId, ruleId, lro(s)));
    },
  };
}
