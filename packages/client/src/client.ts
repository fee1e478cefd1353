// A typed client for the Deltacloud API over fetch (Node 20+, browsers).
// Hypermedia-aware: collection URLs come from the entry point's links, instance
// actions from the instance's `actions` links, and the driver's OpenAPI
// document says which operations and parameters it offers, so a call the
// driver cannot serve fails before it is sent.
import {
  CapabilityMissing, Conflict, DeltacloudError, errorFor, NetworkError, Timeout,
} from './errors.js';
import type {
  Address, BlobInfo, Bucket, CommandResult, Drivers, EntryPoint, Firewall, HardwareProfile, Image, Instance, InstanceStates, Key,
  LoadBalancer, Metric, Network, NetworkInterface, Realm, StorageSnapshot, StorageVolume, Subnet,
} from './schemas.js';

export interface ClientOptions {
  /** The API's URL, e.g. `http://localhost:3001/api`. */
  url: string;
  user?: string;
  password?: string;
  /** Driver and provider for every call (per call: CallOptions). */
  driver?: string;
  provider?: string;
  /** Attempts for a retryable call (idempotent, or POST with an idempotency key); default 3. */
  attempts?: number;
  /** Base of the full-jitter backoff; default 200 ms, capped at `maxRetryDelayMs` (default 5 s). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  fetch?: typeof fetch;
}

export interface CallOptions {
  signal?: AbortSignal;
  driver?: string;
  provider?: string;
  /** Makes a POST retryable: sent as `Idempotency-Key`. */
  idempotencyKey?: string;
}

export type Params = Record<string, string | string[] | undefined>;

export interface TransferOptions extends CallOptions {
  /** Called as bytes go by: bytes so far, and the total when known. */
  onProgress?: (bytes: number, total: number | undefined) => void;
}

export interface UploadOptions extends TransferOptions {
  contentType?: string;
  /** User metadata (X-Deltacloud-Blobmeta-*). */
  metadata?: Record<string, string>;
}

export type BlobData = string | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

interface RequestSpec extends CallOptions {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  query?: Params;
  form?: Params;
  body?: BlobData;
  headers?: Record<string, string>;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

function appendParams(target: URLSearchParams, params: Params | undefined): void {
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) target.append(name, v);
  }
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), if any. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A stream of the data that reports progress as it is read; never holds more than one chunk. */
function countingStream(data: BlobData, onProgress: TransferOptions['onProgress'], total?: number): ReadableStream<Uint8Array> {
  let sent = 0;
  const count = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      sent += chunk.byteLength;
      onProgress?.(sent, total);
      controller.enqueue(chunk);
    },
  });
  let source: ReadableStream<Uint8Array>;
  if (typeof data === 'string' || data instanceof Uint8Array) {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    source = new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } });
  } else if (data instanceof ReadableStream) source = data;
  else {
    const iterator = data[Symbol.asyncIterator]();
    source = new ReadableStream({
      async pull(c) {
        const next = await iterator.next();
        if (next.done) c.close();
        else c.enqueue(next.value);
      },
      async cancel() {
        await iterator.return?.();
      },
    });
  }
  return source.pipeThrough(count);
}

/** The operations of one driver's OpenAPI document: `METHOD /template` → parameter names it takes. */
type OperationTable = Map<string, Set<string>>;

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function operationTable(document: unknown): OperationTable {
  const table: OperationTable = new Map();
  const paths = isObject(document) && isObject(document.paths) ? document.paths : {};
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!isObject(op)) continue;
      const names = new Set<string>();
      for (const p of Array.isArray(op.parameters) ? op.parameters : []) if (isObject(p) && typeof p.name === 'string') names.add(p.name);
      const content = isObject(op.requestBody) && isObject(op.requestBody.content) ? op.requestBody.content : {};
      const form = content['application/x-www-form-urlencoded'];
      const schema = isObject(form) && isObject(form.schema) && isObject(form.schema.properties) ? form.schema.properties : {};
      for (const name of Object.keys(schema)) names.add(name);
      table.set(`${method.toUpperCase()} ${template}`, names);
    }
  }
  return table;
}

export class DeltacloudClient {
  private readonly fetchImpl: typeof fetch;
  private readonly entries = new Map<string, Promise<EntryPoint>>();
  private readonly documents = new Map<string, Promise<OperationTable>>();
  readonly url: string;

