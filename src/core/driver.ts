// The Driver contract. A driver translates between the core model and one
// provider. It declares what it can do in one place:
//   * `declaration`: identity, providers, features, constraints, state machine;
//   * its methods: each optional method is a *capability*, named exactly as the
//     capability the API reports in `Expect:` on 412 (spec §8.4), so the front
//     end needs no table mapping one to the other.
// Drivers know nothing of HTTP, XML or JSON.
import type { Readable } from 'node:stream';
import type { ByteRange } from './byte-range.js';
import { AuthenticationFailure, CredentialsRequired, ProviderTimeout } from './errors.js';
import type { FeatureConstraints } from './features.js';
import type {
  Address, Blob, Bucket, CommandResult, Firewall, HardwareProfile, Id, Image, Instance, Key,
  LoadBalancer, Metric, Network, NetworkInterface, Realm, StorageSnapshot, StorageVolume, Subnet,
} from './model.js';
import type { StateMachine } from './state-machine.js';

export interface Credentials {
  user: string;
  password: string;
}

/** Where the call pipeline writes its one line per driver call (pino's shape). */
export interface CallLog {
  debug(fields: object, message: string): void;
  isLevelEnabled?(level: string): boolean;
}

export interface ContextOptions {
  /** Time the request's driver calls may take in all; none: no deadline (streamed uploads). */
  timeoutMs?: number;
  log?: CallLog;
  /** The server has checked the credentials against the ones its operator configured for the driver. */
  operatorAuthenticated?: boolean;
}

/** Everything a driver may know about the request it serves. */
export class RequestContext {
  private abortSignal: AbortSignal | undefined;
  private controller: AbortController | undefined;
  /** When the request's time is up (`performance.now()` scale); undefined: never. */
  readonly deadline: number | undefined;
  readonly log: CallLog | undefined;
  /** True when the server has checked the credentials against the ones its operator configured for the driver. */
  readonly operatorAuthenticated: boolean;

  /**
   * `signal` may be given as a factory: most requests never look at it, and
   * creating a timeout signal per request is measurable on the hot path.
   */
  constructor(
    readonly provider: string | undefined,
    readonly credentials: Credentials | undefined,
    private readonly signalSource?: AbortSignal | (() => AbortSignal),
    private readonly requestHeaders: Readonly<Record<string, string | string[] | undefined>> = {},
    options: ContextOptions = {},
  ) {
    this.deadline = options.timeoutMs === undefined ? undefined : performance.now() + options.timeoutMs;
    this.log = options.log;
    this.operatorAuthenticated = options.operatorAuthenticated ?? false;
  }

  /** This request, its credentials vouched for by the server (see server/offering.ts). */
  asOperatorAuthenticated(): RequestContext {
    // Same signal and the same deadline: the copy only adds the server's word on the credentials.
    const timeoutMs = this.deadline === undefined ? undefined : Math.max(0, this.remainingMs());
    return new RequestContext(this.provider, this.credentials, () => this.signal, this.requestHeaders, { timeoutMs, log: this.log, operatorAuthenticated: true });
  }

