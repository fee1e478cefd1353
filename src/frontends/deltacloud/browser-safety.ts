// Defences for people using the API in a browser. Browsers resend cached
// Basic credentials with every request to this server, including a form that
// another site submits or a script elsewhere fires off, so a state-changing
// request that a browser marks as coming from another origin is refused
// (CSRF). API clients (curl, the Ruby client, deltacloudc) send no Origin or
// Referer and are not affected. Security headers keep pages out of frames and
// away from foreign scripts.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden } from '../../core/errors.js';

/** Methods that change nothing: never refused, whoever links to them. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/** On every response: no content sniffing (a blob served as text/plain stays text). */
const EVERY_RESPONSE: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff' };

/** On HTML: only this server's own styles and forms, never framed, no URLs leaked to other sites. */
const HTML_RESPONSE: Readonly<Record<string, string>> = {
  ...EVERY_RESPONSE,
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

const isHtml = (contentType: string | undefined) => contentType !== undefined && /^text\/html\b/i.test(contentType);

/** The security headers of a response with this Content-Type (the same on every path that answers). */
export function securityHeaders(contentType: string | undefined): Readonly<Record<string, string>> {
  return isHtml(contentType) ? HTML_RESPONSE : EVERY_RESPONSE;
}

/** Fastify `onSend` hook: adds the security headers to whatever is sent. */
export function addSecurityHeaders(_req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  const contentType = reply.getHeader('content-type');
  reply.headers(securityHeaders(typeof contentType === 'string' ? contentType : undefined));
  done(null, payload);
}

function originOf(url: string): string | undefined {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

const single = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Why a request must be refused as cross-origin, or undefined when it may
 * proceed. `ownOrigin` is `scheme://host[:port]` as clients reach this server.
 * A request without Origin, Referer and Sec-Fetch-Site is not a browser's and
 * proceeds.
 */
export function crossOriginRefusal(method: string, headers: IncomingHttpHeaders, ownOrigin: string): string | undefined {
  if (SAFE_METHODS.has(method.toUpperCase())) return undefined;
  if (single(headers['sec-fetch-site'])?.toLowerCase() === 'cross-site') return 'the browser reports it as cross-site';
  const own = originOf(ownOrigin);
  // Browsers send `Origin: null` from sandboxed frames and opaque origins: never this server's (originOf gives undefined).
  const sameOrigin = (url: string) => own !== undefined && originOf(url) === own;
  const origin = single(headers.origin);
  if (origin !== undefined) return sameOrigin(origin) ? undefined : 'its Origin is another site';
  const referer = single(headers.referer);
  if (referer !== undefined) return sameOrigin(referer) ? undefined : 'its Referer is another site';
  return undefined;
}

/** Scripted requests from an origin the operator lists for CORS (server/cors.ts): no forgery. */
const admittedCrossOrigin = new WeakSet<IncomingMessage>();
export const admitCrossOrigin = (req: IncomingMessage) => void admittedCrossOrigin.add(req);

/**
 * A Fastify `onRequest` hook that refuses cross-origin state changes with
 * 403 before any body is read (the error handler renders the error document).
 */
export function refuseCrossOrigin(ownOrigin: (req: FastifyRequest) => string) {
  // A callback hook, not an async one: no promise per request on the hot path.
  return (req: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    // Safe methods never need the origin worked out.
    const reason = SAFE_METHODS.has(req.method) || admittedCrossOrigin.has(req.raw) ? undefined : crossOriginRefusal(req.method, req.headers, ownOrigin(req));
    done(reason === undefined ? undefined : new Forbidden(`Cross-origin request refused: ${reason}; submit the form from this server's own pages`));
  };
}
