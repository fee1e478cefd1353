// Nova (compute v2.1): availability zones as realms, flavors as hardware
// profiles, servers as instances, keypairs as keys, server snapshots as images
// and volume attachments.
import type { Filter, InstanceCreate } from '../../core/driver.js';
import { NotFound, ValidationFailure } from '../../core/errors.js';
import type { HardwareProfile, Image, Instance, InstanceAddress, Key, Realm } from '../../core/model.js';
import { instanceState } from './declaration.js';
import { allFlavors, type Flavor } from './flavors.js';
import { image as glanceImage } from './image.js';
import { securityGroupIdsByName } from './network.js';
import { asList, headersOf, type Session } from './session.js';

const enc = encodeURIComponent;

// ---------------------------------------------------------------- realms

interface ZoneInfo {
  zoneName: string;
  zoneState?: { available?: boolean };
}

/** The realm of clouds whose Nova does not list availability zones. */
const DEFAULT_REALM: Realm = { id: 'default', name: 'default', state: 'AVAILABLE' };

export async function realms(s: Session, filter: Filter): Promise<Realm[]> {
  const body = await s.json<{ availabilityZoneInfo?: ZoneInfo[] }>('compute', 'GET', '/os-availability-zone', { accept: [403, 404] });
  const zones = body?.availabilityZoneInfo;
  const all: Realm[] = zones && zones.length > 0
    ? zones.map((z) => ({ id: z.zoneName, name: z.zoneName, state: z.zoneState?.available === false ? 'UNAVAILABLE' : 'AVAILABLE' }))
    : [DEFAULT_REALM];
  return all;
}

/** Nova's zone for a realm id (`default` means "let Nova choose"). */
function zoneOf(realmId: string | undefined): string | undefined {
  return realmId === undefined || realmId === DEFAULT_REALM.id ? undefined : realmId;
}

// ---------------------------------------------------------------- flavors

function profileOf(f: Flavor): HardwareProfile {
  const properties: HardwareProfile['properties'] = [];
  if (f.vcpus !== undefined) properties.push({ name: 'cpu', kind: 'fixed', value: f.vcpus });
  if (f.ram !== undefined) properties.push({ name: 'memory', kind: 'fixed', value: f.ram });
  if (f.disk !== undefined) properties.push({ name: 'storage', kind: 'fixed', value: f.disk });
  return { id: String(f.id), name: f.name ?? String(f.id), properties };
}

export async function hardwareProfiles(s: Session, filter: Filter): Promise<HardwareProfile[]> {
  if (filter.id !== undefined) return asList(await hardwareProfile(s, filter.id));
  const profiles = (await allFlavors(s)).map(profileOf);
  return profiles;
}

export async function hardwareProfile(s: Session, id: string): Promise<HardwareProfile | undefined> {
  const body = await s.getOrUndefined<{ flavor: Flavor }>('compute', `/flavors/${enc(id)}`);
  return body?.flavor ? profileOf(body.flavor) : undefined;
}

// ---------------------------------------------------------------- servers

interface NovaAddress {
  addr: string;
  version?: number;
  'OS-EXT-IPS:type'?: string;
}

export interface Server {
  id: string | number;
  name?: string;
  status?: string;
  tenant_id?: string;
  user_id?: string;
  image?: { id?: string } | string;
  flavor?: { id?: string | number; original_name?: string };
  addresses?: Record<string, NovaAddress[]>;
  accessIPv4?: string;
  accessIPv6?: string;
  key_name?: string | null;
  created?: string;
  security_groups?: Array<{ name: string }>;
  'OS-EXT-STS:task_state'?: string | null;
  'OS-EXT-AZ:availability_zone'?: string;
  'OS-SRV-USG:launched_at'?: string | null;
  'os-extended-volumes:volumes_attached'?: Array<{ id: string }>;
}

function addressesOf(server: Server): { publicAddresses: InstanceAddress[]; privateAddresses: InstanceAddress[] } {
  const publicAddresses: InstanceAddress[] = [];
  const privateAddresses: InstanceAddress[] = [];
  const seen = new Set<string>();
  const add = (list: InstanceAddress[], addr: string, version?: number) => {
    if (!addr || seen.has(addr)) return;
    seen.add(addr);
    list.push({ address: addr, type: version === 6 || addr.includes(':') ? 'ipv6' : 'ipv4' });
  };
  for (const [network, list] of Object.entries(server.addresses ?? {})) {
    for (const a of list ?? []) {
      const kind = a['OS-EXT-IPS:type'];
      // Neutron tags floating (public) and fixed (private) addresses; older clouds name their networks public/private.
      const isPublic = kind ? kind === 'floating' : network === 'public';
      add(isPublic ? publicAddresses : privateAddresses, a.addr, a.version);
    }
  }
  if (server.accessIPv4) add(publicAddresses, server.accessIPv4, 4);
  if (server.accessIPv6) add(publicAddresses, server.accessIPv6, 6);
  return { publicAddresses, privateAddresses };
}

