// Who is calling, in one place for every front end: a Bearer token (header
// or the HTML login's cookie) resolves to its profile's driver, provider and
// cloud credentials; Basic credentials pass through to the back end as they
// always did (unless the server takes tokens only). Scope and rate limits are
// decided here too, once per request, before anything is answered (also
// before a repeated read is answered from the render cache).
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Credentials } from '../../core/driver.js';
import { AuthenticationFailure, DeltacloudError, Forbidden, ProviderError, TooManyRequests } from '../../core/errors.js';
import { ConfigError } from '../config.js';
import { firstRawHeader } from '../raw-header.js';
import { sameTextAt } from '../../core/secrets.js';
import type { AuthMode } from './config.js';
import type { ConfigProfile } from './config-profiles.js';
import type { LimitOutcome, RequestLimiter } from './rate-limit.js';
import { SealBroken, type SecretBox } from './secret-box.js';
import type { Scope, StoredProfile, StoredToken, TeamStore } from './store.js';
import { hashSecret, hasProvenSecret, parseToken, secretMatches, TOKEN_LENGTH, tokenIdOfAccessKey, tokenIdPart, ec2SecretKey } from './tokens.js';

// The back end a token's profile names, with its cloud credentials (never logged: see toJSON); the front end's type.
export type { BoundBackend } from '../../frontends/deltacloud/request-state.js';
import type { BoundBackend } from '../../frontends/deltacloud/request-state.js';

export type Caller =
  | { kind: 'token'; tokenId: string; tokenName?: string; scope: Scope; backend: BoundBackend }
  | { kind: 'basic'; user: string }
  | { kind: 'anonymous' };

export interface Admission {
  readonly caller: Caller;
  /** The error to answer instead of serving the request. */
  readonly refusal?: DeltacloudError;
}

const BEARER = 'Bearer ';

/** The name of the HTML login's cookie. */
export const TOKEN_COOKIE = 'deltacloud_token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Compared against when the token id is unknown, so that an unknown id costs the same as a wrong secret. */
const UNKNOWN_TOKEN_HASH = Buffer.from(hashSecret(randomBytes(32).toString('base64url')), 'hex');
/** Compared against when no secret of the token was verified yet, so that every refusal costs the same. */
const UNVERIFIED_SECRET = randomBytes(32).toString('base64url');
const ANONYMOUS: Caller = { kind: 'anonymous' };
/** One message for malformed, unknown, wrong, expired and revoked tokens: no hint which. */
const INVALID_TOKEN = 'Invalid, expired or revoked token';

// Node's parser gives methods in upper case: the case is changed only for other callers' spellings.
export const isWrite = (method: string | undefined) => method !== undefined && !SAFE_METHODS.has(method) && !SAFE_METHODS.has(method.toUpperCase());

/** The user name of Basic credentials (never the password). */
function basicUser(header: string): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(0, colon);
}

/** The value of one cookie of the request. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

interface CachedToken {
  token: StoredToken;
  /** Its admission while live, made once: requests of the same token share it (admissions are never changed). */
  admission?: Admission;
  /** The stored hash of its secret as bytes, decoded once. */
  secretHash: Buffer;
  /**
   * Its secret once a request proved it (in memory only, like the profiles' credentials; gone with the
   * cache when the store changes): later requests compare text in constant time instead of hashing.
   */
  verifiedSecret?: string;
  /** When it expires (ms since the epoch), Infinity for never. */
  expiresMs: number;
  /** Undefined when the profile is gone. */
  backend?: BoundBackend;
}

/** A token that may be used now, with the back end of its profile. */
type LiveToken = CachedToken & { backend: BoundBackend };
const hasBackend = (cached: CachedToken): cached is LiveToken => cached.backend !== undefined;

