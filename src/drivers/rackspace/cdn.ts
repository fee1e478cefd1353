// Cloud Files CDN (the catalogue's cloudFilesCDN): publishing a container is
// a PUT with X-Cdn-Enabled: True (and X-Ttl) on the CDN management endpoint,
// withdrawing it a POST with X-Cdn-Enabled: False, and HEAD shows its URIs
// (docs-cloud-files, cdn-api-operations/). A container never published is
// unknown to the CDN service (404): not enabled.
import { NotFound, ValidationFailure } from '../../core/errors.js';
import type { Bucket, BucketCdn } from '../../core/model.js';
import * as swift from '../openstack/object-store.js';
import { headersOf, type Session } from '../openstack/session.js';
import { discard } from '../shared/rest/client.js';

/** The documented TTL range: 15 minutes to a year. */
export const TTL_RANGE = { min: 900, max: 31_536_000 } as const;

const containerPath = (c: string) => `/${encodeURIComponent(c)}`;

function cdnOf(headers: Headers, enabled: boolean): BucketCdn {
  const value = (name: string) => headers.get(name) ?? undefined;
  const ttl = Number(headers.get('x-ttl') ?? NaN);
  return {
    enabled,
    uri: value('x-cdn-uri'),
    sslUri: value('x-cdn-ssl-uri'),
    streamingUri: value('x-cdn-streaming-uri'),
    iosUri: value('x-cdn-ios-uri'),
    ...(Number.isFinite(ttl) ? { ttlSeconds: ttl } : {}),
  };
}

/** The container's CDN state (HEAD on the CDN endpoint). */
export async function cdnState(s: Session, container: string): Promise<BucketCdn> {
  const res = await s.request('cdn', 'HEAD', containerPath(container), { accept: [404] });
  await discard(res);
  if (res.status === 404) return { enabled: false };
  return cdnOf(headersOf(res), headersOf(res).get('x-cdn-enabled')?.toLowerCase() === 'true');
}

/** A bucket with its CDN state, when the region has a CDN service. */
export async function bucket(s: Session, id: string): Promise<Bucket | undefined> {
  const found = await swift.bucket(s, id);
  if (!found || !s.has('cdn')) return found;
  return { ...found, cdn: await cdnState(s, id) };
}

/** Publishes or withdraws a container; the answer carries the URIs Rackspace returned. */
export async function updateBucketCdn(s: Session, args: { id: string; enabled: boolean; ttlSeconds?: number }): Promise<Bucket> {
  const ttl = args.ttlSeconds;
  if (ttl !== undefined && (ttl < TTL_RANGE.min || ttl > TTL_RANGE.max)) {
    throw new ValidationFailure(`ttl must be from ${TTL_RANGE.min} to ${TTL_RANGE.max} seconds`);
  }
  s.endpoint('cdn'); // 501 before anything is sent when the region has no CDN service
  // The container must exist in storage before the CDN can publish it.
  const stored = await swift.bucket(s, args.id);
  if (!stored) throw new NotFound(`Bucket '${args.id}' not found`);
  const res = args.enabled
    ? await s.request('cdn', 'PUT', containerPath(args.id), { headers: { 'X-Cdn-Enabled': 'True', ...(ttl === undefined ? {} : { 'X-Ttl': String(ttl) }) } })
    : await s.request('cdn', 'POST', containerPath(args.id), { headers: { 'X-Cdn-Enabled': 'False' }, accept: [404] });
  await discard(res);
  const cdn = res.status === 404 ? { enabled: false } : cdnOf(headersOf(res), args.enabled);
  return { ...stored, cdn: { ...cdn, ...(ttl !== undefined && cdn.ttlSeconds === undefined ? { ttlSeconds: ttl } : {}) } };
}
