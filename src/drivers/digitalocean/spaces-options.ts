// The digitalocean driver's Spaces options (see spaces.ts); the listed
// endpoints and the API token inside the Basic password are read as for
// every provider object store (shared/s3/provider-options.ts).
import { OptionReader } from '../../core/kit/options.js';
import type { S3Endpoint } from '../shared/s3/client.js';
import { listedS3Endpoints } from '../shared/s3/provider-options.js';
import type { RestDriverOptions } from '../shared/rest/provider.js';

export { apiToken } from '../shared/s3/provider-options.js';

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
  for (const [name, endpoint] of listedS3Endpoints(o, 'spaces', rest, SIGNING_REGION)) endpoints.set(name, endpoint);
  return { endpoints };
}
