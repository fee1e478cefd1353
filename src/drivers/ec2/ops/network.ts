// Addresses (Elastic IPs), firewalls (security groups with ingress rules),
// networks (VPCs), subnets and network interfaces (ENIs).
import {
  AllocateAddressCommand, AssociateAddressCommand, AttachNetworkInterfaceCommand, AuthorizeSecurityGroupIngressCommand,
  CreateNetworkInterfaceCommand, CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand, DeleteSubnetCommand, DeleteVpcCommand, DescribeAddressesCommand, DetachNetworkInterfaceCommand,
  DisassociateAddressCommand, ReleaseAddressCommand, RevokeSecurityGroupIngressCommand, paginateDescribeNetworkInterfaces,
  paginateDescribeSecurityGroups, paginateDescribeSubnets, paginateDescribeVpcs,
  type Address as AwsAddress, type Filter as Ec2Filter, type NetworkInterface as AwsNetworkInterface,
} from '@aws-sdk/client-ec2';
import type { Driver, FirewallRuleCreate } from '../../../core/driver.js';
import { NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Firewall, FirewallSource } from '../../../core/model.js';
import type { AwsSession } from '../clients.js';
import {
  cidrSource, parseRuleId, tagSpecifications, toAddress, toFirewall, toIpPermission, toNetwork, toNetworkInterface, toSubnet,
} from '../mappings.js';
import { describeInstances } from './compute.js';
import { filterValue, orEmpty, orUndefined, type Deps } from './context.js';
import { sleep } from '../../../core/kit/time.js';

type Ops = Pick<Driver,
  'addresses' | 'address' | 'create_address' | 'destroy_address' | 'associate_address' | 'disassociate_address'
  | 'firewalls' | 'firewall' | 'create_firewall' | 'delete_firewall' | 'create_firewall_rule' | 'delete_firewall_rule'
  | 'networks' | 'network' | 'create_network' | 'destroy_network' | 'subnets' | 'subnet' | 'create_subnet' | 'destroy_subnet'
  | 'network_interfaces' | 'network_interface' | 'create_network_interface' | 'destroy_network_interface'>;

// --- addresses -----------------------------------------------------------------------------------

async function describeAddresses(s: AwsSession, ip?: string): Promise<AwsAddress[]> {
  const out = await s.call((o) => s.ec2().send(new DescribeAddressesCommand(ip ? { PublicIps: [ip] } : {}), o));
  return (out.Addresses ?? []).filter((a) => !ip || a.PublicIp === ip);
}

async function requireAddress(s: AwsSession, ip: string): Promise<AwsAddress> {
  const found = await orUndefined(async () => (await describeAddresses(s, ip))[0]);
  if (!found) throw new NotFound();
  return found;
}

// --- firewalls -----------------------------------------------------------------------------------

/** A firewall id is a group id (`sg-…`); a name is accepted too (default VPC / EC2-Classic style). */
function groupSelector(id: string): { GroupIds: string[] } | { Filters: Ec2Filter[] } {
  return id.startsWith('sg-') ? { GroupIds: [id] } : { Filters: [{ Name: 'group-name', Values: [id] }] };
}

async function describeGroups(s: AwsSession, id?: string): Promise<Firewall[]> {
  const client = s.ec2();
  const byIds = id?.startsWith('sg-') ?? false;
  const groups = await s.pages(
    (o) => paginateDescribeSecurityGroups({ client, stopOnSameToken: true, ...(byIds ? {} : { pageSize: 1000 }) }, id ? groupSelector(id) : {}, o),
    (page) => page.SecurityGroups,
  );
  return groups.map(toFirewall);
}

async function requireGroup(s: AwsSession, id: string): Promise<Firewall> {
  const found = await orUndefined(async () => (await describeGroups(s, id))[0]);
  if (!found) throw new NotFound();
  return found;
}

function ruleSources(req: FirewallRuleCreate): FirewallSource[] {
  const sources: FirewallSource[] = [
    ...req.addresses.filter((a) => a.trim() !== '').map(cidrSource),
    ...Object.entries(req.groups).map(([name, owner]): FirewallSource => ({ type: 'group', name, owner })),
  ];
  if (sources.length === 0) throw new ValidationFailure('No sources. Specify at least one source ip address or group.');
  return sources;
}

// --- network interfaces ----------------------------------------------------------------------------

async function describeInterfaces(s: AwsSession, id?: string): Promise<AwsNetworkInterface[]> {
  const client = s.ec2();
  return s.pages(
    (o) => paginateDescribeNetworkInterfaces({ client, stopOnSameToken: true, ...(id ? {} : { pageSize: 1000 }) },
      id ? { NetworkInterfaceIds: [id] } : {}, o),
    (page) => page.NetworkInterfaces,
  );
}

