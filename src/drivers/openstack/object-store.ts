// Swift (object storage v1): containers as buckets, objects as blobs, with
// X-Object-Meta-* metadata. Transfers stream both ways; blobs larger than the
// segment size become static large objects (SLO) whose segments live in
// `<container>_segments`, as swiftclient does; the API's segmented uploads
// (init / segment / finalize) map onto the same layout.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobData, BlobUpload, Filter } from '../../core/driver.js';
import { parseContentRange, type ByteRange } from '../../core/byte-range.js';
import { NotFound, ProviderError, RangeNotSatisfiable, ValidationFailure } from '../../core/errors.js';
import type { Blob, Bucket } from '../../core/model.js';
import { discard } from '../shared/rest/client.js';
import { asList, headersOf, type Session } from './session.js';

const SEGMENTS_SUFFIX = '_segments';
/** Swift's default max_manifest_segments. */
const MAX_SEGMENTS = 1000;
/** Bodies of unknown length up to this size are buffered and sent in one PUT. */
const PEEK_LIMIT = 1024 * 1024;
const META_PREFIX = 'x-object-meta-';

// ---------------------------------------------------------------- names and headers

function checkContainer(name: string): void {
  if (!name || name.includes('/') || Buffer.byteLength(name) > 256) {
    throw new ValidationFailure('Bucket names must be 1-256 bytes without /');
  }
}

function checkObject(name: string): void {
  if (!name || Buffer.byteLength(name) > 1024) throw new ValidationFailure('Blob names must be 1-1024 bytes');
}

const containerPath = (c: string) => `/${encodeURIComponent(c)}`;
const objectPath = (c: string, o: string) => `/${encodeURIComponent(c)}/${o.split('/').map(encodeURIComponent).join('/')}`;
const segmentsOf = (c: string) => `${c}${SEGMENTS_SUFFIX}`;
const pad = (n: number) => String(n).padStart(8, '0');
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header value as bytes Swift stores as UTF-8. Values that came from HTTP
 * headers are already UTF-8 bytes in Latin-1 form and pass unchanged; other
 * text is encoded.
 */
function toHeaderValue(value: string): string {
  if (/^[\x20-\x7e\t]*$/.test(value)) return value;
  if (/^[\x00-\xff]*$/.test(value)) {
    try {
      utf8.decode(Buffer.from(value, 'latin1'));
      return value;
    } catch {
      // Latin-1 text, not UTF-8 bytes: encode below
    }
  }
  return Buffer.from(value.replace(/[\r\n]/g, ' '), 'utf8').toString('latin1');
}

/** Header bytes (as Latin-1) back to text when they are UTF-8. */
function fromHeaderValue(value: string): string {
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

function metadataHeaders(meta: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (!TOKEN.test(key)) throw new ValidationFailure(`Metadata key '${key}' is not a valid header name`);
    headers[`X-Object-Meta-${key}`] = toHeaderValue(value);
  }
  return headers;
}

function metadataOf(headers: Headers): Record<string, string> {
  const meta: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name.startsWith(META_PREFIX)) meta[name.slice(META_PREFIX.length)] = fromHeaderValue(value);
  });
  return meta;
}

function blobOf(bucketId: string, blobId: string, headers: Headers): Blob {
  const length = headers.get('content-length');
  return {
    id: blobId,
    bucketId,
    contentLength: length === null ? undefined : Number(length),
    contentType: headers.get('content-type') ?? undefined,
    lastModified: headers.get('last-modified') ?? undefined,
    userMetadata: metadataOf(headers),
  };
}

// ---------------------------------------------------------------- buckets

interface ContainerEntry {
  name: string;
  count?: number;
}

interface ObjectEntry {
  name?: string;
  subdir?: string;
  bytes?: number;
  hash?: string;
}

export async function buckets(s: Session, filter: Filter): Promise<Bucket[]> {
  if (filter.id !== undefined) return asList(await bucket(s, filter.id));
  const containers = await s.listAll<ContainerEntry>('object-store', '', undefined, { query: { format: 'json' }, markerOf: (c) => c.name });
  // Blobs are listed when one bucket is shown.
  return containers.map((c) => ({ id: c.name, name: c.name, size: c.count ?? 0, blobIds: [] }));
}

