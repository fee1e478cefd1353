// Pure translations between AWS SDK shapes and the core model: no I/O, so
// every rule here is unit-tested on its own.
import type {
  Address as AwsAddress, AvailabilityZone, ResourceType, Image as AwsImage, Instance as AwsInstance, InstanceTypeInfo, IpPermission, KeyPairInfo,
  NetworkInterface as AwsNetworkInterface, SecurityGroup, Snapshot, Subnet as AwsSubnet, Tag, Volume, Vpc,
} from '@aws-sdk/client-ec2';
import type { LoadBalancerDescription } from '@aws-sdk/client-elastic-load-balancing';
import { ValidationFailure } from '../../core/errors.js';
import type {
  Address, FirewallRule, FirewallSource, HardwareProfile, HardwareProperty, Image, Instance, InstanceAction, InstanceAddress, Key,
  LoadBalancer, Network, NetworkInterface, Realm, StorageSnapshot, StorageVolume, Subnet, Firewall,
} from '../../core/model.js';

// ---------------------------------------------------------------------------
// Instance states (drivers-matrix §4)

/** EC2 instance state name → Deltacloud state (upper case). */
export function instanceState(ec2State: string | undefined): string | undefined {
  switch (ec2State) {
    case 'pending': return 'PENDING';
    case 'running': return 'RUNNING';
    case 'stopping':
    case 'shutting-down': return 'STOPPING';
    case 'stopped': return 'STOPPED';
    case 'terminated': return 'FINISH';
    case undefined: return undefined;
    default: return ec2State.toUpperCase();
  }
}

/** Deltacloud state filter value → the EC2 states it covers. */
export function ec2StatesFor(state: string): string[] {
  switch (state.toUpperCase()) {
    case 'PENDING': return ['pending'];
    case 'RUNNING': return ['running'];
    case 'STOPPING': return ['stopping', 'shutting-down'];
    case 'STOPPED': return ['stopped'];
    case 'FINISH': return ['terminated'];
    default: return [state.toLowerCase()];
  }
}

/**
 * The EC2 special case (drivers-matrix §4): an instance whose root device is
 * not EBS cannot be stopped — `destroy` replaces `stop` and `start` is never
 * offered. Undefined for EBS instances: the state machine decides.
 */
export function instanceStoreActions(state: string | undefined): InstanceAction[] {
  switch (state) {
    case 'RUNNING': return ['reboot', 'destroy'];
    case 'STOPPED': return ['destroy'];
    default: return [];
  }
}

// ---------------------------------------------------------------------------
// Tags

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

export function nameTag(tags: Tag[] | undefined): string | undefined {
  const v = tagValue(tags, 'Name');
  return v === '' ? undefined : v;
}

/** TagSpecifications for a create call; undefined when there is nothing to tag. */
export function tagSpecifications(resourceType: ResourceType, tags: Record<string, string | undefined>) {
  const list = Object.entries(tags).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([Key, Value]) => ({ Key, Value }));
  return list.length === 0 ? undefined : [{ ResourceType: resourceType, Tags: list }];
}

const iso = (d: Date | string | undefined): string | undefined =>
  d === undefined ? undefined : d instanceof Date ? d.toISOString() : String(d);

// ---------------------------------------------------------------------------
// Realms

export function toRealm(zone: AvailabilityZone): Realm {
  const state = zone.State;
  return {
    id: zone.ZoneName ?? '',
    name: zone.ZoneName,
    state: state === undefined ? undefined : state.toUpperCase(),
  };
}

// ---------------------------------------------------------------------------
// Hardware profiles from DescribeInstanceTypes

/** EBS-only types: the root volume size a client may choose (GiB), and the default. */
export const EBS_ROOT_RANGE = { first: 1, last: 16_384, value: 8 } as const;

function numberSet(values: number[]): HardwareProperty['kind'] {
  if (values.length <= 1) return 'fixed';
  for (let i = 1; i < values.length; i++) if (values[i] !== values[i - 1]! + 1) return 'enum';
  return 'range';
}