export async function instanceOf(s: Session, server: Server): Promise<Instance> {
  const state = instanceState(server.status, server['OS-EXT-STS:task_state']);
  const imageId = typeof server.image === 'object' && server.image?.id ? String(server.image.id) : undefined;
  const flavor = server.flavor;
  const groups = (server.security_groups ?? []).map((g) => g.name);
  let firewallIds: string[] | undefined;
  if (groups.length > 0 && s.has('network')) {
    const byName = await securityGroupIdsByName(s);
    firewallIds = [...new Set(groups.flatMap((n) => byName.get(n) ?? [n]))];
  }
  return {
    id: String(server.id),
    name: server.name,
    ownerId: server.tenant_id,
    imageId,
    realmId: server['OS-EXT-AZ:availability_zone'] || undefined,
    state,
    hardwareProfileId: flavor?.id !== undefined ? String(flavor.id) : flavor?.original_name,
    launchTime: server['OS-SRV-USG:launched_at'] ?? server.created,
    ...addressesOf(server),
    firewallIds,
    storageVolumes: (server['os-extended-volumes:volumes_attached'] ?? []).map((v) => ({ id: v.id })),
    keyname: server.key_name ?? undefined,
    canCreateImage: state === 'RUNNING' || state === 'STOPPED',
  };
}

export async function instances(s: Session, filter: Filter): Promise<Instance[]> {
  let servers: Server[];
  if (filter.id !== undefined) {
    const one = await server(s, filter.id);
    servers = one ? [one] : [];
  } else {
    servers = await s.listAll<Server>('compute', '/servers/detail', 'servers');
  }
  return Promise.all(servers.map((x) => instanceOf(s, x)));
}

async function server(s: Session, id: string): Promise<Server | undefined> {
  return (await s.getOrUndefined<{ server: Server }>('compute', `/servers/${enc(id)}`))?.server;
}

export async function instance(s: Session, id: string): Promise<Instance | undefined> {
  const found = await server(s, id);
  return found ? instanceOf(s, found) : undefined;
}

async function requireServer(s: Session, id: string): Promise<Server> {
  const found = await server(s, id);
  if (!found) throw new NotFound(`Instance '${id}' not found`);
  return found;
}

/** The smallest flavor (memory, then cpus, then disk): the profile when the client chose none. */
async function defaultFlavor(s: Session): Promise<string> {
  if (s.options.defaultFlavor) return s.options.defaultFlavor;
  const flavors = await allFlavors(s);
  if (flavors.length === 0) throw new ValidationFailure('This cloud offers no flavors; pass hwp_id');
  flavors.sort((a, b) => (a.ram ?? 0) - (b.ram ?? 0) || (a.vcpus ?? 0) - (b.vcpus ?? 0) || (a.disk ?? 0) - (b.disk ?? 0));
  return String(flavors[0]!.id);
}

export async function createInstance(s: Session, req: InstanceCreate): Promise<Instance[]> {
  let flavorRef = req.hardwareProfileId;
  if (flavorRef !== undefined) {
    if (!(await hardwareProfile(s, flavorRef))) throw new ValidationFailure(`Hardware profile '${flavorRef}' does not exists.`);
  } else {
    flavorRef = await defaultFlavor(s);
  }
  const count = req.instanceCount ?? 1;
  const server: Record<string, unknown> = {
    name: req.name || `deltacloud-${Date.now().toString(36)}`,
    imageRef: req.imageId,
    flavorRef,
  };
  if (req.keyname) server.key_name = req.keyname;
  if (req.userData) server.user_data = req.userData.toString('base64');
  if (req.password) server.adminPass = req.password;
  if (req.firewallIds.length > 0) server.security_groups = req.firewallIds.map((name) => ({ name }));
  const zone = zoneOf(req.realmId);
  if (zone) server.availability_zone = zone;
  if (count > 1) {
    server.min_count = count;
    server.max_count = count;
    server.return_reservation_id = true;
  }
  // From microversion 2.37 on, Nova wants to be told how to pick networks; base 2.1 picks by itself.
  const legacyServer = { ...server };
  if (s.options.computeMicroversion && Number(s.options.computeMicroversion.split('.')[1]) >= 37) server.networks = 'auto';
  const body = await s.json<{ server?: { id: string | number; adminPass?: string }; reservation_id?: string }>('compute', 'POST', '/servers', {
    json: { server }, legacyJson: { server: legacyServer },
  });
  if (body?.reservation_id) {
    const created = await s.listAll<Server>('compute', '/servers/detail', 'servers', { query: { reservation_id: body.reservation_id } });
    if (created.length > 0) return Promise.all(created.map((x) => instanceOf(s, x)));
  }
  if (!body?.server?.id) throw new ValidationFailure('Nova did not say which server it created');
  const id = String(body.server.id);
  const made = await instance(s, id);
  const result: Instance = made ?? {
    id, name: String(server.name), state: 'PENDING', publicAddresses: [], privateAddresses: [], storageVolumes: [], canCreateImage: false,
  };
  if (body.server.adminPass) {
    result.password = body.server.adminPass;
    result.username = 'root';
  }
  return [result];
}

