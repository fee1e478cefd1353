// DigitalOcean Spaces (S3-compatible object storage) → buckets and blobs,
// through the shared S3 operations (src/drivers/shared/s3/).
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
import { AuthenticationFailure, NotSupported, ValidationFailure } from '../../core/errors.js';
import { s3BucketOperations, DEFAULT_UPLOAD_OPTIONS, type BucketOperations } from '../shared/s3/buckets.js';
import type { S3Endpoint, S3Store, S3StoreSession } from '../shared/s3/client.js';
import { keyAndSecret } from '../shared/s3/credentials.js';
import { apiToken, type SpacesOptions } from './spaces-options.js';

/** Buckets and blobs of the request's provider's Spaces endpoint, with the Spaces keys of its password. */
export function spacesOperations(options: SpacesOptions, store: S3Store, providerOf: (ctx: RequestContext) => string): BucketOperations {
  function endpointOf(ctx: RequestContext): S3Endpoint & { spacesRegion?: string } {
    const provider = providerOf(ctx);
    const endpoint = options.endpoints.get(provider);
    if (!endpoint) throw new NotSupported(`Provider '${provider}' offers no Spaces endpoint (the operator lists them under drivers.digitalocean.spaces)`);
    return endpoint;
  }

  const sessionOf = (ctx: RequestContext): S3StoreSession => {
    const endpoint = endpointOf(ctx);
    const password = ctx.requireCredentials().password;
    const colon = password.indexOf(':');
    const keys = colon < 0 ? undefined : keyAndSecret(password.slice(colon + 1));
    if (!keys) {
      throw new AuthenticationFailure('Spaces needs its own access key: send the password as <API token>:<Spaces access key>:<Spaces secret>');
    }
    return store.session(ctx, endpoint, keys, [apiToken(password)]);
  };

  return s3BucketOperations({
    session: sessionOf,
    upload: DEFAULT_UPLOAD_OPTIONS,
    bucketTarget: (s, location) => {
      // A bucket lives in the region of the endpoint it is created through.
      const region = endpointOf(s.ctx).spacesRegion;
      if (location && location !== region) {
        throw new ValidationFailure(`Spaces buckets of this provider are created in ${region ?? 'the region of its Spaces endpoint'}; another location needs another provider`);
      }
      return { client: s.s3() };
    },
  });
}