/** vCPU counts a launch may choose (CpuOptions cores × threads per core), ascending. */
export function vcpuChoices(info: InstanceTypeInfo): number[] {
  const v = info.VCpuInfo;
  const choices = new Set<number>();
  if (v?.DefaultVCpus !== undefined) choices.add(v.DefaultVCpus);
  for (const cores of v?.ValidCores ?? []) {
    for (const threads of v?.ValidThreadsPerCore ?? [v?.DefaultThreadsPerCore ?? 1]) choices.add(cores * threads);
  }
  return [...choices].sort((a, b) => a - b);
}

function property(name: string, values: Array<string | number>, defaultValue: string | number): HardwareProperty {
  const numbers = values.filter((v) => typeof v === 'number');
  const kind = numbers.length === values.length ? numberSet(numbers) : values.length > 1 ? 'enum' : 'fixed';
  if (kind === 'fixed') return { name, kind, value: defaultValue };
  if (kind === 'range') return { name, kind, value: defaultValue, first: numbers[0]!, last: numbers[numbers.length - 1]! };
  return { name, kind, value: defaultValue, values };
}

/**
 * One instance type → a hardware profile: cpu (vCPUs; a range or enum when
 * CpuOptions allow other counts), memory (MiB), storage (instance store GB,
 * or for EBS-only types the root volume size as a range), architecture
 * (enum when the type runs several).
 */
export function toHardwareProfile(info: InstanceTypeInfo): HardwareProfile {
  const id = info.InstanceType ?? '';
  const properties: HardwareProperty[] = [];
  const cpus = vcpuChoices(info);
  if (cpus.length > 0) properties.push(property('cpu', cpus, info.VCpuInfo?.DefaultVCpus ?? cpus[cpus.length - 1]!));
  const memory = info.MemoryInfo?.SizeInMiB;
  if (memory !== undefined) properties.push({ name: 'memory', kind: 'fixed', value: memory });
  const local = info.InstanceStorageSupported ? info.InstanceStorageInfo?.TotalSizeInGB : undefined;
  if (local !== undefined) properties.push({ name: 'storage', kind: 'fixed', value: local });
  else properties.push({ name: 'storage', kind: 'range', ...EBS_ROOT_RANGE });
  const archs = (info.ProcessorInfo?.SupportedArchitectures ?? []).map(String);
  if (archs.length > 0) properties.push(property('architecture', archs, archs.includes('x86_64') ? 'x86_64' : archs[0]!));
  return { id, name: id, properties };
}

export { profileAdmits } from '../../core/filters.js';

/** `hwp_cpu=N` → CpuOptions (cores × threads per core = N), preferring the type's default threads per core. */
export function cpuOptionsFor(info: InstanceTypeInfo, vcpus: number): { CoreCount: number; ThreadsPerCore: number } | undefined {
  const v = info.VCpuInfo;
  if (v?.DefaultVCpus === vcpus) return undefined;
  const threads = [...new Set([v?.DefaultThreadsPerCore ?? 1, ...(v?.ValidThreadsPerCore ?? [])])];
  for (const t of threads) {
    const cores = vcpus / t;
    if (Number.isInteger(cores) && (v?.ValidCores ?? []).includes(cores)) return { CoreCount: cores, ThreadsPerCore: t };
  }
  throw new ValidationFailure(`Instance type '${info.InstanceType}' cannot run with ${vcpus} vCPUs (choices: ${vcpuChoices(info).join(', ')})`);
}

// ---------------------------------------------------------------------------
// Images

/**
 * The instance types an image can be launched on: same architecture, and, when
 * both sides say, the image's virtualization type (hvm / paravirtual) and root
 * device type (ebs / instance-store). Sorted by type name.
 */
export function compatibleTypes(image: AwsImage, types: readonly InstanceTypeInfo[]): string[] {
  const admits = (supported: readonly string[] | undefined, wanted: string | undefined) =>
    wanted === undefined || supported === undefined || supported.length === 0 || supported.includes(wanted);
  const ids: string[] = [];
  for (const t of types) {
    if (!t.InstanceType || image.Architecture === undefined) continue;
    if (!(t.ProcessorInfo?.SupportedArchitectures ?? []).map(String).includes(String(image.Architecture))) continue;
    if (!admits(t.SupportedVirtualizationTypes?.map(String), image.VirtualizationType)) continue;
    if (!admits(t.SupportedRootDeviceTypes?.map(String), image.RootDeviceType)) continue;
    ids.push(t.InstanceType);
  }
  return ids.sort((a, b) => a.localeCompare(b));
}