export function networkOperations(deps: Deps): Ops {
  async function subnetIdsByVpc(s: AwsSession, vpcIds?: string[]): Promise<Map<string, string[]>> {
    const client = s.ec2();
    const subnets = await s.pages(
      (o) => paginateDescribeSubnets({ client, pageSize: 1000, stopOnSameToken: true }, vpcIds ? { Filters: [{ Name: 'vpc-id', Values: vpcIds }] } : {}, o),
      (page) => page.Subnets,
    );
    const byVpc = new Map<string, string[]>();
    for (const sn of subnets) {
      const list = byVpc.get(sn.VpcId ?? '') ?? [];
      list.push(sn.SubnetId ?? '');
      byVpc.set(sn.VpcId ?? '', list);
    }
    return byVpc;
  }

  async function networks(s: AwsSession, id?: string) {
    const client = s.ec2();
    const vpcs = await s.pages(
      (o) => paginateDescribeVpcs({ client, stopOnSameToken: true, ...(id ? {} : { pageSize: 1000 }) }, id ? { VpcIds: [id] } : {}, o),
      (page) => page.Vpcs,
    );
    if (vpcs.length === 0) return [];
    const subnets = await subnetIdsByVpc(s, id ? [id] : undefined);
    return vpcs.map((v) => toNetwork(v, subnets.get(v.VpcId ?? '') ?? []));
  }

  async function subnets(s: AwsSession, id?: string) {
    const client = s.ec2();
    const list = await s.pages(
      (o) => paginateDescribeSubnets({ client, stopOnSameToken: true, ...(id ? {} : { pageSize: 1000 }) }, id ? { SubnetIds: [id] } : {}, o),
      (page) => page.Subnets,
    );
    return list.map(toSubnet);
  }

  return {
    addresses: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      return orEmpty(async () => (await describeAddresses(s, id)).map(toAddress));
    },
    address: async (ctx, id) => {
      const s = deps.session(ctx);
      return orUndefined(async () => {
        const [a] = await describeAddresses(s, id);
        return a && toAddress(a);
      });
    },
    create_address: async (ctx) => {
      const s = deps.session(ctx);
      const out = await s.call((o) => s.ec2().send(new AllocateAddressCommand({ Domain: 'vpc' }), o));
      return { id: out.PublicIp ?? '' };
    },
    destroy_address: async (ctx, id) => {
      const s = deps.session(ctx);
      const a = await requireAddress(s, id);
      await s.call((o) => s.ec2().send(new ReleaseAddressCommand(a.AllocationId ? { AllocationId: a.AllocationId } : { PublicIp: id }), o));
    },
    associate_address: async (ctx, { id, instanceId }) => {
      const s = deps.session(ctx);
      const a = await requireAddress(s, id);
      await s.call((o) => s.ec2().send(new AssociateAddressCommand({
        ...(a.AllocationId ? { AllocationId: a.AllocationId } : { PublicIp: id }), InstanceId: instanceId,
      }), o));
    },
    disassociate_address: async (ctx, id) => {
      const s = deps.session(ctx);
      const a = await requireAddress(s, id);
      await s.call((o) => s.ec2().send(new DisassociateAddressCommand(a.AssociationId ? { AssociationId: a.AssociationId } : { PublicIp: id }), o));
    },

    firewalls: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      return orEmpty(() => describeGroups(s, id));
    },
    firewall: async (ctx, id) => {
      const s = deps.session(ctx);
      return orUndefined(async () => (await describeGroups(s, id))[0]);
    },
    create_firewall: async (ctx, { name, description }) => {
      const s = deps.session(ctx);
      const out = await s.call((o) => s.ec2().send(new CreateSecurityGroupCommand({
        GroupName: name, Description: description || name,
      }), o));
      return (await orUndefined(async () => (await describeGroups(s, out.GroupId!))[0]))
        ?? { id: out.GroupId!, name, description, rules: [] };
    },
    delete_firewall: async (ctx, id) => {
      const s = deps.session(ctx);
      const group = id.startsWith('sg-') ? id : (await requireGroup(s, id)).id;
      await s.call((o) => s.ec2().send(new DeleteSecurityGroupCommand({ GroupId: group }), o));
    },
    create_firewall_rule: async (ctx, req) => {
      const s = deps.session(ctx);
      const group = await requireGroup(s, req.firewallId);
      const permission = toIpPermission(req.protocol, req.portFrom, req.portTo, ruleSources(req));
      await s.call((o) => s.ec2().send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group.id, IpPermissions: [permission] }), o));
      return requireGroup(s, group.id);
    },
    delete_firewall_rule: async (ctx, { firewallId, ruleId }) => {
      const s = deps.session(ctx);
      const group = await requireGroup(s, firewallId);
      const rule = group.rules.find((r) => r.id === ruleId);
      const parsed = parseRuleId(ruleId);
      if (!rule || !parsed) throw new NotFound();
      const permission = toIpPermission(parsed.protocol, parsed.from, parsed.to, parsed.sources);
      await s.call((o) => s.ec2().send(new RevokeSecurityGroupIngressCommand({ GroupId: group.id, IpPermissions: [permission] }), o));
    },

    networks: async (ctx, filter) => {
      const s = deps.session(ctx);
      return orEmpty(() => networks(s, filterValue(filter, 'id')));
    },
    network: async (ctx, id) => {
      const s = deps.session(ctx);
      return orUndefined(async () => (await networks(s, id))[0]);
    },
    create_network: async (ctx, { addressBlock, name }) => {
      const s = deps.session(ctx);
      const out = await s.call((o) => s.ec2().send(new CreateVpcCommand({
        CidrBlock: addressBlock || '10.0.0.0/16', TagSpecifications: tagSpecifications('vpc', { Name: name }),
      }), o));
      return toNetwork(out.Vpc ?? {}, []);
    },
    destroy_network: async (ctx, id) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new DeleteVpcCommand({ VpcId: id }), o));
    },

    subnets: async (ctx, filter) => {
      const s = deps.session(ctx);
      return orEmpty(() => subnets(s, filterValue(filter, 'id')));
    },
    subnet: async (ctx, id) => {
      const s = deps.session(ctx);
      return orUndefined(async () => (await subnets(s, id))[0]);
    },
    create_subnet: async (ctx, { networkId, addressBlock, name }) => {
      const s = deps.session(ctx);
      const out = await s.call((o) => s.ec2().send(new CreateSubnetCommand({
        VpcId: networkId, CidrBlock: addressBlock, TagSpecifications: tagSpecifications('subnet', { Name: name }),
      }), o));
      return toSubnet(out.Subnet ?? {});
    },
    destroy_subnet: async (ctx, id) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new DeleteSubnetCommand({ SubnetId: id }), o));
    },

    network_interfaces: async (ctx, filter) => {
      const s = deps.session(ctx);
      return orEmpty(async () => (await describeInterfaces(s, filterValue(filter, 'id'))).map(toNetworkInterface));
    },
    network_interface: async (ctx, id) => {
      const s = deps.session(ctx);
      return orUndefined(async () => {
        const [n] = await describeInterfaces(s, id);
        return n && toNetworkInterface(n);
      });
    },
    create_network_interface: async (ctx, { instanceId, networkId, name }) => {
      const s = deps.session(ctx);
      const [instance] = await describeInstances(s, { InstanceIds: [instanceId] });
      if (!instance) throw new NotFound();
      let subnetId = networkId;
      if (!networkId.startsWith('subnet-')) {
        // A network (VPC): its subnet in the instance's zone.
        const client = s.ec2();
        const candidates = await s.pages(
          (o) => paginateDescribeSubnets({ client, pageSize: 1000, stopOnSameToken: true }, {
            Filters: [{ Name: 'vpc-id', Values: [networkId] }, ...(instance.realmId ? [{ Name: 'availability-zone', Values: [instance.realmId] }] : [])],
          }, o),
          (page) => page.Subnets,
        );
        subnetId = candidates[0]?.SubnetId ?? '';
        if (!subnetId) throw new ValidationFailure(`Network '${networkId}' has no subnet in ${instance.realmId ?? 'the instance\'s zone'}`);
      }
      const created = await s.call((o) => s.ec2().send(new CreateNetworkInterfaceCommand({
        SubnetId: subnetId,
        ...(name ? { Description: name } : {}),
        TagSpecifications: tagSpecifications('network-interface', { Name: name }),
      }), o));
      const nicId = created.NetworkInterface?.NetworkInterfaceId ?? '';
      const deviceIndex = instance.networkInterfaceIds?.length ?? 1;
      try {
        await s.call((o) => s.ec2().send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: nicId, InstanceId: instanceId, DeviceIndex: deviceIndex }), o));
      } catch (error) {
        // Do not leave an orphan interface behind.
        await s.call((o) => s.ec2().send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: nicId }), o)).catch(() => undefined);
        throw error;
      }
      const [nic] = await describeInterfaces(s, nicId);
      return toNetworkInterface(nic ?? { ...created.NetworkInterface, Attachment: { InstanceId: instanceId } });
    },
    destroy_network_interface: async (ctx, id) => {
      const s = deps.session(ctx);
      const [nic] = await describeInterfaces(s, id);
      if (!nic) throw new NotFound();
      if (nic.Attachment?.AttachmentId) {
        await s.call((o) => s.ec2().send(new DetachNetworkInterfaceCommand({ AttachmentId: nic.Attachment!.AttachmentId! }), o));
        // Detaching is asynchronous; the interface can be deleted once it is available.
        for (let i = 0; i < 60; i++) {
          const [now] = await describeInterfaces(s, id);
          if (!now || now.Status === 'available') break;
          await sleep(1000, s.signal);
        }
      }
      await s.call((o) => s.ec2().send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id }), o));
    },
  };
}
