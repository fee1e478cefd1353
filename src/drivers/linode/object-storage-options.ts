// The linode driver's Object Storage options (buckets and blobs in driver.ts); the
// listed endpoints and the API token inside the Basic password are read as
// for every provider object store (shared/s3/provider-options.ts).
import { OptionReader } from '../../core/kit/options.js';
import type { RestDriverOptions } from '../shared/rest/provider.js';
import type { S3Endpoint } from '../shared/s3/client.js';
import { listedS3Endpoints } from '../shared/s3/provider-options.js';

/**
 * Object Storage clusters, as the host names of their S3 endpoints name them:
 * legacy cluster ids (`us-east-1`, `eu-central-1`, `ap-south-1`) and the
 * newer regions' `<region>-<n>` (`us-iad-1`, `fr-par-1`, `us-west-00` in
 * Linode's v4.189.0 document).
 */
const CLUSTER = /^[a-z]{2}-[a-z]+-[0-9]{1,2}$/;
/** What listed (S3-compatible, operator-run) endpoints are signed as: AWS's default region. */
const LISTED_SIGNING_REGION = 'us-east-1';

export interface ObjectStorageOptions {
  /** Provider name → its S3 endpoint, with the cluster for the official one. */
  endpoints: ReadonlyMap<string, S3Endpoint & { cluster?: string }>;
}

export function parseObjectStorageOptions(raw: Record<string, unknown>, rest: RestDriverOptions, official: string): ObjectStorageOptions {
  const o = new OptionReader(raw, 'drivers.linode');
  const cluster = o.string('objectStorageCluster', 'us-east-1');
  if (!CLUSTER.test(cluster)) o.fail('objectStorageCluster', 'must be an Object Storage cluster such as us-east-1, eu-central-1, us-iad-1');
  // Linode's S3 endpoint is `<cluster>.linodeobjects.com` (the clusters' `domain`, the keys' `s3_endpoint`),
  // signed with the cluster as region; buckets are reached virtual-host style (`<bucket>.<cluster>.linodeobjects.com`).
  const endpoints = new Map<string, S3Endpoint & { cluster?: string }>([
    [official, { url: `https://${cluster}.linodeobjects.com`, region: cluster, forcePathStyle: false, cluster }],
  ]);
  for (const [name, endpoint] of listedS3Endpoints(o, 'objectStorage', rest, LISTED_SIGNING_REGION)) endpoints.set(name, endpoint);
  return { endpoints };
}
