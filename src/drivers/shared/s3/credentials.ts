// S3 credentials as clients send them inside HTTP Basic, and the key under
// which anything cached per caller is kept.
import { createHmac, randomBytes } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * `access key:secret` split at the LAST colon: secrets never contain one, but
 * some S3-compatible stores have access keys that do (Swift's tempauth:
 * `account:user`), so `test:tester:testing` → `test:tester` / `testing`.
 */
export function keyAndSecret(text: string): { accessKeyId: string; secretAccessKey: string } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || colon === text.length - 1) return undefined;
  return { accessKeyId: text.slice(0, colon), secretAccessKey: text.slice(colon + 1) };
}

/** Cache keys hold an HMAC of the secret under this per-process key, never the secret. */
const CACHE_KEY_SECRET = randomBytes(32);

/**
 * Who a request is, for keying anything cached from the back end: access key
 * id and a keyed hash of secret and session token. A cache keyed by less
 * would answer a wrong secret from a right one's entry.
 */
export function credentialKey(creds: AwsCredentials): string {
  const digest = createHmac('sha256', CACHE_KEY_SECRET).update(`${creds.secretAccessKey}\0${creds.sessionToken ?? ''}`).digest('base64url');
  return `${creds.accessKeyId}|${digest}`;
}