/** Opens a profile's sealed credentials. */
function credentialsOf(profile: StoredProfile, box: SecretBox | undefined): Credentials | undefined {
  if (profile.sealedCredentials === undefined) return undefined;
  if (!box) throw new ConfigError('profiles exist but no secret key is set');
  const parsed: unknown = JSON.parse(box.open(profile.sealedCredentials, profile.name));
  if (!parsed || typeof parsed !== 'object') throw new SealBroken('not credentials');
  const fields = new Map(Object.entries(parsed));
  const user = fields.get('user');
  const password = fields.get('password');
  if (typeof user !== 'string' || typeof password !== 'string') throw new SealBroken('not credentials');
  return { user, password };
}

/** Refuses to start on a store whose profiles the key cannot open; says which file and why, never a secret. */
export async function checkStore(store: TeamStore, box: SecretBox | undefined, keyHint: string): Promise<void> {
  const sealed = (await store.profiles()).filter((p) => p.sealedCredentials !== undefined);
  if (sealed.length === 0) return;
  if (!box) throw new ConfigError(`Team store ${store.location} holds ${sealed.length} profile(s) with credentials but no secret key is set: ${keyHint}`);
  for (const profile of sealed) {
    try {
      credentialsOf(profile, box);
    } catch {
      throw new ConfigError(`Team store ${store.location}: the credentials of profile '${profile.name}' cannot be decrypted with the configured secret key (a wrong key, or the file was altered)`);
    }
  }
}

export interface TeamAuthOptions {
  mode: AuthMode;
  store?: TeamStore;
  box?: SecretBox;
  /** The drivers this server offers. */
  offered: readonly string[];
  /** The server's default driver and provider: a profile without a provider on that driver gets the default one. */
  defaultDriver: string;
  defaultProvider?: string;
  limiter?: RequestLimiter;
  /** Keys the hashes of Basic user names when there is no secret key (one shared by replicas); else a per-process key. */
  userKey?: Buffer;
  /** Profiles of the configuration file, their credentials read at start-up. */
  configProfiles?: ReadonlyMap<string, ConfigProfile>;
}

/** The admission, refused with 429 when the limit's outcome says so. */
function withLimit(admission: Admission, outcome: LimitOutcome): Admission {
  return outcome.retryAfter === undefined ? admission : { caller: admission.caller, refusal: new TooManyRequests(outcome.retryAfter) };
}

/** An admission a repeat of its request may reuse while it holds (see TeamAuth.noteFor). */
export class AdmissionNote {
  constructor(readonly admission: Admission, readonly revision: number, readonly expiresMs: number) {}
}

export class TeamAuth {
  /** Admissions still being decided (the store or a shared rate limit was asked). */
  readonly #admissions = new WeakMap<IncomingMessage, Promise<Admission>>();
  /**
   * Admissions of requests that reach the front ends (kept for their hooks). A repeated read answered
   * early is decided but not kept: storing anything per request (a WeakMap entry, or a property that
   * changes the request object's shape) costs that hot path more than the decision.
   */
  readonly #settled = new WeakMap<IncomingMessage, Admission>();
  #tokens = new Map<string, CachedToken>();
  #revision = -1;
  /** Keys the hashes of Basic user names in audit lines and rate-limit keys. */
  readonly #userKey: Buffer;

  constructor(private readonly options: TeamAuthOptions) {
    this.#userKey = options.box ? Buffer.from(options.box.derive('basic-user-hash'), 'base64url') : options.userKey ?? randomBytes(32);
  }

  get acceptsTokens(): boolean {
    return this.options.mode !== 'passthrough';
  }

