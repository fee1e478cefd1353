// Encryption of profile secrets at rest: AES-256-GCM, a fresh 96-bit nonce per
// secret, the profile's name as associated data (a sealed secret copied to
// another profile does not open). The key is 32 bytes, from
// DELTACLOUD_SECRET_KEY (base64 or hex) or from a key file only its owner can
// read (DELTACLOUD_SECRET_KEY_FILE, default `<dataDir>/secret.key`).
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';

export const SECRET_KEY_ENV = 'DELTACLOUD_SECRET_KEY';
export const SECRET_KEY_FILE_ENV = 'DELTACLOUD_SECRET_KEY_FILE';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Format marker of a sealed value, so that a later format can be told apart. */
const VERSION = 'v1';

/** The sealed value does not open with this key (wrong key, or the store was altered). */
export class SealBroken extends Error {}

export class SecretBox {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new ConfigError(`The secret key must be ${KEY_BYTES} bytes`);
    this.#key = key;
  }

  seal(plain: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, nonce.toString('base64'), Buffer.concat([body, cipher.getAuthTag()]).toString('base64')].join(':');
  }

  open(sealed: string, context: string): string {
    const [version, nonce, payload] = sealed.split(':');
    if (version !== VERSION || !nonce || payload === undefined) throw new SealBroken('not a sealed value of this version');
    const bytes = Buffer.from(payload, 'base64');
    if (bytes.length < TAG_BYTES) throw new SealBroken('truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(nonce, 'base64'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealBroken('authentication failed');
    }
  }

  /** A secret only holders of the key can compute from `label` (base64url, 256 bits). */
  derive(label: string): string {
    return createHmac('sha256', this.#key).update(label, 'utf8').digest('base64url');
  }

  /** Never the key. */
  toJSON(): unknown {
    return '[SecretBox]';
  }
}

function decodeKey(text: string, origin: string): Buffer {
  const value = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== KEY_BYTES) throw new ConfigError(`${origin}: the secret key must be ${KEY_BYTES} bytes, base64 or hex (e.g. \`openssl rand -base64 32\`)`);
  return key;
}

export const keyFilePath = (dataDir: string, env: NodeJS.ProcessEnv) => env[SECRET_KEY_FILE_ENV] || join(dataDir, 'secret.key');

/** The operator's key, or undefined when neither the environment nor the key file has one. */
export function loadSecretBox(dataDir: string, env: NodeJS.ProcessEnv): SecretBox | undefined {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv) return new SecretBox(decodeKey(fromEnv, SECRET_KEY_ENV));
  const file = keyFilePath(dataDir, env);
  if (!existsSync(file)) return undefined;
  if ((statSync(file).mode & 0o077) !== 0) throw new ConfigError(`Secret key file ${file} is readable by others; chmod 600 it`);
  return new SecretBox(decodeKey(readFileSync(file, 'utf8'), `Secret key file ${file}`));
}

/** The operator's key, creating a key file (0600) when there is none yet (the CLI, adding the first profile). */
export function loadOrCreateSecretBox(dataDir: string, env: NodeJS.ProcessEnv): { box: SecretBox; created?: string } {
  const box = loadSecretBox(dataDir, env);
  if (box) return { box };
  const file = keyFilePath(dataDir, env);
  const key = randomBytes(KEY_BYTES);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return { box: new SecretBox(key), created: file };
}
