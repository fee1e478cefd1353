// The linode Driver: translation only, between the core model and Linode's
// API v4 (https://techdocs.akamai.com/linode-api/reference/api). HTTP, paging,
// errors and provider choice are the shared REST client's.
//   regions → realms, types → hardware profiles, images → images, Linodes →
//   instances, profile SSH keys → keys, volumes → storage volumes, Object
//   Storage → buckets and blobs (shared/s3/provider-buckets.ts); addresses,
//   firewalls, load balancers and metrics in network.ts.
import { randomBytes } from 'node:crypto';
import type { Driver, InstanceCreate } from '../../core/driver.js';
import { NotFound, NotSupported, ValidationFailure } from '../../core/errors.js';
import type { HardwareProfile, Image, Instance, InstanceAddress, Key, Realm, StorageVolume } from '../../core/model.js';
import { pageNumberPaging, type Paging, type RestCalls } from '../shared/rest/client.js';
import { checkListed, listedOrFirst, providerName, type NameRule } from '../shared/rest/create.js';
import { RestClients, restDeclaration, type RestDriverOptions } from '../shared/rest/provider.js';
import { S3Store } from '../shared/s3/client.js';
import { collectionsWithStore, providerBucketOperations } from '../shared/s3/provider-buckets.js';
import { apiToken } from '../shared/s3/provider-options.js';
import { parseObjectStorageOptions } from './object-storage-options.js';
import { LINODE_API, LINODE_DECLARATION, linodeState } from './declaration.js';
import { linodeNetworkOps } from './network.js';

/** The message of a Linode error body: `{"errors": [{"field": "…", "reason": "…"}]}` (every reason, with its field). */
export function linodeErrorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('errors' in body) || !Array.isArray(body.errors)) return undefined;
  const reasons = body.errors.flatMap((e: unknown) => {
    if (typeof e !== 'object' || e === null || !('reason' in e) || typeof e.reason !== 'string') return [];
    return ['field' in e && typeof e.field === 'string' ? `${e.reason} (${e.field})` : e.reason];
  });
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

interface Page<T> { data?: T[]; page?: number; pages?: number }

export const isWholeNumber = (id: string) => /^[1-9]\d{0,15}$/.test(id);

/** Linode's page-number paging, `pageSize` items a page; a member already listed (moved between pages meanwhile) is listed once. */
export function linodePaging<T>(pageSize: number, idOf: (item: T) => string): Paging<T, Page<T>> {
  return { ...pageNumberPaging<T, Page<T>>((b) => b.data ?? [], (b) => b.pages, 'page', { page_size: pageSize }), idOf };
}

// ---------------------------------------------------------------- shapes

interface LinodeRegion { id: string; label?: string; status?: string }
interface LinodeType { id: string; label?: string; vcpus: number; memory: number; disk: number; price?: { hourly?: number | null; monthly?: number | null } }
interface LinodeImage { id: string; label?: string; description?: string | null; created?: string; created_by?: string; is_public?: boolean; status?: string; vendor?: string | null }
export interface Linode { id: number; label?: string; status?: string; created?: string; image?: string | null; region?: string; type?: string | null; ipv4?: string[]; ipv6?: string | null }
interface SshKey { id: number; label?: string; ssh_key?: string }
interface Volume { id: number; label?: string; size?: number; region?: string; linode_id?: number | null; status?: string; created?: string; filesystem_path?: string }
interface Disk { id: number; filesystem?: string }

// ---------------------------------------------------------------- mappings

function realmOf(r: LinodeRegion): Realm {
  return { id: r.id, name: r.label ?? r.id, state: r.status === 'ok' || r.status === undefined ? 'AVAILABLE' : 'UNAVAILABLE' };
}

function profileOf(t: LinodeType): HardwareProfile {
  const properties: HardwareProfile['properties'] = [
    { name: 'cpu', kind: 'fixed', value: t.vcpus },
    { name: 'memory', kind: 'fixed', value: t.memory },
    // Linode gives disk in MB; profiles carry GB.
    { name: 'storage', kind: 'fixed', value: Math.round(t.disk / 1024) },
  ];
  if (typeof t.price?.hourly === 'number') properties.push({ name: 'price_hourly', kind: 'fixed', value: t.price.hourly });
  if (typeof t.price?.monthly === 'number') properties.push({ name: 'price_monthly', kind: 'fixed', value: t.price.monthly });
  return { id: t.id, name: t.label ?? t.id, properties };
}

