// EC2 XML: the response envelope, the error document, and each resource as
// an EC2 `item`, in the element order AWS documents. Also the vocabulary
// mapping (Deltacloud states → EC2 states and codes). Unknown values are left
// out rather than rendered empty: SDKs parse numbers and dates strictly.
import type {
  Address, Firewall, FirewallRule, HardwareProfile, Image, Instance, Key, Realm, StorageSnapshot, StorageVolume,
} from '../../core/model.js';
import { el, serializeXml, textEl, type XmlChild, type XmlElement } from '../deltacloud/xml.js';
import type { Placement } from './memory.js';

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** A child as actions build them: absent values (undefined, null, false) are left out. */
export type Child = XmlChild | undefined | null | false;

/** An element with text, or nothing when the value is unknown. */
export function opt(name: string, value: string | number | boolean | undefined | null): XmlElement | undefined {
  return value === undefined || value === null || value === '' ? undefined : textEl(name, value);
}

/** An element with text, empty when unknown (for elements AWS always sends). */
const always = (name: string, value: string | number | undefined | null) => textEl(name, value ?? '');

/** `<name><item>…</item>…</name>`: EC2's list shape. */
export function itemSet(name: string, items: Array<Child[]>): XmlElement {
  return el(name, {}, items.map((children) => el('item', {}, children)));
}

export function response(action: string, requestId: string, children: Child[]): string {
  return serializeXml(el(`${action}Response`, { xmlns: EC2_NAMESPACE }, [textEl('requestId', requestId), ...children]));
}

export function errorResponse(code: string, message: string, requestId: string): string {
  return serializeXml(el('Response', {}, [
    el('Errors', {}, [el('Error', {}, [textEl('Code', code), textEl('Message', message)])]),
    textEl('RequestID', requestId),
  ]));
}

/** ISO 8601 as EC2 writes it, or undefined when the driver's time cannot be read. */
export function isoTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The body of actions that answer only success. */
export const returnTrue = () => textEl('return', 'true');

// --- states -------------------------------------------------------------------

export interface InstanceState {
  code: number;
  name: string;
}

const INSTANCE_STATES: Record<string, InstanceState> = {
  PENDING: { code: 0, name: 'pending' },
  RUNNING: { code: 16, name: 'running' },
  SHUTTING_DOWN: { code: 32, name: 'shutting-down' },
  FINISH: { code: 48, name: 'terminated' },
  STOPPING: { code: 64, name: 'stopping' },
  STOPPED: { code: 80, name: 'stopped' },
};
export const TERMINATED = INSTANCE_STATES.FINISH!;
export const SHUTTING_DOWN = INSTANCE_STATES.SHUTTING_DOWN!;

/**
 * EC2 has six instance states. Others (ERROR, …) are shown as `stopped`: the
 * instance serves nothing, and `stopped` is a state clients know how to
 * leave (start or terminate).
 */
export function instanceState(state: string | undefined): InstanceState {
  return INSTANCE_STATES[(state ?? '').toUpperCase().replace('-', '_')] ?? INSTANCE_STATES.STOPPED!;
}

const lower = (s: string | undefined) => s?.toLowerCase();

export function volumeStatus(state: string | undefined): string | undefined {
  const s = lower(state);
  return s === 'pending' ? 'creating' : s;
}

export function snapshotStatus(state: string | undefined): string | undefined {
  const s = lower(state);
  return s === 'creating' ? 'pending' : s;
}

export function imageState(state: string | undefined): string | undefined {
  const s = lower(state);
  return s === 'error' ? 'failed' : s;
}

const stateEl = (name: string, s: InstanceState) => el(name, {}, [textEl('code', s.code), textEl('name', s.name)]);

// --- ids ------------------------------------------------------------------------

// Deltacloud ids are passed through as EC2 ids, except for addresses: EC2
// names one address three ways (public IP, allocation, association).
export const allocationIdOf = (a: Address) => `eipalloc-${a.id}`;
export const associationIdOf = (a: Address) => `eipassoc-${a.id}`;
/** The address id inside an allocation or association id (either prefix, or none). */
export const addressIdFrom = (ec2Id: string) => ec2Id.replace(/^eip(alloc|assoc)-/, '');

const nameTags = (name: string | undefined) => itemSet('tagSet', name ? [[textEl('key', 'Name'), textEl('value', name)]] : []);

// --- resources ------------------------------------------------------------------

export function regionItem(region: string, endpoint: string): Child[] {
  return [textEl('regionName', region), textEl('regionEndpoint', endpoint), textEl('optInStatus', 'opt-in-not-required')];
}