/** An AMI; with the region's instance types, its compatible hardware profiles too. */
export function toImage(image: AwsImage, types?: readonly InstanceTypeInfo[]): Image {
  return {
    id: image.ImageId ?? '',
    name: image.Name ?? image.ImageId,
    description: image.Description,
    ownerId: image.OwnerId,
    architecture: image.Architecture,
    state: image.State?.toUpperCase(),
    creationTime: image.CreationDate,
    rootType: image.RootDeviceType === 'ebs' ? 'persistent' : 'transient',
    ...(types ? { hardwareProfileIds: compatibleTypes(image, types) } : {}),
  };
}

// ---------------------------------------------------------------------------
// Instances

function addresses(pairs: Array<[string | undefined, InstanceAddress['type']]>): InstanceAddress[] {
  return pairs.filter((p): p is [string, InstanceAddress['type']] => p[0] !== undefined && p[0] !== '')
    .map(([address, type]) => ({ address, type }));
}

export function toInstance(inst: AwsInstance, ownerId?: string): Instance {
  const state = instanceState(inst.State?.Name);
  const ebs = inst.RootDeviceType === undefined || inst.RootDeviceType === 'ebs';
  const nics = inst.NetworkInterfaces ?? [];
  const result: Instance = {
    id: inst.InstanceId ?? '',
    // Name tag; EC2 had no names, and the original showed the image id.
    name: nameTag(inst.Tags) ?? inst.ImageId,
    ownerId: ownerId ?? nics[0]?.OwnerId,
    imageId: inst.ImageId,
    realmId: inst.Placement?.AvailabilityZone,
    state,
    hardwareProfileId: inst.InstanceType,
    profileOverrides: inst.Architecture ? { architecture: String(inst.Architecture) } : {},
    launchTime: iso(inst.LaunchTime),
    publicAddresses: addresses([[inst.PublicDnsName, 'hostname'], [inst.PublicIpAddress, 'ipv4'], [inst.Ipv6Address, 'ipv6']]),
    privateAddresses: addresses([[inst.PrivateDnsName, 'hostname'], [inst.PrivateIpAddress, 'ipv4']]),
    firewallIds: (inst.SecurityGroups ?? []).map((g) => g.GroupId ?? g.GroupName ?? '').filter(Boolean),
    storageVolumes: (inst.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.VolumeId)
      .map((m) => ({ id: m.Ebs!.VolumeId!, device: m.DeviceName })),
    keyname: inst.KeyName,
    networkInterfaceIds: nics.map((n) => n.NetworkInterfaceId ?? '').filter(Boolean),
    // Images can be made from running or stopped EBS-backed instances.
    canCreateImage: ebs && (state === 'RUNNING' || state === 'STOPPED'),
  };
  if (!ebs) result.actions = instanceStoreActions(state);
  return result;
}

// ---------------------------------------------------------------------------
// Keys, volumes, snapshots, addresses

export function toKey(k: KeyPairInfo & { KeyMaterial?: string }): Key {
  return {
    id: k.KeyName ?? '',
    name: k.KeyName,
    credentialType: 'key',
    fingerprint: k.KeyFingerprint,
    pem: k.KeyMaterial,
    state: 'AVAILABLE',
  };
}

export function toVolume(v: Volume): StorageVolume {
  const attachment = (v.Attachments ?? []).find((a) => a.State === 'attached' || a.State === 'attaching') ?? v.Attachments?.[0];
  return {
    id: v.VolumeId ?? '',
    name: nameTag(v.Tags),
    description: tagValue(v.Tags, 'Description'),
    created: iso(v.CreateTime),
    capacity: v.Size,
    kind: v.VolumeType,
    realmId: v.AvailabilityZone,
    state: v.State?.toUpperCase(),
    instanceId: attachment?.InstanceId,
    device: attachment?.Device,
    actions: ['attach', 'detach', 'destroy'],
  };
}

export function toSnapshot(s: Snapshot): StorageSnapshot {
  return {
    id: s.SnapshotId ?? '',
    name: nameTag(s.Tags),
    description: s.Description,
    created: iso(s.StartTime),
    state: s.State?.toUpperCase(),
    volumeId: s.VolumeId,
  };
}

