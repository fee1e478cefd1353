// The digitalocean Driver: translation only, between the core model and
// DigitalOcean's API v2 (https://docs.digitalocean.com/reference/api/). HTTP,
// paging, errors and provider choice are the shared REST client's.
//   regions → realms, sizes → hardware profiles, images (distributions,
//   snapshots, custom) → images, droplets → instances, SSH keys → keys,
//   volumes → storage volumes, volume snapshots → storage snapshots,
//   reserved IPs → addresses, cloud firewalls → firewalls (firewalls.ts),
//   load balancers (load-balancers.ts), monitoring → metrics (metrics.ts),
//   Spaces → buckets and blobs (spaces.ts).
import { isIPv4 } from 'node:net';
import type { Driver, InstanceCreate } from '../../core/driver.js';
import { NotFound, NotSupported, ValidationFailure } from '../../core/errors.js';
import type { HardwareProfile, Image, Instance, InstanceAddress, Key, Realm, StorageSnapshot, StorageVolume, Address } from '../../core/model.js';
import type { RestCalls } from '../shared/rest/client.js';
import { checkListed, listedOrFirst, providerName, type NameRule } from '../shared/rest/create.js';
import { RestClients, restDeclaration, type RestDriverOptions } from '../shared/rest/provider.js';
import { S3Store } from '../shared/s3/client.js';
import { collectionsWithStore } from '../shared/s3/provider-buckets.js';
import { DIGITALOCEAN_API, DIGITALOCEAN_DECLARATION, dropletState } from './declaration.js';
import { spacesOperations } from './spaces.js';
import { apiToken, parseSpacesOptions } from './spaces-options.js';

import { digitaloceanErrorMessage, enc, isUuid, isWholeNumber, listAll, slugsOf, type Identified } from './api.js';
import { firewallOperations } from './firewalls.js';
import { loadBalancerOperations } from './load-balancers.js';
import { metricOperations } from './metrics.js';

export { digitaloceanErrorMessage };

// ---------------------------------------------------------------- shapes

interface Region { slug: string; name?: string; available?: boolean; sizes?: string[] }
interface Size { slug: string; memory: number; vcpus: number; disk: number; price_monthly?: number; price_hourly?: number; available?: boolean; regions?: string[]; description?: string }
interface DoImage { id: number; name?: string; distribution?: string; slug?: string | null; public?: boolean; regions?: string[]; created_at?: string; type?: string; status?: string; description?: string }
interface Network { ip_address: string; type: 'public' | 'private' }
interface Droplet {
  id: number; name?: string; status?: string; created_at?: string;
  image?: { id?: number; slug?: string | null }; size_slug?: string; region?: { slug?: string };
  networks?: { v4?: Network[]; v6?: Network[] }; volume_ids?: string[];
}
interface SshKey { id: number; name?: string; fingerprint?: string; public_key?: string }
interface Volume { id: string; name?: string; description?: string; size_gigabytes?: number; created_at?: string; region?: { slug?: string }; droplet_ids?: number[] | null }
interface Snapshot { id: string; name?: string; created_at?: string; resource_id?: string; resource_type?: string }
interface ReservedIp { ip: string; droplet?: { id?: number } | null; region?: { slug?: string } }
interface Action { id: number; status?: string; type?: string }

// ---------------------------------------------------------------- mappings

function realmOf(r: Region): Realm {
  return { id: r.slug, name: r.name ?? r.slug, state: r.available === false ? 'UNAVAILABLE' : 'AVAILABLE' };
}

function profileOf(s: Size): HardwareProfile {
  const properties: HardwareProfile['properties'] = [
    { name: 'cpu', kind: 'fixed', value: s.vcpus },
    { name: 'memory', kind: 'fixed', value: s.memory },
    { name: 'storage', kind: 'fixed', value: s.disk },
  ];
  if (s.price_hourly !== undefined) properties.push({ name: 'price_hourly', kind: 'fixed', value: s.price_hourly });
  if (s.price_monthly !== undefined) properties.push({ name: 'price_monthly', kind: 'fixed', value: s.price_monthly });
  return { id: s.slug, name: s.slug, properties };
}

