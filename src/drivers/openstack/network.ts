// Neutron (networking v2.0): floating IPs as addresses, security groups and
// their rules as firewalls, networks, subnets, and ports as network interfaces.
import type { Filter, FirewallRuleCreate } from '../../core/driver.js';
import { NotFound, ValidationFailure } from '../../core/errors.js';
import type { Address, Firewall, FirewallRule, FirewallSource, Network, NetworkInterface, Subnet } from '../../core/model.js';
import { attachPort } from './compute.js';
import { asList, type Session } from './session.js';

const enc = encodeURIComponent;
const id = (v: string | number) => String(v);

// ---------------------------------------------------------------- floating IPs

interface FloatingIp {
  id: string;
  floating_ip_address: string;
  port_id?: string | null;
  port_details?: { device_id?: string; device_owner?: string } | null;
}

async function addressOf(s: Session, f: FloatingIp): Promise<Address> {
  let instanceId: string | undefined;
  if (f.port_id) {
    let deviceId = f.port_details?.device_id;
    let owner = f.port_details?.device_owner;
    if (f.port_details === undefined || f.port_details === null) {
      const port = await s.getOrUndefined<{ port: Port }>('network', `/v2.0/ports/${enc(f.port_id)}`);
      deviceId = port?.port.device_id;
      owner = port?.port.device_owner;
    }
    if (deviceId && (owner === undefined || owner.startsWith('compute:'))) instanceId = deviceId;
  }
  // The address itself is the id (spec §11.11).
  return { id: f.floating_ip_address, instanceId };
}

/** The floating IP whose address is `ip`. */
async function floatingIp(s: Session, ip: string): Promise<FloatingIp | undefined> {
  const found = await s.listAll<FloatingIp>('network', '/v2.0/floatingips', 'floatingips', { query: { floating_ip_address: ip } });
  return found.find((f) => f.floating_ip_address === ip);
}

async function requireFloatingIp(s: Session, ip: string): Promise<FloatingIp> {
  const f = await floatingIp(s, ip);
  if (!f) throw new NotFound(`Address '${ip}' not found`);
  return f;
}

export async function addresses(s: Session, filter: Filter): Promise<Address[]> {
  const all = filter.id !== undefined
    ? await s.listAll<FloatingIp>('network', '/v2.0/floatingips', 'floatingips', { query: { floating_ip_address: filter.id } })
    : await s.listAll<FloatingIp>('network', '/v2.0/floatingips', 'floatingips');
  const wanted = filter.id === undefined ? all : all.filter((f) => f.floating_ip_address === filter.id);
  return Promise.all(wanted.map((f) => addressOf(s, f)));
}

export async function address(s: Session, ip: string): Promise<Address | undefined> {
  const f = await floatingIp(s, ip);
  return f ? addressOf(s, f) : undefined;
}

/** The external network floating IPs come from: the configured one, else the first `router:external` network. */
async function externalNetwork(s: Session): Promise<string> {
  const configured = s.options.floatingNetwork;
  const externals = await s.listAll<NeutronNetwork>('network', '/v2.0/networks', 'networks', { query: { 'router:external': true } });
  if (configured) {
    const match = externals.find((n) => id(n.id) === configured || n.name === configured);
    return match ? id(match.id) : configured;
  }
  const first = externals.find((n) => n['router:external'] !== false);
  if (!first) throw new ValidationFailure('This cloud has no external network to allocate floating IPs from');
  return id(first.id);
}

export async function createAddress(s: Session): Promise<Address> {
  const floating_network_id = await externalNetwork(s);
  const body = await s.json<{ floatingip: FloatingIp }>('network', 'POST', '/v2.0/floatingips', { json: { floatingip: { floating_network_id } } });
  if (!body?.floatingip) throw new ValidationFailure('Neutron did not return the floating IP');
  return addressOf(s, body.floatingip);
}

