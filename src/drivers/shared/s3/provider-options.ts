// Options and credentials of REST-API drivers whose provider has an
// S3-compatible object store beside its API (DigitalOcean Spaces, Linode
// Object Storage): each provider of the driver has at most one S3 endpoint,
// the official provider's built by the driver, listed providers' given by the
// operator under one option (provider name → URL, path-style addressing). The
// store's access keys travel after the API token in the Basic password:
// `<token>:<access key>:<secret>`. Kept apart from the S3 SDK, which only the
// loaded driver needs.
import type { OptionReader } from '../../../core/kit/options.js';
import type { RestDriverOptions } from '../rest/provider.js';
import type { S3Endpoint } from './client.js';

/**
 * The S3 endpoints the operator lists under option `key`: each names a
 * provider of `rest` and is an http(s) URL without user information, query or
 * fragment; signed as `signingRegion`, path-style.
 */
export function listedS3Endpoints(o: OptionReader, key: string, rest: RestDriverOptions, signingRegion: string): Map<string, S3Endpoint> {
  const endpoints = new Map<string, S3Endpoint>();
  const listed = o.value(key) ?? {};
  if (typeof listed !== 'object' || listed === null || Array.isArray(listed)) o.fail(key, 'must be an object: provider name → S3 URL');
  for (const [name, value] of Object.entries(listed)) {
    if (!rest.endpoints.has(name)) o.fail(`${key}.${name}`, `names no provider (providers: ${[...rest.endpoints.keys()].join(', ')})`);
    let url: URL | undefined;
    try {
      url = new URL(typeof value === 'string' ? value : '');
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
      o.fail(`${key}.${name}`, 'must be an http(s) URL without user information, query or fragment');
    }
    endpoints.set(name, { url: url.href.replace(/\/+$/, ''), region: signingRegion, forcePathStyle: true });
  }
  return endpoints;
}

/** The API token: the Basic password up to its first `:` (the providers' tokens hold none). */
export function apiToken(password: string): string {
  const colon = password.indexOf(':');
  return colon < 0 ? password : password.slice(0, colon);
}