async function listObjects(s: Session, container: string, prefix?: string): Promise<ObjectEntry[] | undefined> {
  try {
    return await s.listAll<ObjectEntry>('object-store', containerPath(container), undefined, {
      query: { format: 'json', prefix }, markerOf: (o) => o.name ?? o.subdir ?? '',
    });
  } catch (e) {
    if (e instanceof NotFound) return undefined;
    throw e;
  }
}

export async function bucket(s: Session, id: string): Promise<Bucket | undefined> {
  if (!id || id.includes('/')) return undefined;
  const objects = await listObjects(s, id);
  if (!objects) return undefined;
  const blobIds = objects.map((o) => o.name).filter((n): n is string => n !== undefined);
  return { id, name: id, size: blobIds.length, blobIds };
}

export async function createBucket(s: Session, args: { name: string }): Promise<Bucket> {
  checkContainer(args.name);
  const res = await s.request('object-store', 'PUT', containerPath(args.name));
  await discard(res);
  // 202: it existed already (and may hold blobs).
  if (res.status === 202) return (await bucket(s, args.name)) ?? { id: args.name, name: args.name, size: 0, blobIds: [] };
  return { id: args.name, name: args.name, size: 0, blobIds: [] };
}

export async function deleteBucket(s: Session, id: string): Promise<void> {
  checkContainer(id);
  await s.exec('object-store', 'DELETE', containerPath(id));
  // The segments container goes too once nothing is left in it.
  await s.exec('object-store', 'DELETE', containerPath(segmentsOf(id)), { accept: [404, 409] }).catch(() => {});
}

async function requireContainer(s: Session, c: string): Promise<void> {
  checkContainer(c);
  const res = await s.request('object-store', 'HEAD', containerPath(c), { accept: [404] });
  await discard(res);
  if (res.status === 404) throw new NotFound(`Bucket '${c}' not found`);
}

async function ensureContainer(s: Session, c: string): Promise<void> {
  const res = await s.request('object-store', 'PUT', containerPath(c));
  await discard(res);
}

// ---------------------------------------------------------------- blobs: reading

async function head(s: Session, c: string, o: string): Promise<Headers | undefined> {
  checkContainer(c);
  checkObject(o);
  const res = await s.request('object-store', 'HEAD', objectPath(c, o), { accept: [404] });
  await discard(res);
  return res.status === 404 ? undefined : headersOf(res);
}

export async function blob(s: Session, c: string, o: string): Promise<Blob | undefined> {
  const headers = await head(s, c, o);
  return headers ? blobOf(c, o, headers) : undefined;
}

export async function blobMetadata(s: Session, c: string, o: string): Promise<Record<string, string> | undefined> {
  const headers = await head(s, c, o);
  return headers ? metadataOf(headers) : undefined;
}

/** The data as a stream straight from Swift (nothing is buffered whole). */
export async function blobData(s: Session, c: string, o: string, range?: ByteRange): Promise<BlobData | undefined> {
  checkContainer(c);
  checkObject(o);
  const res = await s.request('object-store', 'GET', objectPath(c, o), {
    accept: [404, 416], timeout: 'headers',
    headers: { Accept: '*/*', 'Accept-Encoding': 'identity', ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) },
  });
  if (res.status === 404 || res.status === 416) {
    await discard(res);
    if (res.status === 404) return undefined;
    // The object shrank since the front end read its size.
    throw new RangeNotSatisfiable((await blob(s, c, o))?.contentLength ?? 0);
  }
  const length = headersOf(res).get('content-length');
  const served = res.status === 206 ? parseContentRange(headersOf(res).get('content-range')) : undefined;
  return {
    stream: res.body,
    contentType: headersOf(res).get('content-type') ?? undefined,
    contentLength: length === null ? undefined : Number(length),
    acceptRanges: true,
    ...(served ? { range: served } : {}),
  };
}

export async function updateBlobMetadata(s: Session, c: string, o: string, meta: Record<string, string>): Promise<boolean> {
  checkContainer(c);
  checkObject(o);
  const res = await s.request('object-store', 'POST', objectPath(c, o), { headers: metadataHeaders(meta), accept: [404] });
  await discard(res);
  return res.status !== 404;
}

// ---------------------------------------------------------------- blobs: writing

