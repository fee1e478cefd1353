// Buckets and blobs = S3 (spec §11.10), for every driver whose object store
// speaks S3 (ec2, digitalocean Spaces, …): the driver supplies a session per
// request (an S3 client and call helpers) and says where new buckets go.
// Uploads stream through the SDK's multipart Upload (a few parts of
// `partSize` in memory at most), downloads stream the GetObject body,
// segmented uploads are S3 multipart uploads.
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketCommand,
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, UploadPartCommand, UploadPartCopyCommand, AbortMultipartUploadCommand,
  paginateListBuckets, paginateListObjectsV2,
  type BucketLocationConstraint, type HeadObjectCommandOutput, type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BlobData, Driver, RequestContext } from '../../../core/driver.js';
import { parseContentRange } from '../../../core/byte-range.js';
import { RangeNotSatisfiable, ValidationFailure } from '../../../core/errors.js';
import { filterValue } from '../../../core/filters.js';
import type { Blob, Bucket } from '../../../core/model.js';
import { checkBlobKey, checkBucketName } from './names.js';
import { orUndefined } from '../../../core/kit/lookup.js';
import type { SdkCalls } from './session.js';

export type BucketOperations = Pick<Driver,
  'buckets' | 'bucket' | 'create_bucket' | 'delete_bucket' | 'blob' | 'blob_data' | 'create_blob' | 'delete_blob' | 'blob_metadata'
  | 'update_blob_metadata' | 'init_segmented_blob' | 'blob_segment' | 'finalize_segmented_blob'>;

/** One request's S3: its client, and SdkCalls' `call`/`pages` (signal, error mapping). */
export interface S3Session extends SdkCalls {
  s3(): S3Client;
}

/** How uploads are cut: part size (bytes), parts in flight, bytes between requested garbage collections (0 = never). */
export interface UploadOptions {
  partSize: number;
  queueSize: number;
  collectEveryBytes: number;
}

export const DEFAULT_UPLOAD_OPTIONS: UploadOptions = { partSize: 8 * 1024 * 1024, queueSize: 2, collectEveryBytes: 16 * 1024 * 1024 };

/** What a driver supplies to offer buckets and blobs. */
export interface S3Buckets<S extends S3Session> {
  session(ctx: RequestContext): S;
  upload: UploadOptions;
  /** The client a new bucket in `location` is created with, and the LocationConstraint sent (none: the store's default). */
  bucketTarget(s: S, location: string | undefined): { client: S3Client; constraint?: string };
}

/** S3 allows at most this many parts, and a CopyObject of at most 5 GiB. */
const MAX_PARTS = 10_000;
const COPY_LIMIT = 5 * 1024 ** 3;
const COPY_PART = 512 * 1024 ** 2;

const METADATA_KEY = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const METADATA_VALUE = /^[\x20-\x7e]*$/;

/** User metadata as S3 can carry it in `x-amz-meta-*` headers (ASCII). */
export function s3Metadata(meta: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(meta)) {
    if (!METADATA_KEY.test(k)) throw new ValidationFailure(`Metadata key '${k}' is not a valid header name`);
    if (!METADATA_VALUE.test(v)) throw new ValidationFailure(`Metadata value of '${k}' must be printable ASCII`);
  }
  return meta;
}

function toBlob(bucketId: string, blobId: string, head: HeadObjectCommandOutput): Blob {
  return {
    id: blobId,
    bucketId,
    contentLength: head.ContentLength,
    contentType: head.ContentType,
    lastModified: head.LastModified?.toISOString(),
    userMetadata: head.Metadata ?? {},
    content: null,
  };
}

