// API tokens: `dct_<id>_<secret>`. The id is public (listings, audit lines);
// only the SHA-256 of the secret is stored, compared in constant time. A
// token also stands for an EC2 access key pair (`DCT<ID>` and a secret derived
// from the operator's key), so that SigV4 clients can use it: the EC2 front
// end must know the secret to verify signatures, and derives it instead of
// storing it.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from './secret-box.js';

const TOKEN_SHAPE = /^dct_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const EC2_KEY_SHAPE = /^DCT([0-9A-F]{16})$/;

export interface TokenParts {
  id: string;
  secret: string;
}

export function newToken(): TokenParts & { token: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `dct_${id}_${secret}` };
}

/** The id and secret of a well-formed token, else undefined. */
export function parseToken(text: string): TokenParts | undefined {
  const m = TOKEN_SHAPE.exec(text);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

// One-shot hashing: no Hash object per request (this runs on every token request).
export const hashSecret = (secret: string) => hash('sha256', secret, 'hex');

/** Whether `secret` hashes to `storedHash` (hex, or its bytes), in time independent of where they differ. */
export function secretMatches(secret: string, storedHash: string | Buffer): boolean {
  const given = hash('sha256', secret, 'buffer');
  const stored = typeof storedHash === 'string' ? Buffer.from(storedHash, 'hex') : storedHash;
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** Whether two strings are equal, in time that depends on their lengths only, not on where they differ. */
export function sameText(given: string, known: string): boolean {
  let differ = given.length ^ known.length;
  for (let i = 0; i < known.length; i++) differ |= given.charCodeAt(i) ^ known.charCodeAt(i);
  return differ === 0;
}

export const ec2AccessKeyId = (tokenId: string) => `DCT${tokenId.toUpperCase()}`;

/** The token id behind an EC2 access key id of a token, else undefined. */
export function tokenIdOfAccessKey(accessKeyId: string): string | undefined {
  const m = EC2_KEY_SHAPE.exec(accessKeyId);
  return m ? m[1]!.toLowerCase() : undefined;
}

export const ec2SecretKey = (box: SecretBox, tokenId: string) => box.derive(`ec2-secret-access-key\n${tokenId}`);

/** `30d`, `12h`, `90m` or a number of days → milliseconds; undefined for anything else. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+)\s*([dhm]?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 86_400_000;
  return n > 0 ? n * unit : undefined;
}