  constructor(readonly options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  private selection(opts: CallOptions = {}): { driver?: string; provider?: string } {
    return { driver: opts.driver ?? this.options.driver, provider: opts.provider ?? this.options.provider };
  }

  private headersFor(spec: RequestSpec): Headers {
    const headers = new Headers({ Accept: 'application/json', ...spec.headers });
    const { driver, provider } = this.selection(spec);
    if (driver) headers.set('X-Deltacloud-Driver', driver);
    if (provider) headers.set('X-Deltacloud-Provider', provider);
    if (this.options.user !== undefined) {
      const token = btoa(String.fromCharCode(...new TextEncoder().encode(`${this.options.user}:${this.options.password ?? ''}`)));
      headers.set('Authorization', `Basic ${token}`);
    }
    if (spec.idempotencyKey) headers.set('Idempotency-Key', spec.idempotencyKey);
    return headers;
  }

  /** One call with retries where they are safe; a non-2xx answer becomes its typed error. */
  async send(spec: RequestSpec): Promise<Response> {
    const url = new URL(spec.url);
    appendParams(url.searchParams, spec.query);
    const display = url.origin + url.pathname; // never the credentials, never the query
    const streamed = spec.body !== undefined && typeof spec.body !== 'string' && !(spec.body instanceof Uint8Array);
    const retryable = (IDEMPOTENT.has(spec.method) || spec.idempotencyKey !== undefined) && !streamed;
    const attempts = retryable ? Math.max(1, this.options.attempts ?? 3) : 1;
    for (let attempt = 1; ; attempt++) {
      const headers = this.headersFor(spec);
      const init: RequestInit & { duplex?: 'half' } = { method: spec.method, headers, signal: spec.signal };
      if (spec.form) {
        const form = new URLSearchParams();
        appendParams(form, spec.form);
        init.body = form;
      } else if (spec.body !== undefined) {
        // Bytes and text go as they are (replayable on a retry); anything else is streamed as it is read.
        init.body = typeof spec.body === 'string' ? spec.body : countingStream(spec.body, undefined);
        if (typeof spec.body !== 'string') init.duplex = 'half';
      }
      let response: Response;
      try {
        response = await this.fetchImpl(url, init);
      } catch (error) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (attempt < attempts) {
          await sleep(this.backoff(attempt, null), spec.signal);
          continue;
        }
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
        throw new NetworkError(`Cannot reach ${display}: ${cause}`, undefined, display);
      }
      if (response.ok || (response.status >= 300 && response.status < 400)) return response;
      if (RETRYABLE_STATUS.has(response.status) && attempt < attempts) {
        await response.body?.cancel();
        await sleep(this.backoff(attempt, response.headers.get('retry-after')), spec.signal);
        continue;
      }
      throw errorFor(response.status, await messageOf(response), display);
    }
  }

  private backoff(attempt: number, retryAfter: string | null): number {
    const asked = retryAfterMs(retryAfter);
    if (asked !== undefined) return Math.min(asked, this.options.maxRetryDelayMs ?? 30_000);
    const cap = Math.min(this.options.maxRetryDelayMs ?? 5000, (this.options.retryDelayMs ?? 200) * 2 ** attempt);
    return Math.random() * cap; // full jitter
  }

  async json<T>(spec: RequestSpec): Promise<T> {
    const response = await this.send(spec);
    return (await response.json()) as T;
  }