/** `bucket/key` for x-amz-copy-source, the key percent-encoded but its slashes kept. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
}

const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

// Multipart uploads hold each part in a `partSize` buffer for as long as the
// part takes to send: long enough for V8 to move it to the old generation,
// where only a full collection frees it, and V8 starts one by itself only
// after about 64 MB of such garbage. To keep a big upload's memory to a few
// parts, the driver asks V8 for a concurrent full collection every
// `collectEveryBytes` uploaded (across all uploads; 0 disables it).
type Collector = (options?: { type: 'major'; execution: 'async' }) => void;
let collector: Collector | null | undefined;
let uploadedSinceCollect = 0;

function collectorFunction(): Collector | null {
  if (collector !== undefined) return collector;
  const existing = (globalThis as { gc?: Collector }).gc;
  if (typeof existing === 'function') return (collector = existing);
  try {
    setFlagsFromString('--expose-gc');
    collector = runInNewContext('gc') as Collector;
  } catch {
    collector = null;
  }
  return collector;
}

function uploaded(bytes: number, every: number): void {
  if (every <= 0) return;
  uploadedSinceCollect += bytes;
  if (uploadedSinceCollect < every) return;
  uploadedSinceCollect = 0;
  collectorFunction()?.({ type: 'major', execution: 'async' });
}

/** The AbortSignal only until the answer's headers: a long download must not be cut by the request timeout. */
async function untilHeaders<R>(s: S3Session, send: (signal: AbortSignal) => Promise<R>): Promise<R> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(s.signal.reason);
  s.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await s.call(() => send(controller.signal));
  } finally {
    s.signal.removeEventListener('abort', onAbort);
  }
}

/** An existing bucket's name, and a blob key when given, checked before any request. */
function checkNames(bucketId: string, blobId?: string): void {
  checkBucketName(bucketId, 'existing');
  if (blobId !== undefined) checkBlobKey(blobId);
}

