// The credential store: which back end an EC2 access key id stands for.
// SigV4 never sends the secret, so the server must know it: the operator maps
// each access key id to its secret and to a driver, provider and that back
// end's own credentials. Secrets come from the configuration file (refused by
// the config loader when others can read it) or from a 0600 JSON file named
// by DELTACLOUD_EC2_CREDENTIALS_FILE; they are never logged nor returned.
import { readFileSync, statSync } from 'node:fs';
import type { Credentials } from '../../core/driver.js';
import { ConfigError } from '../../server/config.js';
import { isRecord } from '../../core/guards.js';

export const CREDENTIALS_FILE_ENV = 'DELTACLOUD_EC2_CREDENTIALS_FILE';

/** One access key's back end. */
export interface Ec2Account {
  accessKeyId: string;
  driver: string;
  provider?: string;
  /** The back end's credentials (undefined for a driver that needs none). */
  backend?: Credentials;
}

/** Used when the operator configured no access key at all on a server whose own driver is the mock (a demo). */
const MOCK_DEFAULT = { secret: 'mockpassword', driver: 'mock', user: 'mockuser', password: 'mockpassword' };

interface Entry {
  account: Ec2Account;
  secret: string;
  /** Temporary (STS-style) keys: the X-Amz-Security-Token every request of this key must carry. */
  sessionToken?: string;
}

export class Ec2CredentialStore {
  readonly #entries = new Map<string, Entry>();

  constructor(entries: Iterable<Entry>) {
    for (const e of entries) this.#entries.set(e.account.accessKeyId, e);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The account, its secret and session token (for verifying a request), or undefined for an unknown key. */
  lookup(accessKeyId: string): Readonly<Entry> | undefined {
    return this.#entries.get(accessKeyId);
  }

  /** Only the key ids: a store printed or logged by mistake shows no secret. */
  toJSON(): unknown {
    return { accessKeyIds: [...this.#entries.keys()] };
  }
}

function entriesFrom(section: unknown, origin: string, defaultDriver: string, knownDrivers: readonly string[]): Entry[] {
  if (section === undefined || section === null) return [];
  if (!isRecord(section)) throw new ConfigError(`${origin}: "credentials" must be an object of access key ids`);
  return Object.entries(section).map(([accessKeyId, value]) => {
    const where = `${origin}: access key '${accessKeyId}'`;
    // `/` would break the SigV4 credential scope, which is split on it.
    if (!/^[\x21-\x7e]+$/.test(accessKeyId) || accessKeyId.includes('/')) throw new ConfigError(`${where}: invalid access key id`);
    if (!isRecord(value)) throw new ConfigError(`${where}: must be an object`);
    const optional = (name: string): string | undefined => {
      const field = value[name];
      if (field !== undefined && typeof field !== 'string') throw new ConfigError(`${where}: "${name}" must be a string`);
      return field;
    };
    const secret = optional('secret');
    if (!secret) throw new ConfigError(`${where}: "secret" is required`);
    const driver = (optional('driver') ?? defaultDriver).toLowerCase();
    if (!knownDrivers.includes(driver)) throw new ConfigError(`${where}: driver '${driver}' is not offered by this server (offered: ${knownDrivers.join(', ')})`);
    const user = optional('user');
    const password = optional('password');
    if ((user === undefined) !== (password === undefined)) throw new ConfigError(`${where}: give both "user" and "password" or neither`);
    const account: Ec2Account = { accessKeyId, driver, provider: optional('provider') };
    if (user !== undefined) account.backend = { user, password: password! };
    const sessionToken = optional('sessionToken');
    if (sessionToken === '') throw new ConfigError(`${where}: "sessionToken" must not be empty`);
    return { account, secret, ...(sessionToken !== undefined ? { sessionToken } : {}) };
  });
}

function readCredentialsFile(path: string): unknown {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new ConfigError(`${CREDENTIALS_FILE_ENV}: cannot read ${path}`);
  }
  if ((mode & 0o077) !== 0) throw new ConfigError(`${CREDENTIALS_FILE_ENV}: ${path} holds secrets but is readable by others; chmod 600 it`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigError(`${CREDENTIALS_FILE_ENV}: ${path} is not valid JSON`);
  }
}

function credentialsOf(section: unknown, origin: string): unknown {
  if (section === undefined) return undefined;
  if (!isRecord(section)) throw new ConfigError(`${origin} must be an object`);
  return section.credentials;
}

/**
 * The store from the config file's `ec2` section and the environment's file
 * (whose keys win); with neither, `mockuser`/`mockpassword` on the mock driver
 * when the server was started with `-i mock`. `knownDrivers` are the drivers
 * the server offers: a key mapped to any other is refused at start.
 */
export function loadCredentialStore(
  configSection: unknown, env: NodeJS.ProcessEnv, defaultDriver: string, knownDrivers: readonly string[],
): Ec2CredentialStore {
  const entries = entriesFrom(credentialsOf(configSection, 'configuration "ec2"'), 'configuration "ec2.credentials"', defaultDriver, knownDrivers);
  const file = env[CREDENTIALS_FILE_ENV];
  if (file) {
    const fromFile = credentialsOf(readCredentialsFile(file), `${CREDENTIALS_FILE_ENV} file`);
    entries.push(...entriesFrom(fromFile, `${CREDENTIALS_FILE_ENV} file "credentials"`, defaultDriver, knownDrivers));
  }
  if (entries.length === 0 && defaultDriver === 'mock' && knownDrivers.includes('mock')) {
    const { secret, driver, user, password } = MOCK_DEFAULT;
    entries.push({ account: { accessKeyId: user, driver, backend: { user, password } }, secret });
  }
  return new Ec2CredentialStore(entries);
}
