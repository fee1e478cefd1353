// What the mock stores, one JSON record per object, and how a stored record
// becomes the model object a front end renders. Records are close to the
// model; the differences are the fields that are stored but never shown.
import type {
  Address, AttachedVolume, Firewall, Id, Image, Instance, InstanceAddress, Key, Listener, Network,
  NetworkInterface, StorageSnapshot, StorageVolume, Subnet,
} from '../../core/model.js';

export interface InstanceRecord {
  id: Id;
  name?: string;
  ownerId: string;
  imageId?: Id;
  realmId?: Id;
  state: string;
  hardwareProfileId: Id;
  profileOverrides: Record<string, string>;
  publicAddresses: InstanceAddress[];
  privateAddresses: InstanceAddress[];
  storageVolumes: AttachedVolume[];
  keyname?: string;
  /** Seed quirk: inst0 has an empty list, inst2 none at all. */
  networkInterfaceIds?: Id[];
  firewallIds?: Id[];
  canCreateImage: boolean;
  /** base64; stored, never shown. */
  userData?: string;
}

export interface BucketRecord {
  id: Id;
  name: string;
  /** `"0"` (a string) when created, a number once blobs were added (original). */
  size: string | number;
}

export interface BlobRecord {
  id: Id;
  bucketId: Id;
  contentType: string;
  contentLength: number;
  lastModified: string;
  userMetadata: Record<string, string>;
  /** Name of the content file under `<dataDir>/blobs/`. */
  file: string;
}

export interface NetworkInterfaceRecord extends NetworkInterface {
  /** Seed quirk of nicinst3: stored, unused. */
  subnet?: Id;
}

export interface LoadBalancerRecord {
  id: Id;
  realmIds: Id[];
  listeners: Listener[];
  instanceIds: Id[];
  publicAddresses: string[];
  createdAt?: string;
}

/** Record type of each stored collection (blobs live in their own table). */
export interface RecordTypes {
  addresses: Address;
  buckets: BucketRecord;
  firewalls: Firewall;
  images: Image;
  instances: InstanceRecord;
  keys: Key;
  load_balancers: LoadBalancerRecord;
  network_interfaces: NetworkInterfaceRecord;
  networks: Network;
  storage_snapshots: StorageSnapshot;
  storage_volumes: StorageVolume;
  subnets: Subnet;
}
export type StoredCollection = keyof RecordTypes;

/** Leaves `actions` undefined: the front end derives them from the state machine. */
export function toInstance(r: InstanceRecord): Instance {
  const instance: Instance = {
    id: r.id,
    name: r.name,
    ownerId: r.ownerId,
    imageId: r.imageId,
    realmId: r.realmId,
    state: r.state,
    hardwareProfileId: r.hardwareProfileId,
    profileOverrides: r.profileOverrides,
    publicAddresses: r.publicAddresses,
    privateAddresses: r.privateAddresses,
    storageVolumes: r.storageVolumes,
    keyname: r.keyname,
    canCreateImage: r.canCreateImage,
  };
  if (r.networkInterfaceIds) instance.networkInterfaceIds = r.networkInterfaceIds;
  if (r.firewallIds && r.firewallIds.length > 0) instance.firewallIds = r.firewallIds;
  return instance;
}

/** Snapshot names and descriptions are stored but never shown (original). */
export function toSnapshot(r: StorageSnapshot): StorageSnapshot {
  return { id: r.id, created: r.created, state: r.state, volumeId: r.volumeId };
}

export function toNetworkInterface(r: NetworkInterfaceRecord): NetworkInterface {
  return { id: r.id, name: r.name, ipAddress: r.ipAddress, networkId: r.networkId, instanceId: r.instanceId };
}