/** Pulls bytes from a stream in slices of a given size, holding at most one chunk. */
class ByteSource {
  private readonly it: AsyncIterator<Uint8Array | string>;
  private pending: Uint8Array | undefined;
  private ended = false;

  constructor(stream: AsyncIterable<Uint8Array | string>) {
    this.it = stream[Symbol.asyncIterator]();
  }

  private async next(): Promise<Uint8Array | undefined> {
    if (this.pending) {
      const chunk = this.pending;
      this.pending = undefined;
      return chunk;
    }
    while (!this.ended) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      if (chunk.length > 0) return chunk;
    }
    return undefined;
  }

  async atEnd(): Promise<boolean> {
    const chunk = await this.next();
    if (!chunk) return true;
    this.pending = chunk;
    return false;
  }

  /**
   * Up to `n` bytes; `count` is told how many went by. With `exact`, a stream
   * ending early throws: the upload then fails instead of Swift storing a
   * short object.
   */
  async *take(n: number, count: (bytes: number) => void, exact = false): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      const chunk = await this.next();
      if (!chunk) {
        if (exact) throw new ValidationFailure('The request body is shorter than its Content-Length');
        return;
      }
      if (chunk.length <= left) {
        left -= chunk.length;
        count(chunk.length);
        yield chunk;
      } else {
        this.pending = chunk.subarray(left);
        count(left);
        yield chunk.subarray(0, left);
        left = 0;
      }
    }
  }

  /** Everything up to `max` bytes, and whether the stream ended within them. */
  async peek(max: number): Promise<{ chunks: Uint8Array[]; size: number; ended: boolean }> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of this.take(max, (b) => (size += b))) chunks.push(chunk);
    return { chunks, size, ended: await this.atEnd() };
  }

  /** Put bytes back in front (after peek). */
  prepend(chunks: Uint8Array[]): void {
    const rest = this.pending ? [...chunks, this.pending] : chunks;
    this.pending = undefined;
    if (rest.length > 0) this.pending = Buffer.concat(rest);
  }
}

interface ManifestEntry {
  path: string;
  etag: string;
  size_bytes: number;
}