export async function destroyAddress(s: Session, ip: string): Promise<void> {
  const f = await requireFloatingIp(s, ip);
  await s.exec('network', 'DELETE', `/v2.0/floatingips/${enc(f.id)}`);
}

/** Associating = pointing the floating IP at the instance's (first) port. */
export async function associateAddress(s: Session, args: { id: string; instanceId: string }): Promise<void> {
  const f = await requireFloatingIp(s, args.id);
  const ports = await s.listAll<Port>('network', '/v2.0/ports', 'ports', { query: { device_id: args.instanceId } });
  const port = ports.find((p) => p.device_id === args.instanceId && (p.fixed_ips ?? []).some((ip) => !ip.ip_address.includes(':')))
    ?? ports.find((p) => p.device_id === args.instanceId);
  if (!port) throw new NotFound(`Instance '${args.instanceId}' has no network port to associate an address with`);
  await s.exec('network', 'PUT', `/v2.0/floatingips/${enc(f.id)}`, { json: { floatingip: { port_id: id(port.id) } } });
}

export async function disassociateAddress(s: Session, ip: string): Promise<void> {
  const f = await requireFloatingIp(s, ip);
  await s.exec('network', 'PUT', `/v2.0/floatingips/${enc(f.id)}`, { json: { floatingip: { port_id: null } } });
}

// ---------------------------------------------------------------- security groups

interface SecurityGroupRule {
  id: string | number;
  direction?: string;
  ethertype?: string;
  protocol?: string | null;
  port_range_min?: number | null;
  port_range_max?: number | null;
  remote_ip_prefix?: string | null;
  remote_group_id?: string | number | null;
}

interface SecurityGroup {
  id: string | number;
  name?: string;
  description?: string;
  tenant_id?: string;
  project_id?: string;
  security_group_rules?: SecurityGroupRule[];
}

function ruleOf(r: SecurityGroupRule, groups: Map<string, SecurityGroup>): FirewallRule {
  const v6 = r.ethertype === 'IPv6';
  const sources: FirewallSource[] = [];
  if (r.remote_group_id !== undefined && r.remote_group_id !== null) {
    const g = groups.get(id(r.remote_group_id));
    sources.push({ type: 'group', name: g?.name ?? id(r.remote_group_id), owner: g?.project_id ?? g?.tenant_id ?? '' });
  } else {
    const [address, prefix] = (r.remote_ip_prefix ?? (v6 ? '::/0' : '0.0.0.0/0')).split('/');
    const family = (address ?? '').includes(':') ? 'ipv6' : 'ipv4';
    sources.push({ type: 'address', family, address: address ?? '', prefix: prefix ?? (family === 'ipv6' ? '128' : '32') });
  }
  return {
    id: id(r.id),
    protocol: r.protocol ?? 'any',
    portFrom: r.port_range_min === null || r.port_range_min === undefined ? undefined : String(r.port_range_min),
    portTo: r.port_range_max === null || r.port_range_max === undefined ? undefined : String(r.port_range_max),
    direction: r.direction,
    sources,
  };
}

function firewallOf(g: SecurityGroup, groups: Map<string, SecurityGroup>): Firewall {
  return {
    id: id(g.id),
    name: g.name,
    description: g.description,
    ownerId: g.project_id ?? g.tenant_id,
    rules: (g.security_group_rules ?? []).map((r) => ruleOf(r, groups)),
  };
}

async function allSecurityGroups(s: Session): Promise<SecurityGroup[]> {
  let pending = s.memo.get('security-groups') as Promise<SecurityGroup[]> | undefined;
  if (!pending) {
    pending = s.listAll<SecurityGroup>('network', '/v2.0/security-groups', 'security_groups');
    s.memo.set('security-groups', pending);
    pending.catch(() => s.memo.delete('security-groups'));
  }
  return pending;
}

