// One client's view of one OpenStack cloud for one request: the token, the
// service catalogue, and calls to the services with re-authentication on 401
// and the compute microversion. HTTP itself (timeouts, error mapping, paging)
// is the shared REST client's, one per service endpoint over one connection pool.
import { Agent } from 'undici';
import type { RequestContext } from '../../core/driver.js';
import { AuthenticationFailure, ServiceMissing } from '../../core/errors.js';
import { isRecord } from '../../core/guards.js';
import { discard, followPages, RestClient, type HttpMethod, type Paging, type Query, type RawResponse, type RequestOptions } from '../shared/rest/client.js';
import type { OpenStackOptions } from './config.js';
import { openstackErrorMessage } from './errors.js';
import { TokenCache, type AuthToken, type CatalogService } from './keystone.js';
import { keystoneV3, type Identity, type SignIn } from './sign-in.js';

export const SERVICE_KINDS = ['compute', 'image', 'volume', 'network', 'object-store', 'cdn'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

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

export interface CallOptions extends RequestOptions {
  /** The JSON body to send instead when Nova refuses the microversion (older clouds). */
  legacyJson?: unknown;
}

/** Endpoints (catalogue URLs, identity URLs) with a REST client kept; beyond, the oldest is dropped (its pool is the shared one). */
const MAX_ENDPOINTS = 256;

/** State shared by all sessions of one driver: options, the token cache, endpoints that refused microversions, the connection pool. */
export class OpenStackClient {
  readonly tokens: TokenCache;
  readonly legacyCompute = new Set<string>();
  private readonly sessions = new WeakMap<RequestContext, Promise<Session>>();
  private readonly agent: Agent;
  private readonly endpoints = new Map<string, RestClient>();

  constructor(readonly options: OpenStackOptions, private readonly identity: Identity = keystoneV3) {
    this.tokens = new TokenCache(options.authCacheSize);
    this.agent = new Agent({ headersTimeout: options.requestTimeoutMs, bodyTimeout: options.requestTimeoutMs, connections: 32 });
  }

  /** The REST client of one endpoint of `service` (compute, identity, …), as messages name it. */
  rest(baseUrl: string, service: string): RestClient {
    const key = `${service} ${baseUrl}`;
    let client = this.endpoints.get(key);
    if (!client) {
      if (this.endpoints.size >= MAX_ENDPOINTS) this.endpoints.delete(this.endpoints.keys().next().value!);
      client = new RestClient({ baseUrl, service, subject: `The ${service} service`, errorMessage: openstackErrorMessage, dispatcher: this.agent });
      this.endpoints.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    this.endpoints.clear();
    await this.agent.close();
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
    const session = new Session(this, ctx, this.identity(ctx, this));
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
    this.auth = await this.client.tokens.get(this.key, () => this.signIn.login(this.ctx));
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

  /** One call, its body unread (the caller reads or discards it); answers outside 2xx (and `accept`) become typed errors. */
  async request(kind: ServiceKind, method: HttpMethod, path: string, opts: CallOptions = {}): Promise<RawResponse> {
    const base = this.endpoint(kind);
    const rest = this.client.rest(base, kind);
    const replayable = opts.body === undefined || typeof opts.body === 'string' || opts.body instanceof Uint8Array;
    const microversion = this.client.options.computeMicroversion;
    let reauthenticated = false;
    let legacy = kind === 'compute' && this.client.legacyCompute.has(base);
    for (;;) {
      const versioned = kind === 'compute' && microversion !== undefined && !legacy;
      const res = await rest.raw(this.ctx, { header: 'X-Auth-Token', token: this.auth.token }, method, path, {
        ...opts,
        json: legacy && opts.legacyJson !== undefined ? opts.legacyJson : opts.json,
        headers: { ...opts.headers, ...(versioned ? { 'OpenStack-API-Version': `compute ${microversion}`, 'X-OpenStack-Nova-API-Version': microversion } : {}) },
        // 401 and a refused microversion are answered here; other statuses as the caller accepts them.
        accept: [...(opts.accept ?? []), 401, ...(versioned && replayable ? [406] : [])],
      });
      if (res.status === 401) {
        await discard(res);
        if (!replayable || reauthenticated) {
          this.client.tokens.invalidate(this.key, this.auth.token);
          throw new AuthenticationFailure(`The ${kind} service refused the token`);
        }
        reauthenticated = true;
        await this.relogin();
        continue;
      }
      if (res.status === 406 && versioned && replayable && !opts.accept?.includes(406)) {
        // The cloud predates our microversion: speak the base 2.1 API to this endpoint from now on.
        await discard(res);
        this.client.legacyCompute.add(base);
        legacy = true;
        continue;
      }
      return res;
    }
  }

  /** A call whose answer body is of no interest (it is discarded, freeing the connection); resolves to the status. */
  async exec(kind: ServiceKind, method: HttpMethod, path: string, opts: CallOptions = {}): Promise<number> {
    const res = await this.request(kind, method, path, opts);
    await discard(res);
    return res.status;
  }

  /** A call answering JSON (undefined for an empty body, or for a status in `accept`). */
  async json<T>(kind: ServiceKind, method: HttpMethod, path: string, opts: CallOptions = {}): Promise<T | undefined> {
    const res = await this.request(kind, method, path, opts);
    return (await this.client.rest(this.endpoint(kind), kind).read<T>(res)).body;
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
  listAll<T>(kind: ServiceKind, path: string, key: string | undefined, opts: { query?: Query; markerOf?: (item: T) => string } = {}): Promise<T[]> {
    const limit = this.client.options.pageSize;
    const items = (body: unknown): T[] => {
      const found = key === undefined ? body : isRecord(body) ? body[key] : undefined;
      // The service's JSON is trusted to hold items of the listing's shape (as json<T>() trusts it).
      return Array.isArray(found) ? (found as T[]) : [];
    };
    const paging: Paging<T> = {
      first: { limit },
      items,
      next: (body) => {
        const page = items(body);
        const marker = opts.markerOf
          ? (page.length >= limit ? opts.markerOf(page[page.length - 1]!) : undefined)
          : isRecord(body) && key !== undefined ? markerOfNextLink(body, key) : undefined;
        return marker === undefined ? undefined : { query: { marker } };
      },
    };
    const fetchPage = async (p: string, query: Query) => {
      const res = await this.request(kind, 'GET', p, { query });
      return this.client.rest(this.endpoint(kind), kind).read<unknown>(res);
    };
    // Next links are never followed as URLs (only their marker is used).
    return followPages(fetchPage, () => undefined, path, paging, opts.query);
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

/** An answer's headers as WHATWG Headers (case-insensitive lookups, iteration for Swift's metadata). */
export function headersOf(res: RawResponse): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  return headers;
}

/** A listing filtered by id is a show: its result as a list of zero or one. */
export function asList<T>(one: T | undefined): T[] {
  return one === undefined ? [] : [one];
}