const uploadToken = () => `${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
const unquote = (etag: string | null) => (etag ?? '').replace(/^"|"$/g, '');

/** Segments of the large object currently stored at c/o (read before it is replaced). */
async function oldSegments(s: Session, c: string, o: string): Promise<string[]> {
  const headers = await head(s, c, o);
  if (headers?.get('x-static-large-object')?.toLowerCase() !== 'true') return [];
  const manifest = await s.json<Array<{ name?: string; path?: string }>>('object-store', 'GET', objectPath(c, o), {
    query: { 'multipart-manifest': 'get' }, accept: [404],
  });
  return (manifest ?? []).map((e) => e.name ?? e.path ?? '').filter((p) => p.startsWith('/'));
}

/** Deletes objects given as `/container/object` paths, ignoring those already gone. */
async function deletePaths(s: Session, paths: string[]): Promise<void> {
  for (const p of paths) {
    const slash = p.indexOf('/', 1);
    if (slash < 0) continue;
    await s.exec('object-store', 'DELETE', objectPath(p.slice(1, slash), p.slice(slash + 1)), { accept: [404] }).catch(() => {});
  }
}

async function putManifest(s: Session, c: string, o: string, entries: ManifestEntry[], contentType: string, meta: Record<string, string>): Promise<void> {
  const headers = { ...metadataHeaders(meta), ...(contentType ? { 'Content-Type': contentType } : {}) };
  const res = await s.request('object-store', 'PUT', objectPath(c, o), {
    query: { 'multipart-manifest': 'put' }, body: JSON.stringify(entries), headers,
  });
  await discard(res);
}

/** Streams the source into segments of `segmentSize` bytes (the last may be shorter). */
async function putSegments(s: Session, c: string, o: string, source: ByteSource, total: number | undefined): Promise<ManifestEntry[]> {
  const size = s.options.segmentSize;
  if (total !== undefined && Math.ceil(total / size) > MAX_SEGMENTS) {
    throw new ValidationFailure(`Blob too large for ${MAX_SEGMENTS} segments of ${size} bytes`);
  }
  const segC = segmentsOf(c);
  await ensureContainer(s, segC);
  const prefix = `${o}/slo/${uploadToken()}/`;
  const entries: ManifestEntry[] = [];
  let sent = 0;
  try {
    for (let i = 1; ; i++) {
      const length = total === undefined ? undefined : Math.min(size, total - sent);
      if (length === 0 || (length === undefined && (await source.atEnd()))) break;
      if (i > MAX_SEGMENTS) throw new ValidationFailure(`Blob too large for ${MAX_SEGMENTS} segments of ${size} bytes`);
      let bytes = 0;
      const name = `${prefix}${pad(i)}`;
      const res = await s.request('object-store', 'PUT', objectPath(segC, name), {
        body: source.take(length ?? size, (b) => (bytes += b), length !== undefined),
        headers: length === undefined ? {} : { 'Content-Length': String(length) },
        timeout: 'none',
      });
      await discard(res);
      entries.push({ path: `/${segC}/${name}`, etag: unquote(headersOf(res).get('etag')), size_bytes: bytes });
      sent += bytes;
      if (length !== undefined && bytes < length) throw new ValidationFailure('The request body is shorter than its Content-Length');
    }
    return entries;
  } catch (e) {
    await deletePaths(s, entries.map((x) => x.path));
    throw e;
  }
}

export async function createBlob(s: Session, upload: BlobUpload): Promise<Blob> {
  const { bucketId: c, blobId: o } = upload;
  checkObject(o);
  // Also renews the token if needed: a streamed body cannot be sent twice.
  await requireContainer(s, c);
  const replaced = await oldSegments(s, c, o);
  const source = new ByteSource(upload.data);
  const segmentSize = s.options.segmentSize;
  let total = upload.contentLength;
  let single: AsyncIterable<Uint8Array> | Uint8Array | undefined;
  if (total === undefined) {
    const head = await source.peek(Math.min(segmentSize, PEEK_LIMIT));
    if (head.ended) {
      single = Buffer.concat(head.chunks);
      total = head.size;
    } else {
      source.prepend(head.chunks);
    }
  } else if (total <= segmentSize) {
    single = source.take(total, () => {}, true);
  }

  if (single !== undefined) {
    const headers: Record<string, string> = { ...metadataHeaders(upload.metadata), 'Content-Length': String(total) };
    if (upload.contentType) headers['Content-Type'] = upload.contentType;
    const res = await s.request('object-store', 'PUT', objectPath(c, o), { body: single, headers, timeout: 'none' });
    await discard(res);
  } else {
    const entries = await putSegments(s, c, o, source, total);
    try {
      await putManifest(s, c, o, entries, upload.contentType, upload.metadata);
    } catch (e) {
      await deletePaths(s, entries.map((x) => x.path));
      throw e;
    }
  }
  await deletePaths(s, replaced);
  const stored = await blob(s, c, o);
  if (!stored) throw new ProviderError('Swift does not show the blob it just stored');
  return stored;
}

export async function deleteBlob(s: Session, c: string, o: string): Promise<void> {
  const headers = await head(s, c, o);
  if (!headers) throw new NotFound(`Blob '${o}' not found in bucket '${c}'`);
  if (headers.get('x-static-large-object')?.toLowerCase() === 'true') {
    // The manifest and its segments in one call; Swift reports per-object failures in the body.
    const result = await s.json<{ 'Response Status'?: string; Errors?: unknown[]; 'Response Body'?: string }>('object-store', 'DELETE', objectPath(c, o), {
      query: { 'multipart-manifest': 'delete' },
    });
    const status = Number(result?.['Response Status']?.split(' ')[0] ?? 200);
    if (status >= 400 && status !== 404) throw new ProviderError(`Swift could not delete all segments of '${o}': ${result?.['Response Status']}`);
    return;
  }
  await s.exec('object-store', 'DELETE', objectPath(c, o));
}

// ---------------------------------------------------------------- segmented uploads (spec §11.10.7)

const UPLOAD_ID = /^[a-z0-9]{8,40}$/;
const infoName = (o: string, uploadId: string) => `${o}/slo/${uploadId}/upload.json`;
const segmentName = (o: string, uploadId: string, order: number) => `${o}/slo/${uploadId}/${pad(order)}`;

function checkUpload(uploadId: string): void {
  if (!UPLOAD_ID.test(uploadId)) throw new NotFound(`Unknown segmented upload '${uploadId}'`);
}

/** Starts an upload: its content type and metadata wait in `<container>_segments` until finalize. */
export async function initSegmentedBlob(s: Session, args: { bucketId: string; blobId: string; contentType: string; metadata: Record<string, string> }): Promise<string> {
  checkObject(args.blobId);
  await requireContainer(s, args.bucketId);
  metadataHeaders(args.metadata); // refuse bad keys now, not at the end
  const segC = segmentsOf(args.bucketId);
  await ensureContainer(s, segC);
  const uploadId = uploadToken();
  const res = await s.request('object-store', 'PUT', objectPath(segC, infoName(args.blobId, uploadId)), {
    body: JSON.stringify({ contentType: args.contentType, metadata: args.metadata }),
    headers: { 'Content-Type': 'application/json' },
  });
  await discard(res);
  return uploadId;
}

/** Stores one segment (streamed); its id is its MD5, which finalize checks. */
export async function blobSegment(s: Session, args: { bucketId: string; blobId: string; uploadId: string; order: number; data: Readable; contentLength?: number }): Promise<string> {
  checkUpload(args.uploadId);
  checkContainer(args.bucketId);
  checkObject(args.blobId);
  if (args.order > MAX_SEGMENTS) throw new ValidationFailure(`At most ${MAX_SEGMENTS} segments`);
  const segC = segmentsOf(args.bucketId);
  const info = await s.request('object-store', 'HEAD', objectPath(segC, infoName(args.blobId, args.uploadId)), { accept: [404] });
  await discard(info);
  if (info.status === 404) throw new NotFound(`Unknown segmented upload '${args.uploadId}'`);
  const headers: Record<string, string> = args.contentLength === undefined ? {} : { 'Content-Length': String(args.contentLength) };
  const res = await s.request('object-store', 'PUT', objectPath(segC, segmentName(args.blobId, args.uploadId, args.order)), {
    body: args.contentLength === undefined ? (args.data as AsyncIterable<Uint8Array>) : new ByteSource(args.data).take(args.contentLength, () => {}, true),
    headers, timeout: 'none',
  });
  await discard(res);
  return unquote(headersOf(res).get('etag'));
}

export async function finalizeSegmentedBlob(
  s: Session, args: { bucketId: string; blobId: string; uploadId: string; segments: Array<{ order: number; id: string }> },
): Promise<Blob> {
  const { bucketId: c, blobId: o, uploadId } = args;
  checkUpload(uploadId);
  checkObject(o);
  const segC = segmentsOf(c);
  const info = await s.json<{ contentType?: string; metadata?: Record<string, string> }>('object-store', 'GET', objectPath(segC, infoName(o, uploadId)), { accept: [404] });
  if (!info) throw new NotFound(`Unknown segmented upload '${uploadId}'`);
  if (args.segments.length === 0) throw new ValidationFailure('The segment manifest lists no segment');
  const stored = new Map<string, ObjectEntry>();
  for (const entry of (await listObjects(s, segC, `${o}/slo/${uploadId}/`)) ?? []) if (entry.name) stored.set(entry.name, entry);
  const entries: ManifestEntry[] = args.segments.map(({ order, id }) => {
    const name = segmentName(o, uploadId, order);
    const found = stored.get(name);
    if (!found) throw new ValidationFailure(`Segment ${order} was not uploaded`);
    if (found.hash !== id) throw new ValidationFailure(`Segment ${order} has id ${found.hash}, not ${id}`);
    return { path: `/${segC}/${name}`, etag: found.hash, size_bytes: found.bytes ?? 0 };
  });
  const replaced = await oldSegments(s, c, o);
  await putManifest(s, c, o, entries, info.contentType ?? '', info.metadata ?? {});
  const used = new Set(entries.map((e) => e.path));
  const leftovers = [...stored.keys()].map((n) => `/${segC}/${n}`).filter((p) => !used.has(p));
  await deletePaths(s, [...leftovers, ...replaced.filter((p) => !used.has(p))]);
  const result = await blob(s, c, o);
  if (!result) throw new ProviderError('Swift does not show the blob it just stored');
  return result;
}
