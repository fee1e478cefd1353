// API tokens: `dct_<id>_<secret>`. The id is public (listings, audit lines);
// only the SHA-256 of the secret is stored, compared in constant time. A
// token also stands for an EC2 access key pair (`DCT<ID>` and a secret derived
// from the operator's key), so that SigV4 clients can use it: the EC2 front
// end must know the secret to verify signatures, and derives it instead of
// storing it.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sameTextAt } from '../../core/secrets.js';
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

/** The length of every token (`dct_` + 16 + `_` + 43). */
export const TOKEN_LENGTH = SECRET_START + SECRET_LENGTH;

/**
 * Whether a token's text has the secret `known` (one a token was proved with), in time independent of
 * where they differ, and the frame of a token around it. Its id part, found among the stored ids, is
 * then a well-formed id too: no pattern needs matching.
 */
export function hasProvenSecret(text: string, known: string): boolean {
  const same = sameTextAt(text, SECRET_START, known);
  return same && text.length === TOKEN_LENGTH && text.startsWith('dct_') && text.charCodeAt(ID_END) === 95; // '_'
}

/** The part of a token's text where its id is, unchecked: a key to look up, not a proof. */
export const tokenIdPart = (text: string) => text.slice(ID_START, ID_END);

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
