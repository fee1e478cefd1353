// The linode driver's networking and monitoring, translation only:
//   IPv4 addresses → addresses, Cloud Firewalls → firewalls (their rules as
//   Deltacloud rules), NodeBalancers → load balancers (one configuration per
//   forwarding rule, Linodes as nodes on their private address), Linode stats
//   → metrics. Linode's API v4 as of the document the tests use (v4.189.0).
import type { Driver, RequestContext } from '../../core/driver.js';
import { NotFound, ValidationFailure } from '../../core/errors.js';
import type { Address, Firewall, FirewallRule, FirewallSource, Instance, LoadBalancer, Metric, MetricProperty, MetricSample } from '../../core/model.js';
import type { RestCalls } from '../shared/rest/client.js';
import { instanceOf, isWholeNumber, linodePaging, type Linode } from './driver.js';

type NetworkOps = Required<Pick<Driver,
  'addresses' | 'address' | 'create_address' | 'destroy_address' | 'associate_address'
  | 'firewalls' | 'firewall' | 'create_firewall' | 'delete_firewall' | 'create_firewall_rule' | 'delete_firewall_rule'
  | 'load_balancers' | 'load_balancer' | 'create_load_balancer' | 'destroy_load_balancer' | 'lb_register_instance' | 'lb_unregister_instance'
  | 'metrics' | 'metric'>>;

/** Every member of a Linode listing (page-number paging, the driver's page size). */
export type List = <T extends { id: string | number }>(calls: RestCalls, path: string) => Promise<T[]>;

// ---------------------------------------------------------------- shapes

interface IpAddress { address: string; linode_id?: number | null; public?: boolean; region?: string; type?: string }
interface RuleAddresses { ipv4?: string[] | null; ipv6?: string[] | null }
interface LinodeRule { action?: string; protocol?: string; ports?: string | null; addresses?: RuleAddresses; label?: string }
interface Rules { inbound?: LinodeRule[]; outbound?: LinodeRule[]; inbound_policy?: string; outbound_policy?: string }
interface LinodeFirewall { id: number; label?: string; status?: string; rules?: Rules }
interface NodeBalancer { id: number; label?: string; region?: string; ipv4?: string | null; ipv6?: string | null; created?: string; tags?: string[] }
interface NbConfig { id: number; port?: number; protocol?: string }
interface NbNode { id: number; address?: string; label?: string }
interface LinodeIps { ipv4?: { private?: IpAddress[]; public?: IpAddress[] } }
/** A series: `[ms, value]` pairs (Linode's v4.189.0 examples nest them one level deeper). */
type Series = unknown[];
interface Stats { cpu?: Series; io?: { io?: Series; swap?: Series }; netv4?: Record<string, Series>; netv6?: Record<string, Series> }

// ---------------------------------------------------------------- addresses

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

const addressOf = (ip: IpAddress): Address => ({ id: ip.address, ...(typeof ip.linode_id === 'number' ? { instanceId: String(ip.linode_id) } : {}) });

async function ipAddress(calls: RestCalls, id: string): Promise<IpAddress | undefined> {
  return IPV4.test(id) ? calls.find<IpAddress>(`/v4/networking/ips/${id}`) : undefined;
}

async function requireIp(calls: RestCalls, id: string): Promise<IpAddress> {
  const ip = await ipAddress(calls, id);
  if (!ip) throw new NotFound(`No address ${id}`);
  return ip;
}

// ---------------------------------------------------------------- firewalls

/** `192.0.2.0/24` → a source; a bare address is a single host. */
function sourceOf(cidr: string, family: 'ipv4' | 'ipv6'): FirewallSource {
  const [address, prefix] = cidr.split('/');
  return { type: 'address', family, address: address!, prefix: prefix ?? (family === 'ipv4' ? '32' : '128') };
}

/** Linode's `ports` ("22", "8000-8080", or a list "22-24, 80"): a single port or range as from/to, a list as it is. */
function portsOf(ports: string | null | undefined): Pick<FirewallRule, 'portFrom' | 'portTo'> {
  if (!ports) return {};
  const range = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(ports);
  if (!range) return { portFrom: ports.trim() };
  return { portFrom: range[1], portTo: range[2] ?? range[1] };
}