export function zoneItem(realm: Realm, region: string): Child[] {
  const state = realm.state === undefined || realm.state.toUpperCase() === 'AVAILABLE' ? 'available' : 'unavailable';
  return [
    textEl('zoneName', realm.id), textEl('zoneState', state), textEl('regionName', region), el('messageSet'),
    textEl('zoneId', realm.id), textEl('zoneType', 'availability-zone'),
  ];
}

/** The default value of a hardware-profile property (range/enum properties have one too). */
export function profileValue(p: HardwareProfile, name: string): string | number | undefined {
  return p.properties.find((q) => q.name === name)?.value;
}

const wholeNumber = (v: unknown) => {
  const n = Math.round(Number(v));
  return v === undefined || v === '' || !Number.isFinite(n) ? undefined : n;
};

export function instanceTypeItem(p: HardwareProfile): Child[] {
  const arch = profileValue(p, 'architecture');
  const cpu = wholeNumber(profileValue(p, 'cpu'));
  const memory = wholeNumber(profileValue(p, 'memory'));
  const storage = wholeNumber(profileValue(p, 'storage'));
  return [
    textEl('instanceType', p.id),
    arch !== undefined && el('processorInfo', {}, [itemSet('supportedArchitectures', [[String(arch)]])]),
    cpu !== undefined && el('vCpuInfo', {}, [textEl('defaultVCpus', cpu)]),
    memory !== undefined && el('memoryInfo', {}, [textEl('sizeInMiB', memory)]),
    textEl('instanceStorageSupported', storage !== undefined),
    storage !== undefined && el('instanceStorageInfo', {}, [textEl('totalSizeInGB', storage)]),
  ];
}

export function imageItem(i: Image, user: string | undefined): Child[] {
  const rootType = i.rootType === 'persistent' ? 'ebs' : i.rootType === 'transient' ? 'instance-store' : undefined;
  return [
    textEl('imageId', i.id),
    opt('imageLocation', i.ownerId && i.name ? `${i.ownerId}/${i.name}` : undefined),
    opt('imageState', imageState(i.state)),
    opt('imageOwnerId', i.ownerId),
    opt('creationDate', isoTime(i.creationTime)),
    // The model has no visibility; an image someone else owns is one this account can only use.
    textEl('isPublic', i.ownerId !== undefined && i.ownerId !== user),
    opt('architecture', i.architecture),
    textEl('imageType', 'machine'),
    opt('name', i.name),
    opt('description', i.description),
    opt('rootDeviceType', rootType),
    el('tagSet'),
  ];
}

export interface InstanceExtras {
  placement: Placement;
  /** Security group id → name (ids shown as names when the driver lists no groups). */
  groupNames: Map<string, string>;
}

function firstAddress(addresses: Instance['publicAddresses'], type: string): string | undefined {
  return addresses.find((a) => a.type === type && a.address !== '')?.address;
}

export function instanceItem(i: Instance, { placement, groupNames }: InstanceExtras): Child[] {
  return [
    textEl('instanceId', i.id),
    opt('imageId', i.imageId),
    stateEl('instanceState', instanceState(i.state)),
    always('privateDnsName', firstAddress(i.privateAddresses, 'hostname')),
    always('dnsName', firstAddress(i.publicAddresses, 'hostname')),
    el('reason', {}, ['']),
    opt('keyName', i.keyname),
    textEl('amiLaunchIndex', placement.launchIndex),
    el('productCodes'),
    opt('instanceType', i.hardwareProfileId),
    opt('launchTime', isoTime(i.launchTime)),
    el('placement', {}, [opt('availabilityZone', i.realmId), textEl('tenancy', 'default')]),
    el('monitoring', {}, [textEl('state', 'disabled')]),
    opt('privateIpAddress', firstAddress(i.privateAddresses, 'ipv4')),
    opt('ipAddress', firstAddress(i.publicAddresses, 'ipv4')),
    itemSet('groupSet', (i.firewallIds ?? []).map((id) => [textEl('groupId', id), textEl('groupName', groupNames.get(id) ?? id)])),
    itemSet('blockDeviceMapping', i.storageVolumes.map((v) => [
      opt('deviceName', v.device),
      el('ebs', {}, [textEl('volumeId', v.id), textEl('status', 'attached'), textEl('deleteOnTermination', false)]),
    ])),
    opt('clientToken', placement.clientToken),
    nameTags(i.name),
  ];
}

export function reservationChildren(reservationId: string, ownerId: string | undefined, instances: Array<Child[]>): Child[] {
  return [textEl('reservationId', reservationId), always('ownerId', ownerId), el('groupSet'), itemSet('instancesSet', instances)];
}