  /** A keyed hash of a Basic user name: stable while the key is, useless without it. */
  userHash(user: string): string {
    return createHmac('sha256', this.#userKey).update(user, 'utf8').digest('base64url').slice(0, 22);
  }

  /** The request's admission, decided once (every later call gets the same answer). */
  admit(req: IncomingMessage): Promise<Admission> {
    const now = this.admitNow(req);
    if (now) return Promise.resolve(now);
    let admission = this.#admissions.get(req);
    if (!admission) {
      admission = this.#decide(req);
      this.#admissions.set(req, admission);
    }
    return admission;
  }

  /**
   * The request's admission when it can be decided without waiting (no token, or a token already
   * cached while the store has not changed: the hot path of repeated reads); undefined when the
   * store must be read (then `admit`). Kept for the front ends (`admitted`).
   */
  admitNow(req: IncomingMessage): Admission | undefined {
    const now = this.decideNow(req);
    return now && this.keep(req, now);
  }

  /**
   * As admitNow, without keeping the admission: for a request that may be answered before any front
   * end sees it (then nothing asks again); `keep` it when the request goes on to the front ends.
   */
  decideNow(req: IncomingMessage): Admission | undefined {
    const settled = this.#settled.get(req);
    if (settled || this.#admissions.has(req)) return settled;
    return this.decideFirst(req);
  }

  /** As decideNow, for the first to ask about a request (the request listener): nothing was decided for it yet. */
  decideFirst(req: IncomingMessage): Admission | undefined {
    const identified = this.#identify(req);
    let admission: Admission;
    if (typeof identified === 'string') {
      const found = this.#checkCached(identified);
      if (!found) return undefined;
      admission = this.#tokenAdmission(found);
    } else admission = identified;
    const decided = this.#settle(req, admission);
    if (!(decided instanceof Promise)) return decided;
    // A limit counted elsewhere (a database) is waited for: admit() answers it.
    this.#admissions.set(req, decided.then((counted) => this.keep(req, counted)));
    return undefined;
  }

  /**
   * For a request admitted by decideFirst in this same turn (so at the store revision it was checked
   * against): a note that lets a repeat of it (same URL and headers, Authorization included: the
   * render cache's fingerprint) be admitted again without reading its token, while the store is
   * unchanged and the token unexpired. None where every request must be decided: under a rate limit
   * (each is counted), or with a store whose revision is not known at once (PostgreSQL).
   */
  noteFor(admission: Admission): AdmissionNote | undefined {
    const revision = this.options.store?.revisionNow?.();
    if (admission.refusal || this.options.limiter || revision === undefined || revision !== this.#revision) return undefined;
    const { caller } = admission;
    const expiresMs = caller.kind === 'token' ? this.#tokens.get(caller.tokenId)?.expiresMs : Infinity;
    return expiresMs === undefined ? undefined : new AdmissionNote(admission, revision, expiresMs);
  }

  /** The admission a note stands for while it holds (the store unchanged, the token unexpired), else undefined. */
  notedAdmission(note: unknown): Admission | undefined {
    if (!(note instanceof AdmissionNote)) return undefined;
    return this.options.store?.revisionNow?.() === note.revision && Date.now() < note.expiresMs ? note.admission : undefined;
  }

  /** Keeps a request's admission for the front ends; returns it. */
  keep(req: IncomingMessage, admission: Admission): Admission {
    this.#settled.set(req, admission);
    return admission;
  }

  /** The admission once decided (synchronously, for the front ends), else undefined. */
  admitted(req: IncomingMessage): Admission | undefined {
    return this.#settled.get(req);
  }

  /** The back end a request's token binds it to. */
  boundBackend(req: IncomingMessage): BoundBackend | undefined {
    const caller = this.#settled.get(req)?.caller;
    return caller?.kind === 'token' ? caller.backend : undefined;
  }

  async #decide(req: IncomingMessage): Promise<Admission> {
    const identified = this.#identify(req);
    return this.keep(req, await this.#settle(req, typeof identified === 'string' ? this.#tokenAdmission(await this.checkToken(identified)) : identified));
  }

  /**
   * Scope and rate limit on top of who the caller is (the request is counted here, once). A promise
   * when the limit is counted in a database.
   */
  #settle(req: IncomingMessage, admission: Admission): Admission | Promise<Admission> {
    const write = isWrite(req.method);
    const caller = admission.caller;
    if (!admission.refusal && caller.kind === 'token' && write && caller.scope === 'read') {
      admission = { caller, refusal: new Forbidden('This token may only read: its scope is read') };
    }
    const limiter = this.options.limiter;
    if (!limiter || admission.refusal) return admission;
    const key = caller.kind === 'token' ? `t:${caller.tokenId}` : caller.kind === 'basic' ? `u:${this.userHash(caller.user)}` : `a:${req.socket.remoteAddress ?? ''}`;
    const outcome = limiter.take(key, write);
    if (!(outcome instanceof Promise)) return withLimit(admission, outcome);
    return outcome.then((counted) => withLimit(admission, counted));
  }

  /** Who the request says it is: decided here, or a token (header or cookie) to check. */
  #identify(req: IncomingMessage): Admission | string {
    const authorization = firstRawHeader(req, 'authorization');
    if (!this.acceptsTokens) {
      const user = authorization ? basicUser(authorization) : undefined;
      return { caller: user !== undefined ? { kind: 'basic', user } : ANONYMOUS };
    }
    if (authorization !== undefined) {
      // Most clients send exactly `Bearer <token>`: cut without a pattern; the token is checked next.
      if (authorization.length === BEARER.length + TOKEN_LENGTH && authorization.startsWith(BEARER)) return authorization.slice(BEARER.length);
      if (/^Bearer\s/i.test(authorization)) return authorization.slice(7).trim();
      const user = basicUser(authorization);
      if (this.options.mode === 'both') return { caller: user !== undefined ? { kind: 'basic', user } : ANONYMOUS };
      return { caller: user !== undefined ? { kind: 'basic', user } : ANONYMOUS, refusal: new AuthenticationFailure('This server takes API tokens only: send Authorization: Bearer <token>') };
    }
    const cookie = cookieValue(req.headers.cookie, TOKEN_COOKIE);
    if (cookie !== undefined) return cookie;
    if (this.options.mode === 'tokens') return { caller: ANONYMOUS, refusal: new AuthenticationFailure('An API token is required: send Authorization: Bearer <token>') };
    return { caller: ANONYMOUS };
  }

  #tokenAdmission(found: LiveToken | DeltacloudError): Admission {
    if (found instanceof DeltacloudError) return { caller: ANONYMOUS, refusal: found };
    const { token, backend } = found;
    return (found.admission ??= { caller: { kind: 'token', tokenId: token.id, tokenName: token.name, scope: token.scope, backend } });
  }