function imageOf(i: LinodeImage): Image {
  return {
    id: i.id,
    name: i.label,
    description: i.description || [i.vendor, i.label].filter(Boolean).join(' ') || undefined,
    // `created_by` is "linode" for public images, else the user name that made it.
    ownerId: i.created_by ?? (i.is_public ? 'linode' : undefined),
    architecture: 'x86_64',
    state: i.status === 'available' ? 'AVAILABLE' : (i.status ?? 'available').toUpperCase(),
    creationTime: i.created,
    rootType: 'persistent',
  };
}

const PRIVATE_V4 = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/;

export function instanceOf(l: Linode, extra: Partial<Instance> = {}): Instance {
  const publicAddresses: InstanceAddress[] = [];
  const privateAddresses: InstanceAddress[] = [];
  for (const ip of l.ipv4 ?? []) (PRIVATE_V4.test(ip) ? privateAddresses : publicAddresses).push({ address: ip, type: 'ipv4' });
  if (l.ipv6) publicAddresses.push({ address: l.ipv6.split('/')[0]!, type: 'ipv6' });
  return {
    id: String(l.id),
    name: l.label,
    imageId: l.image ?? undefined,
    realmId: l.region,
    state: linodeState(l.status),
    hardwareProfileId: l.type ?? undefined,
    launchTime: l.created,
    publicAddresses,
    privateAddresses,
    storageVolumes: [],
    username: 'root',
    canCreateImage: true,
    ...extra,
  };
}

function keyOf(k: SshKey): Key {
  return { id: String(k.id), name: k.label, credentialType: 'key', state: 'AVAILABLE' };
}

function volumeOf(v: Volume): StorageVolume {
  const attached = typeof v.linode_id === 'number';
  return {
    id: String(v.id),
    name: v.label,
    created: v.created,
    capacity: v.size,
    realmId: v.region,
    state: attached ? 'IN-USE' : v.status === 'active' || v.status === undefined ? 'AVAILABLE' : v.status.toUpperCase(),
    instanceId: attached ? String(v.linode_id) : undefined,
    device: attached ? v.filesystem_path : undefined,
    actions: attached ? ['detach'] : ['attach', 'destroy'],
  };
}

/** Linode labels: a letter first, then letters, digits, '-', '_' and '.' (no doubles of those), 3–64 characters. */
function labelOf(name: string | undefined, what: string, max: number): string {
  return providerName(name, {
    pattern: /^[a-zA-Z](?:(?!--|__|\.\.)[a-zA-Z0-9._-])+$/, max,
    message: `Linode ${what} labels start with a letter and hold only letters, digits, '-', '_' and '.' (at most ${max})`,
  } satisfies NameRule);
}

// ---------------------------------------------------------------- the driver

export interface LinodeDriver extends Driver {
  readonly clients: RestClients;
}

