// Buckets and blobs of a REST-API driver's S3-compatible object store
// (options and credentials: provider-options.ts), through the shared S3
// operations: the request's provider picks the endpoint, the store's keys
// come after the API token in the Basic password.
import { COLLECTIONS, type CollectionName, type RequestContext } from '../../../core/driver.js';
import { AuthenticationFailure, NotSupported, ValidationFailure } from '../../../core/errors.js';
import { s3BucketOperations, DEFAULT_UPLOAD_OPTIONS, type BucketOperations } from './buckets.js';
import type { S3Endpoint, S3Store, S3StoreSession } from './client.js';
import { keyAndSecret } from './credentials.js';
import { apiToken } from './provider-options.js';

export interface ProviderObjectStore<E extends S3Endpoint> {
  /** What the provider calls its store, e.g. `Spaces`, `Object Storage`. */
  name: string;
  /** Where the operator lists endpoints, e.g. `drivers.digitalocean.spaces`. */
  optionPath: string;
  /** Provider name → its store's endpoint. */
  endpoints: ReadonlyMap<string, E>;
  /** The region (or cluster) buckets made through an endpoint live in, where known. */
  locationOf: (endpoint: E) => string | undefined;
  store: S3Store;
  providerOf: (ctx: RequestContext) => string;
}

/** Buckets and blobs of the request's provider's store, with the store's keys of its password. */
export function providerBucketOperations<E extends S3Endpoint>(p: ProviderObjectStore<E>): BucketOperations {
  function endpointOf(ctx: RequestContext): E {
    const provider = p.providerOf(ctx);
    const endpoint = p.endpoints.get(provider);
    if (!endpoint) throw new NotSupported(`Provider '${provider}' offers no ${p.name} endpoint (the operator lists them under ${p.optionPath})`);
    return endpoint;
  }

  const sessionOf = (ctx: RequestContext): S3StoreSession => {
    const endpoint = endpointOf(ctx);
    const password = ctx.requireCredentials().password;
    const colon = password.indexOf(':');
    const keys = colon < 0 ? undefined : keyAndSecret(password.slice(colon + 1));
    if (!keys) {
      throw new AuthenticationFailure(`${p.name} needs its own access key: send the password as <API token>:<${p.name} access key>:<${p.name} secret>`);
    }
    return p.store.session(ctx, endpoint, keys, [apiToken(password)]);
  };

  return s3BucketOperations({
    session: sessionOf,
    upload: DEFAULT_UPLOAD_OPTIONS,
    bucketTarget: (s, location) => {
      // A bucket lives in the region of the endpoint it is created through.
      const here = p.locationOf(endpointOf(s.ctx));
      if (location && location !== here) {
        throw new ValidationFailure(`${p.name} buckets of this provider are created in ${here ?? `the region of its ${p.name} endpoint`}; another location needs another provider`);
      }
      return { client: s.s3() };
    },
  });
}

/** Every collection, buckets only where the provider has a store. */
export function collectionsWithStore(hasStore: boolean): CollectionName[] {
  return COLLECTIONS.filter((c) => hasStore || c !== 'buckets');
}
