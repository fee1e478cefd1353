// Cloud firewalls → firewalls. Inbound rules are `ingress` (sources),
// outbound rules `egress` (destinations); a rule's id is its direction and
// position (`inbound-0`), which is how DigitalOcean itself tells rules apart
// (it has no rule ids: a rule is deleted by sending it back). Addresses are
// address sources; tags, droplets and load balancers are groups named
// `tag:<t>`, `droplet:<id>`, `load_balancer:<uid>`.
import { isIP } from 'node:net';
import type { Driver, FirewallRuleCreate } from '../../core/driver.js';
import { NotFound, ValidationFailure } from '../../core/errors.js';
import type { Firewall, FirewallRule, FirewallSource } from '../../core/model.js';
import type { RestCalls } from '../shared/rest/client.js';
import { providerName, type NameRule } from '../shared/rest/create.js';
import { isUuid, isWholeNumber, portNumber, type CallsOf, type Lister } from './api.js';

interface RuleTargets { addresses?: string[]; tags?: string[]; droplet_ids?: number[]; load_balancer_uids?: string[] }
interface InboundRule { protocol?: string; ports?: string; sources?: RuleTargets }
interface OutboundRule { protocol?: string; ports?: string; destinations?: RuleTargets }
interface DoFirewall { id: string; name?: string; status?: string; inbound_rules?: InboundRule[] | null; outbound_rules?: OutboundRule[] | null; droplet_ids?: number[] | null }

type Ops = Pick<Driver, 'firewalls' | 'firewall' | 'create_firewall' | 'delete_firewall' | 'create_firewall_rule' | 'delete_firewall_rule'>;

/** DigitalOcean's pattern for firewall names. */
const FIREWALL_NAME: NameRule = {
  pattern: /^[a-zA-Z0-9][a-zA-Z0-9.-]+$/, max: 255,
  message: 'DigitalOcean firewall names start with a letter or digit and hold only letters, digits, "." and "-"',
};
const PROTOCOLS = new Set(['tcp', 'udp', 'icmp']);
const EVERYWHERE = { addresses: ['0.0.0.0/0', '::/0'] };
/** A new firewall lets everything out, as DigitalOcean's own control panel (and a new EC2 group) does; nothing in. */
const OPEN_OUTBOUND: OutboundRule[] = ['tcp', 'udp', 'icmp'].map((protocol) => ({ protocol, ports: '0', destinations: EVERYWHERE }));

function sourcesOf(t: RuleTargets | undefined): FirewallSource[] {
  const sources: FirewallSource[] = [];
  for (const a of t?.addresses ?? []) {
    const [address, prefix] = a.split('/');
    const family = address!.includes(':') ? 'ipv6' : 'ipv4';
    sources.push({ type: 'address', family, address: address!, prefix: prefix ?? (family === 'ipv6' ? '128' : '32') });
  }
  // Tags, droplets and load balancers are DigitalOcean's groups: named, owned by the account.
  for (const tag of t?.tags ?? []) sources.push({ type: 'group', name: `tag:${tag}`, owner: 'self' });
  for (const id of t?.droplet_ids ?? []) sources.push({ type: 'group', name: `droplet:${id}`, owner: 'self' });
  for (const id of t?.load_balancer_uids ?? []) sources.push({ type: 'group', name: `load_balancer:${id}`, owner: 'self' });
  return sources;
}

function portsOf(ports: string | undefined): { portFrom?: string; portTo?: string } {
  if (!ports || ports === 'all' || ports === '0') return { portFrom: '1', portTo: '65535' };
  const [from, to] = ports.split('-');
  return { portFrom: from, portTo: to ?? from };
}

