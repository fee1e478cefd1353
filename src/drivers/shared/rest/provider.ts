// Operator options and provider choice of a REST-API driver. A provider is a
// name for an API endpoint: the provider's official one, plus endpoints the
// operator lists (`drivers.<id>.endpoints`). A client names one of those
// names; anything else is refused with 400 before any connection.
//
//   "drivers": { "digitalocean": {
//     "endpoints": { "staging": "https://api.staging.example" },
//     "defaultProvider": "digitalocean",
//     "requestTimeoutMs": 60000,
//     "pageSize": 200
//   } }
import type { Driver, DriverDeclaration, DriverFactory, RequestContext } from '../../../core/driver.js';
import { deepFreeze } from '../../../core/freeze.js';
import { ValidationFailure } from '../../../core/errors.js';
import { OptionReader } from '../../../core/kit/options.js';
import { allowProvider } from '../../../core/kit/providers.js';
import { RestCalls, RestClient, type RestClientOptions } from './client.js';

export interface RestDriverOptions {
  /** Provider name → API base URL, the official one first. */
  endpoints: ReadonlyMap<string, string>;
  defaultProvider: string;
  requestTimeoutMs: number;
  /** Items asked for per page when listing. */
  pageSize: number;
}

export interface OfficialApi {
  /** Provider name of the official endpoint, e.g. `digitalocean`. */
  name: string;
  url: string;
  /** Most items the API gives per page. */
  maxPageSize: number;
}

/** An http(s) URL without user info, query or fragment, without a trailing slash. */
function baseUrl(o: OptionReader, name: string, raw: unknown): string {
  let url: URL;
  try {
    url = new URL(typeof raw === 'string' ? raw : '');
  } catch {
    o.fail(name, 'must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') o.fail(name, 'must be an http(s) URL');
  if (url.username || url.password || url.search || url.hash) o.fail(name, 'must carry no user information, query or fragment');
  return url.href.replace(/\/+$/, '');
}

export function parseRestOptions(driverId: string, raw: Record<string, unknown>, official: OfficialApi): RestDriverOptions {
  const o = new OptionReader(raw, `drivers.${driverId}`);
  const endpoints = new Map<string, string>([[official.name, official.url]]);
  const listed = o.value('endpoints') ?? {};
  if (typeof listed !== 'object' || listed === null || Array.isArray(listed)) o.fail('endpoints', 'must be an object: provider name → API URL');
  for (const [name, url] of Object.entries(listed)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) o.fail(`endpoints.${name}`, "must be named with letters, digits, '.', '_' and '-'");
    endpoints.set(name, baseUrl(o, `endpoints.${name}`, url));
  }
  const defaultProvider = o.string('defaultProvider', official.name);
  if (!endpoints.has(defaultProvider)) o.fail('defaultProvider', `must be one of ${[...endpoints.keys()].join(', ')}`);
  return {
    endpoints,
    defaultProvider,
    requestTimeoutMs: o.durationMs('requestTimeout', { min: 1 }, 60_000),
    pageSize: o.number('pageSize', { min: 1, max: official.maxPageSize, integer: true }, official.maxPageSize),
  };
}

/** The declaration with the operator's providers as `api` entry points. */
export function restDeclaration(base: DriverDeclaration, options: RestDriverOptions): DriverDeclaration {
  return deepFreeze({ ...base, entrypoints: { api: Object.fromEntries(options.endpoints) }, defaultProvider: options.defaultProvider });
}

/** One client per allowed endpoint (each its own connection pool), made on first use. */
export class RestClients {
  private readonly clients = new Map<string, RestClient>();

  constructor(
    private readonly options: RestDriverOptions,
    private readonly api: Pick<RestClientOptions, 'service' | 'errorMessage'>,
    /** The API token inside the Basic password (default: all of it). */
    private readonly tokenOf: (password: string) => string = (password) => password,
  ) {}

  /** The provider of this request: the default when it names none, 400 for one the operator did not allow. */
  provider(ctx: RequestContext): string {
    return allowProvider(ctx.provider?.trim() || this.options.defaultProvider, (p) => this.options.endpoints.has(p),
      `choose one of: ${[...this.options.endpoints.keys()].join(', ')}`);
  }

  /** The calls of this request: the client of its provider, the token as bearer auth. */
  forRequest(ctx: RequestContext): RestCalls {
    const provider = this.provider(ctx);
    let client = this.clients.get(provider);
    if (!client) {
      client = new RestClient({ ...this.api, baseUrl: this.options.endpoints.get(provider)!, requestTimeoutMs: this.options.requestTimeoutMs });
      this.clients.set(provider, client);
    }
    // The API token is the Basic password; the user name is only a label for the client's own use.
    return new RestCalls(client, ctx, { bearer: this.tokenOf(ctx.requireCredentials().password) });
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
  }
}

/** The factory of a REST-API driver: options read the same way, providers from the options, the driver loaded on first use. */
export function restDriverFactory(
  base: DriverDeclaration,
  official: OfficialApi,
  create: (options: RestDriverOptions, raw: Record<string, unknown>) => Promise<Driver>,
  /** Checks the driver's own options (beyond the shared ones) when the server declares the driver. */
  checkOwnOptions: (raw: Record<string, unknown>, options: RestDriverOptions) => void = () => undefined,
): DriverFactory {
  const options = (raw: Record<string, unknown>) => parseRestOptions(base.id, raw, official);
  return {
    declaration: base,
    declare: (raw) => {
      const parsed = options(raw);
      checkOwnOptions(raw, parsed);
      return restDeclaration(base, parsed);
    },
    load: (config) => create(options(config.options), config.options),
  };
}

/** 400 before anything is created when `id` is not one the provider lists (sizes, regions), naming some that are. */
export function requireListed(provider: string, what: string, id: string, known: readonly string[]): void {
  if (known.includes(id)) return;
  throw new ValidationFailure(`Unknown ${what} '${id}' (${provider} offers: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''})`);
}
