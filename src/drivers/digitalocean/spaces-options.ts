// The digitalocean driver's Spaces options and the API token inside the
// Basic password (see spaces.ts); kept apart from the S3 SDK, which only the
// loaded driver needs.
import { OptionReader } from '../../core/kit/options.js';
import type { S3Endpoint } from '../shared/s3/client.js';
import type { RestDriverOptions } from '../shared/rest/provider.js';

/** Spaces regions are slugs like `nyc3`, `fra1`, `sgp1`. */
const SPACES_REGION = /^[a-z]{3}[0-9]$/;
/** Spaces signs as AWS's default region whatever its own region is (DigitalOcean's SDK examples). */
const SIGNING_REGION = 'us-east-1';

export interface SpacesOptions {
  /** Provider name → its Spaces endpoint, with the Spaces region for official ones. */
  endpoints: ReadonlyMap<string, S3Endpoint & { spacesRegion?: string }>;
}

export function parseSpacesOptions(raw: Record<string, unknown>, rest: RestDriverOptions, official: string): SpacesOptions {
  const o: OptionReader = new OptionReader(raw, 'drivers.digitalocean');
  const region = o.string('spacesRegion', 'nyc3');
  if (!SPACES_REGION.test(region)) o.fail('spacesRegion', 'must be a Spaces region slug such as nyc3, ams3, fra1');
  const endpoints = new Map<string, S3Endpoint & { spacesRegion?: string }>([
    [official, { url: `https://${region}.digitaloceanspaces.com`, region: SIGNING_REGION, forcePathStyle: false, spacesRegion: region }],
  ]);
  const listed = o.value('spaces') ?? {};
  if (typeof listed !== 'object' || listed === null || Array.isArray(listed)) o.fail('spaces', 'must be an object: provider name → Spaces (S3) URL');
  for (const [name, value] of Object.entries(listed)) {
    if (!rest.endpoints.has(name)) o.fail(`spaces.${name}`, `names no provider (providers: ${[...rest.endpoints.keys()].join(', ')})`);
    let url: URL | undefined;
    try {
      url = new URL(typeof value === 'string' ? value : '');
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
      o.fail(`spaces.${name}`, 'must be an http(s) URL without user information, query or fragment');
    }
    endpoints.set(name, { url: url.href.replace(/\/+$/, ''), region: SIGNING_REGION, forcePathStyle: true });
  }
  return { endpoints };
}

/** The API token: the Basic password up to its first `:` (DigitalOcean tokens hold none). */
export function apiToken(password: string): string {
  const colon = password.indexOf(':');
  return colon < 0 ? password : password.slice(0, colon);
}