  /** The live token `text` is, with its back end; else the error to answer (the same 401 whatever is wrong). */
  async checkToken(text: string): Promise<LiveToken | DeltacloudError> {
    const parts = parseToken(text);
    if (!parts) return new AuthenticationFailure(INVALID_TOKEN);
    return this.#verify(parts.secret, await this.#lookup(parts.id));
  }

  /** As checkToken, from what is cached only: undefined when the store must be read. */
  #checkCached(text: string): LiveToken | DeltacloudError | undefined {
    const revision = this.options.store?.revisionNow?.();
    if (revision === undefined || revision !== this.#revision) return undefined;
    // The hot path: the token of a request that proved its secret before, recognised without parsing
    // (its id is the key it was found under). Any other text of that length costs the same comparison
    // (whether its id is known or not), then the full check.
    if (text.length === TOKEN_LENGTH) {
      const cached = this.#tokens.get(tokenIdPart(text));
      if (hasProvenSecret(text, cached?.verifiedSecret ?? UNVERIFIED_SECRET) && cached) return this.#live(cached);
    }
    const parts = parseToken(text);
    if (!parts) return new AuthenticationFailure(INVALID_TOKEN);
    const cached = this.#tokens.get(parts.id);
    return cached && this.#verify(parts.secret, cached);
  }

