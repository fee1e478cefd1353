// Rendered reads, reused while the driver's revision is unchanged. Only for
// drivers that can tell cheaply when their state changed (Driver.revision);
// keyed by everything a rendering depends on, including a digest of the
// credentials (listings depend on who asks), never the credentials themselves.
//
// Clients poll: the same GET, byte for byte, arrives again and again. Such a
// repeat is answered straight from the Node request (`answerRepeat`), before
// the framework routes or parses anything, when an identical request was
// answered from a rendering that is still current. "Identical" means the
// same URL and the same value of every header except a few that nothing in
// the server reads (REPEAT_IGNORED), so whatever shaped the first answer
// (credentials, Accept, Host, X-Forwarded-*, driver headers) shapes the key.
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { securityHeaders } from './browser-safety.js';

export interface CachedRendering {
  contentType: string;
  bytes: Buffer;
  etag: string;
}

/** Headers that never change an answer of the Deltacloud front end; they stay out of a request's fingerprint. */
const REPEAT_IGNORED = new Set([
  'user-agent', 'connection', 'keep-alive', 'accept-encoding', 'accept-language', 'cache-control', 'pragma', 'referer', 'dnt',
  'upgrade-insecure-requests', 'te', 'priority', 'x-request-id', 'traceparent', 'tracestate',
]);

/** Digests of requests (which carry Authorization) are keyed by this per-process secret, as other credential-keyed caches. */
const DIGEST_KEY = randomBytes(32);
const digestOf = (text: string) => createHmac('sha256', DIGEST_KEY).update(text).digest('base64');

const FINGERPRINT = Symbol('deltacloud request fingerprint');
type FingerprintedRequest = IncomingMessage & { [FINGERPRINT]?: string | null };

/**
 * Digest of a bodiless GET's URL and significant headers, or null for any
 * other request. A digest, so the table never holds an Authorization value.
 * Computed once per request.
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

/** Whose revision tells whether a rendering is current (a Driver). */
interface Revisioned {
  revision(): string;
  /** Present when other processes (replicas) can change the state: revision() is current only after it. */
  syncRevision?(): Promise<void>;
}

interface Repeat {
  key: string;
  source: Revisioned;
  /** The identity headers of the answer (Server, X-Deltacloud-Driver, …). */
  identity: Record<string, string>;
  /** The complete headers for `rendering`, rebuilt when the rendering changes. */
  headers?: OutgoingHttpHeaders;
  rendering?: CachedRendering;
}

export class RenderCache {
  private readonly entries = new Map<string, { revision: string; rendering: CachedRendering }>();
  private readonly repeats = new Map<string, Repeat>();
  /** Off while the server logs every request (--verbose) or is shutting down. */
  repeatsEnabled = true;

  constructor(private readonly maxEntries = 1000) {}

  static key(parts: { driver: string; provider?: string; format: string; base: string; authorization?: string; url: string }): string {
    const who = parts.authorization ? digestOf(parts.authorization) : '-';
    return `${parts.driver}\n${parts.provider ?? ''}\n${parts.format}\n${parts.base}\n${who}\n${parts.url}`;
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

  set(key: string, revision: string, rendering: CachedRendering): void {
    bounded(this.entries, key, this.maxEntries).set(key, { revision, rendering });
  }

  /** Notes that this request is answered by the rendering under `key`, so that its repeats can be answered early. */
  rememberRepeat(req: IncomingMessage, key: string, source: Revisioned, identity: Record<string, string>): void {
    // Repeats are answered before any await, so only for a revision no other process can move.
    if (!this.repeatsEnabled || source.syncRevision) return;
    const print = fingerprint(req);
    if (print === null || this.repeats.get(print)?.key === key) return;
    bounded(this.repeats, print, this.maxEntries).set(print, { key, source, identity });
  }

  /**
   * Answers a repeat of a remembered request from its still-current
   * rendering and returns true; returns false (having written nothing) for
   * anything else.
   */
  answerRepeat(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.repeatsEnabled || this.repeats.size === 0) return false;
    const print = fingerprint(req);
    if (print === null) return false;
    const repeat = this.repeats.get(print);
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
}

/** The map, with its oldest entry dropped if adding `key` would exceed `max` (a Map iterates in insertion order). */
function bounded<V>(map: Map<string, V>, key: string, max: number): Map<string, V> {
  if (map.size >= max && !map.has(key)) map.delete(map.keys().next().value!);
  return map;
}
