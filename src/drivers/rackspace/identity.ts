// Rackspace Cloud Identity v2.0: POST /v2.0/tokens with
// RAX-KSKEY:apiKeyCredentials (user name + API key), behind the same sign-in
// interface as Keystone v3. The answer's service catalogue is turned into the
// session's catalogue form, keeping only the services this driver uses (by
// their Rackspace names: cloudServersOpenStack, not the v1.0 cloudServers that
// shares its type). The API key never leaves this module except in the one
// request body, and the cache key holds only its keyed hash.
import type { RequestContext } from '../../core/driver.js';
import { AuthenticationFailure, ProviderError, ValidationFailure } from '../../core/errors.js';
import { refuseProvider } from '../../core/kit/providers.js';
import { postTokenRequest, tokenLifetime, type AuthToken, type CatalogEndpoint, type CatalogService } from '../openstack/keystone.js';
import type { RestClient } from '../shared/rest/client.js';
import type { Identity } from '../openstack/sign-in.js';
import { isRegion, type RackspaceOptions } from './config.js';

/** Rackspace service name → the catalogue type the session looks services up by. */
const SERVICES: Readonly<Record<string, string>> = {
  cloudFiles: 'object-store',
  cloudFilesCDN: 'rax:object-cdn',
  cloudServersOpenStack: 'compute',
  cloudImages: 'image',
};

interface V2Endpoint {
  region?: string;
  tenantId?: string;
  publicURL?: string;
  internalURL?: string;
  adminURL?: string;
}

interface V2Access {
  token?: { id?: string; expires?: string; tenant?: { id?: string } };
  serviceCatalog?: Array<{ name?: string; type?: string; endpoints?: V2Endpoint[] }>;
  user?: { id?: string };
}

/** The v2.0 catalogue in the session's form: one endpoint per URL kind (public, internal, admin). */
export function catalogOf(access: V2Access): CatalogService[] {
  const services: CatalogService[] = [];
  for (const service of access.serviceCatalog ?? []) {
    const type = service.name === undefined ? undefined : SERVICES[service.name];
    if (type === undefined) continue;
    const endpoints: CatalogEndpoint[] = [];
    for (const e of service.endpoints ?? []) {
      const urls: Array<[string, string | undefined]> = [['public', e.publicURL], ['internal', e.internalURL], ['admin', e.adminURL]];
      for (const [kind, url] of urls) if (url) endpoints.push({ url, interface: kind, region: e.region });
    }
    services.push({ type, name: service.name, endpoints });
  }
  return services;
}

/** POST <identity>/tokens with the API key; 401 for credentials Rackspace refuses ("user disabled" and the like: 403). */
export async function requestApiKeyToken(rest: RestClient, ctx: RequestContext, username: string, apiKey: string, options: RackspaceOptions['openstack']): Promise<AuthToken> {
  const body = { auth: { 'RAX-KSKEY:apiKeyCredentials': { username, apiKey } } };
  const res = await postTokenRequest<{ access?: V2Access }>(rest, ctx, '/tokens', body, [403]);
  const access = res.body?.access;
  const token = access?.token?.id;
  if (!access || !token) throw new ProviderError('The identity service answered the token request without a token');
  return {
    token,
    ...tokenLifetime(access.token?.expires, options.authCacheMarginMs, options.authCacheMaxAgeMs),
    catalog: catalogOf(access),
    projectId: access.token?.tenant?.id ?? '',
    userId: access.user?.id ?? '',
  };
}

/** The region a request names (case-insensitive), else the operator's default; anything else is 400 before any call. */
export function resolveRegion(requested: string | undefined, options: RackspaceOptions): string {
  const choice = requested?.trim();
  if (!choice) {
    const fallback = options.defaultRegion ?? (options.regions.length === 1 ? options.regions[0] : undefined);
    if (fallback) return fallback;
    throw new ValidationFailure(`No region given; choose one of: ${options.regions.join(', ')}`);
  }
  const upper = choice.toUpperCase();
  if (isRegion(upper) && options.regions.includes(upper)) return upper;
  refuseProvider(choice, `choose one of: ${options.regions.join(', ')}`);
}

/** Basic user = Rackspace user name, password = API key. */
export function apiKeyIdentity(options: RackspaceOptions): Identity {
  return (ctx, client) => {
    const region = resolveRegion(ctx.provider, options);
    const { user, password } = ctx.requireCredentials();
    if (!user || !password) throw new AuthenticationFailure('Rackspace credentials are your user name and API key');
    return {
      cacheKey: client.tokens.keyOf([options.identityUrl, user], password),
      region,
      login: (login) => requestApiKeyToken(client.rest(options.identityUrl, 'identity'), login, user, password, options.openstack),
    };
  };
}
