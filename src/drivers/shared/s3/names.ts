// S3's naming rules, checked before any request: a name S3 cannot take would
// otherwise reach the SDK (a `/` changes the request path, an over-long name
// comes back as an unparsable answer) and end as a 500 instead of a 400.
import { isIP } from 'node:net';
import { ValidationFailure } from '../../../core/errors.js';

const NEW_BUCKET = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
/** Names AWS reserves for its own features. */
const RESERVED_PREFIXES = ['xn--', 'sthree-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3'];
/** us-east-1 accepted these until 2018: buckets with such names may still exist, so they can be read and deleted. */
const LEGACY_BUCKET = /^[A-Za-z0-9._-]+$/;
const MAX_KEY_BYTES = 1024;

function invalid(reason: string): ValidationFailure {
  return new ValidationFailure(`Invalid bucket name (InvalidBucketName): ${reason}`);
}

/**
 * Checks a bucket name. A new bucket must follow today's rules (every S3 we
 * know, AWS, Swift s3api, MinIO, Ceph, enforces them on create): 3-63
 * characters, lower-case letters, digits, dots and hyphens, starting and
 * ending with a letter or digit, no `..`, not shaped like an IP address.
 * Existing buckets are named under the legacy rules too: 3-255 characters
 * of letters, digits, dots, hyphens and underscores.
 */
export function checkBucketName(name: string, use: 'create' | 'existing'): void {
  const max = use === 'create' ? 63 : 255;
  if (name.length < 3 || name.length > max) throw invalid(`must be 3 to ${max} characters long, got ${name.length}`);
  if (use === 'existing') {
    if (!LEGACY_BUCKET.test(name)) throw invalid('only letters, digits, dots, hyphens and underscores are allowed');
    return;
  }
  if (!NEW_BUCKET.test(name)) {
    throw invalid('only lower-case letters, digits, dots and hyphens are allowed, and it must start and end with a letter or digit');
  }
  if (name.includes('..')) throw invalid('two dots in a row are not allowed');
  if (isIP(name) !== 0) throw invalid('it must not be formatted as an IP address');
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p)) || RESERVED_SUFFIXES.some((s) => name.endsWith(s))) {
    throw invalid(`the prefixes ${RESERVED_PREFIXES.join(', ')} and suffixes ${RESERVED_SUFFIXES.join(', ')} are reserved`);
  }
}

/** Object keys: 1 to 1024 bytes of UTF-8. */
export function checkBlobKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0 || bytes > MAX_KEY_BYTES) {
    throw new ValidationFailure(`Invalid blob name (KeyTooLongError): must be 1 to ${MAX_KEY_BYTES} bytes of UTF-8, got ${bytes}`);
  }
}
