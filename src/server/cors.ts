// Cross-origin reads and writes from browser applications on other origins
// (CORS). Off unless the operator lists origins (`--cors-origins`, env
// DELTACLOUD_CORS_ORIGINS, config `team.corsOrigins`): only a listed origin
// gets `Access-Control-Allow-Origin`, preflights from it are answered here,
// before any front end, and its scripted requests pass the cross-origin write
// check (browser-safety.ts). Credentials mode is not allowed: a page on a
// listed origin sends a token in `Authorization`, never this server's cookie.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { admitCrossOrigin } from '../frontends/deltacloud/browser-safety.js';
import { ConfigError } from './config.js';

const METHODS = 'GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS';
/** Response headers a script may read besides the CORS-safelisted ones. */
const EXPOSED = 'Location, Retry-After, WWW-Authenticate, X-Backend-Runtime, Content-Disposition, ETag';
/** A comma-separated list of header names, as Access-Control-Request-Headers carries it. */
const HEADER_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

/** The origins of `--cors-origins`: `scheme://host[:port]` each, nothing after it. */
export function corsOriginsFrom(value: unknown, what: string): string[] {
  if (value === undefined || value === '') return [];
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  if (!Array.isArray(items)) throw new ConfigError(`${what} must be a list of origins`);
  return items.map((item: unknown) => {
    let origin: string | undefined;
    try {
      origin = typeof item === 'string' ? new URL(item).origin : undefined;
    } catch {
      origin = undefined;
    }
    if (origin === undefined || origin === 'null' || origin !== item) {
      throw new ConfigError(`${what}: '${String(item)}' is not an origin (scheme://host[:port], no path, no wildcard)`);
    }
    return origin;
  });
}

const single = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export class Cors {
  readonly #origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.#origins = new Set(origins);
  }

  /**
   * Adds the CORS headers for a listed origin (kept when the front end writes its answer); answers a
   * preflight itself. True when it answered.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    // The answer depends on Origin for every request, listed or not: caches must keep them apart.
    res.setHeader('vary', 'Origin');
    const origin = single(req.headers.origin);
    if (origin === undefined || !this.#origins.has(origin)) return false;
    res.setHeader('access-control-allow-origin', origin);
    const requested = single(req.headers['access-control-request-method']);
    if (req.method === 'OPTIONS' && requested !== undefined) {
      const headers = single(req.headers['access-control-request-headers']);
      res.writeHead(204, {
        'access-control-allow-methods': METHODS,
        ...(headers !== undefined && HEADER_LIST.test(headers) ? { 'access-control-allow-headers': headers } : {}),
        'access-control-max-age': '600',
        'content-length': '0',
      }).end();
      return true;
    }
    res.setHeader('access-control-expose-headers', EXPOSED);
    // A form post or a navigation from the listed origin is not scripted: it stays under the cross-site check.
    const mode = single(req.headers['sec-fetch-mode']);
    if (mode === undefined || mode === 'cors') admitCrossOrigin(req);
    return false;
  }
}
