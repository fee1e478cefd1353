// The operator's allow-list of providers: a client may only pick one of them,
// and anything else is refused with one message before any back end is contacted.
import { ProviderNotAllowed } from '../errors.js';

/**
 * Returns `provider` when `allowed` admits it; otherwise throws 400
 * "Provider '<p>' is not allowed on this server", with the driver's `hint`
 * (what may be chosen instead) appended when given.
 */
export function allowProvider(provider: string, allowed: Iterable<string> | ((provider: string) => boolean), hint?: string): string {
  const admitted = typeof allowed === 'function' ? allowed(provider) : new Set(allowed).has(provider);
  if (!admitted) refuseProvider(provider, hint);
  return provider;
}

/** The 400 for a provider that is not on the allow-list. */
export function refuseProvider(provider: string, hint?: string): never {
  throw new ProviderNotAllowed(provider, hint);
}
