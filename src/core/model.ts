// The cloud model every driver translates to and every front end renders from.
// Plain data: no HTTP, no XML. Optional fields are `undefined` when the back
// end does not know them; the front end decides how "unknown" is rendered.

export type Id = string;

export interface Realm {
  id: Id;
  name?: string;
  state?: string;
  /** A quota value; `undefined` means unlimited. */
  limit?: string | number | null;
}

export type HardwarePropertyKind = 'fixed' | 'range' | 'enum';
export type HardwarePropertyName = 'cpu' | 'memory' | 'storage' | 'architecture' | string;

export interface HardwareProperty {
  name: HardwarePropertyName;
  kind: HardwarePropertyKind;
  /** The fixed value, or the default for range/enum. */
  value: string | number;
  /** range bounds */
  first?: number;
  last?: number;
  /** enum entries, in driver order */
  values?: Array<string | number>;
}

export interface HardwareProfile {
  id: Id;
  name?: string;
  properties: HardwareProperty[];
}

export interface Image {
  id: Id;
  name?: string;
  description?: string;
  ownerId?: string;
  architecture?: string;
  state?: string;
  creationTime?: string;
  /** Compatible hardware profiles, in driver order; `undefined` when the driver says nothing. */
  hardwareProfileIds?: Id[];
  rootType?: 'transient' | 'persistent' | string;
}

export type AddressType = 'ipv4' | 'ipv6' | 'hostname' | 'mac' | 'vnc' | 'unavailable';

export interface InstanceAddress {
  address: string;
  type: AddressType;
  port?: number | string;
}

export interface AttachedVolume {
  id: Id;
  device?: string;
}

export interface Instance {
  id: Id;
  name?: string;
  ownerId?: string;
  imageId?: Id;
  realmId?: Id;
  /** Upper-case state name: PENDING, RUNNING, STOPPING, STOPPED, FINISH, ERROR. */
  state?: string;
  hardwareProfileId?: Id;
  /** Values chosen for range/enum properties at creation, keyed by property name. */
  profileOverrides?: Record<string, string>;
  /**
   * Actions allowed now. When omitted the front end derives them from the
   * driver's state machine and the current state (the usual case).
   */
  actions?: InstanceAction[];
  launchTime?: string;
  publicAddresses: InstanceAddress[];
  privateAddresses: InstanceAddress[];
  firewallIds?: Id[];
  storageVolumes: AttachedVolume[];
  keyname?: string;
  username?: string;
  password?: string;
  authError?: string;
  networkInterfaceIds?: Id[];
  /** Whether an image can be created from this instance. */
  canCreateImage: boolean;
}

export type InstanceAction = 'start' | 'stop' | 'reboot' | 'destroy';

export interface CommandResult {
  instanceId: Id;
  publicAddress: string;
  command: string;
  output: string;
}

export interface Key {
  id: Id;
  name?: string;
  credentialType: 'key' | 'password';
  fingerprint?: string;
  pem?: string;
  username?: string;
  password?: string;
  state?: string;
}

export interface StorageVolume {
  id: Id;
  name?: string;
  description?: string;
  created?: string;
  capacity?: string | number;
  kind?: string;
  realmId?: Id;
  state?: string;
  instanceId?: Id;
  device?: string;
  /** Actions the driver offers for this volume (rendered as links); none when undefined. */
  actions?: Array<'attach' | 'detach' | 'destroy'>;
}

export interface StorageSnapshot {
  id: Id;
  name?: string;
  description?: string;
  created?: string;
  state?: string;
  volumeId?: Id;
}

export interface Bucket {
  id: Id;
  name?: string;
  size?: string | number;
  blobIds: Id[];
  /** Publication through a CDN, for drivers whose back end has one (Rackspace Cloud Files). */
  cdn?: BucketCdn;
}

/** A bucket's CDN publication; a blob is served at `<uri>/<blob id>`. */
export interface BucketCdn {
  enabled: boolean;
  uri?: string;
  sslUri?: string;
  streamingUri?: string;
  /** HTTP Live Streaming (Apple). */
  iosUri?: string;
  /** How long the CDN caches a blob. */
  ttlSeconds?: number;
}

export interface Blob {
  id: Id;
  bucketId: Id;
  contentLength?: number;
  contentType?: string;
  lastModified?: string;
  userMetadata: Record<string, string>;
  /** The data, only when the driver already holds it in memory as text (small blobs). */
  content?: string | null;
}

export interface Address {
  id: Id;
  instanceId?: Id;
}

export interface Listener {
  id?: string | null;
  protocol: string;
  loadBalancerPort: string | number;
  instancePort: string | number;
}

export interface LoadBalancer {
  id: Id;
  realmIds: Id[];
  listeners: Listener[];
  instances: Instance[];
  publicAddresses: string[];
  createdAt?: string;
}

export type FirewallSource =
  | { type: 'address'; family: 'ipv4' | 'ipv6'; address: string; prefix: string }
  | { type: 'group'; name: string; owner: string };

export interface FirewallRule {
  id: Id;
  protocol?: string;
  portFrom?: string;
  portTo?: string;
  direction?: 'ingress' | 'egress' | string;
  ruleAction?: string;
  logRule?: string;
  sources: FirewallSource[];
}

export interface Firewall {
  id: Id;
  name?: string;
  description?: string;
  ownerId?: string;
  rules: FirewallRule[];
}

export interface MetricSample {
  minimum: number;
  maximum: number;
  average: number;
  /** Unix seconds: the start of the period a statistic covers, or the time of a reading. */
  timestamp: number;
  unit: string;
  /** The period is still running: the values cover it up to now and will change. Absent on complete samples. */
  partial?: true;
}

export interface MetricProperty {
  name: string;
  /** `null` in listings (names only). */
  values: MetricSample[] | null;
}

export interface Metric {
  id: Id;
  entity?: string;
  properties: MetricProperty[];
}

export interface Network {
  id: Id;
  name?: string;
  state?: string;
  addressBlocks: Array<string | null>;
  subnetIds: Id[];
}

export interface Subnet {
  id: Id;
  name?: string;
  state?: string;
  addressBlock?: string;
  networkId?: Id;
  type?: string | null;
}

export interface NetworkInterface {
  id: Id;
  name?: string;
  ipAddress?: string;
  networkId?: Id;
  instanceId?: Id;
}
