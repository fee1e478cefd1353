// One request's view of Azure: the provider (allow-listed), the parsed
// credentials, and SDK clients. Clients are cached per provider and whole
// credential (a keyed hash of it, never the user name alone) so connections
// are reused across requests; the cache is bounded.
import { createHmac, randomBytes } from 'node:crypto';
import type { RequestContext } from '../../core/driver.js';
import { NotSupported } from '../../core/errors.js';
import type { AzureOptions, AzureProvider } from './config.js';
import { mapAzureError } from './errors.js';
import { parseCredentials, resolveProvider, type AzureCredentials } from './provider.js';

const CACHE_KEY = randomBytes(32);
const MAX_CACHED = 200;

/** A bounded map: the oldest entry goes when it is full. */
export class ClientCache<T> {
  private readonly entries = new Map<string, T>();

  get(parts: string[], create: () => T): T {
    const key = createHmac('sha256', CACHE_KEY).update(parts.join('\0')).digest('base64');
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    const made = create();
    this.entries.set(key, made);
    if (this.entries.size > MAX_CACHED) this.entries.delete(this.entries.keys().next().value!);
    return made;
  }
}

export class AzureSession {
  readonly provider: AzureProvider;
  readonly credentials: AzureCredentials;

  constructor(readonly ctx: RequestContext, readonly options: AzureOptions) {
    this.provider = resolveProvider(ctx.provider, options);
    this.credentials = parseCredentials(ctx.requireCredentials());
  }

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  /** What must never appear in a message: the secret of these credentials. */
  secrets(): string[] {
    const c = this.credentials;
    if (c.kind === 'service-principal') return [c.clientSecret];
    return ['sharedKey' in c.secret ? c.secret.sharedKey : c.secret.sas];
  }

  /** Runs an SDK call; its errors come back as the API's errors. */
  async call<R>(work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      throw mapAzureError(error, this.secrets());
    }
  }

  // The kind of credentials decides the collections offered (GET /api): one the other kind needs is
  // missing from this back end as reached with these credentials (501), like any collection not offered.
  storage(): Extract<AzureCredentials, { kind: 'storage' }> {
    if (this.credentials.kind !== 'storage') throw new NotSupported('Blob Storage needs a storage account and its key (or a SAS) as user and password');
    return this.credentials;
  }

  servicePrincipal(): Extract<AzureCredentials, { kind: 'service-principal' }> {
    if (this.credentials.kind !== 'service-principal') {
      throw new NotSupported('Resource Manager needs a service principal: user <client id>@<tenant id>, password the client secret');
    }
    return this.credentials;
  }
}