export function stateChangeItem(id: string, previous: InstanceState, current: InstanceState): Child[] {
  return [stateEl('currentState', current), textEl('instanceId', id), stateEl('previousState', previous)];
}

export function keyPairItem(k: Key): Child[] {
  return [textEl('keyPairId', k.id), textEl('keyName', k.name ?? k.id), opt('keyFingerprint', k.fingerprint), el('tagSet')];
}

export const volumeSize = (v: StorageVolume) => wholeNumber(v.capacity);

export function attachmentChildren(v: StorageVolume, status: string): Child[] {
  return [textEl('volumeId', v.id), opt('instanceId', v.instanceId), opt('device', v.device), textEl('status', status)];
}

export function volumeItem(v: StorageVolume): Child[] {
  return [
    textEl('volumeId', v.id),
    opt('size', volumeSize(v)),
    el('snapshotId', {}, ['']),
    opt('availabilityZone', v.realmId),
    opt('status', volumeStatus(v.state)),
    opt('createTime', isoTime(v.created)),
    itemSet('attachmentSet', v.instanceId === undefined ? [] : [[...attachmentChildren(v, 'attached'), textEl('deleteOnTermination', false)]]),
    nameTags(v.name),
    textEl('volumeType', 'standard'),
    textEl('encrypted', false),
  ];
}

export function snapshotItem(s: StorageSnapshot, volumeSize?: number): Child[] {
  const status = snapshotStatus(s.state);
  return [
    textEl('snapshotId', s.id),
    opt('volumeId', s.volumeId),
    opt('status', status),
    opt('startTime', isoTime(s.created)),
    opt('progress', status === 'completed' ? '100%' : undefined),
    opt('volumeSize', volumeSize),
    opt('description', s.description),
    textEl('encrypted', false),
    nameTags(s.name),
  ];
}

export function addressItem(a: Address): Child[] {
  const associated = a.instanceId !== undefined;
  return [
    textEl('publicIp', a.id),
    textEl('allocationId', allocationIdOf(a)),
    textEl('domain', 'vpc'),
    opt('instanceId', a.instanceId),
    associated && textEl('associationId', associationIdOf(a)),
  ];
}

/** Deltacloud says `all` where EC2 says `-1`. */
export const ec2Protocol = (protocol: string | undefined) => (protocol === undefined || protocol === 'all' ? '-1' : protocol);

const port = (value: string | undefined) => (value !== undefined && /^-?\d+$/.test(value) ? Number(value) : undefined);

/** EC2 shows one permission per protocol and port range, with all its sources; Deltacloud may split them over rules. */
function permissionItems(rules: FirewallRule[], groupIds: Map<string, string>): Array<Child[]> {
  const merged = new Map<string, { rule: FirewallRule; sources: FirewallRule['sources'] }>();
  for (const rule of rules) {
    const key = [rule.protocol, rule.portFrom, rule.portTo].join('\n');
    const entry = merged.get(key) ?? { rule, sources: [] };
    entry.sources.push(...rule.sources);
    merged.set(key, entry);
  }
  return [...merged.values()].map(({ rule, sources }) => {
    const groups = sources.flatMap((s) => (s.type === 'group' ? [s] : []));
    const addresses = sources.flatMap((s) => (s.type === 'address' ? [s] : []));
    return [
      textEl('ipProtocol', ec2Protocol(rule.protocol)),
      opt('fromPort', port(rule.portFrom)),
      opt('toPort', port(rule.portTo)),
      itemSet('groups', groups.map((g) => [textEl('userId', g.owner), opt('groupId', groupIds.get(g.name)), textEl('groupName', g.name)])),
      itemSet('ipRanges', addresses.filter((a) => a.family === 'ipv4').map((a) => [textEl('cidrIp', `${a.address}/${a.prefix}`)])),
      itemSet('ipv6Ranges', addresses.filter((a) => a.family === 'ipv6').map((a) => [textEl('cidrIpv6', `${a.address}/${a.prefix}`)])),
      el('prefixListIds'),
    ];
  });
}

/** `groupIds`: group name → id, for the groups rules refer to by name. */
export function securityGroupItem(f: Firewall, groupIds: Map<string, string>): Child[] {
  const egress = (r: FirewallRule) => r.direction === 'egress';
  return [
    always('ownerId', f.ownerId),
    textEl('groupId', f.id),
    textEl('groupName', f.name ?? f.id),
    always('groupDescription', f.description),
    itemSet('ipPermissions', permissionItems(f.rules.filter((r) => !egress(r)), groupIds)),
    itemSet('ipPermissionsEgress', permissionItems(f.rules.filter(egress), groupIds)),
    el('tagSet'),
  ];
}
