// Buckets and blobs = S3, through the shared S3 operations
// (src/drivers/shared/s3/buckets.ts); this only says where a new bucket goes.
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsSession } from '../clients.js';
import { AWS_REGION } from '../config.js';
import { s3BucketOperations, type BucketOperations } from '../../shared/s3/buckets.js';
import type { Deps } from './context.js';

export { copySource, s3Metadata } from '../../shared/s3/buckets.js';

export function bucketOperations(deps: Deps): BucketOperations {
  /** The client a bucket in `location` is created with: AWS wants the request in that region. */
  function clientForLocation(s: AwsSession, location: string | undefined): S3Client {
    if (s.provider.custom || !location) return s.s3();
    const region = location === 'EU' ? 'eu-west-1' : location;
    if (!AWS_REGION.test(region) || region === s.provider.region) return s.s3();
    return deps.pool.get('s3', { name: region, region }, s.creds);
  }

  return s3BucketOperations({
    session: deps.session,
    upload: deps.options,
    bucketTarget: (s, location) => ({
      client: clientForLocation(s, location),
      // us-east-1 is AWS's default location, which it refuses to be named.
      constraint: location && !(s.provider.custom === undefined && location === 'us-east-1') ? location : undefined,
    }),
  });
}
