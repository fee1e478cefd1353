// One HTTP client for drivers whose provider is a JSON REST API (DigitalOcean,
// Linode, …), on undici. It only speaks HTTP: base URL, auth header, JSON in
// and out, the provider's error body → a core error, and page following.
// Deadline, retries of idempotent calls, classification of failures below HTTP
// and redaction of logged arguments are the call pipeline's (src/core/kit):
// every request here runs on the request's `ctx.signal`, and every error it
// throws is a core error the pipeline knows how to classify and retry.
import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { RequestContext } from '../../../core/driver.js';
import { BackendUnreachable, DeltacloudError, ProviderError, ValidationFailure } from '../../../core/errors.js';
import { errorForHttp, retryAfterSeconds, transportError } from '../../../core/kit/classify.js';
import { FILTERED } from '../../../core/kit/redact.js';
import { httpOutcome, measureServiceCall } from '../../../core/kit/service-calls.js';

/** How calls authenticate: a bearer token, Basic, or a token in a header of its own (OpenStack's X-Auth-Token). */
export type RestAuth = { bearer: string } | { basic: { user: string; password: string } } | { header: string; token: string };

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RestClientOptions {
  /** `https://api.example.com` (paths carry the API version, as the provider documents them). */
  baseUrl: string;
  /** The provider's name in messages ("the DigitalOcean API"). */
  service: string;
  /** How messages name the back end, when not "The <service> API" ("The identity service"). */
  subject?: string;
  /** The human message inside one of the provider's error bodies (`body` parsed JSON, undefined when it is not JSON), if any. */
  errorMessage: (body: unknown, text: string) => string | undefined;
  /** Limit of one call until its answer's headers, and between two chunks of its body. */
  requestTimeoutMs?: number;
  /** Tests inject their own dispatcher. */
  dispatcher?: Dispatcher;
}

export interface RequestOptions {
  query?: Query;
  /** A JSON request body. */
  json?: unknown;
  /** A body as it is (a streamed one can be sent only once). */
  body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  /** More request headers (names in any case). */
  headers?: Record<string, string>;
  /** Statuses answered to the caller instead of thrown (e.g. 404 for "does not exist"). */
  accept?: readonly number[];
  /**
   * `total` (default): the request's signal and the client's timeouts govern the whole call;
   * `headers`: only until the answer's headers (downloads: the body then streams as long as it is read);
   * `none`: no timeout of ours, the request's signal until the headers (uploads last as long as their sender).
   */
  timeout?: 'total' | 'headers' | 'none';
}

/** An answer whose body is the caller's to read or destroy. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export interface RestResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body; undefined when empty or for a status in `accept` outside 2xx. */
  body: T | undefined;
}

/** Error bodies beyond this are cut (only a message is wanted from them). */
const MAX_ERROR_BODY = 64 * 1024;
const MAX_MESSAGE = 500;
/** A listing that has not ended after this many pages is a loop. */
const MAX_PAGES = 10_000;

/** What an API of one provider answers; shared by all requests of a driver (one connection pool). */
export class RestClient {
  private readonly base: URL;
  private readonly dispatcher: Dispatcher;
  private readonly ownDispatcher: boolean;

  constructor(private readonly options: RestClientOptions) {
    this.base = new URL(options.baseUrl);
    const timeout = options.requestTimeoutMs ?? 60_000;
    this.ownDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new Agent({ headersTimeout: timeout, bodyTimeout: timeout, connections: 32 });
  }

  get service(): string {
    return this.options.service;
  }

  private get subject(): string {
    return this.options.subject ?? `The ${this.options.service} API`;
  }

