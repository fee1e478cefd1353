// DigitalOcean Spaces (S3-compatible object storage) → buckets and blobs,
// through the shared provider object-store operations
// (src/drivers/shared/s3/provider-buckets.ts).
//
// Where: each provider of the driver has at most one Spaces endpoint. The
// official provider's is `https://<spacesRegion>.digitaloceanspaces.com`
// (option `spacesRegion`, default nyc3); the operator gives listed providers
// theirs under `spaces` (provider name → URL, path-style addressing):
//
//   "drivers": { "digitalocean": {
//     "endpoints": { "staging": "https://api.staging.example" },
//     "spacesRegion": "fra1",
//     "spaces": { "staging": "https://s3.staging.example" }
//   } }
//
// Who: Spaces has its own access keys, which travel after the API token in
// the Basic password: `<token>:<access key>:<secret>` (the token never holds
// a `:`; the secret is what follows the last one).
import type { RequestContext } from '../../core/driver.js';
import type { BucketOperations } from '../shared/s3/buckets.js';
import type { S3Store } from '../shared/s3/client.js';
import { providerBucketOperations } from '../shared/s3/provider-buckets.js';
import type { SpacesOptions } from './spaces-options.js';

/** Buckets and blobs of the request's provider's Spaces endpoint, with the Spaces keys of its password. */
export function spacesOperations(options: SpacesOptions, store: S3Store, providerOf: (ctx: RequestContext) => string): BucketOperations {
  return providerBucketOperations({
    name: 'Spaces',
    optionPath: 'drivers.digitalocean.spaces',
    endpoints: options.endpoints,
    locationOf: (endpoint) => endpoint.spacesRegion,
    store,
    providerOf,
  });
}