function rulesOf(rules: Rules | undefined): FirewallRule[] {
  const out: FirewallRule[] = [];
  for (const direction of ['inbound', 'outbound'] as const) {
    (rules?.[direction] ?? []).forEach((r, i) => out.push({
      id: `${direction}-${i}`,
      protocol: r.protocol?.toLowerCase(),
      ...portsOf(r.ports),
      direction: direction === 'inbound' ? 'ingress' : 'egress',
      ruleAction: r.action,
      sources: [...(r.addresses?.ipv4 ?? []).map((a) => sourceOf(a, 'ipv4')), ...(r.addresses?.ipv6 ?? []).map((a) => sourceOf(a, 'ipv6'))],
    }));
  }
  return out;
}

const firewallOf = (f: LinodeFirewall): Firewall => ({ id: String(f.id), name: f.label, description: f.label, rules: rulesOf(f.rules) });

/**
 * A rule as Linode's document lets it be sent back (action, protocol, ports,
 * addresses, label): rules are replaced as a whole, and fields it does not
 * list (a description) would be refused.
 */
function sendable(r: LinodeRule): LinodeRule {
  return {
    action: r.action ?? 'ACCEPT',
    protocol: r.protocol,
    ...(r.ports ? { ports: r.ports } : {}),
    addresses: { ...(r.addresses?.ipv4?.length ? { ipv4: r.addresses.ipv4 } : {}), ...(r.addresses?.ipv6?.length ? { ipv6: r.addresses.ipv6 } : {}) },
    ...(r.label ? { label: r.label } : {}),
  };
}

async function replaceRules(calls: RestCalls, firewallId: string, change: (rules: Required<Pick<Rules, 'inbound' | 'outbound'>>) => void): Promise<void> {
  const rules = await calls.find<Rules>(`/v4/networking/firewalls/${firewallId}/rules`);
  if (!rules) throw new NotFound(`No firewall ${firewallId}`);
  const next = { inbound: rules.inbound ?? [], outbound: rules.outbound ?? [] };
  change(next);
  await calls.send('PUT', `/v4/networking/firewalls/${firewallId}/rules`, {
    inbound_policy: rules.inbound_policy ?? 'DROP',
    outbound_policy: rules.outbound_policy ?? 'ACCEPT',
    inbound: next.inbound.map(sendable),
    outbound: next.outbound.map(sendable),
  });
}

const PROTOCOLS: Record<string, string> = { tcp: 'TCP', udp: 'UDP', icmp: 'ICMP' };

// ---------------------------------------------------------------- NodeBalancers

/** The tag that keeps the instance port of a configuration that has no node yet (Linode keeps it only in node addresses). */
const PORT_TAG = 'deltacloud-instance-port-';

const ipOfNode = (n: NbNode) => (n.address ?? '').replace(/:\d+$/, '');
const portOfNode = (n: NbNode) => /:(\d+)$/.exec(n.address ?? '')?.[1];

// ---------------------------------------------------------------- metrics

/** Linode stats series → metric properties, with their units. */
function seriesOf(stats: Stats): Array<[string, string, Series | undefined]> {
  const net = (family: 'netv4' | 'netv6') => ['in', 'out', 'private_in', 'private_out'].map((k): [string, string, Series | undefined] => [`${family}_${k}`, 'BitsPerSecond', stats[family]?.[k]]);
  return [['cpu', 'Percent', stats.cpu], ['io', 'BlocksPerSecond', stats.io?.io], ['swap', 'BlocksPerSecond', stats.io?.swap], ...net('netv4'), ...net('netv6')];
}

const METRIC_NAMES = seriesOf({}).map(([name]) => name);

/** `[ms, value]` pairs of a series, however deeply Linode nests them; newest first. */
function samplesOf(series: Series | undefined, unit: string): MetricSample[] {
  const pairs: Array<[number, number]> = [];
  const walk = (node: unknown): void => {
    if (!Array.isArray(node)) return;
    if (node.length === 2 && typeof node[0] === 'number' && typeof node[1] === 'number') pairs.push([node[0], node[1]]);
    else node.forEach(walk);
  };
  walk(series);
  return pairs.sort((a, b) => b[0] - a[0]).map(([ms, value]) => ({ minimum: value, maximum: value, average: value, timestamp: Math.floor(ms / 1000), unit }));
}

// ---------------------------------------------------------------- operations

