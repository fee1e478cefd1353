// Named connection profiles in ~/.config/deltacloud/config.json. The file is
// created 0600 and refused when group or others can read it; a profile holds
// no password, only where to read one (`passwordFile`).
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Profile {
  url?: string;
  user?: string;
  driver?: string;
  provider?: string;
  passwordFile?: string;
}

export class ProfileError extends Error {}

const FIELDS = ['url', 'user', 'driver', 'provider', 'passwordFile'] as const;

function readAll(path: string): Record<string, Profile> {
  if (!existsSync(path)) return {};
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new ProfileError(`${path} is readable by others (mode ${mode.toString(8)}): chmod 600 it`);
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const profiles = typeof parsed === 'object' && parsed !== null && 'profiles' in parsed ? parsed.profiles : undefined;
  if (typeof profiles !== 'object' || profiles === null) return {};
  const out: Record<string, Profile> = {};
  for (const [name, value] of Object.entries(profiles)) {
    if (typeof value !== 'object' || value === null) continue;
    const profile: Profile = {};
    for (const field of FIELDS) {
      const v: unknown = Reflect.get(value, field);
      if (typeof v === 'string') profile[field] = v;
    }
    out[name] = profile;
  }
  return out;
}

export function readProfile(path: string, name: string): Profile {
  const profile = readAll(path)[name];
  if (!profile) throw new ProfileError(`No profile '${name}' in ${path}`);
  return profile;
}

/** Adds or replaces a profile; the file and its folder are created private (0600 / 0700). */
export function saveProfile(path: string, name: string, profile: Profile): void {
  const all = readAll(path);
  all[name] = profile;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify({ profiles: all }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}