  /**
   * A request header (lower-case name), for the few per-request driver options
   * that travel as headers (e.g. `x-deltacloud-aws-session-token`).
   */
  header(name: string): string | undefined {
    const value = this.requestHeaders[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  /**
   * Aborts when the request's time is up, when the call pipeline gives up on it, or when the given signal aborts.
   * One controller's signal, with the deadline and the given signal forwarded to it: half the CPU
   * of `AbortSignal.any` over an `AbortSignal.timeout` (Node 20), which a REST driver pays on every request.
   */
  get signal(): AbortSignal {
    if (!this.abortSignal) {
      const controller = (this.controller ??= new AbortController());
      const source = typeof this.signalSource === 'function' ? this.signalSource() : this.signalSource;
      if (source) followAbort(source, controller);
      if (this.deadline !== undefined) abortAtDeadline(controller, this.remainingMs());
      this.abortSignal = controller.signal;
    }
    return this.abortSignal;
  }

  /**
   * Whether the request's time is up. Timers may fire a fraction of a millisecond before the clock
   * reaches the deadline, so an abort by the deadline (the signal's timeout, or the pipeline's) counts too.
   */
  expired(): boolean {
    if (this.deadline === undefined) return false;
    if (this.remainingMs() <= 0) return true;
    const reason: unknown = this.abortSignal?.aborted ? this.abortSignal.reason : this.controller?.signal.reason;
    return reason instanceof ProviderTimeout || (reason instanceof DOMException && reason.name === 'TimeoutError');
  }

  /** Milliseconds left before the deadline (Infinity without one). */
  remainingMs(): number {
    return this.deadline === undefined ? Infinity : this.deadline - performance.now();
  }

  /** Stops the request's back-end work: the signal drivers were given aborts with `reason`. */
  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }

  /**
   * The credentials, or a 401 challenge when the client sent none. An empty
   * user or password is refused here, so no driver forwards it to a back end
   * (some accept an empty secret as anonymous).
   */
  requireCredentials(): Credentials {
    if (!this.credentials) throw new CredentialsRequired();
    if (this.credentials.user === '' || this.credentials.password === '') throw new AuthenticationFailure('Empty user name or password');
    return this.credentials;
  }
}

/** Aborts `controller` when `source` aborts, with its reason. */
function followAbort(source: AbortSignal, controller: AbortController): void {
  if (source.aborted) controller.abort(source.reason);
  else if (!controller.signal.aborted) source.addEventListener('abort', () => controller.abort(source.reason), { once: true });
}

/** Controllers by the signal they own: whoever still holds a signal keeps its controller, so its deadline can still abort it. */
const controllerOfSignal = new WeakMap<AbortSignal, AbortController>();
/** A collected controller's deadline timer is cleared instead of lingering until the deadline. */
const clearWhenCollected = new FinalizationRegistry<NodeJS.Timeout>((timer) => clearTimeout(timer));

/**
 * Aborts `controller` after `ms` with the reason `AbortSignal.timeout` gives (a TimeoutError).
 * The timer holds the controller weakly: once the request is over and nobody holds its signal,
 * both are collected, and the timer cleared, without waiting for the deadline (as AbortSignal.timeout does).
 */
function abortAtDeadline(controller: AbortController, ms: number): void {
  if (controller.signal.aborted) return;
  controllerOfSignal.set(controller.signal, controller);
  const held = new WeakRef(controller);
  const timer = setTimeout(() => held.deref()?.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), Math.max(0, Math.ceil(ms)));
  timer.unref();
  clearWhenCollected.register(controller, timer);
}

/**
 * A listing's filters: only the collection's filter names (core/filters.ts),
 * never an empty value. A driver may push any of them down to its back end;
 * the core applies them all to the result anyway.
 */
export type Filter = Record<string, string | undefined>;