export function linodeNetworkOps(api: (ctx: RequestContext) => RestCalls, list: List, pageSize: number): NetworkOps {
  async function linodeOrFail(calls: RestCalls, id: string): Promise<Linode> {
    const l = isWholeNumber(id) ? await calls.find<Linode>(`/v4/linode/instances/${id}`) : undefined;
    if (!l) throw new NotFound(`No Linode ${id}`);
    return l;
  }

  async function loadBalancerOf(calls: RestCalls, nb: NodeBalancer, linodes?: Linode[]): Promise<LoadBalancer> {
    const configs = await list<NbConfig>(calls, `/v4/nodebalancers/${nb.id}/configs`);
    const nodes = await Promise.all(configs.map((c) => list<NbNode>(calls, `/v4/nodebalancers/${nb.id}/configs/${c.id}/nodes`)));
    const tagged = nb.tags?.find((t) => t.startsWith(PORT_TAG))?.slice(PORT_TAG.length);
    const addresses = new Set(nodes.flat().map(ipOfNode));
    const members = addresses.size === 0 ? [] : (linodes ?? await list<Linode>(calls, '/v4/linode/instances')).filter((l) => (l.ipv4 ?? []).some((ip) => addresses.has(ip)));
    return {
      id: String(nb.id),
      realmIds: nb.region ? [nb.region] : [],
      listeners: configs.map((c, i) => ({
        id: String(c.id),
        protocol: (c.protocol ?? 'http').toUpperCase(),
        loadBalancerPort: c.port ?? 80,
        instancePort: (nodes[i]!.map(portOfNode).find(Boolean)) ?? tagged ?? c.port ?? 80,
      })),
      instances: members.map((l): Instance => instanceOf(l)),
      publicAddresses: [nb.ipv4, nb.ipv6].filter((a): a is string => !!a),
      createdAt: nb.created,
    };
  }

  /** A Linode's IPv4 addresses: the private ones (where NodeBalancers reach it) and all. */
  async function ipv4Of(calls: RestCalls, instanceId: string): Promise<{ private: string[]; all: Set<string> }> {
    const ips = isWholeNumber(instanceId) ? await calls.find<LinodeIps>(`/v4/linode/instances/${instanceId}/ips`) : undefined;
    if (!ips) throw new NotFound(`No Linode ${instanceId}`);
    const privates = (ips.ipv4?.private ?? []).map((ip) => ip.address);
    return { private: privates, all: new Set([...privates, ...(ips.ipv4?.public ?? []).map((ip) => ip.address)]) };
  }

  async function nodeBalancer(calls: RestCalls, id: string): Promise<NodeBalancer> {
    const nb = isWholeNumber(id) ? await calls.find<NodeBalancer>(`/v4/nodebalancers/${id}`) : undefined;
    if (!nb) throw new NotFound(`No load balancer ${id}`);
    return nb;
  }

  async function metricOf(calls: RestCalls, l: Linode): Promise<Metric> {
    const stats = (await calls.get<{ data?: Stats } & Stats>(`/v4/linode/instances/${l.id}/stats`)) ?? {};
    // The answer holds the series at the top (Linode's document); `data` wraps them in some API versions.
    const series = seriesOf(stats.data ?? stats);
    const properties: MetricProperty[] = series.map(([name, unit, s]) => ({ name, values: samplesOf(s, unit) }));
    return { id: String(l.id), entity: l.label, properties };
  }

  return {
    // Addresses: the account's public IPv4 addresses. Linode allocates one only onto a Linode, and every IPv4 belongs to one.
    addresses: async (ctx) => (await api(ctx).all('/v4/networking/ips', linodePaging<IpAddress>(pageSize, (ip) => ip.address)))
      .filter((ip) => (ip.type ?? 'ipv4') === 'ipv4' && ip.public !== false).map(addressOf),
    address: async (ctx, id) => {
      const ip = await ipAddress(api(ctx), id);
      return ip ? addressOf(ip) : undefined;
    },
    create_address: async (ctx, args) => {
      const instanceId = args?.instanceId;
      if (!instanceId) throw new ValidationFailure('Linode allocates an IPv4 address onto a Linode: give instance_id');
      if (!isWholeNumber(instanceId)) throw new ValidationFailure(`Unknown instance '${instanceId}'`);
      const ip = await api(ctx).send<IpAddress>('POST', '/v4/networking/ips', { type: 'ipv4', public: true, linode_id: Number(instanceId) });
      if (!ip) throw new ValidationFailure('Linode allocated no address');
      return addressOf(ip);
    },
    destroy_address: async (ctx, id) => {
      const calls = api(ctx);
      const ip = await requireIp(calls, id);
      if (typeof ip.linode_id !== 'number') throw new NotFound(`No address ${id}`);
      await calls.send('DELETE', `/v4/linode/instances/${ip.linode_id}/ips/${id}`);
    },
    associate_address: async (ctx, { id, instanceId }) => {
      const calls = api(ctx);
      const ip = await requireIp(calls, id);
      const target = await linodeOrFail(calls, instanceId);
      const region = ip.region ?? target.region;
      if (ip.region && target.region && ip.region !== target.region) throw new ValidationFailure(`Address ${id} is in ${ip.region}, Linode ${instanceId} in ${target.region}`);
      await calls.send('POST', '/v4/networking/ips/assign', { region, assignments: [{ address: id, linode_id: target.id }] });
    },

    firewalls: async (ctx) => (await list<LinodeFirewall>(api(ctx), '/v4/networking/firewalls')).map(firewallOf),
    firewall: async (ctx, id) => {
      const f = isWholeNumber(id) ? await api(ctx).find<LinodeFirewall>(`/v4/networking/firewalls/${id}`) : undefined;
      return f ? firewallOf(f) : undefined;
    },
    create_firewall: async (ctx, { name }) => {
      if (!/^[a-zA-Z](?:(?!--|__|\.\.)[a-zA-Z0-9._-]){2,31}$/.test(name)) {
        throw new ValidationFailure("Linode firewall labels start with a letter and hold 3-32 letters, digits, '-', '_' and '.'");
      }
      // Deltacloud firewalls let in only what their rules allow, and let everything out.
      const f = await api(ctx).send<LinodeFirewall>('POST', '/v4/networking/firewalls', { label: name, rules: { inbound_policy: 'DROP', outbound_policy: 'ACCEPT' } });
      if (!f) throw new ValidationFailure('Linode created no firewall');
      return firewallOf(f);
    },
    delete_firewall: async (ctx, id) => {
      if (!isWholeNumber(id)) throw new NotFound(`No firewall ${id}`);
      await api(ctx).send('DELETE', `/v4/networking/firewalls/${id}`);
    },
    create_firewall_rule: async (ctx, rule) => {
      if (!isWholeNumber(rule.firewallId)) throw new NotFound(`No firewall ${rule.firewallId}`);
      if (Object.keys(rule.groups).length > 0) throw new ValidationFailure('Linode firewall rules name addresses, not groups');
      const protocol = PROTOCOLS[rule.protocol.toLowerCase()];
      if (!protocol) throw new ValidationFailure(`Linode firewall rules allow tcp, udp or icmp, not '${rule.protocol}'`);
      const ipv4 = rule.addresses.filter((a) => !a.includes(':'));
      const ipv6 = rule.addresses.filter((a) => a.includes(':'));
      if (ipv4.length + ipv6.length === 0) throw new ValidationFailure('A Linode firewall rule names at least one address (ip_address)');
      const ports = protocol === 'ICMP' ? undefined : rule.portFrom === rule.portTo ? rule.portFrom : `${rule.portFrom}-${rule.portTo}`;
      const calls = api(ctx);
      await replaceRules(calls, rule.firewallId, (rules) => {
        rules.inbound.push({ action: 'ACCEPT', protocol, ...(ports ? { ports } : {}), addresses: { ...(ipv4.length ? { ipv4 } : {}), ...(ipv6.length ? { ipv6 } : {}) } });
      });
      const f = await calls.find<LinodeFirewall>(`/v4/networking/firewalls/${rule.firewallId}`);
      if (!f) throw new NotFound(`No firewall ${rule.firewallId}`);
      return firewallOf(f);
    },
    delete_firewall_rule: async (ctx, { firewallId, ruleId }) => {
      const match = /^(inbound|outbound)-(\d+)$/.exec(ruleId);
      if (!isWholeNumber(firewallId) || !match) throw new NotFound(`No rule ${ruleId} in firewall ${firewallId}`);
      const direction = match[1] === 'inbound' ? 'inbound' : 'outbound';
      const index = Number(match[2]);
      await replaceRules(api(ctx), firewallId, (rules) => {
        if (index >= rules[direction].length) throw new NotFound(`No rule ${ruleId} in firewall ${firewallId}`);
        rules[direction].splice(index, 1);
      });
    },

    load_balancers: async (ctx) => {
      const calls = api(ctx);
      const nbs = await list<NodeBalancer>(calls, '/v4/nodebalancers');
      const linodes = nbs.length > 0 ? await list<Linode>(calls, '/v4/linode/instances') : [];
      return Promise.all(nbs.map((nb) => loadBalancerOf(calls, nb, linodes)));
    },
    load_balancer: async (ctx, id) => {
      const calls = api(ctx);
      const nb = isWholeNumber(id) ? await calls.find<NodeBalancer>(`/v4/nodebalancers/${id}`) : undefined;
      return nb ? loadBalancerOf(calls, nb) : undefined;
    },
    create_load_balancer: async (ctx, lb) => {
      if (!/^[a-zA-Z0-9_-]{3,32}$/.test(lb.name)) throw new ValidationFailure("NodeBalancer labels hold 3-32 letters, digits, '-' and '_'");
      const protocol = lb.listenerProtocol.toLowerCase();
      if (!['http', 'https', 'tcp'].includes(protocol)) throw new ValidationFailure(`NodeBalancers forward http, https or tcp, not '${lb.listenerProtocol}'`);
      const port = Number(lb.listenerBalancerPort);
      const instancePort = Number(lb.listenerInstancePort);
      if (!(port >= 1 && port <= 65535 && instancePort >= 1 && instancePort <= 65535)) throw new ValidationFailure('Ports are 1-65535');
      const calls = api(ctx);
      // One configuration per forwarding rule; Linodes join as nodes when registered.
      const nb = await calls.send<NodeBalancer>('POST', '/v4/nodebalancers', {
        region: lb.realmId, label: lb.name, tags: [`${PORT_TAG}${instancePort}`], configs: [{ port, protocol, nodes: [] }],
      });
      if (!nb) throw new ValidationFailure('Linode created no NodeBalancer');
      return loadBalancerOf(calls, nb);
    },
    destroy_load_balancer: async (ctx, id) => {
      if (!isWholeNumber(id)) throw new NotFound(`No load balancer ${id}`);
      await api(ctx).send('DELETE', `/v4/nodebalancers/${id}`);
    },
    lb_register_instance: async (ctx, { id, instanceId }) => {
      const calls = api(ctx);
      const nb = await nodeBalancer(calls, id);
      // NodeBalancers reach their nodes on the Linode's private address.
      const ip = (await ipv4Of(calls, instanceId)).private[0];
      if (!ip) throw new ValidationFailure(`Linode ${instanceId} has no private IPv4 address for a NodeBalancer to reach`);
      const current = await loadBalancerOf(calls, nb);
      for (const listener of current.listeners) {
        await calls.send('POST', `/v4/nodebalancers/${nb.id}/configs/${listener.id}/nodes`, { label: `linode${instanceId}`, address: `${ip}:${listener.instancePort}` });
      }
      return loadBalancerOf(calls, nb);
    },
    lb_unregister_instance: async (ctx, { id, instanceId }) => {
      const calls = api(ctx);
      const nb = await nodeBalancer(calls, id);
      const own = (await ipv4Of(calls, instanceId)).all;
      for (const config of await list<NbConfig>(calls, `/v4/nodebalancers/${nb.id}/configs`)) {
        for (const node of await list<NbNode>(calls, `/v4/nodebalancers/${nb.id}/configs/${config.id}/nodes`)) {
          if (own.has(ipOfNode(node))) await calls.send('DELETE', `/v4/nodebalancers/${nb.id}/configs/${config.id}/nodes/${node.id}`);
        }
      }
      return loadBalancerOf(calls, nb);
    },

    // Metrics: one per Linode, its stats series (the last 24 hours in 5-minute averages) as properties.
    metrics: async (ctx) => (await list<Linode>(api(ctx), '/v4/linode/instances')).map((l) => ({
      id: String(l.id), entity: l.label, properties: METRIC_NAMES.map((name) => ({ name, values: null })),
    })),
    metric: async (ctx, id) => {
      const calls = api(ctx);
      const l = isWholeNumber(id) ? await calls.find<Linode>(`/v4/linode/instances/${id}`) : undefined;
      return l ? metricOf(calls, l) : undefined;
    },
  };
}
