// What the Deltacloud front end knows about a request as its hooks learn it:
// the target (path, matrix and query parameters), then the driver, provider
// and format. Attached to the Fastify request of the plugin's scope.
import type { FastifyRequest } from 'fastify';
import type { Credentials, Driver } from '../../core/driver.js';
import type { Format } from './negotiation.js';
import type { Operation, UploadedFile } from './operation.js';
import type { Params } from './params.js';

export const MOUNT = '/api';
export const SERVER_HEADER = 'Apache-Deltacloud/1.1.3';

/** A token's back end (server/team): the profile's driver, provider and cloud credentials. */
export interface BoundBackend {
  /** Names the profile (and its version): renderings are cached per profile, not per token. */
  profile: string;
  driver: string;
  provider?: string;
  credentials?: Credentials;
}

export interface RequestState {
  /** The request URL as received (path, matrix and query). */
  rawUrl: string;
  /** Decoded path segments below the host, without matrix parameters (`['api', 'instances']`). */
  segments: string[];
  /** Matrix parameters per segment, and those of the last segment (spec §1.2). */
  matrix: Record<string, Record<string, string>>;
  lastSegmentMatrix: Record<string, string>;
  driverId: string;
  provider?: string;
  /** The back end the request's API token binds it to (server/team), which replaces the client's choice and credentials. */
  bound?: BoundBackend;
  /** Loaded once the driver is chosen (preHandler). */
  driver?: Driver;
  params: Params;
  /** Names the request carried, before empty values were dropped (required parameters count by name, §7.3). */
  presentNames: string[];
  urlPath: string;
  /** The format errors are rendered in; the reply's once an operation is chosen. */
  format: Format;
  /** Formats acceptable to the client, best first. */
  ranked: readonly Format[];
  operation?: Operation;
  uploads: UploadedFile[];
  uploadDir?: string;
  /** The form body was left unparsed (a type other than form data): only raw-body operations take it. */
  rawBody: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    deltacloud?: RequestState | null;
  }
}

export function credentialsFrom(header: string | undefined): Credentials | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
const PLAUSIBLE_HOST = /^[A-Za-z0-9.\-_[\]:]+$/;

/** Absolute URL of the mount from the request, honouring X-Forwarded-* (spec §1.1). */
export function mountUrl(req: FastifyRequest): string {
  const h = req.headers;
  const proto = first(h['x-forwarded-proto']) || req.protocol;
  let host = first(h['x-forwarded-host']) || h.host || 'localhost';
  const port = first(h['x-forwarded-port']);
  if (port && /^\d+$/.test(port) && !/:\d+$/.test(host)) {
    const defaultPort = proto === 'https' ? '443' : '80';
    if (port !== defaultPort) host = `${host}:${port}`;
  }
  // Only a plausible host[:port] may become part of links; anything else falls back.
  if (!PLAUSIBLE_HOST.test(host)) host = 'localhost';
  return `${proto === 'https' ? 'https' : 'http'}://${host}${MOUNT}`;
}

/** The URL's path and query string. */
export function splitUrl(rawUrl: string): { path: string; query: string } {
  const q = rawUrl.indexOf('?');
  return q < 0 ? { path: rawUrl, query: '' } : { path: rawUrl.slice(0, q), query: rawUrl.slice(q + 1) };
}

/** The one header value a request carries under `name` (the first, if repeated). */
export function headerOf(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The state of a request in the plugin's scope (its onRequest hook always sets it). */
export function stateOf(req: FastifyRequest): RequestState {
  const state = req.deltacloud;
  if (!state) throw new Error('Deltacloud request state missing: the onRequest hook did not run');
  return state;
}
