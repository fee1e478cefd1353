// SSH key material: key pairs generated with node:crypto (RSA 3072, private
// key in PEM as Deltacloud clients expect, public key in OpenSSH format) and
// imported OpenSSH public keys, with OpenSSH's SHA256 fingerprints.
import { createHash, createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { ValidationFailure } from '../../core/errors.js';

const generate = promisify(generateKeyPair);

const KEY_TYPES = new Set([
  'ssh-rsa', 'ssh-ed25519', 'ssh-dss', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/** SSH wire `string`: uint32 length + bytes. */
function sshString(data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

/** SSH wire `mpint` from an unsigned big-endian magnitude. */
function sshMpint(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let bytes = magnitude.subarray(i);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return sshString(bytes);
}

/** `SHA256:<base64 without padding>` of the public key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOf(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export interface KeyPair {
  publicKey: string;
  privateKeyPem: string;
  fingerprint: string;
}

export async function generateSshKeyPair(comment: string): Promise<KeyPair> {
  const { publicKey, privateKey } = await generate('rsa', {
    modulusLength: 3072,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const jwk = createPublicKey(publicKey).export({ format: 'jwk' }) as { n: string; e: string };
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshMpint(Buffer.from(jwk.e, 'base64url')),
    sshMpint(Buffer.from(jwk.n, 'base64url')),
  ]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} ${comment}`,
    privateKeyPem: privateKey,
    fingerprint: fingerprintOf(blob),
  };
}

/** Validates an OpenSSH public key line; returns it normalised (type, blob, comment) with its fingerprint. */
export function parsePublicKey(line: string, comment: string): { publicKey: string; fingerprint: string } {
  const parts = line.trim().split(/\s+/);
  // authorized_keys options before the type are not accepted: the key alone.
  const [type, data] = parts;
  if (!type || !data || !KEY_TYPES.has(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
    throw new ValidationFailure('public_key must be an OpenSSH public key (e.g. "ssh-ed25519 AAAA... comment")');
  }
  const blob = Buffer.from(data, 'base64');
  if (blob.length < 4) throw new ValidationFailure('public_key is truncated');
  const len = blob.readUInt32BE(0);
  if (len + 4 > blob.length || blob.subarray(4, 4 + len).toString('latin1') !== type) {
    throw new ValidationFailure(`public_key data does not hold a ${type} key`);
  }
  const keep = parts.slice(2).join(' ').replace(/[^\x20-\x7e]/g, '').slice(0, 200) || comment;
  return { publicKey: `${type} ${data} ${keep}`, fingerprint: fingerprintOf(blob) };
}
