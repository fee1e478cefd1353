// Rendered reads, reused while the driver's revision is unchanged. Only for
// drivers that can tell cheaply when their state changed (Driver.revision).
//
// The key holds every input of a rendering (see RenderKeyParts): a rendering
// is reused only for a request that would render the same bytes. Credentials
// and the other request headers a driver may read enter it as a keyed digest,
// never as text.
//
// Clients poll: the same GET, byte for byte, arrives again and again. Such a
// repeat is answered straight from the Node request (`answer`, the
// EarlyResponder the server runs before Fastify), when an identical request
// was already answered from a rendering that is still current. "Identical"
// means the same URL and the same value of every header except a few that
// nothing in the server reads (REPEAT_IGNORED), so whatever shaped the first
// answer (credentials, Accept, Host, X-Forwarded-*, driver headers) shapes the
// fingerprint. A rendering is stored when its key is rendered the second time
// (the first leaves only a fingerprint behind), and a request is remembered as
// a repeat once it was answered from the cache (its third time), so one-off
// reads never pay for either.
import { hash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { securityHeaders } from './browser-safety.js';
import { SeenOnceFilter } from './seen-once.js';

/**
 * A rendering as stored: the text it was rendered as, turned into bytes once,
 * when it is first answered from the cache (a fresh rendering is sent as
 * text, which Node writes with the headers in one go; most are never reused).
 */
export class CachedRendering {
  private encoded: Buffer | undefined;

  constructor(readonly contentType: string, private readonly text: string, readonly etag: string) {}

  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(this.text, 'utf8'));
  }
}

/**
 * Answers some requests before the framework sees them. The server's request
 * listener calls `answer` first and hands the request to Fastify only when it
 * returns false.
 */
export interface EarlyResponder {
  /** Answers `req` completely and returns true, or returns false having written nothing. */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
  /** From now on answers nothing early: every request takes the full path (access logs, shutdown 503s). */
  stop(): void;
  /**
   * What the caller noted with the remembered repeat `req` is (same URL and significant headers,
   * Authorization included: its fingerprint), if any. The caller alone gives it meaning.
   */
  noteOf(req: IncomingMessage): unknown;
  /** Notes `note` with the remembered repeat `req` is; nothing when it is none. */
  setNote(req: IncomingMessage, note: unknown): void;
}

/** Everything a cached rendering depends on besides the driver's revision. */
export interface RenderKeyParts {
  driver: string;
  provider: string | undefined;
  format: string;
  /** The absolute URL links start with (from Host and X-Forwarded-*, plus the HTML back-end choice). */
  base: string;
  /** The request URL as received: path, matrix and query parameters. */
  url: string;
  /** Authorization (unless the operator fixed the credentials) and every `x-deltacloud-*` header: what drivers may read. */
  headers: IncomingHttpHeaders;
  credentialsFixed: boolean;
  /** Whom the answer is for when not the Authorization header: an API token's profile (server/team). */
  principal?: string;
}

/** Whose revision tells whether a rendering is current (a Driver). */
export interface Revisioned {
  revision(): string;
  /** Present when other processes (replicas) can change the state: revision() is current only after it. */
  syncRevision?(): Promise<void>;
}

/** Headers that never change an answer of the Deltacloud front end; they stay out of a request's fingerprint. */
const REPEAT_IGNORED = new Set([
  'user-agent', 'connection', 'keep-alive', 'accept-encoding', 'accept-language', 'cache-control', 'pragma', 'referer', 'dnt',
  'upgrade-insecure-requests', 'te', 'priority', 'x-request-id', 'traceparent', 'tracestate',
]);

/** The headers drivers read per request are named so (e.g. `x-deltacloud-aws-session-token`); all of them are in the key. */
const DRIVER_HEADER_PREFIX = 'x-deltacloud-';

/**
 * Keyed digest (a per-process random prefix, then SHA-256): the tables never hold an Authorization
 * value, and nobody outside this process can compute a digest. One-shot, far cheaper than an HMAC object per request.
 */
const DIGEST_PREFIX = randomBytes(32).toString('base64');
const digestOf = (text: string) => hash('sha256', DIGEST_PREFIX + text, 'base64');

/** The last credentials digested, and their digest: a client's requests carry the same Authorization one after another. */
let lastWho = '';
let lastWhoDigest = '';
function whoDigest(who: string): string {
  if (who !== lastWho) {
    lastWhoDigest = digestOf(who);
    lastWho = who;
  }
  return lastWhoDigest;
}

const FINGERPRINT = Symbol('deltacloud request fingerprint');
type FingerprintedRequest = IncomingMessage & { [FINGERPRINT]?: string | null };

/**
 * Digest of a bodiless GET's URL and significant headers, or null for any
 * other request. Computed once per request.
 */
function fingerprint(req: FingerprintedRequest): string | null {
  const known = req[FINGERPRINT];
  if (known !== undefined) return known;
  let text: string | null = null;
  if (req.method === 'GET') {
    text = req.url ?? '';
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      // A GET with a body is parsed differently: never a repeat.
      if ((name === 'content-length' && raw[i + 1] !== '0') || name === 'transfer-encoding') {
        text = null;
        break;
      }
      if (REPEAT_IGNORED.has(name) || name.startsWith('sec-')) continue;
      text += `\n${name}:${raw[i + 1]}`;
    }
  }
  const digest = text === null ? null : digestOf(text);
  req[FINGERPRINT] = digest;
  return digest;
}

