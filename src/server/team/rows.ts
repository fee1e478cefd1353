// The team store's rows as both SQL stores read them (same columns in SQLite and PostgreSQL).
import type { Scope, StoredProfile, StoredToken } from './store.js';

export interface ProfileRow { name: string; driver: string; provider: string | null; sealed_credentials: string | null; created_at: string }
export interface TokenRow {
  id: string; name: string | null; profile: string; scope: string; secret_hash: string; created_at: string; expires_at: string | null; revoked_at: string | null;
}

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

export function profileOf(row: ProfileRow): StoredProfile {
  return { name: row.name, driver: row.driver, provider: orUndefined(row.provider), sealedCredentials: orUndefined(row.sealed_credentials), createdAt: row.created_at };
}

export function tokenOf(row: TokenRow): StoredToken {
  const scope: Scope = row.scope === 'write' ? 'write' : 'read';
  return {
    id: row.id, name: orUndefined(row.name), profile: row.profile, scope, secretHash: row.secret_hash, createdAt: row.created_at,
    expiresAt: orUndefined(row.expires_at), revokedAt: orUndefined(row.revoked_at),
  };
}
