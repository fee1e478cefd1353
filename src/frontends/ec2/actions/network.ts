// Elastic IP addresses (Deltacloud addresses) and security groups
// (Deltacloud firewalls).
import type { FirewallRuleCreate } from '../../../core/driver.js';
import type { Address, Firewall, FirewallRule, FirewallSource } from '../../../core/model.js';
import { textEl } from '../../deltacloud/xml.js';
import { Ec2Error, invalidValue, missingParameter } from '../errors.js';
import { applyFilters, filters, flag, list, members, optional, paginate, required, type QueryParams } from '../params.js';
import {
  addressIdFrom, addressItem, allocationIdOf, associationIdOf, ec2Protocol, itemSet, opt, returnTrue, securityGroupItem,
} from '../xml.js';
import { call, findOne, findRequired, listAll, notFound, selectIds, type Action, type ActionRequest } from './common.js';

// --- addresses ---------------------------------------------------------------------------

/** The address a request names by AllocationId or PublicIp (or AssociationId, where allowed). */
async function namedAddress(req: ActionRequest, withAssociation = false): Promise<Address> {
  const p = req.params;
  const byAssociation = withAssociation ? optional(p, 'AssociationId') : undefined;
  const allocation = optional(p, 'AllocationId');
  const publicIp = optional(p, 'PublicIp');
  if (byAssociation !== undefined) {
    const address = await findOne(req, 'addresses', addressIdFrom(byAssociation));
    if (!address?.instanceId) throw notFound('InvalidAssociationID.NotFound', 'association ID', [byAssociation]);
    return address;
  }
  if (allocation !== undefined) return findRequired(req, 'addresses', addressIdFrom(allocation), 'InvalidAllocationID.NotFound', 'allocation ID');
  if (publicIp !== undefined) return findRequired(req, 'addresses', publicIp, 'InvalidAddress.NotFound', 'address');
  throw missingParameter(withAssociation ? 'AssociationId' : 'AllocationId');
}

const AllocateAddress: Action = {
  needs: ['create_address'],
  async run(req) {
    const address = await call(req.driver, 'create_address', req.ctx);
    return [textEl('publicIp', address.id), textEl('domain', 'vpc'), textEl('allocationId', allocationIdOf(address))];
  },
};

const DescribeAddresses: Action = {
  needs: ['addresses'],
  async run(req) {
    const all = await listAll(req, 'addresses');
    const byIp = selectIds(all, list(req.params, 'PublicIp'), (a) => a.id, (ids) => notFound('InvalidAddress.NotFound', 'address', ids));
    const selected = selectIds(byIp, list(req.params, 'AllocationId').map(addressIdFrom), (a) => a.id,
      (ids) => notFound('InvalidAllocationID.NotFound', 'allocation ID', ids.map((id) => allocationIdOf({ id }))));
    const matching = applyFilters(selected, filters(req.params), {
      'public-ip': (a) => a.id, 'allocation-id': (a) => allocationIdOf(a), domain: () => 'vpc', 'instance-id': (a) => a.instanceId,
      'association-id': (a) => (a.instanceId === undefined ? undefined : associationIdOf(a)),
    });
    return [itemSet('addressesSet', matching.map(addressItem))];
  },
};

const AssociateAddress: Action = {
  needs: ['associate_address'],
  errors: { notFound: 'InvalidInstanceID.NotFound' },
  async run(req) {
    const instanceId = required(req.params, 'InstanceId');
    const address = await namedAddress(req);
    await findRequired(req, 'instances', instanceId, 'InvalidInstanceID.NotFound', 'instance ID');
    if (address.instanceId !== undefined && address.instanceId !== instanceId) {
      if (!flag(req.params, 'AllowReassociation')) {
        throw new Ec2Error('Resource.AlreadyAssociated', `resource ${allocationIdOf(address)} is already associated with associate-id ${associationIdOf(address)}`);
      }
      await call(req.driver, 'disassociate_address', req.ctx, address.id);
    }
    if (address.instanceId !== instanceId) await call(req.driver, 'associate_address', req.ctx, { id: address.id, instanceId });
    return [returnTrue(), textEl('associationId', associationIdOf(address))];
  },
};