/** Security group name → ids (names need not be unique), for instances, which Nova reports by name. */
export async function securityGroupIdsByName(s: Session): Promise<Map<string, string[]>> {
  const byName = new Map<string, string[]>();
  try {
    for (const g of await allSecurityGroups(s)) {
      if (!g.name) continue;
      byName.set(g.name, [...(byName.get(g.name) ?? []), id(g.id)]);
    }
  } catch {
    // Firewalls of instances are a courtesy; listing instances must not fail over them.
  }
  return byName;
}

export async function firewalls(s: Session, filter: Filter): Promise<Firewall[]> {
  if (filter.id !== undefined) return asList(await firewall(s, filter.id));
  const all = await allSecurityGroups(s);
  const index = new Map(all.map((g) => [id(g.id), g]));
  return all.map((g) => firewallOf(g, index));
}

export async function firewall(s: Session, fid: string): Promise<Firewall | undefined> {
  const body = await s.getOrUndefined<{ security_group: SecurityGroup }>('network', `/v2.0/security-groups/${enc(fid)}`);
  if (!body?.security_group) return undefined;
  const g = body.security_group;
  const index = new Map<string, SecurityGroup>([[id(g.id), g]]);
  // Rules naming other groups show those groups' names.
  if ((g.security_group_rules ?? []).some((r) => r.remote_group_id !== undefined && r.remote_group_id !== null && id(r.remote_group_id) !== id(g.id))) {
    for (const other of await allSecurityGroups(s)) index.set(id(other.id), other);
  }
  return firewallOf(g, index);
}

export async function createFirewall(s: Session, args: { name: string; description: string }): Promise<Firewall> {
  const body = await s.json<{ security_group: SecurityGroup }>('network', 'POST', '/v2.0/security-groups', {
    json: { security_group: { name: args.name, description: args.description } },
  });
  if (!body?.security_group) throw new ValidationFailure('Neutron did not return the security group');
  return firewallOf(body.security_group, new Map());
}

export async function deleteFirewall(s: Session, fid: string): Promise<void> {
  await s.exec('network', 'DELETE', `/v2.0/security-groups/${enc(fid)}`);
}

function port(value: string, what: string): number | null {
  if (value === '' || value === '-1') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ValidationFailure(`${what} must be a port number`);
  return n;
}