  /**
   * One call, its body unread (the caller reads or destroys it); answers
   * outside 2xx and `accept` become core errors carrying the provider's message.
   * Without `auth` nothing authenticates the call (sign-in requests).
   */
  async raw(ctx: RequestContext, auth: RestAuth | undefined, method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const url = this.url(path, opts.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;
    if (auth) Object.assign(headers, authHeader(auth));
    // undici takes a stream for an iterable body.
    let body = opts.body === undefined || typeof opts.body === 'string' || opts.body instanceof Uint8Array ? opts.body : Readable.from(opts.body, { objectMode: false });
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    const mode = opts.timeout ?? 'total';
    // Outside `total`, the request's signal is linked only until the headers: a streamed body then lives on its own.
    const link = mode === 'total' ? undefined : linkedUntilDetached(ctx.signal);
    let answer: Dispatcher.ResponseData;
    try {
      answer = await measureServiceCall(this.options.service, ctx, () => request(url, {
        method, headers, body, signal: link?.signal ?? ctx.signal, dispatcher: this.dispatcher,
        ...(mode === 'headers' ? { bodyTimeout: 0 } : mode === 'none' ? { headersTimeout: 0, bodyTimeout: 0 } : {}),
      }), (a) => httpOutcome(a.statusCode));
    } catch (e) {
      throw scrubbed(this.transportFailure(e), auth);
    } finally {
      link?.detach();
    }
    const status = answer.statusCode;
    if ((status < 200 || status >= 300) && !opts.accept?.includes(status)) {
      const text = await readBounded(answer.body, MAX_ERROR_BODY);
      throw scrubbed(this.errorFor(status, text, header(answer.headers, 'retry-after')), auth);
    }
    return { status, headers: answer.headers, body: answer.body };
  }

  /** One call; answers outside 2xx (and `accept`) become core errors carrying the provider's message. */
  async request<T>(ctx: RequestContext, auth: RestAuth | undefined, method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<RestResponse<T>> {
    return this.read<T>(await this.raw(ctx, auth, method, path, opts), auth);
  }

  /** The JSON of an answer `raw` gave: undefined when empty, and for a status outside 2xx (its body is discarded). */
  async read<T>(answer: RawResponse, auth?: RestAuth): Promise<RestResponse<T>> {
    const { status, headers } = answer;
    if (status < 200 || status >= 300) {
      await discard(answer);
      return { status, headers, body: undefined };
    }
    const text = await answer.body.text().catch((e: unknown) => {
      throw scrubbed(transportError(e, this.subject) ?? new ProviderError(`${this.subject} broke off its answer`), auth);
    });
    if (!text.trim()) return { status, headers, body: undefined };
    try {
      return { status, headers, body: JSON.parse(text) as T };
    } catch {
      throw new ProviderError(`${this.subject} answered with something other than JSON`);
    }
  }

  /** The parsed body of a call (undefined for an empty body or an accepted status outside 2xx). */
  async json<T>(ctx: RequestContext, auth: RestAuth | undefined, method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T | undefined> {
    return (await this.request<T>(ctx, auth, method, path, opts)).body;
  }

  /** GET answering undefined on 404. */
  getOrUndefined<T>(ctx: RequestContext, auth: RestAuth, path: string, query?: Query): Promise<T | undefined> {
    return this.json<T>(ctx, auth, 'GET', path, { query, accept: [404] });
  }

  /** Every item of a paged listing, following pages as `paging` says. */
  all<T, B = unknown>(ctx: RequestContext, auth: RestAuth, path: string, paging: Paging<T, B>, query: Query = {}): Promise<T[]> {
    return followPages((p, q) => this.request<B>(ctx, auth, 'GET', p, { query: q }), (link) => this.under(link), path, paging, query);
  }

  /** Releases the connection pool (driver close). */
  async close(): Promise<void> {
    if (this.ownDispatcher) await this.dispatcher.close();
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(this.base.href.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /**
   * A next link as path and query under the base URL. Only its path and query
   * are used, always against the base URL: links may name another host (an
   * internal one, or the official endpoint behind the operator's proxy), and
   * we never connect anywhere the operator did not list.
   */
  private under(link: string): { path: string; query: Query } | undefined {
    let url: URL;
    try {
      url = new URL(link, this.base);
    } catch {
      return undefined;
    }
    const prefix = this.base.pathname.replace(/\/+$/, '');
    if (!url.pathname.startsWith(prefix)) return undefined;
    return { path: url.pathname.slice(prefix.length), query: Object.fromEntries(url.searchParams) };
  }

  private transportFailure(e: unknown): DeltacloudError {
    // A streamed request body that did not match its Content-Length (the client's upload broke off).
    if (networkCode(e) === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return new ValidationFailure('The request body does not match its Content-Length');
    return transportError(e, this.subject) ?? new BackendUnreachable(`Cannot talk to ${this.subject.replace(/^The /, 'the ')}`);
  }

  private errorFor(status: number, text: string, retryAfter: string | undefined): DeltacloudError {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (a proxy's HTML page): errorMessage may still read the text
    }
    const message = this.options.errorMessage(parsed, text);
    const clipped = message && message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
    const fallback = status >= 500 ? `${this.subject} failed (HTTP ${status})` : '';
    return errorForHttp(status, clipped || fallback, retryAfterSeconds(retryAfter));
  }
}

/**
 * Every item of a paged listing: `fetchPage` fetches one page, `resolveLink`
 * turns a next link into a path and query (or refuses it). Shared by
 * RestClient.all and clients that fetch pages their own way (OpenStack's
 * re-authenticating session).
 */
export async function followPages<T, B>(
  fetchPage: (path: string, query: Query) => Promise<RestResponse<B>>,
  resolveLink: (link: string) => { path: string; query: Query } | undefined,
  path: string, paging: Paging<T, B>, query: Query = {},
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  const ids = new Set<string>();
  let next: { path: string; query: Query } | undefined = { path, query: { ...query, ...paging.first } };
  for (let page = 1; next && page <= MAX_PAGES; page++) {
    const answer: RestResponse<B> = await fetchPage(next.path, next.query);
    if (answer.body === undefined) break;
    const found = paging.items(answer.body);
    for (const item of found) {
      // Page-wise listings of a changing collection repeat members that moved to the next page meanwhile.
      const id = paging.idOf?.(item);
      if (id !== undefined && ids.has(id)) continue;
      if (id !== undefined) ids.add(id);
      items.push(item);
    }
    const step = paging.next(answer.body, answer.headers, { page, count: found.length });
    next = undefined;
    if (step === undefined || found.length === 0) break;
    if ('url' in step) {
      const link = resolveLink(step.url);
      const key = JSON.stringify(link);
      if (link === undefined || seen.has(key)) break;
      seen.add(key);
      next = link;
    } else {
      const key = JSON.stringify(step.query);
      if (seen.has(key)) break;
      seen.add(key);
      next = { path, query: { ...query, ...paging.first, ...step.query } };
    }
  }
  return items;
}

/**
 * How a listing pages. `first` is the query of the first page (page size);
 * `next` tells from a page what comes after it: a URL (a next link in the
 * body or a Link header), or query parameters (a cursor, a page number),
 * or undefined at the end.
 */
export interface Paging<T, B = unknown> {
  first?: Query;
  items: (body: B) => T[];
  /** The member's id: a member already listed is not listed again. */
  idOf?: (item: T) => string;
  next: (body: B, headers: RestResponse<B>['headers'], at: { page: number; count: number }) => { url: string } | { query: Query } | undefined;
}

/** Next-link paging: the URL of the next page from the body, else from an RFC 8288 `Link: <…>; rel="next"` header. */
export function linkPaging<T, B>(items: (body: B) => T[], nextUrl: (body: B) => string | undefined = () => undefined, first?: Query): Paging<T, B> {
  return {
    first,
    items,
    next: (body, headers) => {
      const url = nextUrl(body) ?? nextOfLinkHeader(header(headers, 'link'));
      return url ? { url } : undefined;
    },
  };
}

/** Cursor paging: the cursor of the next page from the body, sent back as `param`. */
export function cursorPaging<T, B>(items: (body: B) => T[], cursor: (body: B, items: T[]) => string | undefined, param: string, first?: Query): Paging<T, B> {
  return {
    first,
    items,
    next: (body) => {
      const value = cursor(body, items(body));
      return value ? { query: { [param]: value } } : undefined;
    },
  };
}

/** Page-number paging: pages 1…`pages(body)`, the number sent as `param`. */
export function pageNumberPaging<T, B>(items: (body: B) => T[], pages: (body: B) => number | undefined, param = 'page', first?: Query): Paging<T, B> {
  return {
    first,
    items,
    next: (body, _headers, at) => {
      const total = pages(body);
      return total !== undefined && at.page < total ? { query: { [param]: at.page + 1 } } : undefined;
    },
  };
}

/** The `rel="next"` target of an RFC 8288 Link header. */
export function nextOfLinkHeader(value: string | undefined): string | undefined {
  if (!value) return undefined;
  for (const part of value.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?(;|$)/i.test(match[2]!)) return match[1];
  }
  return undefined;
}

function authHeader(auth: RestAuth): Record<string, string> {
  if ('header' in auth) return { [auth.header.toLowerCase()]: auth.token };
  if ('bearer' in auth) return { authorization: `Bearer ${auth.bearer}` };
  return { authorization: `Basic ${basicOf(auth.basic)}` };
}

const basicOf = (basic: { user: string; password: string }) => Buffer.from(`${basic.user}:${basic.password}`).toString('base64');

/** The secret of an auth, as it could appear in a provider's message. */
function secretsOf(auth: RestAuth): string[] {
  if ('header' in auth) return [auth.token];
  return 'bearer' in auth ? [auth.bearer] : [auth.basic.password, basicOf(auth.basic)];
}

/** The error with any occurrence of the credentials in its message replaced (a provider may echo what it was sent). */
function scrubbed(error: DeltacloudError, auth: RestAuth | undefined): DeltacloudError {
  for (const secret of auth ? secretsOf(auth) : []) if (secret) error.message = error.message.split(secret).join(FILTERED);
  return error;
}

/** A signal that follows `signal` until detached. */
function linkedUntilDetached(signal: AbortSignal): { signal: AbortSignal; detach: () => void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, detach: () => signal.removeEventListener('abort', onAbort) };
}

/** Frees the connection of an answer whose body is of no interest. */
export async function discard(answer: RawResponse): Promise<void> {
  await answer.body.dump().catch(() => answer.body.destroy());
}

function networkCode(e: unknown): unknown {
  return typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
}

function header(headers: RestResponse<unknown>['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBounded(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      chunks.push(buffer);
      size += buffer.length;
      if (size >= max) break;
    }
  } catch {
    // a truncated error body still has a status
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** One request's calls to one provider: the client, the request's context (signal) and the client's credentials, bound. */
export class RestCalls {
  constructor(readonly client: RestClient, readonly ctx: RequestContext, private readonly auth: RestAuth) {}

  get<T>(path: string, query?: Query): Promise<T | undefined> {
    return this.client.json<T>(this.ctx, this.auth, 'GET', path, { query });
  }

  /** GET answering undefined on 404. */
  find<T>(path: string, query?: Query): Promise<T | undefined> {
    return this.client.getOrUndefined<T>(this.ctx, this.auth, path, query);
  }

  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, json?: unknown, accept?: readonly number[]): Promise<T | undefined> {
    return this.client.json<T>(this.ctx, this.auth, method, path, { json, accept });
  }

  all<T, B = unknown>(path: string, paging: Paging<T, B>, query?: Query): Promise<T[]> {
    return this.client.all<T, B>(this.ctx, this.auth, path, paging, query);
  }
}