const DisassociateAddress: Action = {
  needs: ['disassociate_address'],
  async run(req) {
    const address = await namedAddress(req, true);
    if (address.instanceId === undefined) throw notFound('InvalidAssociationID.NotFound', 'association ID', [associationIdOf(address)]);
    await call(req.driver, 'disassociate_address', req.ctx, address.id);
    return [returnTrue()];
  },
};

const ReleaseAddress: Action = {
  needs: ['destroy_address'],
  async run(req) {
    const address = await namedAddress(req);
    if (address.instanceId !== undefined) throw new Ec2Error('InvalidIPAddress.InUse', `Address ${address.id} is in use.`);
    await call(req.driver, 'destroy_address', req.ctx, address.id);
    return [returnTrue()];
  },
};

// --- security groups -----------------------------------------------------------------------

const groupNotFound = (ids: string[]) => notFound('InvalidGroup.NotFound', 'security group', ids);

/** The group a request names by GroupId or GroupName. */
async function namedGroup(req: ActionRequest): Promise<Firewall> {
  const id = optional(req.params, 'GroupId');
  if (id !== undefined) return findRequired(req, 'firewalls', id, 'InvalidGroup.NotFound', 'security group');
  const name = optional(req.params, 'GroupName');
  if (name === undefined) throw missingParameter('GroupId');
  const group = (await listAll(req, 'firewalls')).find((f) => (f.name ?? f.id) === name);
  if (!group) throw groupNotFound([name]);
  return group;
}

/** One EC2 permission for one source: how EC2 thinks of rules (Deltacloud rules may have several sources). */
interface Permission {
  protocol: string;
  from: string;
  to: string;
  source: FirewallSource;
}