/** One Neutron rule per source (addresses as remote_ip_prefix, groups as remote_group_id). */
export async function createFirewallRule(s: Session, rule: FirewallRuleCreate): Promise<Firewall> {
  const protocol = rule.protocol.toLowerCase();
  const base = {
    security_group_id: rule.firewallId,
    direction: 'ingress',
    protocol: protocol === 'any' ? null : protocol,
    port_range_min: port(rule.portFrom, 'port_from'),
    port_range_max: port(rule.portTo, 'port_to'),
  };
  const bodies: Array<Record<string, unknown>> = rule.addresses.map((cidr) => ({
    ...base, ethertype: cidr.includes(':') ? 'IPv6' : 'IPv4', remote_ip_prefix: cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`,
  }));
  const groupNames = Object.keys(rule.groups);
  if (groupNames.length > 0) {
    const byName = await securityGroupIdsByName(s);
    for (const name of groupNames) {
      const ids = byName.get(name) ?? (await allSecurityGroups(s)).filter((g) => id(g.id) === name).map((g) => id(g.id));
      if (ids.length === 0) throw new ValidationFailure(`Security group '${name}' not found`);
      if (ids.length > 1) throw new ValidationFailure(`Security group name '${name}' is ambiguous; use its id`);
      bodies.push({ ...base, ethertype: 'IPv4', remote_group_id: ids[0] });
    }
  }
  for (const security_group_rule of bodies) {
    await s.exec('network', 'POST', '/v2.0/security-group-rules', { json: { security_group_rule } });
  }
  const updated = await firewall(s, rule.firewallId);
  if (!updated) throw new NotFound(`Firewall '${rule.firewallId}' not found`);
  return updated;
}

export async function deleteFirewallRule(s: Session, args: { firewallId: string; ruleId: string }): Promise<void> {
  await s.exec('network', 'DELETE', `/v2.0/security-group-rules/${enc(args.ruleId)}`);
}

// ---------------------------------------------------------------- networks and subnets

interface NeutronNetwork {
  id: string;
  name?: string;
  status?: string;
  subnets?: string[];
  'router:external'?: boolean;
}

interface NeutronSubnet {
  id: string;
  name?: string;
  network_id?: string;
  cidr?: string;
  ip_version?: number;
}

function networkState(status: string | undefined): string | undefined {
  if (!status) return undefined;
  return status === 'ACTIVE' ? 'UP' : status;
}

function networkOf(n: NeutronNetwork, subnets: NeutronSubnet[]): Network {
  const subnetIds = (n.subnets ?? []).map(String);
  const cidrs = subnetIds.map((sid) => subnets.find((x) => x.id === sid)?.cidr).filter((c): c is string => !!c);
  return { id: n.id, name: n.name || undefined, state: networkState(n.status), addressBlocks: cidrs, subnetIds };
}

function subnetOf(x: NeutronSubnet): Subnet {
  return { id: x.id, name: x.name || undefined, addressBlock: x.cidr, networkId: x.network_id, state: 'UP' };
}

export async function networks(s: Session, filter: Filter): Promise<Network[]> {
  if (filter.id !== undefined) return asList(await network(s, filter.id));
  const [all, subs] = await Promise.all([
    s.listAll<NeutronNetwork>('network', '/v2.0/networks', 'networks'),
    s.listAll<NeutronSubnet>('network', '/v2.0/subnets', 'subnets'),
  ]);
  return all.map((n) => networkOf(n, subs));
}

export async function network(s: Session, nid: string): Promise<Network | undefined> {
  const body = await s.getOrUndefined<{ network: NeutronNetwork }>('network', `/v2.0/networks/${enc(nid)}`);
  if (!body?.network) return undefined;
  const subs = (body.network.subnets ?? []).length > 0
    ? await s.listAll<NeutronSubnet>('network', '/v2.0/subnets', 'subnets', { query: { network_id: nid } })
    : [];
  return networkOf(body.network, subs);
}

function ipVersion(cidr: string): 4 | 6 {
  return cidr.includes(':') ? 6 : 4;
}

export async function createNetwork(s: Session, args: { addressBlock?: string; name?: string }): Promise<Network> {
  const created = await s.json<{ network: NeutronNetwork }>('network', 'POST', '/v2.0/networks', {
    json: { network: { name: args.name ?? '', admin_state_up: true } },
  });
  if (!created?.network) throw new ValidationFailure('Neutron did not return the network');
  const subnets: NeutronSubnet[] = [];
  if (args.addressBlock) {
    try {
      subnets.push(await postSubnet(s, created.network.id, args.addressBlock, args.name));
    } catch (e) {
      // No half-made network: remove it when its subnet is refused.
      await s.exec('network', 'DELETE', `/v2.0/networks/${enc(created.network.id)}`, { accept: [404, 409] }).catch(() => {});
      throw e;
    }
  }
  const net = { ...created.network, subnets: [...new Set([...(created.network.subnets ?? []), ...subnets.map((x) => x.id)])] };
  return networkOf(net, subnets);
}

async function postSubnet(s: Session, networkId: string, cidr: string, name?: string): Promise<NeutronSubnet> {
  const subnet: Record<string, unknown> = { network_id: networkId, cidr, ip_version: ipVersion(cidr) };
  if (name) subnet.name = name;
  const body = await s.json<{ subnet: NeutronSubnet }>('network', 'POST', '/v2.0/subnets', { json: { subnet } });
  if (!body?.subnet) throw new ValidationFailure('Neutron did not return the subnet');
  return body.subnet;
}

export async function destroyNetwork(s: Session, nid: string): Promise<void> {
  await s.exec('network', 'DELETE', `/v2.0/networks/${enc(nid)}`);
}

export async function subnets(s: Session, filter: Filter): Promise<Subnet[]> {
  if (filter.id !== undefined) return asList(await subnet(s, filter.id));
  return (await s.listAll<NeutronSubnet>('network', '/v2.0/subnets', 'subnets')).map(subnetOf);
}

export async function subnet(s: Session, sid: string): Promise<Subnet | undefined> {
  const body = await s.getOrUndefined<{ subnet: NeutronSubnet }>('network', `/v2.0/subnets/${enc(sid)}`);
  return body?.subnet ? subnetOf(body.subnet) : undefined;
}

export async function createSubnet(s: Session, args: { networkId: string; addressBlock: string; name?: string }): Promise<Subnet> {
  return subnetOf(await postSubnet(s, args.networkId, args.addressBlock, args.name));
}

export async function destroySubnet(s: Session, sid: string): Promise<void> {
  await s.exec('network', 'DELETE', `/v2.0/subnets/${enc(sid)}`);
}

// ---------------------------------------------------------------- ports

interface Port {
  id: string;
  name?: string;
  network_id?: string;
  device_id?: string;
  device_owner?: string;
  fixed_ips?: Array<{ subnet_id?: string; ip_address: string }>;
}

function interfaceOf(p: Port): NetworkInterface {
  const fixed = (p.fixed_ips ?? [])[0];
  return {
    id: p.id,
    name: p.name || undefined,
    ipAddress: fixed?.ip_address,
    // The API links interfaces to subnets when the driver has them (spec §11.17).
    networkId: fixed?.subnet_id ?? p.network_id,
    instanceId: p.device_id && (p.device_owner ?? '').startsWith('compute:') ? p.device_id : undefined,
  };
}

export async function networkInterfaces(s: Session, filter: Filter): Promise<NetworkInterface[]> {
  if (filter.id !== undefined) return asList(await networkInterface(s, filter.id));
  return (await s.listAll<Port>('network', '/v2.0/ports', 'ports')).map(interfaceOf);
}

export async function networkInterface(s: Session, pid: string): Promise<NetworkInterface | undefined> {
  const body = await s.getOrUndefined<{ port: Port }>('network', `/v2.0/ports/${enc(pid)}`);
  return body?.port ? interfaceOf(body.port) : undefined;
}

/** A port on the network (or on the subnet, when `networkId` names one), attached to the instance through Nova. */
export async function createNetworkInterface(s: Session, args: { instanceId: string; networkId: string; name?: string }): Promise<NetworkInterface> {
  const sub = await s.getOrUndefined<{ subnet: NeutronSubnet }>('network', `/v2.0/subnets/${enc(args.networkId)}`);
  const portBody: Record<string, unknown> = sub?.subnet?.network_id
    ? { network_id: sub.subnet.network_id, fixed_ips: [{ subnet_id: sub.subnet.id }] }
    : { network_id: args.networkId };
  if (args.name) portBody.name = args.name;
  const created = await s.json<{ port: Port }>('network', 'POST', '/v2.0/ports', { json: { port: portBody } });
  if (!created?.port) throw new ValidationFailure('Neutron did not return the port');
  try {
    await attachPort(s, args.instanceId, created.port.id);
  } catch (e) {
    await s.exec('network', 'DELETE', `/v2.0/ports/${enc(created.port.id)}`, { accept: [404] }).catch(() => {});
    throw e;
  }
  const attached = (await networkInterface(s, created.port.id)) ?? interfaceOf(created.port);
  return { ...attached, instanceId: attached.instanceId ?? args.instanceId };
}

export async function destroyNetworkInterface(s: Session, pid: string): Promise<void> {
  // Deleting the port detaches it from its server (Nova is told by Neutron).
  await s.exec('network', 'DELETE', `/v2.0/ports/${enc(pid)}`);
}
