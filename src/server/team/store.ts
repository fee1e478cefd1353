// What the team features keep: credential profiles (their cloud credentials
// sealed, see secret-box.ts) and API tokens (only a hash of each). A narrow,
// asynchronous interface, so that another database can stand in for the
// embedded SQLite one (sqlite-store.ts).

export type Scope = 'read' | 'write';

export interface StoredProfile {
  name: string;
  driver: string;
  provider?: string;
  /** The profile's cloud credentials, sealed (SecretBox.seal with the profile's name); absent for a back end needing none. */
  sealedCredentials?: string;
  createdAt: string;
}

export interface StoredToken {
  /** Public identifier, part of the token and of audit lines. */
  id: string;
  name?: string;
  profile: string;
  scope: Scope;
  /** SHA-256 of the token's secret part, hex. */
  secretHash: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

export interface TeamStore {
  /** Where the store lives, for messages (a path, never a password). */
  readonly location: string;
  addProfile(profile: StoredProfile): Promise<void>;
  profile(name: string): Promise<StoredProfile | undefined>;
  profiles(): Promise<StoredProfile[]>;
  /** False when there was no such profile. */
  removeProfile(name: string): Promise<boolean>;
  addToken(token: StoredToken): Promise<void>;
  token(id: string): Promise<StoredToken | undefined>;
  tokens(): Promise<StoredToken[]>;
  /** False when there is no such token or it was revoked before. */
  revokeToken(id: string, at: string): Promise<boolean>;
  /** Changes whenever any process changed the store: what was read before stays valid while it does not. */
  revision(): Promise<number>;
  /** The revision without waiting, for stores that can read it so (SQLite); see revision(). */
  revisionNow?(): number;
  close(): Promise<void>;
}

/** A name given twice (profiles) or another clash the caller should report as such. */
export class StoreConflict extends Error {}