async function serverAction(s: Session, id: string, action: Record<string, unknown>): Promise<Instance> {
  await s.exec('compute', 'POST', `/servers/${enc(id)}/action`, { json: action });
  return (await instance(s, id)) ?? { id, state: 'FINISH', publicAddresses: [], privateAddresses: [], storageVolumes: [], canCreateImage: false };
}

/** Start whatever keeps the server from running: power on, resume, unpause or unshelve. */
export async function startInstance(s: Session, id: string): Promise<Instance> {
  const status = (await requireServer(s, id)).status?.toUpperCase();
  const action = status === 'SUSPENDED' ? { resume: null }
    : status === 'PAUSED' ? { unpause: null }
      : status === 'SHELVED' || status === 'SHELVED_OFFLOADED' ? { unshelve: null }
        : { 'os-start': null };
  return serverAction(s, id, action);
}

export function stopInstance(s: Session, id: string): Promise<Instance> {
  return serverAction(s, id, { 'os-stop': null });
}

export function rebootInstance(s: Session, id: string): Promise<Instance> {
  return serverAction(s, id, { reboot: { type: 'SOFT' } });
}

export async function destroyInstance(s: Session, id: string): Promise<void> {
  await s.exec('compute', 'DELETE', `/servers/${enc(id)}`);
}

/** Nova createImage: the new image id comes in the body (2.45+) or the Location header (older). */
export async function createImage(s: Session, args: { instanceId: string; name?: string; description?: string }): Promise<Image> {
  const found = await requireServer(s, args.instanceId);
  const name = args.name || `${found.name ?? args.instanceId}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const createImage: Record<string, unknown> = { name };
  if (args.description) createImage.metadata = { description: args.description };
  const res = await s.request('compute', 'POST', `/servers/${enc(args.instanceId)}/action`, { json: { createImage } });
  const text = await res.body.text();
  let imageId: string | undefined;
  try {
    imageId = (JSON.parse(text) as { image_id?: string }).image_id;
  } catch {
    // pre-2.45: no body
  }
  imageId ??= headersOf(res).get('location')?.split('/').filter(Boolean).pop();
  if (!imageId) throw new ValidationFailure('Nova did not say which image it is creating');
  const made = s.has('image') ? await glanceImage(s, imageId) : undefined;
  return made ?? { id: imageId, name, description: args.description, state: 'PENDING', ownerId: s.projectId };
}

// ---------------------------------------------------------------- keypairs

interface Keypair {
  name: string;
  fingerprint?: string;
  public_key?: string;
  private_key?: string;
}

function keyOf(k: Keypair): Key {
  return { id: k.name, name: k.name, credentialType: 'key', fingerprint: k.fingerprint, pem: k.private_key };
}

export async function keys(s: Session, filter: Filter): Promise<Key[]> {
  if (filter.id !== undefined) return asList(await key(s, filter.id));
  const wrapped = await s.listAll<{ keypair: Keypair }>('compute', '/os-keypairs', 'keypairs', {});
  return wrapped.map((w) => keyOf(w.keypair));
}

export async function key(s: Session, id: string): Promise<Key | undefined> {
  const body = await s.getOrUndefined<{ keypair: Keypair }>('compute', `/os-keypairs/${enc(id)}`);
  return body?.keypair ? keyOf(body.keypair) : undefined;
}

export async function createKey(s: Session, args: { name: string; publicKey?: string }): Promise<Key> {
  const keypair: Record<string, string> = { name: args.name };
  if (args.publicKey) keypair.public_key = args.publicKey.trim();
  const body = await s.json<{ keypair: Keypair }>('compute', 'POST', '/os-keypairs', { json: { keypair } });
  if (!body?.keypair) throw new ValidationFailure('Nova did not return the key pair');
  return keyOf(body.keypair);
}

export async function destroyKey(s: Session, id: string): Promise<void> {
  await s.exec('compute', 'DELETE', `/os-keypairs/${enc(id)}`);
}

// ---------------------------------------------------------------- volume attachments

export async function attachVolume(s: Session, volumeId: string, instanceId: string, device: string): Promise<void> {
  const volumeAttachment: Record<string, string> = { volumeId };
  if (device) volumeAttachment.device = device;
  await s.exec('compute', 'POST', `/servers/${enc(instanceId)}/os-volume_attachments`, { json: { volumeAttachment } });
}

export async function detachVolume(s: Session, volumeId: string, instanceId: string): Promise<void> {
  await s.exec('compute', 'DELETE', `/servers/${enc(instanceId)}/os-volume_attachments/${enc(volumeId)}`);
}

export async function attachPort(s: Session, instanceId: string, portId: string): Promise<void> {
  await s.exec('compute', 'POST', `/servers/${enc(instanceId)}/os-interface`, { json: { interfaceAttachment: { port_id: portId } } });
}