const PROTOCOL_NAMES: Record<string, string> = { '-1': 'all', '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };

function cidrSource(cidr: string): FirewallSource {
  const [address = '', prefix] = cidr.split('/');
  const family = address.includes(':') ? 'ipv6' : 'ipv4';
  if (address === '' || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) throw invalidValue(`Invalid CIDR: ${cidr}`);
  return { type: 'address', family, address, prefix: prefix ?? (family === 'ipv6' ? '128' : '32') };
}

function sourceKey(s: FirewallSource): string {
  return s.type === 'group' ? `group:${s.name}` : `address:${s.address}/${s.prefix}`;
}

/** `IpPermissions.N.*`, or the older flat IpProtocol/FromPort/ToPort/CidrIp form the CLI's shorthand sends. */
async function permissions(req: ActionRequest): Promise<Permission[]> {
  const p = req.params;
  const given: QueryParams[] = members(p, 'IpPermissions');
  if (given.length === 0 && optional(p, 'IpProtocol') !== undefined) {
    const flat: QueryParams = { IpProtocol: p.IpProtocol!, FromPort: p.FromPort ?? '', ToPort: p.ToPort ?? '' };
    if (optional(p, 'CidrIp')) flat['IpRanges.1.CidrIp'] = p.CidrIp!;
    if (optional(p, 'SourceSecurityGroupName')) flat['Groups.1.GroupName'] = p.SourceSecurityGroupName!;
    if (optional(p, 'SourceSecurityGroupOwnerId')) flat['Groups.1.UserId'] = p.SourceSecurityGroupOwnerId!;
    given.push(flat);
  }
  if (given.length === 0) throw missingParameter('IpPermissions');
  const needsGroups = given.some((g) => members(g, 'Groups').length > 0);
  const groups = needsGroups ? await listAll(req, 'firewalls') : [];
  const result: Permission[] = [];
  for (const perm of given) {
    const raw = (perm.IpProtocol ?? '').toLowerCase();
    const protocol = PROTOCOL_NAMES[raw] ?? raw;
    if (!['all', 'tcp', 'udp', 'icmp', 'icmpv6'].includes(protocol)) throw invalidValue(`Invalid IP protocol: '${perm.IpProtocol ?? ''}'`);
    const from = optional(perm, 'FromPort') ?? '-1';
    const to = optional(perm, 'ToPort') ?? '-1';
    if ((protocol === 'tcp' || protocol === 'udp') && (!/^\d+$/.test(from) || !/^\d+$/.test(to) || +from > +to || +to > 65535)) {
      throw invalidValue('Invalid value: must specify from and to ports from 0 to 65535 (from <= to) with TCP/UDP.');
    }
    const sources: FirewallSource[] = [
      ...members(perm, 'IpRanges').map((r) => cidrSource(r.CidrIp ?? '')),
      ...members(perm, 'Ipv6Ranges').map((r) => cidrSource(r.CidrIpv6 ?? '')),
      ...members(perm, 'Groups').map((g): FirewallSource => {
        const group = groups.find((f) => (g.GroupId !== undefined ? f.id === g.GroupId : (f.name ?? f.id) === g.GroupName));
        if (!group) throw groupNotFound([g.GroupId ?? g.GroupName ?? '']);
        return { type: 'group', name: group.name ?? group.id, owner: g.UserId ?? group.ownerId ?? '' };
      }),
    ];
    if (sources.length === 0) throw missingParameter('IpPermissions.N.IpRanges, Ipv6Ranges or Groups');
    for (const source of sources) result.push({ protocol, from, to, source });
  }
  return result;
}

/** The ingress rule granting `perm`, if any. */
function ruleFor(group: Firewall, perm: Permission): FirewallRule | undefined {
  const key = sourceKey(perm.source);
  return group.rules.find((r) => r.direction !== 'egress' && (r.protocol ?? 'all') === perm.protocol
    && (r.portFrom ?? '-1') === perm.from && (r.portTo ?? '-1') === perm.to && r.sources.some((s) => sourceKey(s) === key));
}

function ruleCreate(firewallId: string, perm: Omit<Permission, 'source'>, sources: FirewallSource[]): FirewallRuleCreate {
  const addresses = sources.flatMap((s) => (s.type === 'address' ? [`${s.address}/${s.prefix}`] : []));
  const groups = Object.fromEntries(sources.flatMap((s) => (s.type === 'group' ? [[s.name, s.owner]] : [])));
  return { firewallId, protocol: perm.protocol, portFrom: perm.from, portTo: perm.to, addresses, groups };
}

const describePermission = (p: Permission) =>
  `peer: ${p.source.type === 'group' ? p.source.name : `${p.source.address}/${p.source.prefix}`}, ${ec2Protocol(p.protocol).toUpperCase()}, from port: ${p.from}, to port: ${p.to}, ALLOW`;

const AuthorizeSecurityGroupIngress: Action = {
  needs: ['create_firewall_rule'],
  errors: { notFound: 'InvalidGroup.NotFound', conflict: 'InvalidPermission.Duplicate' },
  async run(req) {
    const group = await namedGroup(req);
    const perms = await permissions(req);
    for (const perm of perms) {
      if (ruleFor(group, perm)) throw new Ec2Error('InvalidPermission.Duplicate', `the specified rule "${describePermission(perm)}" already exists`);
    }
    // One rule per source, so that a later revoke removes exactly what it names.
    for (const perm of perms) await call(req.driver, 'create_firewall_rule', req.ctx, ruleCreate(group.id, perm, [perm.source]));
    return [returnTrue()];
  },
};

const RevokeSecurityGroupIngress: Action = {
  needs: ['delete_firewall_rule'],
  errors: { notFound: 'InvalidGroup.NotFound' },
  async run(req) {
    const group = await namedGroup(req);
    const perms = await permissions(req);
    for (const perm of perms) {
      if (!ruleFor(group, perm)) {
        throw new Ec2Error('InvalidPermission.NotFound', `The specified rule "${describePermission(perm)}" does not exist in this security group.`);
      }
    }
    for (const perm of perms) {
      const current = await findRequired(req, 'firewalls', group.id, 'InvalidGroup.NotFound', 'security group');
      const rule = ruleFor(current, perm);
      if (!rule) continue; // an earlier permission of this request removed it already
      await call(req.driver, 'delete_firewall_rule', req.ctx, { firewallId: group.id, ruleId: rule.id });
      // A rule with several sources (made through the Deltacloud API) keeps the others.
      const rest = rule.sources.filter((s) => sourceKey(s) !== sourceKey(perm.source));
      if (rest.length > 0) await call(req.driver, 'create_firewall_rule', req.ctx, ruleCreate(group.id, perm, rest));
    }
    return [returnTrue()];
  },
};

const CreateSecurityGroup: Action = {
  needs: ['create_firewall'],
  errors: { conflict: 'InvalidGroup.Duplicate' },
  async run(req) {
    const name = required(req.params, 'GroupName');
    const description = required(req.params, 'GroupDescription');
    if (typeof req.driver.firewalls === 'function' && (await listAll(req, 'firewalls')).some((f) => (f.name ?? f.id) === name)) {
      throw new Ec2Error('InvalidGroup.Duplicate', `The security group '${name}' already exists`);
    }
    const group = await call(req.driver, 'create_firewall', req.ctx, { name, description });
    return [returnTrue(), textEl('groupId', group.id)];
  },
};

const DescribeSecurityGroups: Action = {
  needs: ['firewalls'],
  async run(req) {
    const all = await listAll(req, 'firewalls');
    const byId = selectIds(all, list(req.params, 'GroupId'), (f) => f.id, groupNotFound);
    const selected = selectIds(byId, list(req.params, 'GroupName'), (f) => f.name ?? f.id, groupNotFound);
    const ingress = (f: Firewall) => f.rules.filter((r) => r.direction !== 'egress');
    const matching = applyFilters(selected, filters(req.params), {
      'group-id': (f) => f.id, 'group-name': (f) => f.name ?? f.id, description: (f) => f.description, 'owner-id': (f) => f.ownerId,
      'ip-permission.protocol': (f) => ingress(f).map((r) => ec2Protocol(r.protocol)),
      'ip-permission.from-port': (f) => ingress(f).map((r) => r.portFrom),
      'ip-permission.to-port': (f) => ingress(f).map((r) => r.portTo),
      'ip-permission.cidr': (f) => ingress(f).flatMap((r) => r.sources.flatMap((s) => (s.type === 'address' ? [`${s.address}/${s.prefix}`] : []))),
      'ip-permission.group-name': (f) => ingress(f).flatMap((r) => r.sources.flatMap((s) => (s.type === 'group' ? [s.name] : []))),
    });
    const groupIds = new Map(all.map((f) => [f.name ?? f.id, f.id]));
    const { page, nextToken } = paginate(matching, req.params, req.action);
    return [itemSet('securityGroupInfo', page.map((f) => securityGroupItem(f, groupIds))), opt('nextToken', nextToken)];
  },
};

const DeleteSecurityGroup: Action = {
  needs: ['delete_firewall'],
  errors: { notFound: 'InvalidGroup.NotFound', conflict: 'DependencyViolation' },
  async run(req) {
    const group = await namedGroup(req);
    await call(req.driver, 'delete_firewall', req.ctx, group.id);
    return [returnTrue()];
  },
};

export const networkActions: Record<string, Action> = {
  AllocateAddress, DescribeAddresses, AssociateAddress, DisassociateAddress, ReleaseAddress,
  CreateSecurityGroup, DescribeSecurityGroups, AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress, DeleteSecurityGroup,
};