export function toAddress(a: AwsAddress): Address {
  return { id: a.PublicIp ?? '', instanceId: a.InstanceId || undefined };
}

// ---------------------------------------------------------------------------
// Firewalls (security groups) and rule ids (spec §11.13)

/** Rule-id components may not contain the separators; `,`, `~` and `%` are percent-encoded. */
const enc = (s: string) => s.replace(/[%,~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
const dec = (s: string) => s.replace(/%(25|2C|7E)/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

export function protocolName(ipProtocol: string | undefined): string {
  return ipProtocol === undefined || ipProtocol === '-1' ? 'all' : ipProtocol;
}

function sourceKey(s: FirewallSource): string {
  return s.type === 'group'
    ? `@group,${enc(s.owner)},${enc(s.name)}`
    : `@address,${s.family},${enc(s.address)},${s.prefix}`;
}

/** `<owner>~<protocol>~<from>~<to>~@group,<owner>,<name>,@address,ipv4,<ip>,<prefix>…` */
export function ruleId(owner: string, protocol: string, from: string, to: string, sources: FirewallSource[]): string {
  return `${enc(owner)}~${enc(protocol)}~${from}~${to}~${sources.map(sourceKey).join(',')}`;
}

export interface ParsedRule {
  owner: string;
  protocol: string;
  from: string;
  to: string;
  sources: FirewallSource[];
}

export function parseRuleId(id: string): ParsedRule | undefined {
  const parts = id.split('~');
  if (parts.length !== 5) return undefined;
  const [owner = '', protocol = '', from = '', to = '', rest = ''] = parts;
  const tokens = rest === '' ? [] : rest.split(',');
  const sources: FirewallSource[] = [];
  for (let i = 0; i < tokens.length;) {
    const family = tokens[i + 1];
    if (tokens[i] === '@group' && i + 2 < tokens.length) {
      sources.push({ type: 'group', owner: dec(tokens[i + 1]!), name: dec(tokens[i + 2]!) });
      i += 3;
    } else if (tokens[i] === '@address' && i + 3 < tokens.length && (family === 'ipv4' || family === 'ipv6')) {
      sources.push({ type: 'address', family, address: dec(tokens[i + 2]!), prefix: tokens[i + 3]! });
      i += 4;
    } else {
      return undefined;
    }
  }
  return { owner: dec(owner), protocol: dec(protocol), from, to, sources };
}

export function cidrSource(cidr: string): FirewallSource {
  const [address = '', prefix] = cidr.trim().split('/');
  const family = address.includes(':') ? 'ipv6' : 'ipv4';
  return { type: 'address', family, address, prefix: prefix ?? (family === 'ipv6' ? '128' : '32') };
}

const port = (p: number | undefined) => (p === undefined ? '' : String(p));

export function toRule(owner: string, perm: IpPermission): FirewallRule | undefined {
  const sources: FirewallSource[] = [
    ...(perm.IpRanges ?? []).filter((r) => r.CidrIp).map((r) => cidrSource(r.CidrIp!)),
    ...(perm.Ipv6Ranges ?? []).filter((r) => r.CidrIpv6).map((r) => cidrSource(r.CidrIpv6!)),
    ...(perm.UserIdGroupPairs ?? []).map((g): FirewallSource => ({ type: 'group', name: g.GroupName ?? g.GroupId ?? '', owner: g.UserId ?? owner })),
  ];
  if (sources.length === 0) return undefined; // prefix-list-only permissions have no Deltacloud form
  const protocol = protocolName(perm.IpProtocol);
  const from = port(perm.FromPort);
  const to = port(perm.ToPort);
  return { id: ruleId(owner, protocol, from, to, sources), protocol, portFrom: from, portTo: to, direction: 'ingress', sources };
}

export function toFirewall(group: SecurityGroup): Firewall {
  const owner = group.OwnerId ?? '';
  return {
    id: group.GroupId ?? group.GroupName ?? '',
    name: group.GroupName,
    description: group.Description,
    ownerId: owner,
    rules: (group.IpPermissions ?? []).map((p) => toRule(owner, p)).filter((r): r is FirewallRule => r !== undefined),
  };
}

function portNumber(value: string, what: string): number | undefined {
  if (value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1 || n > 65535) throw new ValidationFailure(`${what} must be a port number, got '${value}'`);
  return n;
}

/** A rule (from a create request or a parsed rule id) → the IpPermission EC2 expects. */
export function toIpPermission(protocol: string, from: string, to: string, sources: FirewallSource[]): IpPermission {
  const proto = protocol.toLowerCase() === 'all' ? '-1' : protocol.toLowerCase();
  if (!/^(tcp|udp|icmp|icmpv6|-1|\d{1,3})$/.test(proto)) throw new ValidationFailure(`Unsupported protocol '${protocol}'`);
  const perm: IpPermission = { IpProtocol: proto };
  if (proto !== '-1') {
    perm.FromPort = portNumber(from, 'port_from');
    perm.ToPort = portNumber(to, 'port_to');
  }
  const addresses = sources.filter((s): s is Extract<FirewallSource, { type: 'address' }> => s.type === 'address');
  const v4 = addresses.filter((s) => s.family === 'ipv4');
  const v6 = addresses.filter((s) => s.family === 'ipv6');
  const groups = sources.filter((s): s is Extract<FirewallSource, { type: 'group' }> => s.type === 'group');
  if (v4.length) perm.IpRanges = v4.map((s) => ({ CidrIp: `${s.address}/${s.prefix}` }));
  if (v6.length) perm.Ipv6Ranges = v6.map((s) => ({ CidrIpv6: `${s.address}/${s.prefix}` }));
  if (groups.length) {
    perm.UserIdGroupPairs = groups.map((g) => ({
      ...(g.name.startsWith('sg-') ? { GroupId: g.name } : { GroupName: g.name }),
      ...(g.owner ? { UserId: g.owner } : {}),
    }));
  }
  return perm;
}

// ---------------------------------------------------------------------------
// Load balancers (Classic ELB)

export function toLoadBalancer(lb: LoadBalancerDescription, instances: Instance[]): LoadBalancer {
  return {
    id: lb.LoadBalancerName ?? '',
    realmIds: lb.AvailabilityZones ?? [],
    listeners: (lb.ListenerDescriptions ?? []).filter((d) => d.Listener).map((d) => ({
      id: null,
      protocol: d.Listener!.Protocol ?? '',
      loadBalancerPort: String(d.Listener!.LoadBalancerPort ?? ''),
      instancePort: String(d.Listener!.InstancePort ?? ''),
    })),
    instances,
    publicAddresses: lb.DNSName ? [lb.DNSName] : [],
    createdAt: iso(lb.CreatedTime),
  };
}

/** A registered instance EC2 could not describe (e.g. terminated long ago): id only. */
export function bareInstance(id: string): Instance {
  return { id, publicAddresses: [], privateAddresses: [], storageVolumes: [], canCreateImage: false, actions: [] };
}

// ---------------------------------------------------------------------------
// Networks (VPCs), subnets, network interfaces

export function toNetwork(vpc: Vpc, subnetIds: string[]): Network {
  const blocks = (vpc.CidrBlockAssociationSet ?? []).filter((a) => a.CidrBlockState?.State !== 'disassociated').map((a) => a.CidrBlock ?? null);
  return {
    id: vpc.VpcId ?? '',
    name: nameTag(vpc.Tags) ?? vpc.VpcId,
    state: vpc.State === 'available' ? 'UP' : vpc.State?.toUpperCase(),
    addressBlocks: blocks.length > 0 ? blocks : vpc.CidrBlock ? [vpc.CidrBlock] : [],
    subnetIds,
  };
}

export function toSubnet(s: AwsSubnet): Subnet {
  return {
    id: s.SubnetId ?? '',
    name: nameTag(s.Tags) ?? s.SubnetId,
    state: s.State === 'available' ? 'UP' : s.State?.toUpperCase(),
    addressBlock: s.CidrBlock,
    networkId: s.VpcId,
    type: s.MapPublicIpOnLaunch ? 'PUBLIC' : 'PRIVATE',
  };
}

export function toNetworkInterface(n: AwsNetworkInterface): NetworkInterface {
  return {
    id: n.NetworkInterfaceId ?? '',
    name: nameTag(n.TagSet) ?? (n.Description || n.NetworkInterfaceId),
    ipAddress: n.PrivateIpAddress,
    networkId: n.SubnetId,
    instanceId: n.Attachment?.InstanceId,
  };
}
