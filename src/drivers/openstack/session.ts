// One client's view of one OpenStack cloud for one request: the token, the
// service catalogue, and calls to the services with re-authentication on 401,
// the compute microversion, timeouts, error mapping and paging.
import type { RequestContext } from '../../core/driver.js';
import { AuthenticationFailure, ServiceMissing } from '../../core/errors.js';
import type { OpenStackOptions } from './config.js';
import { errorForStatus, transportError } from './errors.js';
import { TokenCache, type AuthToken, type CatalogService } from './keystone.js';
import { keystoneV3, type Identity, type SignIn } from './sign-in.js';
import { isRecord } from '../../core/guards.js';
import { httpOutcome, measureServiceCall } from '../../core/kit/service-calls.js';

export const SERVICE_KINDS = ['compute', 'image', 'volume', 'network', 'object-store', 'cdn'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** The services' project names, for metrics. */
const SERVICE_NAMES: Record<ServiceKind, string> = {
  compute: 'nova', image: 'glance', volume: 'cinder', network: 'neutron', 'object-store': 'swift', cdn: 'cloudfiles-cdn',
};

/** Catalogue types per service, preferred first. */
export const SERVICE_TYPES: Record<ServiceKind, readonly string[]> = {
  compute: ['compute'],
  image: ['image'],
  volume: ['block-storage', 'volumev3', 'volumev2', 'volume'],
  network: ['network'],
  'object-store': ['object-store'],
  // Rackspace's Cloud Files CDN management service (cloudFilesCDN).
  cdn: ['rax:object-cdn'],
};

export type Query = Record<string, string | number | boolean | undefined>;

export interface CallOptions {
  query?: Query;
  /** A JSON request body. */
  json?: unknown;
  /** The JSON body to send instead when Nova refuses the microversion (older clouds). */
  legacyJson?: unknown;
  /** A raw body (streamed uploads: not replayable, so no re-authentication retry). */
  body?: AsyncIterable<Uint8Array> | Uint8Array | string;
  headers?: Record<string, string>;
  /**
   * `total` (default): the whole call, body included, within the request timeout and the client's request;
   * `headers`: only until the answer's headers arrive (downloads: the body then streams as long as the client reads);
   * `none`: no deadline of our own (uploads, which last as long as the client sends).
   */
  timeout?: 'total' | 'headers' | 'none';
  /** Statuses returned to the caller instead of thrown (e.g. 404 for "does not exist"). */
  accept?: number[];
}

/** State shared by all sessions of one driver: options, the token cache, and endpoints that refused microversions. */
export class OpenStackClient {
  readonly tokens: TokenCache;
  readonly legacyCompute = new Set<string>();
  private readonly sessions = new WeakMap<RequestContext, Promise<Session>>();

  constructor(readonly options: OpenStackOptions, private readonly identity: Identity = keystoneV3) {
    this.tokens = new TokenCache(options.authCacheSize);
  }

  /** The session for this request (one login per request at most, shared by the driver calls it makes). */
  session(ctx: RequestContext): Promise<Session> {
    let session = this.sessions.get(ctx);
    if (!session) {
      session = this.open(ctx);
      this.sessions.set(ctx, session);
      session.catch(() => this.sessions.delete(ctx));
    }
    return session;
  }

  private async open(ctx: RequestContext): Promise<Session> {
    const session = new Session(this, ctx, this.identity(ctx, this.tokens, this.options));
    await session.login();
    return session;
  }
}

export class Session {
  private auth!: AuthToken;
  private readonly key: string;
  /** Per-request memo for lookups several mappings need (e.g. security group names). */
  readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: OpenStackClient,
    readonly ctx: RequestContext,
    private readonly signIn: SignIn,
  ) {
    this.key = signIn.cacheKey;
  }

  get options(): OpenStackOptions {
    return this.client.options;
  }

  get projectId(): string {
    return this.auth.projectId;
  }

  async login(): Promise<void> {
    this.auth = await this.client.tokens.get(this.key, () => this.signIn.login(this.ctx.signal));
  }

  /** A service refused our token: forget it and log in again. */
  private async relogin(): Promise<void> {
    this.client.tokens.invalidate(this.key, this.auth.token);
    await this.login();
  }

  /** Service kinds the catalogue offers in the provider's region. */
  services(): ServiceKind[] {
    return SERVICE_KINDS.filter((k) => this.findEndpoint(k) !== undefined);
  }

  has(kind: ServiceKind): boolean {
    return this.findEndpoint(kind) !== undefined;
  }

  private findEndpoint(kind: ServiceKind): string | undefined {
    const wanted = this.client.options.interface;
    const region = this.signIn.region;
    for (const type of SERVICE_TYPES[kind]) {
      for (const service of this.auth.catalog.filter((s: CatalogService) => s.type === type)) {
        const endpoint = (service.endpoints ?? []).find((e) =>
          (e.interface ?? 'public') === wanted && (region === undefined || e.region_id === region || e.region === region));
        if (endpoint?.url) return endpoint.url.replace(/\/+$/, '');
      }
    }
    return undefined;
  }

  /** Base URL for `kind`; paths of image and network calls carry their version (`/v2/…`, `/v2.0/…`). */
  endpoint(kind: ServiceKind): string {
    const url = this.findEndpoint(kind);
    if (!url) {
      throw new ServiceMissing(`The service catalogue offers no ${kind} service${this.signIn.region ? ` in region ${this.signIn.region}` : ''}`);
    }
    if (kind === 'image') return url.replace(/\/v2(\.\d+)?$/, '');
    if (kind === 'network') return url.replace(/\/v2\.0$/, '');
    return url;
  }

  /** One call; answers outside 2xx (and `accept`) become typed errors. */
  async request(kind: ServiceKind, method: string, path: string, opts: CallOptions = {}): Promise<Response> {
    const base = this.endpoint(kind);
    const replayable = opts.body === undefined || typeof opts.body === 'string' || opts.body instanceof Uint8Array;
    let reauthenticated = false;
    let legacy = kind === 'compute' && this.client.legacyCompute.has(base);
    for (;;) {
      const res = await this.send(kind, base, method, path, opts, legacy);
      if (res.status === 401) {
        await res.body?.cancel().catch(() => {});
        if (!replayable || reauthenticated) {
          this.client.tokens.invalidate(this.key, this.auth.token);
          throw new AuthenticationFailure(`The ${kind} service refused the token`);
        }
        reauthenticated = true;
        await this.relogin();
        continue;
      }
      if (res.status === 406 && kind === 'compute' && !legacy && this.client.options.computeMicroversion && replayable) {
        // The cloud predates our microversion: speak the base 2.1 API to this endpoint from now on.
        await res.body?.cancel().catch(() => {});
        this.client.legacyCompute.add(base);
        legacy = true;
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) return res;
      const text = await readBounded(res, 64 * 1024);
      throw errorForStatus(res.status, res.headers, text, kind);
    }
  }

  private async send(kind: ServiceKind, base: string, method: string, path: string, opts: CallOptions, legacy: boolean): Promise<Response> {
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers, 'X-Auth-Token': this.auth.token };
    const microversion = this.client.options.computeMicroversion;
    if (kind === 'compute' && microversion && !legacy) {
      headers['OpenStack-API-Version'] = `compute ${microversion}`;
      headers['X-OpenStack-Nova-API-Version'] = microversion;
    }
    let body: RequestInit['body'];
    const json = legacy && opts.legacyJson !== undefined ? opts.legacyJson : opts.json;
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (opts.body !== undefined) {
      body = opts.body as RequestInit['body'];
    }
    const mode = opts.timeout ?? 'total';
    const limitMs = this.client.options.requestTimeoutMs;
    let signal: AbortSignal;
    let detach = () => {};
    if (mode === 'total') {
      signal = AbortSignal.any([this.ctx.signal, AbortSignal.timeout(limitMs)]);
    } else {
      // The client's request (and our deadline) govern only until the headers arrive; a streamed body then lives on its own.
      const controller = new AbortController();
      const onAbort = () => controller.abort(this.ctx.signal.reason);
      if (this.ctx.signal.aborted) controller.abort(this.ctx.signal.reason);
      else this.ctx.signal.addEventListener('abort', onAbort, { once: true });
      const timer = mode === 'headers'
        ? setTimeout(() => controller.abort(new DOMException('The operation timed out', 'TimeoutError')), limitMs)
        : undefined;
      signal = controller.signal;
      detach = () => {
        this.ctx.signal.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      };
    }
    try {
      return await measureServiceCall(SERVICE_NAMES[kind], this.ctx, () => fetch(url, {
        method,
        headers,
        body,
        redirect: 'manual',
        signal,
        ...(opts.body !== undefined && typeof opts.body !== 'string' && !(opts.body instanceof Uint8Array) ? { duplex: 'half' } : {}),
      }), (r) => httpOutcome(r.status));
    } catch (e) {
      throw transportError(e, kind);
    } finally {
      detach();
    }
  }

  /** A call whose answer body is of no interest (it is discarded, freeing the connection); resolves to the status. */
  async exec(kind: ServiceKind, method: string, path: string, opts: CallOptions = {}): Promise<number> {
    const res = await this.request(kind, method, path, opts);
    await res.body?.cancel().catch(() => {});
    return res.status;
  }

  /** A call answering JSON (undefined for an empty body, or for a status in `accept`). */
  async json<T>(kind: ServiceKind, method: string, path: string, opts: CallOptions = {}): Promise<T | undefined> {
    const res = await this.request(kind, method, path, opts);
    if (res.status < 200 || res.status >= 300) {
      await res.body?.cancel().catch(() => {});
      return undefined;
    }
    const text = await res.text();
    if (!text.trim()) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw errorForStatus(502, res.headers, '', kind);
    }
  }

  /** GET that answers undefined on 404. */
  getOrUndefined<T>(kind: ServiceKind, path: string, query?: Query): Promise<T | undefined> {
    return this.json<T>(kind, 'GET', path, { query, accept: [404] });
  }

  /**
   * Every item of a paged listing: `limit`/`marker`, following the service's
   * next links (`<key>_links` or Glance's `next`) until there are none. Only
   * the marker of a next link is used, against the catalogue's endpoint (next
   * links often name an internal host). With `markerOf` (Swift) the marker is
   * the last item's, while pages come back full.
   */
  async listAll<T>(kind: ServiceKind, path: string, key: string | undefined, opts: { query?: Query; markerOf?: (item: T) => string } = {}): Promise<T[]> {
    const limit = this.client.options.pageSize;
    const all: T[] = [];
    const seen = new Set<string>();
    let marker: string | undefined;
    for (let page = 0; page < 1_000_000; page++) {
      const body = await this.json<unknown>(kind, 'GET', path, { query: { ...opts.query, limit, marker } });
      const found = key === undefined ? body : isRecord(body) ? body[key] : undefined;
      if (!Array.isArray(found) || found.length === 0) break;
      // The service's JSON is trusted to hold items of the listing's shape (as json<T>() trusts it).
      const items = found as T[];
      all.push(...items);
      let next: string | undefined;
      if (opts.markerOf) {
        if (items.length >= limit) next = opts.markerOf(items[items.length - 1]!);
      } else {
        next = isRecord(body) && key !== undefined ? markerOfNextLink(body, key) : undefined;
      }
      if (next === undefined || seen.has(next)) break;
      seen.add(next);
      marker = next;
    }
    return all;
  }
}

/** The `marker` of a page's next link: `<key>_links: [{rel: next, href}]` or Glance's `next`. */
function markerOfNextLink(body: Record<string, unknown>, key: string): string | undefined {
  let href: string | undefined;
  const links = body[`${key}_links`];
  const next: unknown = Array.isArray(links) ? links.find((l) => isRecord(l) && l.rel === 'next') : undefined;
  if (isRecord(next) && typeof next.href === 'string') href = next.href;
  if (href === undefined && typeof body.next === 'string') href = body.next;
  if (!href) return undefined;
  try {
    return new URL(href, 'http://next.invalid/').searchParams.get('marker') ?? undefined;
  } catch {
    return undefined;
  }
}

/** At most `max` bytes of a response body as text (error documents). */
async function readBounded(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a truncated error body still has a status
  } finally {
    reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** A listing filtered by id is a show: its result as a list of zero or one. */
export function asList<T>(one: T | undefined): T[] {
  return one === undefined ? [] : [one];
}