export function createLinodeDriver(options: RestDriverOptions, raw: Record<string, unknown> = {}): LinodeDriver {
  // The token is the Basic password up to its first ':'; Object Storage keys follow it.
  const clients = new RestClients(options, { service: 'Linode', errorMessage: linodeErrorMessage }, apiToken);
  const objectStorage = parseObjectStorageOptions(raw, options, LINODE_API.name);
  const s3 = new S3Store();
  const api = clients.forRequest.bind(clients);
  const list = <T extends { id: string | number }>(calls: RestCalls, path: string): Promise<T[]> =>
    calls.all<T, Page<T>>(path, linodePaging<T>(options.pageSize, (item) => String(item.id)));

  async function linode(calls: RestCalls, id: string): Promise<Linode | undefined> {
    return isWholeNumber(id) ? calls.find<Linode>(`/v4/linode/instances/${id}`) : undefined;
  }

  /** A power action; the Linode as it is now, in the transitional state the action starts. */
  async function powerAction(calls: RestCalls, id: string, action: 'boot' | 'shutdown' | 'reboot', transitional: string): Promise<Instance> {
    if (!isWholeNumber(id)) throw new NotFound(`No Linode ${id}`);
    // No body: shutdown takes none, boot and reboot default to the Linode's last configuration.
    await calls.send('POST', `/v4/linode/instances/${id}/${action}`);
    const now = await linode(calls, id);
    if (!now) throw new NotFound(`No Linode ${id}`);
    return instanceOf(now, { state: transitional });
  }

  /** The ids of a listing (types, regions). */
  const ids = (calls: RestCalls, path: string) => async () => (await list<{ id: string }>(calls, path)).map((item) => item.id);

  return {
    declaration: restDeclaration(LINODE_DECLARATION, options),
    clients,

    verify_credentials: async (ctx) => {
      await api(ctx).get('/v4/profile');
    },
    // Buckets only where the provider has an Object Storage endpoint.
    supported_collections: async (ctx) => collectionsWithStore(objectStorage.endpoints.has(clients.provider(ctx))),

    realms: async (ctx) => (await list<LinodeRegion>(api(ctx), '/v4/regions')).map(realmOf),
    hardware_profiles: async (ctx) => (await list<LinodeType>(api(ctx), '/v4/linode/types')).map(profileOf),

    // Images: no show method; a show is the listing filtered by id (public and the account's images are all in it).
    images: async (ctx) => (await list<LinodeImage>(api(ctx), '/v4/images')).map(imageOf),
    create_image: async (ctx, { instanceId, name, description }) => {
      const calls = api(ctx);
      if (!isWholeNumber(instanceId)) throw new NotFound(`No Linode ${instanceId}`);
      // An image is made from one disk: the Linode's first one that is not swap.
      const disks = await list<Disk>(calls, `/v4/linode/instances/${instanceId}/disks`);
      const disk = disks.find((d) => d.filesystem !== 'swap') ?? disks[0];
      if (!disk) throw new ValidationFailure(`Linode ${instanceId} has no disk to make an image of`);
      const image = await calls.send<LinodeImage>('POST', '/v4/images', {
        disk_id: disk.id,
        ...(name ? { label: name } : {}),
        ...(description ? { description } : {}),
      });
      if (!image) throw new ValidationFailure('Linode made no image');
      return imageOf(image);
    },
    destroy_image: async (ctx, id) => {
      // Image ids are `private/<n>` (the account's) or `linode/<name>` (public, not deletable).
      if (!/^private\/\d+$/.test(id)) throw new NotFound(`No private image ${id}`);
      // A path parameter, so its '/' is percent-encoded (OpenAPI's simple style).
      await api(ctx).send('DELETE', `/v4/images/${encodeURIComponent(id)}`);
    },

    instances: async (ctx) => (await list<Linode>(api(ctx), '/v4/linode/instances')).map((l) => instanceOf(l)),
    instance: async (ctx, id) => {
      const l = await linode(api(ctx), id);
      return l ? instanceOf(l) : undefined;
    },
    create_instance: async (ctx, create: InstanceCreate) => {
      const calls = api(ctx);
      if ((create.instanceCount ?? 1) !== 1) throw new NotSupported('Create Linodes one at a time');
      if (!create.realmId) throw new ValidationFailure('Linodes need a realm_id (region)');
      const type = await listedOrFirst('Linode', 'hardware profile', create.hardwareProfileId, ids(calls, '/v4/linode/types'));
      await checkListed('Linode', 'realm', create.realmId, ids(calls, '/v4/regions'));
      // A Linode joins at most one Cloud Firewall when it is made.
      if (create.firewallIds.length > 1) throw new ValidationFailure('A Linode is created in at most one firewall');
      const firewallId = create.firewallIds[0];
      if (firewallId !== undefined && !isWholeNumber(firewallId)) throw new ValidationFailure(`Unknown firewall '${firewallId}'`);
      let authorizedKeys: string[] | undefined;
      if (create.keyname !== undefined) {
        const key = isWholeNumber(create.keyname) ? await calls.find<SshKey>(`/v4/profile/sshkeys/${create.keyname}`) : undefined;
        if (!key?.ssh_key) throw new ValidationFailure(`Unknown key '${create.keyname}'`);
        authorizedKeys = [key.ssh_key];
      }
      // Linode deploys an image only with a root password: the client's, else a random one handed back once.
      const rootPass = create.password ?? randomBytes(24).toString('base64url');
      const created = await calls.send<Linode>('POST', '/v4/linode/instances', {
        region: create.realmId,
        type,
        image: create.imageId,
        label: labelOf(create.name, 'Linode', 64),
        root_pass: rootPass,
        ...(authorizedKeys ? { authorized_keys: authorizedKeys } : {}),
        ...(firewallId ? { firewall_id: Number(firewallId) } : {}),
        ...(create.userData ? { metadata: { user_data: create.userData.toString('base64') } } : {}),
      });
      if (!created) throw new ValidationFailure('Linode created no Linode');
      return [instanceOf(created, create.password === undefined ? { password: rootPass } : {})];
    },
    start_instance: (ctx, id) => powerAction(api(ctx), id, 'boot', 'PENDING'),
    stop_instance: (ctx, id) => powerAction(api(ctx), id, 'shutdown', 'STOPPING'),
    reboot_instance: (ctx, id) => powerAction(api(ctx), id, 'reboot', 'RUNNING'),
    destroy_instance: async (ctx, id) => {
      if (!isWholeNumber(id)) throw new NotFound(`No Linode ${id}`);
      await api(ctx).send('DELETE', `/v4/linode/instances/${id}`);
    },

    keys: async (ctx) => (await list<SshKey>(api(ctx), '/v4/profile/sshkeys')).map(keyOf),
    key: async (ctx, id) => {
      if (!isWholeNumber(id)) return undefined;
      const k = await api(ctx).find<SshKey>(`/v4/profile/sshkeys/${id}`);
      return k ? keyOf(k) : undefined;
    },
    create_key: async (ctx, { name, publicKey }) => {
      if (!publicKey) throw new NotSupported('Linode cannot generate key pairs: import a public key (public_key)');
      const k = await api(ctx).send<SshKey>('POST', '/v4/profile/sshkeys', { label: name, ssh_key: publicKey });
      if (!k) throw new ValidationFailure('Linode imported no key');
      return keyOf(k);
    },
    destroy_key: async (ctx, id) => {
      if (!isWholeNumber(id)) throw new NotFound(`No key ${id}`);
      await api(ctx).send('DELETE', `/v4/profile/sshkeys/${id}`);
    },

    storage_volumes: async (ctx) => (await list<Volume>(api(ctx), '/v4/volumes')).map(volumeOf),
    storage_volume: async (ctx, id) => {
      if (!isWholeNumber(id)) return undefined;
      const v = await api(ctx).find<Volume>(`/v4/volumes/${id}`);
      return v ? volumeOf(v) : undefined;
    },
    create_storage_volume: async (ctx, { capacity, realmId, snapshotId, name }) => {
      if (snapshotId) throw new NotSupported('Linode volumes are not made from snapshots');
      const calls = api(ctx);
      const size = Number(capacity ?? 20);
      if (!Number.isInteger(size) || size < 1) throw new ValidationFailure('capacity must be a whole number of gigabytes');
      if (!realmId) throw new ValidationFailure('Linode volumes need a realm_id (region)');
      await checkListed('Linode', 'realm', realmId, ids(calls, '/v4/regions'));
      const v = await calls.send<Volume>('POST', '/v4/volumes', { label: labelOf(name, 'volume', 32), size, region: realmId });
      if (!v) throw new ValidationFailure('Linode created no volume');
      return volumeOf(v);
    },
    destroy_storage_volume: async (ctx, id) => {
      if (!isWholeNumber(id)) throw new NotFound(`No volume ${id}`);
      await api(ctx).send('DELETE', `/v4/volumes/${id}`);
    },
    attach_storage_volume: async (ctx, { id, instanceId }) => {
      if (!isWholeNumber(id)) throw new NotFound(`No volume ${id}`);
      if (!isWholeNumber(instanceId)) throw new NotFound(`No Linode ${instanceId}`);
      const v = await api(ctx).send<Volume>('POST', `/v4/volumes/${id}/attach`, { linode_id: Number(instanceId) });
      if (!v) throw new NotFound(`No volume ${id}`);
      return { ...volumeOf(v), state: 'ATTACHING' };
    },
    detach_storage_volume: async (ctx, { id }) => {
      if (!isWholeNumber(id)) throw new NotFound(`No volume ${id}`);
      const calls = api(ctx);
      await calls.send('POST', `/v4/volumes/${id}/detach`);
      const v = await calls.find<Volume>(`/v4/volumes/${id}`);
      if (!v) throw new NotFound(`No volume ${id}`);
      return { ...volumeOf(v), state: 'DETACHING' };
    },

    ...linodeNetworkOps(api, list, options.pageSize),

    ...providerBucketOperations({
      name: 'Object Storage',
      optionPath: 'drivers.linode.objectStorage',
      endpoints: objectStorage.endpoints,
      locationOf: (endpoint) => endpoint.cluster,
      store: s3,
      providerOf: (ctx) => clients.provider(ctx),
    }),

    close: async () => {
      s3.close();
      await clients.close();
    },
  };
}
