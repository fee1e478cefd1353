// Credential profiles declared in the configuration file (`team.profiles`),
// beside those the CLI seals into the team store. The file never holds the
// secret itself: a profile names an environment variable (`passwordEnv`) or a
// file only its owner can read (`passwordFile`), read once at start-up.
import { readFileSync, statSync } from 'node:fs';
import type { Credentials } from '../../core/driver.js';
import { ConfigError } from '../config.js';

/** A profile as the configuration file declares it: where its secret is, not the secret. */
export interface ConfigProfileDeclaration {
  name: string;
  driver: string;
  provider?: string;
  user?: string;
  passwordEnv?: string;
  passwordFile?: string;
}

/** A declared profile with its credentials read (non-enumerable, so never serialized or logged). */
export interface ConfigProfile {
  name: string;
  driver: string;
  provider?: string;
  credentials?: Credentials;
}

export const PROFILE_NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FIELDS = new Set(['driver', 'provider', 'user', 'passwordEnv', 'passwordFile']);

function optionalText(fields: Map<string, unknown>, key: string, where: string): string | undefined {
  const value = fields.get(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${where}.${key} must be a non-empty string`);
  return value;
}

/** The `team.profiles` section: `{ NAME: { driver, provider?, user?, passwordEnv? | passwordFile? } }`. */
export function profileDeclarationsFrom(section: unknown): ConfigProfileDeclaration[] {
  if (section === undefined) return [];
  if (typeof section !== 'object' || section === null || Array.isArray(section)) throw new ConfigError('team.profiles must be an object keyed by profile name');
  return Object.entries(section).map(([name, body]): ConfigProfileDeclaration => {
    const where = `team.profiles.${name}`;
    if (!PROFILE_NAME_SHAPE.test(name)) throw new ConfigError(`team.profiles: '${name}' is not a profile name (letters, digits, . _ -)`);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConfigError(`${where} must be an object`);
    const fields = new Map<string, unknown>(Object.entries(body));
    for (const key of fields.keys()) {
      if (/password|secret/i.test(key) && !FIELDS.has(key)) {
        throw new ConfigError(`${where}.${key}: the configuration file never holds a secret; name an environment variable (passwordEnv) or a file only its owner can read (passwordFile)`);
      }
      if (!FIELDS.has(key)) throw new ConfigError(`${where}.${key} is not a profile setting (${[...FIELDS].join(', ')})`);
    }
    const driver = optionalText(fields, 'driver', where);
    if (!driver) throw new ConfigError(`${where}.driver is required`);
    const declaration: ConfigProfileDeclaration = { name, driver: driver.toLowerCase() };
    for (const key of ['provider', 'user', 'passwordEnv', 'passwordFile'] as const) {
      const value = optionalText(fields, key, where);
      if (value !== undefined) declaration[key] = value;
    }
    if (declaration.passwordEnv !== undefined && declaration.passwordFile !== undefined) throw new ConfigError(`${where}: passwordEnv or passwordFile, not both`);
    const hasSecret = declaration.passwordEnv !== undefined || declaration.passwordFile !== undefined;
    if (hasSecret !== (declaration.user !== undefined)) throw new ConfigError(`${where}: a user needs passwordEnv or passwordFile, and they need a user`);
    return declaration;
  });
}

/** The first line of an owner-only secret file; refuses a file its group or others may read. */
function secretFileText(path: string, where: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw new ConfigError(`${where}.passwordFile ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if ((mode & 0o077) !== 0) throw new ConfigError(`${where}.passwordFile ${path} is readable by its group or others; chmod 600 it`);
  try {
    return readFileSync(path, 'utf8').split(/\r?\n/)[0] ?? '';
  } catch (error) {
    throw new ConfigError(`${where}.passwordFile ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Reads each declared profile's secret (at start-up); the message of a failure names the variable or file, never a value. */
export function resolveConfigProfiles(declarations: readonly ConfigProfileDeclaration[], env: NodeJS.ProcessEnv): Map<string, ConfigProfile> {
  const profiles = new Map<string, ConfigProfile>();
  for (const d of declarations) {
    const where = `team.profiles.${d.name}`;
    const profile: ConfigProfile = { name: d.name, driver: d.driver };
    if (d.provider !== undefined) profile.provider = d.provider;
    if (d.user !== undefined) {
      let password = '';
      if (d.passwordEnv !== undefined) {
        password = env[d.passwordEnv] ?? '';
        if (!password) throw new ConfigError(`${where}.passwordEnv: the environment variable ${d.passwordEnv} is not set`);
      } else if (d.passwordFile !== undefined) {
        password = secretFileText(d.passwordFile, where);
        if (!password) throw new ConfigError(`${where}.passwordFile ${d.passwordFile} is empty`);
      }
      Object.defineProperty(profile, 'credentials', { value: { user: d.user, password }, enumerable: false });
    }
    profiles.set(d.name, profile);
  }
  return profiles;
}