export function s3BucketOperations<S extends S3Session>(deps: S3Buckets<S>): BucketOperations {
  async function head(s: S3Session, bucketId: string, blobId: string): Promise<HeadObjectCommandOutput | undefined> {
    return orUndefined(() => s.call((o) => s.s3().send(new HeadObjectCommand({ Bucket: bucketId, Key: blobId }), o)));
  }

  async function headOrFail(s: S3Session, bucketId: string, blobId: string): Promise<HeadObjectCommandOutput> {
    return s.call((o) => s.s3().send(new HeadObjectCommand({ Bucket: bucketId, Key: blobId }), o));
  }

  /** Replaces the user metadata by copying the object onto itself (multipart copy above 5 GiB). */
  async function replaceMetadata(s: S3Session, bucketId: string, blobId: string, current: HeadObjectCommandOutput, meta: Record<string, string>) {
    const keep = {
      ...(current.ContentType ? { ContentType: current.ContentType } : {}),
      ...(current.CacheControl ? { CacheControl: current.CacheControl } : {}),
      ...(current.ContentDisposition ? { ContentDisposition: current.ContentDisposition } : {}),
      ...(current.ContentEncoding ? { ContentEncoding: current.ContentEncoding } : {}),
      ...(current.ContentLanguage ? { ContentLanguage: current.ContentLanguage } : {}),
    };
    const source = copySource(bucketId, blobId);
    const size = current.ContentLength ?? 0;
    if (size <= COPY_LIMIT) {
      await s.call((o) => s.s3().send(new CopyObjectCommand({
        Bucket: bucketId, Key: blobId, CopySource: source, MetadataDirective: 'REPLACE', Metadata: meta, ...keep,
        ...(current.ETag ? { CopySourceIfMatch: current.ETag } : {}),
      }), o));
      return;
    }
    const { UploadId } = await s.call((o) => s.s3().send(new CreateMultipartUploadCommand({ Bucket: bucketId, Key: blobId, Metadata: meta, ...keep }), o));
    try {
      const parts: Array<{ PartNumber: number; ETag: string }> = [];
      for (let start = 0, n = 1; start < size; start += COPY_PART, n++) {
        const end = Math.min(start + COPY_PART, size) - 1;
        const out = await s.call((o) => s.s3().send(new UploadPartCopyCommand({
          Bucket: bucketId, Key: blobId, UploadId, PartNumber: n, CopySource: source, CopySourceRange: `bytes=${start}-${end}`,
          ...(current.ETag ? { CopySourceIfMatch: current.ETag } : {}),
        }), o));
        parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag ?? '' });
      }
      await s.call((o) => s.s3().send(new CompleteMultipartUploadCommand({ Bucket: bucketId, Key: blobId, UploadId, MultipartUpload: { Parts: parts } }), o));
    } catch (error) {
      await s.s3().send(new AbortMultipartUploadCommand({ Bucket: bucketId, Key: blobId, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  return {
    buckets: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      const client = s.s3();
      const buckets = await s.pages((o) => paginateListBuckets({ client, stopOnSameToken: true }, {}, o), (page) => page.Buckets);
      // As the original: the list names buckets only; blobs are listed by show.
      return buckets.filter((b) => b.Name && (!id || b.Name === id)).map((b): Bucket => ({ id: b.Name!, name: b.Name!, blobIds: [] }));
    },
    bucket: async (ctx, id) => {
      checkNames(id);
      const s = deps.session(ctx);
      const client = s.s3();
      return orUndefined(async () => {
        const objects = await s.pages(
          (o) => paginateListObjectsV2({ client, pageSize: 1000, stopOnSameToken: true }, { Bucket: id }, o),
          (page) => page.Contents,
        );
        const blobIds = objects.map((o) => o.Key ?? '').filter(Boolean);
        return { id, name: id, size: blobIds.length, blobIds };
      });
    },
    create_bucket: async (ctx, { name, location }) => {
      checkBucketName(name, 'create');
      const s = deps.session(ctx);
      const { client, constraint } = deps.bucketTarget(s, location);
      await s.call((o) => client.send(new CreateBucketCommand({
        Bucket: name,
        ...(constraint ? { CreateBucketConfiguration: { LocationConstraint: constraint as BucketLocationConstraint } } : {}),
      }), o));
      return { id: name, name, size: 0, blobIds: [] };
    },
    delete_bucket: async (ctx, id) => {
      checkNames(id);
      const s = deps.session(ctx);
      await s.call((o) => s.s3().send(new DeleteBucketCommand({ Bucket: id }), o));
    },

    blob: async (ctx, bucketId, blobId) => {
      checkNames(bucketId, blobId);
      const h = await head(deps.session(ctx), bucketId, blobId);
      return h && toBlob(bucketId, blobId, h);
    },
    blob_data: async (ctx, bucketId, blobId, range): Promise<BlobData | undefined> => {
      checkNames(bucketId, blobId);
      const s = deps.session(ctx);
      return orUndefined(async () => {
        const Range = range && `bytes=${range.start}-${range.end}`;
        const out = await untilHeaders(s, (abortSignal) => s.s3().send(new GetObjectCommand({ Bucket: bucketId, Key: blobId, Range }), { abortSignal }))
          .catch(async (e: unknown) => {
            // The blob shrank since the front end read its size.
            if (range && e instanceof ValidationFailure && e.message.startsWith('InvalidRange')) {
              throw new RangeNotSatisfiable((await headOrFail(s, bucketId, blobId)).ContentLength ?? 0);
            }
            throw e;
          });
        const served = range && parseContentRange(out.ContentRange);
        return {
          stream: out.Body as Readable, contentType: out.ContentType, contentLength: out.ContentLength, acceptRanges: true,
          ...(served ? { range: served } : {}),
        };
      });
    },
    create_blob: async (ctx, upload) => {
      checkNames(upload.bucketId, upload.blobId);
      const s = deps.session(ctx);
      const metadata = s3Metadata(upload.metadata);
      const partSize = Math.max(deps.upload.partSize, upload.contentLength ? Math.ceil(upload.contentLength / MAX_PARTS) : 0);
      const abortController = new AbortController();
      const onAbort = () => abortController.abort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      // A client that hangs up mid-upload ends the request stream: abort (the multipart upload is aborted with it).
      const onClose = () => { if (!upload.data.readableEnded) abortController.abort(); };
      upload.data.once('close', onClose);
      try {
        const uploader = new Upload({
          client: s.s3(),
          params: {
            Bucket: upload.bucketId, Key: upload.blobId, Body: upload.data,
            ContentType: upload.contentType || 'application/octet-stream',
            ...(upload.contentLength !== undefined ? { ContentLength: upload.contentLength } : {}),
            Metadata: metadata,
          },
          partSize,
          queueSize: deps.upload.queueSize,
          leavePartsOnError: false,
          abortController,
        });
        let reported = 0;
        uploader.on('httpUploadProgress', (p) => {
          const loaded = p.loaded ?? 0;
          if (loaded > reported) uploaded(loaded - reported, deps.upload.collectEveryBytes);
          reported = Math.max(reported, loaded);
        });
        await s.call(() => uploader.done());
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
        upload.data.off('close', onClose);
      }
      return toBlob(upload.bucketId, upload.blobId, await headOrFail(s, upload.bucketId, upload.blobId));
    },
    delete_blob: async (ctx, bucketId, blobId) => {
      checkNames(bucketId, blobId);
      const s = deps.session(ctx);
      // DeleteObject succeeds for missing keys; look first so a typo answers 404.
      await headOrFail(s, bucketId, blobId);
      await s.call((o) => s.s3().send(new DeleteObjectCommand({ Bucket: bucketId, Key: blobId }), o));
    },
    blob_metadata: async (ctx, bucketId, blobId) => {
      checkNames(bucketId, blobId);
      return (await head(deps.session(ctx), bucketId, blobId))?.Metadata ?? undefined;
    },
    update_blob_metadata: async (ctx, bucketId, blobId, metadata) => {
      checkNames(bucketId, blobId);
      const s = deps.session(ctx);
      const meta = s3Metadata(metadata);
      const current = await head(s, bucketId, blobId);
      if (!current) return false;
      await replaceMetadata(s, bucketId, blobId, current, meta);
      return true;
    },

    init_segmented_blob: async (ctx, { bucketId, blobId, contentType, metadata }) => {
      checkNames(bucketId, blobId);
      const s = deps.session(ctx);
      const out = await s.call((o) => s.s3().send(new CreateMultipartUploadCommand({
        Bucket: bucketId, Key: blobId, ContentType: contentType || 'application/octet-stream', Metadata: s3Metadata(metadata),
      }), o));
      return out.UploadId!;
    },
    blob_segment: async (ctx, { bucketId, blobId, uploadId, order, data, contentLength }) => {
      checkNames(bucketId, blobId);
      const s = deps.session(ctx);
      if (order > MAX_PARTS) throw new ValidationFailure(`Segment order must be at most ${MAX_PARTS}`);
      if (contentLength === undefined || !Number.isFinite(contentLength)) {
        throw new ValidationFailure('A segment needs a Content-Length (S3 parts are not chunked)');
      }
      const out = await s.call((o) => s.s3().send(new UploadPartCommand({
        Bucket: bucketId, Key: blobId, UploadId: uploadId, PartNumber: order, Body: data, ContentLength: contentLength,
      }), o));
      return unquote(out.ETag);
    },
    finalize_segmented_blob: async (ctx, { bucketId, blobId, uploadId, segments }) => {
      checkNames(bucketId, blobId);
      const s = deps.session(ctx);
      if (segments.length === 0) throw new ValidationFailure('The segment manifest lists no segments');
      await s.call((o) => s.s3().send(new CompleteMultipartUploadCommand({
        Bucket: bucketId, Key: blobId, UploadId: uploadId,
        MultipartUpload: { Parts: segments.map((seg) => ({ PartNumber: seg.order, ETag: `"${unquote(seg.id)}"` })) },
      }), o));
      return toBlob(bucketId, blobId, await headOrFail(s, bucketId, blobId));
    },
  };
}
