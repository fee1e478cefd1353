// Rackspace Cloud Identity v2.0: POST /v2.0/tokens with
// RAX-KSKEY:apiKeyCredentials (user name + API key), behind the same sign-in
// interface as Keystone v3. The answer's service catalogue is turned into the
// session's catalogue form, keeping only the services this driver uses (by
// their Rackspace names: cloudServersOpenStack, not the v1.0 cloudServers that
// shares its type). The API key never leaves this module except in the one
// request body, and the cache key holds only its keyed hash.
import { AuthenticationFailure, ProviderError, ValidationFailure } from '../../core/errors.js';
import { refuseProvider } from '../../core/kit/providers.js';
import { errorForStatus, transportError } from '../openstack/errors.js';
import { tokenLifetime, type AuthToken, type CatalogEndpoint, type CatalogService } from '../openstack/keystone.js';
import type { Identity } from '../openstack/sign-in.js';
import { isRegion, type RackspaceOptions } from './config.js';
import { httpOutcome, measureServiceCall } from '../../core/kit/service-calls.js';

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

/** POST <identity>/tokens with the API key; 401 for credentials Rackspace refuses. */
export async function requestApiKeyToken(
  identityUrl: string, username: string, apiKey: string, signal: AbortSignal, options: RackspaceOptions['openstack'],
): Promise<AuthToken> {
  const body = { auth: { 'RAX-KSKEY:apiKeyCredentials': { username, apiKey } } };
  let res: Response;
  try {
    res = await measureServiceCall('identity', 'rackspace', () => fetch(`${identityUrl}/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(options.requestTimeoutMs)]),
    }), (r) => httpOutcome(r.status));
  } catch (e) {
    throw transportError(e, 'identity');
  }
  const text = await res.text().catch(() => '');
  if (res.status === 401) throw new AuthenticationFailure('Authentication Failure');
  if (res.status !== 200 && res.status !== 203) {
    const error = errorForStatus(res.status, res.headers, text, 'identity');
    // "User disabled" and the like are a credentials problem to the client.
    if (res.status === 403) throw new AuthenticationFailure(error.message);
    throw error;
  }
  let parsed: { access?: V2Access } | null;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProviderError('The identity service answered the token request with something that is not JSON');
  }
  const access = parsed?.access;
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
  return (ctx, tokens) => {
    const region = resolveRegion(ctx.provider, options);
    const { user, password } = ctx.requireCredentials();
    if (!user || !password) throw new AuthenticationFailure('Rackspace credentials are your user name and API key');
    return {
      cacheKey: tokens.keyOf([options.identityUrl, user], password),
      region,
      login: (signal) => requestApiKeyToken(options.identityUrl, user, password, signal, options.openstack),
    };
  };
}