  /** The entry point for the driver and provider in effect (cached). */
  entryPoint(opts: CallOptions = {}): Promise<EntryPoint> {
    const { driver, provider } = this.selection(opts);
    const key = `${driver ?? ''};${provider ?? ''}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.json<EntryPoint>({ ...opts, method: 'GET', url: this.url });
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Operations the driver offers, from its OpenAPI document (cached). */
  private operations(opts: CallOptions = {}): Promise<OperationTable> {
    const { driver, provider } = this.selection(opts);
    const key = `${driver ?? ''};${provider ?? ''}`;
    let table = this.documents.get(key);
    if (!table) {
      table = this.json<unknown>({ ...opts, method: 'GET', url: `${this.url}/openapi.json` }).then(operationTable);
      table.catch(() => this.documents.delete(key));
      this.documents.set(key, table);
    }
    return table;
  }

  /** Collections the driver offers (the entry point's links). */
  async collections(opts: CallOptions = {}): Promise<string[]> {
    return (await this.entryPoint(opts)).api.links.map((l) => l.rel);
  }

  /** Features the driver offers for a collection. */
  async features(collection: string, opts: CallOptions = {}): Promise<string[]> {
    const link = (await this.entryPoint(opts)).api.links.find((l) => l.rel === collection);
    return (link?.features ?? []).flat().map((f) => f.name);
  }

  /** The collection's URL from the entry point; CapabilityMissing when the driver has no such collection. */
  async collectionUrl(collection: string, opts: CallOptions = {}): Promise<string> {
    const entry = await this.entryPoint(opts);
    const link = entry.api.links.find((l) => l.rel === collection);
    if (!link) throw new CapabilityMissing(`Driver '${entry.api.driver}' does not offer ${collection}`, undefined, this.url);
    return link.href;
  }

  /** Refuses, before sending, an operation or parameters the driver's document does not offer. */
  async require(method: RequestSpec['method'], template: string, params: Params = {}, opts: CallOptions = {}): Promise<void> {
    const table = await this.operations(opts);
    const names = table.get(`${method} ${template}`);
    const driver = this.selection(opts).driver ?? (await this.entryPoint(opts)).api.driver;
    if (!names) throw new CapabilityMissing(`Driver '${driver}' does not offer ${method} ${template}`, undefined, this.url);
    const unknown = Object.keys(params).filter((n) => params[n] !== undefined && !names.has(n) && !/^(firewalls|ip_address|group|meta_)/.test(n));
    if (unknown.length > 0) throw new CapabilityMissing(`Driver '${driver}' does not take ${unknown.join(', ')} for ${method} ${template}`, undefined, this.url);
  }

  // ------------------------------------------------------------ collections

  readonly realms = new Collection<Realm>(this, 'realms', 'realm');
  readonly hardwareProfiles = new Collection<HardwareProfile>(this, 'hardware_profiles', 'hardware_profile');
  readonly images = new Collection<Image>(this, 'images', 'image');
  readonly instances = new Instances(this);
  readonly keys = new Collection<Key>(this, 'keys', 'key');
  readonly metrics = new Collection<Metric>(this, 'metrics', 'metric');
  readonly storageVolumes = new StorageVolumes(this);
  readonly storageSnapshots = new Collection<StorageSnapshot>(this, 'storage_snapshots', 'storage_snapshot');
  readonly buckets = new Collection<Bucket>(this, 'buckets', 'bucket');
  readonly blobs = new Blobs(this);
  readonly addresses = new Addresses(this);
  readonly loadBalancers = new LoadBalancers(this);
  readonly firewalls = new Firewalls(this);
  readonly networks = new Collection<Network>(this, 'networks', 'network');
  readonly subnets = new Collection<Subnet>(this, 'subnets', 'subnet');
  readonly networkInterfaces = new Collection<NetworkInterface>(this, 'network_interfaces', 'network_interface');

  async instanceStates(opts: CallOptions = {}): Promise<InstanceStates> {
    return this.json<InstanceStates>({ ...opts, method: 'GET', url: await this.collectionUrl('instance_states', opts) });
  }

  async drivers(opts: CallOptions = {}): Promise<Drivers> {
    return this.json<Drivers>({ ...opts, method: 'GET', url: `${this.url}/drivers` });
  }

  /** Polls the instance until it is in `state`, backing off from 250 ms to 5 s; Timeout after `timeoutMs` (default 5 min). */
  async waitForState(instance: Instance | string, state: string, opts: CallOptions & { timeoutMs?: number } = {}): Promise<Instance> {
    const id = typeof instance === 'string' ? instance : instance.id;
    const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
    let delay = 250;
    for (;;) {
      const current = await this.instances.get(id, opts);
      if (current.state === state) return current;
      if (Date.now() + delay > deadline) {
        throw new Timeout(`Instance ${id} is ${current.state ?? 'in no known state'}, not ${state}, after ${opts.timeoutMs ?? 300_000} ms`, undefined, current.href);
      }
      await sleep(delay, opts.signal);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

async function messageOf(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed) && typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not a JSON error document
  }
  return text.trim().split('\n')[0]?.slice(0, 200) || response.statusText || `HTTP ${response.status}`;
}

const member = (base: string, id: string) => `${base}/${encodeURIComponent(id)}`;

/** list, get, create, destroy of one collection. */
export class Collection<T extends { id: string }> {
  constructor(protected readonly client: DeltacloudClient, readonly name: string, readonly singular: string) {}

  async list(filter: Params = {}, opts: CallOptions = {}): Promise<T[]> {
    const url = await this.client.collectionUrl(this.name, opts);
    const body = await this.client.json<Record<string, T[]>>({ ...opts, method: 'GET', url, query: filter });
    return body[this.name] ?? [];
  }

  async get(id: string, opts: CallOptions = {}): Promise<T> {
    const url = member(await this.client.collectionUrl(this.name, opts), id);
    const body = await this.client.json<Record<string, T>>({ ...opts, method: 'GET', url });
    return body[this.singular]!;
  }

  async create(params: Params, opts: CallOptions = {}): Promise<T> {
    const body = await this.post(`/${this.name}`, await this.client.collectionUrl(this.name, opts), params, opts);
    const created = body[this.singular];
    if (created) return created;
    const many = body[this.name];
    if (Array.isArray(many) && many.length > 0) return many[0]!;
    throw new DeltacloudError(`The server answered no ${this.singular}`, undefined, this.client.url);
  }

  async destroy(item: T | string, opts: CallOptions = {}): Promise<void> {
    const id = typeof item === 'string' ? item : item.id;
    await this.client.require('DELETE', `/${this.name}/{id}`, {}, opts);
    const response = await this.client.send({ ...opts, method: 'DELETE', url: member(await this.client.collectionUrl(this.name, opts), id) });
    await response.body?.cancel();
  }

  protected async post<R = Record<string, T>>(template: string, url: string, params: Params, opts: CallOptions): Promise<R> {
    await this.client.require('POST', template, params, opts);
    const response = await this.client.send({ ...opts, method: 'POST', url, form: params });
    const text = await response.text();
    return (text === '' ? {} : JSON.parse(text)) as R;
  }

  protected async memberAction<R>(id: string, action: string, params: Params, opts: CallOptions): Promise<R> {
    const url = `${member(await this.client.collectionUrl(this.name, opts), id)}/${action}`;
    return this.post<R>(`/${this.name}/{id}/${action}`, url, params, opts);
  }
}

export type InstanceAction = 'start' | 'stop' | 'reboot';

export class Instances extends Collection<Instance> {
  constructor(client: DeltacloudClient) {
    super(client, 'instances', 'instance');
  }

  /** Several at once (`instance_count`, where the driver offers it). */
  async createMany(params: Params, opts: CallOptions = {}): Promise<Instance[]> {
    const body = await this.post<Record<string, Instance | Instance[]>>('/instances', await this.client.collectionUrl('instances', opts), params, opts);
    const many = body.instances;
    if (Array.isArray(many)) return many;
    const one = body.instance;
    return one && !Array.isArray(one) ? [one] : [];
  }

  /** Follows the instance's own action link; Conflict, before sending, when its state offers no such action. */
  async act(instance: Instance | string, action: InstanceAction, opts: CallOptions = {}): Promise<Instance> {
    const current = typeof instance === 'string' ? await this.get(instance, opts) : instance;
    const link = current.actions.find((a) => a.rel === action);
    if (!link) {
      const offered = current.actions.map((a) => a.rel).join(', ') || 'none';
      throw new Conflict(`Instance ${current.id} (${current.state ?? 'unknown state'}) offers no '${action}' action (offers: ${offered})`, undefined, current.href);
    }
    const response = await this.client.send({ ...opts, method: 'POST', url: link.href });
    if (response.status >= 300) {
      await response.body?.cancel();
      return this.get(current.id, opts); // the action finished the instance off (302 to itself)
    }
    return (await response.json()) as Instance;
  }

  start(instance: Instance | string, opts?: CallOptions) { return this.act(instance, 'start', opts); }
  stop(instance: Instance | string, opts?: CallOptions) { return this.act(instance, 'stop', opts); }
  reboot(instance: Instance | string, opts?: CallOptions) { return this.act(instance, 'reboot', opts); }

  override async destroy(item: Instance | string, opts: CallOptions = {}): Promise<void> {
    if (typeof item !== 'string' && !item.actions.some((a) => a.rel === 'destroy')) {
      throw new Conflict(`Instance ${item.id} (${item.state ?? 'unknown state'}) cannot be destroyed now`, undefined, item.href);
    }
    return super.destroy(item, opts);
  }

  async run(id: string, params: Params & { cmd: string }, opts: CallOptions = {}): Promise<CommandResult> {
    return this.memberAction<CommandResult>(id, 'run', params, opts);
  }
}

export class StorageVolumes extends Collection<StorageVolume> {
  constructor(client: DeltacloudClient) {
    super(client, 'storage_volumes', 'storage_volume');
  }
  async attach(id: string, params: { instance_id: string; device: string }, opts: CallOptions = {}): Promise<StorageVolume> {
    return (await this.memberAction<{ storage_volume: StorageVolume }>(id, 'attach', params, opts)).storage_volume;
  }
  async detach(id: string, opts: CallOptions = {}): Promise<StorageVolume> {
    return (await this.memberAction<{ storage_volume: StorageVolume }>(id, 'detach', {}, opts)).storage_volume;
  }
}

export class Addresses extends Collection<Address> {
  constructor(client: DeltacloudClient) {
    super(client, 'addresses', 'address');
  }
  async associate(id: string, params: { instance_id: string }, opts: CallOptions = {}): Promise<void> {
    await this.memberAction(id, 'associate', params, opts);
  }
  async disassociate(id: string, opts: CallOptions = {}): Promise<void> {
    await this.memberAction(id, 'disassociate', {}, opts);
  }
}

export class LoadBalancers extends Collection<LoadBalancer> {
  constructor(client: DeltacloudClient) {
    super(client, 'load_balancers', 'load_balancer');
  }
  async register(id: string, params: { instance_id: string }, opts: CallOptions = {}): Promise<LoadBalancer> {
    return (await this.memberAction<{ load_balancer: LoadBalancer }>(id, 'register', params, opts)).load_balancer;
  }
  async unregister(id: string, params: { instance_id: string }, opts: CallOptions = {}): Promise<LoadBalancer> {
    return (await this.memberAction<{ load_balancer: LoadBalancer }>(id, 'unregister', params, opts)).load_balancer;
  }
}

export class Firewalls extends Collection<Firewall> {
  constructor(client: DeltacloudClient) {
    super(client, 'firewalls', 'firewall');
  }
  /** `protocol`, `port_from`, `port_to` and sources as `ip_address1..N` / `group1..N` (+ `group1owner`). */
  async addRule(id: string, params: Params, opts: CallOptions = {}): Promise<Firewall> {
    return (await this.memberAction<{ firewall: Firewall }>(id, 'rules', params, opts)).firewall;
  }
  async deleteRule(id: string, ruleId: string, opts: CallOptions = {}): Promise<void> {
    await this.client.require('DELETE', '/firewalls/{id}/{rule_id}', {}, opts);
    const url = member(member(await this.client.collectionUrl('firewalls', opts), id), ruleId);
    await (await this.client.send({ ...opts, method: 'DELETE', url })).body?.cancel();
  }
}

/** Blobs of a bucket: metadata, and data streamed both ways with progress. */
export class Blobs {
  constructor(private readonly client: DeltacloudClient) {}

  private async url(bucket: string, blob: string, opts: CallOptions): Promise<string> {
    return member(member(await this.client.collectionUrl('buckets', opts), bucket), blob);
  }

  async get(bucket: string, blob: string, opts: CallOptions = {}): Promise<BlobInfo> {
    return (await this.client.json<{ blob: BlobInfo }>({ ...opts, method: 'GET', url: await this.url(bucket, blob, opts) })).blob;
  }

  /** Uploads the data as it is read (a stream is never buffered whole). */
  async put(bucket: string, blob: string, data: BlobData, opts: UploadOptions = {}): Promise<BlobInfo> {
    await this.client.require('PUT', '/buckets/{id}/{blob_id}', {}, opts);
    const headers: Record<string, string> = { 'Content-Type': opts.contentType ?? 'application/octet-stream' };
    for (const [k, v] of Object.entries(opts.metadata ?? {})) headers[`X-Deltacloud-Blobmeta-${k}`] = v;
    const body = opts.onProgress ? countingStream(data, opts.onProgress) : data;
    return (await this.client.json<{ blob: BlobInfo }>({ ...opts, method: 'PUT', url: await this.url(bucket, blob, opts), body, headers })).blob;
  }

  /** The blob's data as a web stream (Node: `Readable.fromWeb`), with progress as it is read. */
  async download(bucket: string, blob: string, opts: TransferOptions = {}): Promise<ReadableStream<Uint8Array>> {
    await this.client.require('GET', '/buckets/{id}/{blob_id}/content', {}, opts);
    const response = await this.client.send({ ...opts, method: 'GET', url: `${await this.url(bucket, blob, opts)}/content`, headers: { Accept: '*/*' } });
    if (!response.body) return new ReadableStream({ start(c) { c.close(); } });
    const length = Number(response.headers.get('content-length') ?? NaN);
    return countingStream(response.body, opts.onProgress, Number.isFinite(length) ? length : undefined);
  }

  async destroy(bucket: string, blob: string, opts: CallOptions = {}): Promise<void> {
    await this.client.require('DELETE', '/buckets/{id}/{blob_id}', {}, opts);
    await (await this.client.send({ ...opts, method: 'DELETE', url: await this.url(bucket, blob, opts) })).body?.cancel();
  }
}