  #verify(secret: string, cached: CachedToken | undefined): LiveToken | DeltacloudError {
    // A repeated secret costs a constant-time comparison; any other costs that and the hash, whether the id exists or not.
    if (sameTextAt(secret, 0, cached?.verifiedSecret ?? UNVERIFIED_SECRET) && cached) return this.#live(cached);
    const matches = secretMatches(secret, cached?.secretHash ?? UNKNOWN_TOKEN_HASH);
    if (!cached || !matches) return new AuthenticationFailure(INVALID_TOKEN);
    cached.verifiedSecret = secret;
    return this.#live(cached);
  }

  /** The name of a token this server has looked up, for audit lines. */
  tokenName(id: string): string | undefined {
    return this.#tokens.get(id)?.token.name;
  }

  /** The rate-limit verdict for one request of `caller` (a token id or another key); a refusal when over the limit. */
  async limit(caller: string, write: boolean): Promise<TooManyRequests | undefined> {
    const retryAfter = (await this.options.limiter?.take(caller, write))?.retryAfter;
    return retryAfter === undefined ? undefined : new TooManyRequests(retryAfter);
  }

  /** The back end of a token-derived EC2 access key, its secret (derived, see tokens.ts) and whether it may only read. */
  async ec2Key(accessKeyId: string): Promise<{ backend: BoundBackend; secret: string; readOnly: boolean; tokenId: string } | undefined> {
    const id = tokenIdOfAccessKey(accessKeyId);
    const box = this.options.box;
    if (id === undefined || !box || !this.acceptsTokens) return undefined;
    const cached = await this.#lookup(id);
    if (!cached) return undefined;
    const live = this.#live(cached);
    if (live instanceof DeltacloudError) return undefined;
    return { backend: live.backend, secret: ec2SecretKey(box, id), readOnly: live.token.scope === 'read', tokenId: id };
  }

  #live(cached: CachedToken): LiveToken | DeltacloudError {
    if (cached.token.revokedAt !== undefined || cached.expiresMs <= Date.now() || !hasBackend(cached)) {
      return new AuthenticationFailure(INVALID_TOKEN);
    }
    const { driver } = cached.backend;
    if (!this.options.offered.includes(driver)) {
      return new ProviderError(`The driver '${driver}' of this token's profile is not offered on this server`);
    }
    return cached;
  }

  /** The token and its profile, read again whenever the store changed (revocations apply to the next request). */
  async #lookup(id: string): Promise<CachedToken | undefined> {
    const store = this.options.store;
    if (!store) return undefined;
    const revision = await store.revision();
    if (revision !== this.#revision) {
      this.#tokens = new Map();
      this.#revision = revision;
    }
    const known = this.#tokens.get(id);
    if (known) return known;
    const token = await store.token(id);
    if (!token) return undefined;
    const configured = this.options.configProfiles?.get(token.profile);
    const stored = configured ? undefined : await store.profile(token.profile);
    const backend = configured ? this.#boundTo(configured, `${configured.name}@config`, configured.credentials)
      : stored && this.#boundTo(stored, `${stored.name}@${stored.createdAt}`, credentialsOf(stored, this.options.box));
    const entry: CachedToken = { token, secretHash: Buffer.from(token.secretHash, 'hex'), expiresMs: token.expiresAt === undefined ? Infinity : Date.parse(token.expiresAt), backend };
    if (this.#tokens.size >= 10_000) this.#tokens.clear();
    this.#tokens.set(id, entry);
    return entry;
  }

  /** `version` tells this profile apart from an earlier one of the same name (caches key on it). */
  #boundTo(profile: { driver: string; provider?: string }, version: string, credentials: Credentials | undefined): BoundBackend {
    const { defaultDriver, defaultProvider } = this.options;
    const backend: BoundBackend = { profile: version, driver: profile.driver };
    const provider = profile.provider ?? (profile.driver === defaultDriver ? defaultProvider : undefined);
    if (provider !== undefined) backend.provider = provider;
    if (credentials) Object.defineProperty(backend, 'credentials', { value: credentials, enumerable: false });
    return backend;
  }
}
