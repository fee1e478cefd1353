// Operator settings of the openstack driver (the `drivers.openstack` object of
// the server's configuration file). Nothing here comes from clients.
//
//   {
//     "providers": { "local": { "authUrl": "http://127.0.0.1:5001/v3", "region": "RegionOne" } },
//     "allowedAuthUrls": ["https://keystone.example.com:5000/v3"],
//     "defaultProvider": "local",
//     "defaultDomain": "Default",
//     "interface": "public",
//     "segmentSize": 104857600,
//     "computeMicroversion": "2.45",
//     "requestTimeoutMs": 60000,          (was requestTimeoutSeconds: still read, deprecated)
//     "authCacheMarginMs": 60000,         (was authCacheMarginSeconds)
//     "authCacheMaxAgeMs": 3600000,       (was authCacheMaxAgeSeconds)
//     "authCacheSize": 1000,
//     "pageSize": 1000,
//     "floatingNetwork": "public",
//     "defaultFlavor": "m1.small"
//   }

import { OptionReader } from '../../core/kit/options.js';
import { isRecord } from '../../core/guards.js';

export interface ProviderEntry {
  /** The Keystone v3 URL, normalised (see normalizeAuthUrl). */
  authUrl: string;
  region?: string;
}

export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface OpenStackOptions {
  /** Named providers, in configuration order. */
  providers: Map<string, ProviderEntry>;
  /** Keystone URLs (normalised) a client may name directly as the provider. */
  allowedAuthUrls: Set<string>;
  defaultProvider?: string;
  /** Domain of user and project when the user name carries none. */
  defaultDomain: string;
  /** Which catalogue endpoints to use. */
  interface: EndpointInterface;
  /** Blobs larger than this go to Swift as static large objects of segments this size. */
  segmentSize: number;
  /** Compute API microversion sent to Nova (undefined: none). */
  computeMicroversion?: string;
  /** Limit for one back-end call (streamed transfers excepted). */
  requestTimeoutMs: number;
  /** A cached token is renewed this long before Keystone says it expires. */
  authCacheMarginMs: number;
  /** A cached token is renewed after this long at the latest (undefined: only the expiry counts). */
  authCacheMaxAgeMs?: number;
  /** Most credentials whose tokens are cached at once. */
  authCacheSize: number;
  /** `limit` of each page when listing. */
  pageSize: number;
  /** External network (id or name) new floating IPs come from; default: the first `router:external` network. */
  floatingNetwork?: string;
  /** Flavor (id) used when an instance is created without `hwp_id`; default: the smallest flavor. */
  defaultFlavor?: string;
}

export class OpenStackConfigError extends Error {}

/**
 * The canonical form of a Keystone v3 URL: http(s) only, no user info, query or
 * fragment, no trailing slash, ending in `/v3` (added when missing).
 */
export function normalizeAuthUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new OpenStackConfigError(`'${raw}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OpenStackConfigError(`'${raw}' is not an http(s) URL`);
  if (url.username || url.password) throw new OpenStackConfigError(`'${raw}' must not carry user information`);
  url.search = '';
  url.hash = '';
  let path = url.pathname.replace(/\/+$/, '');
  if (!/\/v3$/.test(path)) path += '/v3';
  url.pathname = path;
  return url.href;
}

/** A string of a nested option (`providers.<name>.authUrl`), in the option reader's style. */
function str(value: unknown, what: string): string | undefined {
  return new OptionReader({ [what]: value }, 'drivers.openstack', OpenStackConfigError).string(what);
}

/** `scope` names the options in messages (the rackspace driver reads the shared ones under its own name). */
export function parseOptions(raw: Record<string, unknown>, scope = 'drivers.openstack'): OpenStackOptions {
  const o: OptionReader = new OptionReader(raw, scope, OpenStackConfigError);
  const providers = new Map<string, ProviderEntry>();
  const rawProviders = raw.providers ?? {};
  if (!isRecord(rawProviders)) throw new OpenStackConfigError('providers must be an object: name → {authUrl, region}');
  for (const [name, value] of Object.entries(rawProviders)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new OpenStackConfigError(`provider name '${name}' may only hold letters, digits, '.', '_' and '-'`);
    const entry: Record<string, unknown> | undefined = typeof value === 'string' ? { authUrl: value } : isRecord(value) ? value : undefined;
    if (!entry) throw new OpenStackConfigError(`provider '${name}' must be {authUrl, region}`);
    const authUrl = str(entry.authUrl, `providers.${name}.authUrl`);
    if (!authUrl) throw new OpenStackConfigError(`provider '${name}' has no authUrl`);
    providers.set(name, { authUrl: normalizeAuthUrl(authUrl), region: str(entry.region, `providers.${name}.region`) });
  }
  const allowed = raw.allowedAuthUrls ?? [];
  if (!Array.isArray(allowed)) throw new OpenStackConfigError('allowedAuthUrls must be a list of Keystone URLs');
  const allowedAuthUrls = new Set(allowed.map((u) => normalizeAuthUrl(String(u))));

  const defaultProvider = o.string('defaultProvider');
  const iface = o.string('interface') ?? 'public';
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin') throw new OpenStackConfigError('interface must be public, internal or admin');
  const microversion = raw.computeMicroversion === null ? undefined : o.string('computeMicroversion') ?? '2.45';
  if (microversion !== undefined && !/^2\.\d+$/.test(microversion)) throw new OpenStackConfigError('computeMicroversion must look like 2.45');
  return {
    providers,
    allowedAuthUrls,
    defaultProvider,
    defaultDomain: o.string('defaultDomain') ?? 'Default',
    interface: iface,
    segmentSize: Math.floor(o.number('segmentSize', { min: 1 }, 100 * 1024 * 1024)),
    computeMicroversion: microversion,
    // Durations in ms; the older `…Seconds` names are still read (deprecated).
    requestTimeoutMs: o.durationMs('requestTimeout', { min: 1 }, 60_000),
    authCacheMarginMs: o.durationMs('authCacheMargin', { min: 0 }, 60_000),
    authCacheMaxAgeMs: o.durationMs('authCacheMaxAge', { min: 0 }),
    authCacheSize: Math.floor(o.number('authCacheSize', { min: 1 }, 1000)),
    pageSize: Math.floor(o.number('pageSize', { min: 1 }, 1000)),
    floatingNetwork: o.string('floatingNetwork'),
    defaultFlavor: o.string('defaultFlavor'),
  };
}
