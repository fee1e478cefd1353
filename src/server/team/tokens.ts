// API tokens: `dct_<id>_<secret>`. The id is public (listings, audit lines);
// only the SHA-256 of the secret is stored, compared in constant time. A
// token also stands for an EC2 access key pair (`DCT<ID>` and a secret derived
// from the operator's key), so that SigV4 clients can use it: the EC2 front
// end must know the secret to verify signatures, and derives it instead of
// storing it.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from './secret-box.js';

// Tested without captures, then cut at fixed places (`dct_` + 16 + `_` + 43): cheaper than a match
// array with two captures on every token request.
const TOKEN_SHAPE = /^dct_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;
const ID_START = 4;
const ID_END = 20;
const SECRET_START = 21;
/** The length of a secret: 32 random bytes in base64url. */
const SECRET_LENGTH = 43;
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
  return TOKEN_SHAPE.test(text) ? { id: text.slice(ID_START, ID_END), secret: text.slice(SECRET_START) } : undefined;
}

// One-shot hashing: no Hash object per request (this runs on every token request).
export const hashSecret = (secret: string) => hash('sha256', secret, 'hex');

/** Whether `secret` hashes to `storedHash` (hex, or its bytes), in time independent of where they differ. */
export function secretMatches(secret: string, storedHash: string | Buffer): boolean {
  const given = hash('sha256', secret, 'buffer');
  const stored = typeof storedHash === 'string' ? Buffer.from(storedHash, 'hex') : storedHash;
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** A secret as the bytes `sameSecret` compares a later secret with. */
export const secretBytes = (secret: string) => Buffer.from(secret, 'utf8');

/** Where `sameSecret` writes the secret it is given (calls are synchronous: one buffer serves all). */
const given = Buffer.alloc(SECRET_LENGTH);

/**
 * Whether `secret` equals `known` (a secret's bytes), in time independent of where they differ. As
 * UTF-8, a character outside ASCII writes bytes no ASCII secret has, or leaves the buffer short.
 */
export function sameSecret(secret: string, known: Buffer): boolean {
  if (secret.length !== SECRET_LENGTH || known.length !== SECRET_LENGTH) return false;
  return given.write(secret, 0, SECRET_LENGTH, 'utf8') === SECRET_LENGTH && timingSafeEqual(given, known);
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
