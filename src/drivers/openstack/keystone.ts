// Keystone v3 password authentication with project scope, and the token
// cache. Tokens are kept in memory only, keyed by (Keystone URL, domain,
// project, user, keyed hash of the password), until shortly before they
// expire; they are never logged or put into error messages.
import { createHmac, randomBytes } from 'node:crypto';
import { AuthenticationFailure, ProviderError } from '../../core/errors.js';
import { errorForStatus, transportError } from './errors.js';
import type { OpenStackCredentials } from './provider.js';
import { httpOutcome, measureServiceCall } from '../../core/kit/service-calls.js';

export interface CatalogEndpoint {
  url: string;
  interface?: string;
  region?: string;
  region_id?: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface AuthToken {
  token: string;
  /** Epoch ms when Keystone says the token expires. */
  expiresAt: number;
  /** Epoch ms after which the cache renews it. */
  renewAt: number;
  catalog: CatalogService[];
  projectId: string;
  userId: string;
}

/** `{id: 'default'}` for the default domain's id, else `{name}`. */
function domainRef(domain: string): Record<string, string> {
  return domain === 'default' ? { id: 'default' } : { name: domain };
}

/** POST /v3/auth/tokens with the password method, scoped to the project. */
export async function requestToken(
  authUrl: string, creds: OpenStackCredentials, signal: AbortSignal, timeoutMs: number,
  cacheMarginMs: number, cacheMaxAgeMs: number | undefined,
): Promise<AuthToken> {
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: creds.user, domain: domainRef(creds.domain), password: creds.password } } },
      scope: { project: { name: creds.project, domain: domainRef(creds.domain) } },
    },
  };
  let res: Response;
  try {
    res = await measureServiceCall('keystone', 'openstack', () => fetch(`${authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    }), (r) => httpOutcome(r.status));
  } catch (e) {
    throw transportError(e, 'identity');
  }
  const text = await res.text().catch(() => '');
  if (res.status === 401) throw new AuthenticationFailure('Authentication Failure');
  if (res.status !== 201 && res.status !== 200) {
    const error = errorForStatus(res.status, res.headers, text, 'identity');
    // A project or domain the user cannot see is a credentials problem to the client.
    if (res.status === 404 || res.status === 403) throw new AuthenticationFailure(error.message);
    throw error;
  }
  const token = res.headers.get('x-subject-token');
  let parsed: { token?: { expires_at?: string; catalog?: CatalogService[]; project?: { id?: string }; user?: { id?: string } } };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProviderError('Keystone answered the token request with something that is not JSON');
  }
  if (!token || !parsed.token) throw new ProviderError('Keystone answered the token request without a token');
  return {
    token,
    ...tokenLifetime(parsed.token.expires_at, cacheMarginMs, cacheMaxAgeMs),
    catalog: Array.isArray(parsed.token.catalog) ? parsed.token.catalog : [],
    projectId: parsed.token.project?.id ?? '',
    userId: parsed.token.user?.id ?? '',
  };
}

/** When a token the identity service says expires at `expires` (ISO 8601; an hour when absent) is renewed. */
export function tokenLifetime(expires: string | undefined, cacheMarginMs: number, cacheMaxAgeMs: number | undefined): { expiresAt: number; renewAt: number } {
  const now = Date.now();
  const expiresAt = expires ? Date.parse(expires) : now + 3600_000;
  let renewAt = (Number.isNaN(expiresAt) ? now : expiresAt) - cacheMarginMs;
  if (cacheMaxAgeMs !== undefined) renewAt = Math.min(renewAt, now + cacheMaxAgeMs);
  return { expiresAt, renewAt };
}

/** Tokens per credential, bounded in number, renewed before they expire; one login in flight per credential. */
export class TokenCache {
  private readonly entries = new Map<string, AuthToken>();
  private readonly inflight = new Map<string, Promise<AuthToken>>();
  /** Keys hold an HMAC of the password under this per-process key, never the password. */
  private readonly secret = randomBytes(32);

  constructor(private readonly maxEntries: number) {}

  keyFor(authUrl: string, creds: OpenStackCredentials): string {
    return this.keyOf([authUrl, creds.domain, creds.project, creds.user], creds.password);
  }

  /** The key of a credential: its public parts as they are, its secret as a keyed hash. */
  keyOf(parts: readonly string[], secret: string): string {
    const secretHash = createHmac('sha256', this.secret).update(secret).digest('base64url');
    return JSON.stringify([...parts, secretHash]);
  }

  /** A valid cached token, or a fresh one from `login` (shared by concurrent callers). */
  async get(key: string, login: () => Promise<AuthToken>): Promise<AuthToken> {
    const cached = this.entries.get(key);
    if (cached && Date.now() < cached.renewAt) {
      // Refresh recency for the LRU bound.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    if (cached) this.entries.delete(key);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const attempt = login().then((token) => {
      this.store(key, token);
      return token;
    });
    this.inflight.set(key, attempt);
    try {
      return await attempt;
    } finally {
      this.inflight.delete(key);
    }
  }

  /** Forgets `token` for `key` (a service refused it); a newer token for the key is kept. */
  invalidate(key: string, token: string): void {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  /** Test and operations hook: make every cached token count as expired. */
  expireAll(): void {
    for (const entry of this.entries.values()) entry.renewAt = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  private store(key: string, token: AuthToken): void {
    const now = Date.now();
    if (token.renewAt <= now) return; // too short-lived to reuse
    for (const [k, v] of this.entries) if (v.renewAt <= now) this.entries.delete(k);
    this.entries.set(key, token);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
