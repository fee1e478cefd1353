// Which Keystone a request talks to, and as whom. The provider comes only
// from the operator's allow-list; a client naming anything else gets 400 and
// nothing is contacted.
import type { Credentials } from '../../core/driver.js';
import { AuthenticationFailure, ValidationFailure } from '../../core/errors.js';
import { refuseProvider } from '../../core/kit/providers.js';
import { normalizeAuthUrl, type OpenStackOptions } from './config.js';

export interface ResolvedProvider {
  /** Normalised Keystone v3 URL. */
  authUrl: string;
  /** Region the catalogue is filtered by (any region when undefined). */
  region?: string;
}

/**
 * Provider forms: `<name>`, `<name>;<region>`, `<keystone URL>`, `<keystone URL>;<region>`
 * (the URL must be allow-listed), or nothing (the operator's default).
 */
export function resolveProvider(requested: string | undefined, options: OpenStackOptions): ResolvedProvider {
  const choice = requested?.trim() || defaultProviderOf(options);
  if (!choice) {
    throw new ValidationFailure(
      options.providers.size + options.allowedAuthUrls.size === 0
        ? 'No OpenStack provider is configured on this server (drivers.openstack.providers / allowedAuthUrls)'
        : `No provider given; choose one of: ${describeChoices(options)}`,
    );
  }
  const semicolon = choice.indexOf(';');
  const head = (semicolon < 0 ? choice : choice.slice(0, semicolon)).trim();
  const regionOverride = semicolon < 0 ? undefined : choice.slice(semicolon + 1).trim() || undefined;
  if (regionOverride !== undefined && !/^[A-Za-z0-9._:-]{1,255}$/.test(regionOverride)) {
    throw new ValidationFailure(`Malformed region '${regionOverride}'`);
  }

  const named = options.providers.get(head);
  if (named) return { authUrl: named.authUrl, region: regionOverride ?? named.region };

  if (/^https?:\/\//i.test(head)) {
    let url: string;
    try {
      url = normalizeAuthUrl(head);
    } catch {
      refuseProvider(head, 'it is not a valid Keystone URL');
    }
    const listed = [...options.providers.values()].find((p) => p.authUrl === url);
    if (listed) return { authUrl: url, region: regionOverride ?? listed.region };
    if (options.allowedAuthUrls.has(url)) return { authUrl: url, region: regionOverride };
    refuseProvider(head, 'it is not an allowed Keystone URL');
  }
  refuseProvider(head, options.providers.size + options.allowedAuthUrls.size ? `choose one of: ${describeChoices(options)}` : 'no OpenStack provider is configured');
}

/** The provider of requests that name none: the configured default, else the only choice there is. */
export function defaultProviderOf(options: OpenStackOptions): string | undefined {
  if (options.defaultProvider) return options.defaultProvider;
  const named = [...options.providers.keys()];
  if (named.length === 1 && options.allowedAuthUrls.size === 0) return named[0];
  if (named.length === 0 && options.allowedAuthUrls.size === 1) return [...options.allowedAuthUrls][0];
  return undefined;
}

function describeChoices(options: OpenStackOptions): string {
  return [...options.providers.keys(), ...options.allowedAuthUrls].join(', ');
}

export interface OpenStackCredentials {
  user: string;
  project: string;
  /** Domain name of both the user and the project (`default` means the domain with id `default`). */
  domain: string;
  password: string;
}

/**
 * Basic-auth user `user@project` or `user@project@domain`; each part may be
 * percent-encoded (`alice%40example.com@demo` for a user named by e-mail).
 */
export function parseCredentials(credentials: Credentials, defaultDomain: string): OpenStackCredentials {
  const parts = credentials.user.split('@');
  const malformed = () => new AuthenticationFailure('OpenStack user names have the form user@project or user@project@domain');
  if (parts.length < 2 || parts.length > 3) throw malformed();
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    throw malformed();
  }
  if (decoded.some((p) => p === '')) throw malformed();
  return { user: decoded[0]!, project: decoded[1]!, domain: decoded[2] ?? defaultDomain, password: credentials.password };
}
