// Operator settings of the rackspace driver (`drivers.rackspace` of the
// server's configuration file). Nothing here comes from clients.
//
//   {
//     "identityUrl": "https://identity.api.rackspacecloud.com/v2.0",   (the default)
//     "regions": ["DFW", "ORD"],        (default: all six documented regions)
//     "defaultRegion": "DFW",
//     "serviceNet": false,              (true: the catalogue's internalURL, Rackspace's ServiceNet)
//     "segmentSize": 104857600, "requestTimeoutMs": 60000, "authCacheMarginMs": 60000,
//     "authCacheMaxAgeMs": …, "authCacheSize": 1000, "pageSize": 1000, "defaultFlavor": "…",
//     "computeMicroversion": "2.x"      (default: none; Rackspace's Nova predates microversions)
//   }
import { OptionReader } from '../../core/kit/options.js';
import { OpenStackConfigError, parseOptions, type OpenStackOptions } from '../openstack/config.js';

/** The regions Rackspace documents for Cloud Files (docs-cloud-files, general-api-info/service-access.rst). */
export const RACKSPACE_REGIONS = ['DFW', 'ORD', 'IAD', 'LON', 'SYD', 'HKG'] as const;
export type RackspaceRegion = (typeof RACKSPACE_REGIONS)[number];

export const DEFAULT_IDENTITY_URL = 'https://identity.api.rackspacecloud.com/v2.0';

const SCOPE = 'drivers.rackspace';

/** Options the rackspace driver shares with the openstack driver's session and services. */
const SHARED = [
  'segmentSize', 'requestTimeoutMs', 'requestTimeoutSeconds', 'authCacheMarginMs', 'authCacheMarginSeconds',
  'authCacheMaxAgeMs', 'authCacheMaxAgeSeconds', 'authCacheSize', 'pageSize', 'defaultFlavor', 'computeMicroversion',
] as const;

export interface RackspaceOptions {
  /** Identity v2.0 base URL, normalised (ends in /v2.0, no trailing slash). */
  identityUrl: string;
  /** The regions clients may choose, in documented order. */
  regions: RackspaceRegion[];
  defaultRegion?: RackspaceRegion;
  serviceNet: boolean;
  /** The session's options (interface `internal` with ServiceNet). */
  openstack: OpenStackOptions;
}

export function isRegion(value: string): value is RackspaceRegion {
  return RACKSPACE_REGIONS.some((r) => r === value);
}

/** http(s), no user information, query or fragment; `/v2.0` appended when missing. */
function normalizeIdentityUrl(raw: string, o: OptionReader): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    o.fail('identityUrl', 'must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') o.fail('identityUrl', 'must be an http(s) URL');
  if (url.username || url.password || url.search || url.hash) o.fail('identityUrl', 'must not carry user information, a query or a fragment');
  let path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/v2.0')) path += '/v2.0';
  url.pathname = path;
  return url.href;
}

export function parseRackspaceOptions(raw: Record<string, unknown>): RackspaceOptions {
  const o = new OptionReader(raw, SCOPE, OpenStackConfigError);
  const identityUrl = normalizeIdentityUrl(o.string('identityUrl', DEFAULT_IDENTITY_URL), o);
  const listed = o.strings('regions')?.map((r) => r.toUpperCase());
  for (const r of listed ?? []) if (!isRegion(r)) o.fail('regions', `may only name ${RACKSPACE_REGIONS.join(', ')} (not '${r}')`);
  const regions = RACKSPACE_REGIONS.filter((r) => listed === undefined || listed.includes(r));
  if (regions.length === 0) o.fail('regions', 'must name at least one region');
  const defaultName = o.string('defaultRegion')?.toUpperCase();
  const defaultRegion = defaultName === undefined ? undefined : regions.find((r) => r === defaultName);
  if (defaultName !== undefined && defaultRegion === undefined) o.fail('defaultRegion', `must be one of ${regions.join(', ')}`);
  const serviceNet = o.boolean('serviceNet', false);

  const shared: Record<string, unknown> = { computeMicroversion: null };
  for (const name of SHARED) if (raw[name] !== undefined) shared[name] = raw[name];
  const openstack = parseOptions({ ...shared, interface: serviceNet ? 'internal' : 'public' }, SCOPE);
  return { identityUrl, regions, defaultRegion, serviceNet, openstack };
}