function imageOf(i: DoImage): Image {
  return {
    id: String(i.id),
    name: i.name,
    description: [i.distribution, i.name].filter(Boolean).join(' ') || i.description,
    // Public images are DigitalOcean's; the API does not name the owner of the others (the token's account).
    ownerId: i.public ? 'digitalocean' : undefined,
    architecture: 'x86_64',
    state: i.status === 'available' || i.status === undefined ? 'AVAILABLE' : i.status.toUpperCase(),
    creationTime: i.created_at,
    rootType: 'persistent',
  };
}

function addressesOf(d: Droplet): Pick<Instance, 'publicAddresses' | 'privateAddresses'> {
  const publicAddresses: InstanceAddress[] = [];
  const privateAddresses: InstanceAddress[] = [];
  for (const [family, list] of [['ipv4', d.networks?.v4], ['ipv6', d.networks?.v6]] as const) {
    for (const n of list ?? []) (n.type === 'public' ? publicAddresses : privateAddresses).push({ address: n.ip_address, type: family });
  }
  return { publicAddresses, privateAddresses };
}

function instanceOf(d: Droplet, state = dropletState(d.status)): Instance {
  return {
    id: String(d.id),
    name: d.name,
    imageId: d.image?.id === undefined ? undefined : String(d.image.id),
    realmId: d.region?.slug,
    state,
    hardwareProfileId: d.size_slug,
    launchTime: d.created_at,
    ...addressesOf(d),
    storageVolumes: (d.volume_ids ?? []).map((id) => ({ id })),
    username: 'root',
    canCreateImage: true,
  };
}

function keyOf(k: SshKey): Key {
  return { id: String(k.id), name: k.name, credentialType: 'key', fingerprint: k.fingerprint, state: 'AVAILABLE' };
}

function volumeOf(v: Volume): StorageVolume {
  const instance = v.droplet_ids?.[0];
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    created: v.created_at,
    capacity: v.size_gigabytes,
    realmId: v.region?.slug,
    state: instance === undefined ? 'AVAILABLE' : 'IN-USE',
    instanceId: instance === undefined ? undefined : String(instance),
    actions: instance === undefined ? ['attach', 'destroy'] : ['detach'],
  };
}

function snapshotOf(s: Snapshot): StorageSnapshot {
  return { id: s.id, name: s.name, created: s.created_at, state: 'COMPLETED', volumeId: s.resource_id };
}

function addressOf(r: ReservedIp): Address {
  return { id: r.ip, instanceId: r.droplet?.id === undefined ? undefined : String(r.droplet.id) };
}

/** Droplet names: letters, digits, '.' and '-' (DigitalOcean's pattern), at most 255. */
const DROPLET_NAME: NameRule = {
  pattern: /^[a-zA-Z0-9]?[a-z0-9A-Z.-]*[a-z0-9A-Z]$/, max: 255,
  message: 'DigitalOcean droplet names hold only letters, digits, "." and "-", and end with a letter or digit',
};

// ---------------------------------------------------------------- the driver

export interface DigitalOceanDriver extends Driver {
  readonly clients: RestClients;
}