/** Names of the collections of the API (sub-collections excluded). */
export const COLLECTIONS = [
  'addresses', 'buckets', 'drivers', 'firewalls', 'hardware_profiles', 'images', 'instance_states',
  'instances', 'keys', 'load_balancers', 'metrics', 'network_interfaces', 'networks', 'realms',
  'storage_snapshots', 'storage_volumes', 'subnets',
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

/**
 * What a driver reaches (who decides whether a server offers it):
 *   * `remote`: only provider APIs on the operator's allow-list, with the
 *     client's own credentials — offered by default;
 *   * `host`: resources of the server's host or operator (a hypervisor, a
 *     local store) — offered only when the operator enables it, and only to
 *     clients presenting credentials the operator configured.
 */
export type DriverReach = 'remote' | 'host';

export interface DriverDeclaration {
  /** Lower-case id, e.g. `mock`, `ec2`. */
  id: string;
  /** Display name, e.g. `Mock`, `EC2`. */
  name: string;
  reach: DriverReach;
  /**
   * A demonstration driver with public built-in credentials: when it is the
   * server's own driver (`-i`) it is served without operator credentials.
   */
  demo?: boolean;
  /** The provider used when a request names none (shown in error documents), if the driver has providers. */
  defaultProvider?: string;
  /** kind → provider id → URL or host (spec §11.1). The providers are the ids, in order of first appearance. */
  entrypoints?: Record<string, Record<string, string>>;
  /** Labels telling a person what to put into Basic auth (not secrets). */
  usernameLabel?: string;
  passwordLabel?: string;
  /** Feature names per collection; names outside the catalogue are accepted and never advertised. */
  features: Partial<Record<CollectionName, readonly string[]>>;
  constraints?: Record<string, FeatureConstraints>;
  /** Present iff the driver has instances with a life cycle. */
  stateMachine?: StateMachine;
}

export interface InstanceCreate {
  imageId: Id;
  realmId?: Id;
  hardwareProfileId?: Id;
  /** `hwp_<property>` values, keyed by property name. */
  profileOverrides: Record<string, string>;
  name?: string;
  keyname?: string;
  /** Already base64-decoded. */
  userData?: Buffer;
  password?: string;
  firewallIds: Id[];
  instanceCount?: number;
  metrics?: boolean;
  loadBalancerId?: Id;
  /** Every request parameter, for driver-specific extras (e.g. the mock's `initial_state`). */
  params: Record<string, string>;
}

export interface RunCommand {
  id: Id;
  cmd: string;
  privateKey?: string;
  password?: string;
  ip?: string;
  port?: number;
  username?: string;
}

export interface BlobData {
  stream: Readable;
  contentType?: string;
  /** Of the stream (the range's length when a range is served). */
  contentLength?: number;
  /** Whether the store serves byte ranges (the front end then advertises `Accept-Ranges: bytes`). */
  acceptRanges?: boolean;
  /** Set when the stream holds only the range asked for: the bytes served and the blob's whole size. */
  range?: ByteRange & { size: number };
}

export interface BlobUpload {
  bucketId: Id;
  blobId: Id;
  data: Readable;
  contentType: string;
  /** Known when the client sent Content-Length. */
  contentLength?: number;
  metadata: Record<string, string>;
}

export interface LoadBalancerCreate {
  name: string;
  realmId: Id;
  listenerProtocol: string;
  listenerBalancerPort: string;
  listenerInstancePort: string;
}

export interface FirewallRuleCreate {
  firewallId: Id;
  protocol: string;
  portFrom: string;
  portTo: string;
  addresses: string[];
  /** group name → owner account id */
  groups: Record<string, string>;
}

type Op<A extends unknown[], R> = (ctx: RequestContext, ...args: A) => Promise<R>;

/**
 * Every method is optional; a driver has a capability iff it has the method.
 * Show methods (`realm`, `image`, …) are optional even when the listing
 * exists: without one the front end filters the listing by id.
 */
export interface Driver {
  readonly declaration: DriverDeclaration;

  /** Verify credentials with the back end (for `?force_auth`); throws AuthenticationFailure. */
  verify_credentials?: Op<[], void>;
  /**
   * Collections offered for these credentials when that depends on the back
   * end (e.g. an OpenStack service catalogue). Default: derived from methods.
   */
  supported_collections?: Op<[], CollectionName[]>;

  realms?: Op<[Filter], Realm[]>;
  realm?: Op<[Id], Realm | undefined>;

  hardware_profiles?: Op<[Filter], HardwareProfile[]>;
  hardware_profile?: Op<[Id], HardwareProfile | undefined>;

  images?: Op<[Filter], Image[]>;
  image?: Op<[Id], Image | undefined>;
  create_image?: Op<[{ instanceId: Id; name?: string; description?: string }], Image>;
  destroy_image?: Op<[Id], void>;

  instances?: Op<[Filter], Instance[]>;
  instance?: Op<[Id], Instance | undefined>;
  create_instance?: Op<[InstanceCreate], Instance[]>;
  start_instance?: Op<[Id], Instance>;
  stop_instance?: Op<[Id], Instance>;
  reboot_instance?: Op<[Id], Instance>;
  destroy_instance?: Op<[Id], void>;
  run_on_instance?: Op<[RunCommand], CommandResult>;

  keys?: Op<[Filter], Key[]>;
  key?: Op<[Id], Key | undefined>;
  create_key?: Op<[{ name: string; publicKey?: string }], Key>;
  destroy_key?: Op<[Id], void>;

  storage_volumes?: Op<[Filter], StorageVolume[]>;
  storage_volume?: Op<[Id], StorageVolume | undefined>;
  create_storage_volume?: Op<[{ capacity?: string; realmId?: Id; snapshotId?: Id; name?: string; description?: string }], StorageVolume>;
  destroy_storage_volume?: Op<[Id], void>;
  attach_storage_volume?: Op<[{ id: Id; instanceId: Id; device: string }], StorageVolume>;
  detach_storage_volume?: Op<[{ id: Id; instanceId?: Id; device?: string }], StorageVolume>;

  storage_snapshots?: Op<[Filter], StorageSnapshot[]>;
  storage_snapshot?: Op<[Id], StorageSnapshot | undefined>;
  create_storage_snapshot?: Op<[{ volumeId: Id; name?: string; description?: string }], StorageSnapshot>;
  destroy_storage_snapshot?: Op<[Id], void>;

  buckets?: Op<[Filter], Bucket[]>;
  bucket?: Op<[Id], Bucket | undefined>;
  create_bucket?: Op<[{ name: string; location?: string }], Bucket>;
  delete_bucket?: Op<[Id], void>;
  /** Publish a bucket through the back end's CDN, or withdraw it; answers the bucket with its CDN URIs. */
  update_bucket_cdn?: Op<[{ id: Id; enabled: boolean; ttlSeconds?: number }], Bucket>;
  blob?: Op<[Id, Id], Blob | undefined>;
  /** The content, or only bytes `range.start`–`range.end` when a range is given (the front end resolved it against the size). */
  blob_data?: Op<[Id, Id, ByteRange?], BlobData | undefined>;
  create_blob?: Op<[BlobUpload], Blob>;
  delete_blob?: Op<[Id, Id], void>;
  blob_metadata?: Op<[Id, Id], Record<string, string> | undefined>;
  /** Replaces all metadata; returns false when the blob does not exist. */
  update_blob_metadata?: Op<[Id, Id, Record<string, string>], boolean>;
  init_segmented_blob?: Op<[{ bucketId: Id; blobId: Id; contentType: string; metadata: Record<string, string> }], string>;
  blob_segment?: Op<[{ bucketId: Id; blobId: Id; uploadId: string; order: number; data: Readable; contentLength?: number }], string>;
  finalize_segmented_blob?: Op<[{ bucketId: Id; blobId: Id; uploadId: string; segments: Array<{ order: number; id: string }> }], Blob>;

  addresses?: Op<[Filter], Address[]>;
  address?: Op<[Id], Address | undefined>;
  /** `instanceId`: where the provider allocates addresses only onto an instance (Linode), the instance to allocate it to. */
  create_address?: Op<[{ instanceId?: Id }?], Address>;
  destroy_address?: Op<[Id], void>;
  associate_address?: Op<[{ id: Id; instanceId: Id }], void>;
  disassociate_address?: Op<[Id], void>;

  load_balancers?: Op<[Filter], LoadBalancer[]>;
  load_balancer?: Op<[Id], LoadBalancer | undefined>;
  create_load_balancer?: Op<[LoadBalancerCreate], LoadBalancer>;
  destroy_load_balancer?: Op<[Id], void>;
  lb_register_instance?: Op<[{ id: Id; instanceId: Id }], LoadBalancer>;
  lb_unregister_instance?: Op<[{ id: Id; instanceId: Id }], LoadBalancer>;

  firewalls?: Op<[Filter], Firewall[]>;
  firewall?: Op<[Id], Firewall | undefined>;
  create_firewall?: Op<[{ name: string; description: string }], Firewall>;
  delete_firewall?: Op<[Id], void>;
  create_firewall_rule?: Op<[FirewallRuleCreate], Firewall>;
  delete_firewall_rule?: Op<[{ firewallId: Id; ruleId: Id }], void>;

  metrics?: Op<[Filter], Metric[]>;
  metric?: Op<[Id], Metric | undefined>;

  networks?: Op<[Filter], Network[]>;
  network?: Op<[Id], Network | undefined>;
  create_network?: Op<[{ addressBlock?: string; name?: string }], Network>;
  destroy_network?: Op<[Id], void>;

  subnets?: Op<[Filter], Subnet[]>;
  subnet?: Op<[Id], Subnet | undefined>;
  create_subnet?: Op<[{ networkId: Id; addressBlock: string; name?: string }], Subnet>;
  destroy_subnet?: Op<[Id], void>;

  network_interfaces?: Op<[Filter], NetworkInterface[]>;
  network_interface?: Op<[Id], NetworkInterface | undefined>;
  create_network_interface?: Op<[{ instanceId: Id; networkId: Id; name?: string; params: Record<string, string> }], NetworkInterface>;
  destroy_network_interface?: Op<[Id], void>;

  /**
   * A value that changes whenever anything readable through this driver may
   * have changed. Drivers that can tell cheaply (an embedded store) offer it,
   * and the front end then reuses renderings of reads while it is unchanged.
   */
  revision?(): string;

  /**
   * Brings `revision()` up to date with commits of other processes (a
   * database shared by replicas); the front end awaits it before trusting
   * the revision. Absent: `revision()` is always current.
   */
  syncRevision?(): Promise<void>;

  /**
   * Whether a write may be repeated safely (e.g. it carries a client token the
   * back end deduplicates by). Reads always may; the call pipeline retries a
   * passing failure only of those.
   */
  idempotent?(capability: DriverCall, args: readonly unknown[]): boolean;

  /** Release resources (database handles, sockets) at shutdown. */
  close?(): Promise<void>;
}

export type Capability = Exclude<keyof Driver, 'declaration' | 'close' | 'verify_credentials' | 'supported_collections' | 'revision' | 'syncRevision' | 'idempotent'>;
/** Every driver method a front end calls through the call pipeline: the capabilities and the two account-level reads. */
export type DriverCall = Capability | 'verify_credentials' | 'supported_collections';

export function hasCapability(driver: Driver, capability: string): boolean {
  return typeof (driver as unknown as Record<string, unknown>)[capability] === 'function';
}

/** Providers of a driver: ids under any entry-point kind, in order of first appearance. */
export function providersOf(declaration: DriverDeclaration): string[] {
  const ids: string[] = [];
  for (const byProvider of Object.values(declaration.entrypoints ?? {})) {
    for (const id of Object.keys(byProvider)) if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/**
 * Collections listed at the entry point: `drivers` always; hardware profiles
 * and instance states from the declaration; others iff listing is implemented.
 */
export function collectionsOf(driver: Driver): CollectionName[] {
  return COLLECTIONS.filter((c) => {
    if (c === 'drivers') return true;
    if (c === 'instance_states') return driver.declaration.stateMachine !== undefined;
    return hasCapability(driver, c);
  });
}

/** How the server finds drivers: descriptors are cheap; `load` brings in the SDKs. */
export interface DriverFactory {
  /** Identity and reach, before any configuration (e.g. for `--drivers`). */
  declaration: DriverDeclaration;
  /**
   * The declaration for the operator's options: providers exactly as the
   * operator allows them. Computed once by the server; throws on bad options.
   */
  declare(options: Record<string, unknown>): DriverDeclaration;
  /** The driver; its `declaration` must be `declare(config.options)`. */
  load(config: DriverConfig): Promise<Driver>;
}

/** What the server's configuration hands a driver (operator-set, never client-set). */
export interface DriverConfig {
  /** Driver-specific options from the configuration file / environment. */
  options: Record<string, unknown>;
  /** Data directory for drivers that keep state. */
  dataDir: string;
  /** `--database`: where drivers that support it keep state shared by replicas (sqlite:PATH or postgres://…). */
  databaseUrl?: string;
}
