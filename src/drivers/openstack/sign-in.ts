// How a request signs in to the identity service. The session (token cache,
// catalogue, re-authentication on 401) is the same for every identity
// service; only this step differs: Keystone v3 with a password (the openstack
// driver) or Identity v2.0 with an API key (the rackspace driver).
import type { RequestContext } from '../../core/driver.js';
import type { OpenStackOptions } from './config.js';
import type { RestClient } from '../shared/rest/client.js';
import { requestToken, type AuthToken, type TokenCache } from './keystone.js';
import { parseCredentials, resolveProvider } from './provider.js';

export interface SignIn {
  /** The token cache key: the whole credential, its secret only as a keyed hash (TokenCache.keyOf). */
  readonly cacheKey: string;
  /** Region the catalogue is filtered by (any region when undefined). */
  readonly region?: string;
  /** One login at the identity service (on behalf of the request `ctx`). */
  login(ctx: RequestContext): Promise<AuthToken>;
}

/** What a sign-in uses of the driver's client: the token cache, the options, the REST client of an endpoint. */
export interface IdentityClient {
  readonly tokens: TokenCache;
  readonly options: OpenStackOptions;
  rest(baseUrl: string, service: string): RestClient;
}

/**
 * A request's sign-in: the provider is resolved against the operator's
 * allow-list first (400 before anything is contacted), then the credentials
 * are read (401 when malformed).
 */
export type Identity = (ctx: RequestContext, client: IdentityClient) => SignIn;

/** Keystone v3, password method, project scope. */
export const keystoneV3: Identity = (ctx, client) => {
  const o = client.options;
  const provider = resolveProvider(ctx.provider, o);
  const creds = parseCredentials(ctx.requireCredentials(), o.defaultDomain);
  return {
    cacheKey: client.tokens.keyFor(provider.authUrl, creds),
    region: provider.region,
    login: (login) => requestToken(client.rest(provider.authUrl, 'identity'), login, creds, o.authCacheMarginMs, o.authCacheMaxAgeMs),
  };
};