interface Repeat {
  url: string;
  key: string;
  source: Revisioned;
  /** The identity headers of the answer (Server, X-Deltacloud-Driver, …). */
  identity: Record<string, string>;
  /** The complete headers for `rendering`, rebuilt when the rendering changes. */
  headers?: OutgoingHttpHeaders;
  rendering?: CachedRendering;
  /** See EarlyResponder.noteOf. */
  note?: unknown;
}

interface Entry {
  revision: string;
  rendering: CachedRendering;
}

/**
 * Slots of the filter of renderings made once (a power of two). Most reads with a new URL (a one-off
 * query string) are never repeated: a rendering is stored only when its key is rendered a second
 * time, and until then nothing of it is kept (see seen-once.ts).
 */
const FIRST_TIME_SLOTS = 1024;

export class RenderCache implements EarlyResponder {
  /** Renderings answered from the cache at least once (the polled ones), least recently stored first. */
  private readonly entries = new Map<string, Entry>();
  /** The keys rendered once lately. */
  private readonly renderedOnce = new SeenOnceFilter(FIRST_TIME_SLOTS);
  private readonly repeats = new Map<string, Repeat>();
  /** How many remembered repeats each URL has: requests for other URLs are passed on without a fingerprint. */
  private readonly repeatUrls = new Map<string, number>();
  /** Off while the server logs every request (--verbose) or is shutting down. */
  private repeatsEnabled = true;

  constructor(private readonly maxEntries = 1000) {}

  static key(parts: RenderKeyParts): string {
    const { headers } = parts;
    let who = parts.principal ?? (parts.credentialsFixed ? '' : headers.authorization ?? '');
    for (const name in headers) if (name.startsWith(DRIVER_HEADER_PREFIX)) who += `\n${name}:${String(headers[name])}`;
    return `${parts.driver}\n${parts.provider ?? ''}\n${parts.format}\n${parts.base}\n${who === '' ? '-' : whoDigest(who)}\n${parts.url}`;
  }

  /** The headers of a 200 answered from `rendering` (both paths send exactly these, plus Node's own). */
  static headers(identity: Record<string, string>, rendering: CachedRendering): OutgoingHttpHeaders {
    return {
      ...identity,
      'x-backend-runtime': '0.000000',
      etag: rendering.etag,
      'cache-control': 'max-age=0, private, must-revalidate',
      'content-type': rendering.contentType,
      'content-length': rendering.bytes.length,
      ...securityHeaders(rendering.contentType),
    };
  }

  get(key: string, revision: string): CachedRendering | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.revision !== revision) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.rendering;
  }

  /** Stores a fresh rendering: in place of an older one of its key, or when its key is rendered the second time lately. */
  set(key: string, revision: string, rendering: CachedRendering): void {
    if (this.entries.has(key)) this.entries.set(key, { revision, rendering });
    else if (this.renderedOnce.seenBefore(key)) insertBounded(this.entries, key, { revision, rendering }, this.maxEntries);
  }

  /** Notes that this request was answered by the rendering under `key`, so that its repeats can be answered early. */
  rememberRepeat(req: IncomingMessage, key: string, source: Revisioned, identity: Record<string, string>): void {
    // Repeats are answered before any await, so only for a revision no other process can move.
    if (!this.repeatsEnabled || req.url === undefined || source.syncRevision) return;
    const print = fingerprint(req);
    if (print === null || this.repeats.get(print)?.key === key) return;
    this.forgetRepeat(print);
    if (this.repeats.size >= this.maxEntries) this.forgetRepeat(this.repeats.keys().next().value!);
    this.repeats.set(print, { url: req.url, key, source, identity });
    this.repeatUrls.set(req.url, (this.repeatUrls.get(req.url) ?? 0) + 1);
  }

  private forgetRepeat(print: string): void {
    const repeat = this.repeats.get(print);
    if (!repeat) return;
    this.repeats.delete(print);
    const count = (this.repeatUrls.get(repeat.url) ?? 1) - 1;
    if (count > 0) this.repeatUrls.set(repeat.url, count);
    else this.repeatUrls.delete(repeat.url);
  }

  /** The remembered repeat `req` is, if any. */
  private repeatOf(req: IncomingMessage): Repeat | undefined {
    if (!this.repeatsEnabled || req.url === undefined || !this.repeatUrls.has(req.url)) return undefined;
    const print = fingerprint(req);
    return print === null ? undefined : this.repeats.get(print);
  }

  noteOf(req: IncomingMessage): unknown {
    return this.repeatOf(req)?.note;
  }

  setNote(req: IncomingMessage, note: unknown): void {
    const repeat = this.repeatOf(req);
    if (repeat) repeat.note = note;
  }

  /**
   * Answers a repeat of a remembered request from its still-current
   * rendering and returns true; returns false (having written nothing) for
   * anything else.
   */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    const repeat = this.repeatOf(req);
    if (!repeat) return false;
    const rendering = this.get(repeat.key, repeat.source.revision());
    if (!rendering) return false;
    if (repeat.rendering !== rendering) {
      repeat.rendering = rendering;
      repeat.headers = RenderCache.headers(repeat.identity, rendering);
    }
    req.resume();
    res.writeHead(200, repeat.headers);
    res.end(rendering.bytes);
    return true;
  }

  stop(): void {
    this.repeatsEnabled = false;
  }
}

/** Adds to a map kept in insertion order, dropping its oldest entry when it is full. */
function insertBounded<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (map.size >= max && !map.has(key)) map.delete(map.keys().next().value!);
  map.set(key, value);
}