function firewallOf(f: DoFirewall): Firewall {
  const rules: FirewallRule[] = [];
  (f.inbound_rules ?? []).forEach((r, i) => rules.push({ id: `inbound-${i}`, protocol: r.protocol, ...portsOf(r.ports), direction: 'ingress', sources: sourcesOf(r.sources) }));
  (f.outbound_rules ?? []).forEach((r, i) => rules.push({ id: `outbound-${i}`, protocol: r.protocol, ...portsOf(r.ports), direction: 'egress', sources: sourcesOf(r.destinations) }));
  return { id: f.id, name: f.name, description: f.name, rules };
}
/** A Deltacloud rule's sources as DigitalOcean's targets: CIDRs → addresses, groups by their prefix (plain names are tags). */
function targetsOf(rule: FirewallRuleCreate): RuleTargets {
  const targets: Required<RuleTargets> = { addresses: [], tags: [], droplet_ids: [], load_balancer_uids: [] };
  for (const cidr of rule.addresses) {
    const [address, prefix, extra] = cidr.split('/');
    const bits = isIP(address ?? '') === 6 ? 128 : 32;
    if (extra !== undefined || isIP(address ?? '') === 0 || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))) {
      throw new ValidationFailure(`'${cidr}' is not an IP address or CIDR block`);
    }
    targets.addresses.push(cidr);
  }
  for (const group of Object.keys(rule.groups)) {
    const colon = group.indexOf(':');
    const [kind, value] = colon < 0 ? ['tag', group] : [group.slice(0, colon), group.slice(colon + 1)];
    if (kind === 'tag' && value) targets.tags.push(value);
    else if (kind === 'droplet' && isWholeNumber(value)) targets.droplet_ids.push(Number(value));
    else if (kind === 'load_balancer' && isUuid(value)) targets.load_balancer_uids.push(value);
    else throw new ValidationFailure(`Group '${group}' is none of tag:<tag>, droplet:<id>, load_balancer:<uid>`);
  }
  const present = Object.fromEntries(Object.entries(targets).filter(([, list]) => list.length > 0));
  if (Object.keys(present).length === 0) throw new ValidationFailure('A DigitalOcean firewall rule needs at least one source address or group');
  return present;
}

/** `ports` of a rule: one port, a range, or `0` for all (ICMP has no ports). */
function portsText(rule: FirewallRuleCreate, protocol: string): string {
  if (protocol === 'icmp') return '0';
  const from = portNumber(rule.portFrom, 'port_from');
  const to = portNumber(rule.portTo || rule.portFrom, 'port_to');
  if (to < from) throw new ValidationFailure('port_to must not be below port_from');
  if (from === 1 && to === 65535) return '0';
  return from === to ? String(from) : `${from}-${to}`;
}

export function firewallOperations(api: CallsOf, list: Lister): Ops {
  async function find(calls: RestCalls, id: string): Promise<DoFirewall | undefined> {
    if (!isUuid(id)) return undefined;
    return (await calls.find<{ firewall: DoFirewall }>(`/v2/firewalls/${id}`))?.firewall;
  }
  async function mustFind(calls: RestCalls, id: string): Promise<DoFirewall> {
    const f = await find(calls, id);
    if (!f) throw new NotFound(`No firewall ${id}`);
    return f;
  }

  return {
    firewalls: async (ctx) => (await list<DoFirewall>(api(ctx), '/v2/firewalls', 'firewalls')).map(firewallOf),
    firewall: async (ctx, id) => {
      const f = await find(api(ctx), id);
      return f ? firewallOf(f) : undefined;
    },
    // DigitalOcean firewalls have no description: the name stands for it.
    create_firewall: async (ctx, { name }) => {
      const body = { name: providerName(name, FIREWALL_NAME), inbound_rules: [], outbound_rules: OPEN_OUTBOUND };
      const f = (await api(ctx).send<{ firewall: DoFirewall }>('POST', '/v2/firewalls', body))?.firewall;
      if (!f) throw new ValidationFailure('DigitalOcean created no firewall');
      return firewallOf(f);
    },
    delete_firewall: async (ctx, id) => {
      if (!isUuid(id)) throw new NotFound(`No firewall ${id}`);
      await api(ctx).send('DELETE', `/v2/firewalls/${id}`);
    },
    // Deltacloud rules are inbound.
    create_firewall_rule: async (ctx, rule) => {
      const protocol = rule.protocol.toLowerCase();
      if (!PROTOCOLS.has(protocol)) throw new ValidationFailure(`protocol must be one of ${[...PROTOCOLS].join(', ')}`);
      const inbound: InboundRule = { protocol, ports: portsText(rule, protocol), sources: targetsOf(rule) };
      if (!isUuid(rule.firewallId)) throw new NotFound(`No firewall ${rule.firewallId}`);
      const calls = api(ctx);
      await calls.send('POST', `/v2/firewalls/${rule.firewallId}/rules`, { inbound_rules: [inbound] });
      return firewallOf(await mustFind(calls, rule.firewallId));
    },
    delete_firewall_rule: async (ctx, { firewallId, ruleId }) => {
      const calls = api(ctx);
      const f = await mustFind(calls, firewallId);
      const [direction, index] = ruleId.split('-');
      const position = Number(index);
      const inbound = direction === 'inbound' ? f.inbound_rules?.[position] : undefined;
      const outbound = direction === 'outbound' ? f.outbound_rules?.[position] : undefined;
      if (!inbound && !outbound) throw new NotFound(`No rule ${ruleId} in firewall ${firewallId}`);
      // A rule is deleted by sending it back as listed.
      await calls.send('DELETE', `/v2/firewalls/${firewallId}/rules`, inbound ? { inbound_rules: [inbound] } : { outbound_rules: [outbound] });
    },
  };
}