export function createDigitalOceanDriver(options: RestDriverOptions, raw: Record<string, unknown> = {}): DigitalOceanDriver {
  const clients = new RestClients(options, { service: 'DigitalOcean', errorMessage: digitaloceanErrorMessage }, apiToken);
  const spaces = new S3Store();
  const spacesOptions = parseSpacesOptions(raw, options, DIGITALOCEAN_API.name);
  const api = clients.forRequest.bind(clients);
  const list = <T extends Identified>(calls: RestCalls, path: string, key: string, query?: Record<string, string>) => listAll<T>(calls, path, key, options.pageSize, query);

  async function droplet(calls: RestCalls, id: string): Promise<Droplet | undefined> {
    if (!isWholeNumber(id)) return undefined;
    return (await calls.find<{ droplet: Droplet }>(`/v2/droplets/${id}`))?.droplet;
  }

  /** A power action on a droplet; the droplet as it is now, in the transitional state while the action runs. */
  async function powerAction(calls: RestCalls, id: string, type: 'power_on' | 'power_off' | 'reboot', transitional: string): Promise<Instance> {
    if (!isWholeNumber(id)) throw new NotFound(`No droplet ${id}`);
    const action = (await calls.send<{ action: Action }>('POST', `/v2/droplets/${id}/actions`, { type }))?.action;
    const now = await droplet(calls, id);
    if (!now) throw new NotFound(`No droplet ${id}`);
    return instanceOf(now, action?.status === 'in-progress' ? transitional : undefined);
  }

  const slugs = (calls: RestCalls, path: string, key: string) => slugsOf(list, calls, path, key);

  return {
    declaration: restDeclaration(DIGITALOCEAN_DECLARATION, options),
    clients,

    verify_credentials: async (ctx) => {
      await api(ctx).get('/v2/account');
    },
    // Buckets only where the provider has a Spaces endpoint.
    supported_collections: async (ctx) => {
      return collectionsWithStore(spacesOptions.endpoints.has(clients.provider(ctx)));
    },

    realms: async (ctx) => (await list<Region>(api(ctx), '/v2/regions', 'regions')).map(realmOf),
    hardware_profiles: async (ctx) => (await list<Size>(api(ctx), '/v2/sizes', 'sizes')).map(profileOf),

    // Images: no show method; a show is the listing filtered by id (every image is in it, DigitalOcean's and the account's).
    images: async (ctx) => (await list<DoImage>(api(ctx), '/v2/images', 'images')).map(imageOf),
    create_image: async (ctx, { instanceId, name }) => {
      const calls = api(ctx);
      if (!isWholeNumber(instanceId)) throw new NotFound(`No droplet ${instanceId}`);
      const snapshotName = name ?? `deltacloud-${instanceId}-${Date.now().toString(36)}`;
      const action = (await calls.send<{ action: Action }>('POST', `/v2/droplets/${instanceId}/actions`, { type: 'snapshot', name: snapshotName }))?.action;
      // The snapshot's image id is known only once the action completes: the image is reported pending under the action's id.
      return { id: `action-${action?.id ?? 'unknown'}`, name: snapshotName, state: 'PENDING', rootType: 'persistent' };
    },
    destroy_image: async (ctx, id) => {
      if (!isWholeNumber(id)) throw new NotFound(`No image ${id}`);
      await api(ctx).send('DELETE', `/v2/images/${id}`);
    },

    instances: async (ctx) => (await list<Droplet>(api(ctx), '/v2/droplets', 'droplets')).map((d) => instanceOf(d)),
    instance: async (ctx, id) => {
      const d = await droplet(api(ctx), id);
      return d ? instanceOf(d) : undefined;
    },
    create_instance: async (ctx, create: InstanceCreate) => {
      const calls = api(ctx);
      if ((create.instanceCount ?? 1) !== 1) throw new NotSupported('Create DigitalOcean droplets one at a time');
      const size = await listedOrFirst('DigitalOcean', 'hardware profile', create.hardwareProfileId, slugs(calls, '/v2/sizes', 'sizes'));
      await checkListed('DigitalOcean', 'realm', create.realmId, slugs(calls, '/v2/regions', 'regions'));
      if (create.keyname !== undefined && !isWholeNumber(create.keyname)) throw new ValidationFailure(`Unknown key '${create.keyname}'`);
      for (const id of create.firewallIds) if (!isUuid(id)) throw new ValidationFailure(`Unknown firewall '${id}'`);
      const body = {
        name: providerName(create.name, DROPLET_NAME),
        size,
        image: isWholeNumber(create.imageId) ? Number(create.imageId) : create.imageId,
        ...(create.realmId ? { region: create.realmId } : {}),
        ...(create.keyname ? { ssh_keys: [Number(create.keyname)] } : {}),
        ...(create.userData ? { user_data: create.userData.toString('utf8') } : {}),
      };
      const created = (await calls.send<{ droplet: Droplet }>('POST', '/v2/droplets', body))?.droplet;
      if (!created) throw new ValidationFailure('DigitalOcean created no droplet');
      for (const firewallId of create.firewallIds) {
        await calls.send('POST', `/v2/firewalls/${firewallId}/droplets`, { droplet_ids: [created.id] });
      }
      return [instanceOf(created)];
    },
    start_instance: (ctx, id) => powerAction(api(ctx), id, 'power_on', 'PENDING'),
    stop_instance: (ctx, id) => powerAction(api(ctx), id, 'power_off', 'STOPPING'),
    reboot_instance: (ctx, id) => powerAction(api(ctx), id, 'reboot', 'RUNNING'),
    destroy_instance: async (ctx, id) => {
      if (!isWholeNumber(id)) throw new NotFound(`No droplet ${id}`);
      await api(ctx).send('DELETE', `/v2/droplets/${id}`);
    },

    keys: async (ctx) => (await list<SshKey>(api(ctx), '/v2/account/keys', 'ssh_keys')).map(keyOf),
    key: async (ctx, id) => {
      if (!isWholeNumber(id)) return undefined;
      const k = (await api(ctx).find<{ ssh_key: SshKey }>(`/v2/account/keys/${id}`))?.ssh_key;
      return k ? keyOf(k) : undefined;
    },
    create_key: async (ctx, { name, publicKey }) => {
      if (!publicKey) throw new NotSupported('DigitalOcean cannot generate key pairs: import a public key (public_key)');
      const k = (await api(ctx).send<{ ssh_key: SshKey }>('POST', '/v2/account/keys', { name, public_key: publicKey }))?.ssh_key;
      if (!k) throw new ValidationFailure('DigitalOcean imported no key');
      return keyOf(k);
    },
    destroy_key: async (ctx, id) => {
      if (!isWholeNumber(id)) throw new NotFound(`No key ${id}`);
      await api(ctx).send('DELETE', `/v2/account/keys/${id}`);
    },

    storage_volumes: async (ctx) => (await list<Volume>(api(ctx), '/v2/volumes', 'volumes')).map(volumeOf),
    storage_volume: async (ctx, id) => {
      if (!isUuid(id)) return undefined;
      const v = (await api(ctx).find<{ volume: Volume }>(`/v2/volumes/${id}`))?.volume;
      return v ? volumeOf(v) : undefined;
    },
    create_storage_volume: async (ctx, { capacity, realmId, snapshotId, name, description }) => {
      const calls = api(ctx);
      const gigabytes = Number(capacity ?? 1);
      if (!Number.isInteger(gigabytes) || gigabytes < 1) throw new ValidationFailure('capacity must be a whole number of gigabytes');
      if (!realmId && !snapshotId) throw new ValidationFailure('DigitalOcean volumes need a realm_id (region) unless made from a snapshot');
      await checkListed('DigitalOcean', 'realm', realmId, slugs(calls, '/v2/regions', 'regions'));
      const body = {
        name: name ?? `deltacloud-${Date.now().toString(36)}`,
        size_gigabytes: gigabytes,
        ...(realmId ? { region: realmId } : {}),
        ...(snapshotId ? { snapshot_id: snapshotId } : {}),
        ...(description ? { description } : {}),
      };
      const v = (await calls.send<{ volume: Volume }>('POST', '/v2/volumes', body))?.volume;
      if (!v) throw new ValidationFailure('DigitalOcean created no volume');
      return volumeOf(v);
    },
    destroy_storage_volume: async (ctx, id) => {
      if (!isUuid(id)) throw new NotFound(`No volume ${id}`);
      await api(ctx).send('DELETE', `/v2/volumes/${id}`);
    },
    attach_storage_volume: async (ctx, { id, instanceId }) => volumeAction(api(ctx), id, 'attach', instanceId),
    detach_storage_volume: async (ctx, { id, instanceId }) => volumeAction(api(ctx), id, 'detach', instanceId),

    // Volume snapshots (droplet snapshots are images). No show method: the listing filtered by id.
    storage_snapshots: async (ctx) => (await list<Snapshot>(api(ctx), '/v2/snapshots', 'snapshots', { resource_type: 'volume' })).map(snapshotOf),
    create_storage_snapshot: async (ctx, { volumeId, name }) => {
      if (!isUuid(volumeId)) throw new NotFound(`No volume ${volumeId}`);
      const s = (await api(ctx).send<{ snapshot: Snapshot }>('POST', `/v2/volumes/${volumeId}/snapshots`, { name: name ?? `deltacloud-${Date.now().toString(36)}` }))?.snapshot;
      if (!s) throw new ValidationFailure('DigitalOcean created no snapshot');
      return snapshotOf(s);
    },
    destroy_storage_snapshot: async (ctx, id) => {
      await api(ctx).send('DELETE', `/v2/snapshots/${enc(id)}`);
    },

    addresses: async (ctx) => (await list<ReservedIp>(api(ctx), '/v2/reserved_ips', 'reserved_ips')).map(addressOf),
    address: async (ctx, id) => {
      if (!isIPv4(id)) return undefined;
      const r = (await api(ctx).find<{ reserved_ip: ReservedIp }>(`/v2/reserved_ips/${id}`))?.reserved_ip;
      return r ? addressOf(r) : undefined;
    },
    create_address: async (ctx) => {
      // A reserved IP belongs to a region: the first available one (the API lists them in its own order).
      const calls = api(ctx);
      const region = (await list<Region>(calls, '/v2/regions', 'regions')).find((r) => r.available !== false)?.slug;
      if (!region) throw new NotSupported('DigitalOcean lists no region to reserve an IP address in');
      const r = (await calls.send<{ reserved_ip: ReservedIp }>('POST', '/v2/reserved_ips', { region }))?.reserved_ip;
      if (!r) throw new ValidationFailure('DigitalOcean reserved no IP address');
      return addressOf(r);
    },
    destroy_address: async (ctx, id) => {
      if (!isIPv4(id)) throw new NotFound(`No reserved IP ${id}`);
      await api(ctx).send('DELETE', `/v2/reserved_ips/${id}`);
    },
    associate_address: async (ctx, { id, instanceId }) => {
      if (!isIPv4(id)) throw new NotFound(`No reserved IP ${id}`);
      if (!isWholeNumber(instanceId)) throw new NotFound(`No droplet ${instanceId}`);
      await api(ctx).send('POST', `/v2/reserved_ips/${id}/actions`, { type: 'assign', droplet_id: Number(instanceId) });
    },
    disassociate_address: async (ctx, id) => {
      if (!isIPv4(id)) throw new NotFound(`No reserved IP ${id}`);
      await api(ctx).send('POST', `/v2/reserved_ips/${id}/actions`, { type: 'unassign' });
    },

    ...firewallOperations(api, list),
    ...loadBalancerOperations(api, list),
    ...metricOperations(api, list),

    ...spacesOperations(spacesOptions, spaces, (ctx) => clients.provider(ctx)),

    close: async () => {
      spaces.close();
      await clients.close();
    },
  };

  async function volumeAction(calls: RestCalls, id: string, type: 'attach' | 'detach', instanceId: string | undefined): Promise<StorageVolume> {
    if (!isUuid(id)) throw new NotFound(`No volume ${id}`);
    const volume = (await calls.find<{ volume: Volume }>(`/v2/volumes/${id}`))?.volume;
    if (!volume) throw new NotFound(`No volume ${id}`);
    const dropletId = instanceId ?? (volume.droplet_ids?.[0] === undefined ? undefined : String(volume.droplet_ids[0]));
    if (dropletId === undefined || !isWholeNumber(dropletId)) throw new ValidationFailure(`Volume ${id} is attached to no droplet`);
    await calls.send('POST', `/v2/volumes/${id}/actions`, { type, droplet_id: Number(dropletId), ...(volume.region?.slug ? { region: volume.region.slug } : {}) });
    const attached = type === 'attach' ? [Number(dropletId)] : [];
    return { ...volumeOf({ ...volume, droplet_ids: attached }), state: type === 'attach' ? 'ATTACHING' : 'DETACHING' };
  }
}
