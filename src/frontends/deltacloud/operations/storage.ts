// Storage volumes, snapshots, buckets and blobs (spec §11.8–§11.10).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { MethodNotAllowed, NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Blob } from '../../../core/model.js';
import { optParam, param, type ApiRequest, type Operation } from '../operation.js';
import { str } from '../params.js';
import { emptyReply, type Reply } from '../reply.js';
import { blobView, bucketView, storageSnapshotView, storageVolumeView } from '../views/storage.js';
import { blobContent } from './blob-content.js';
import { memberReply, readAndDestroy } from './standard.js';
import { findOne } from '../../../core/kit/lookup.js';
import { call } from '../../../core/kit/pipeline.js';
import { bytes, memberOf, noContent } from '../openapi/responses.js';

const volumes: Operation[] = [
  ...readAndDestroy('storage_volumes', storageVolumeView, 'destroy_storage_volume'),
  {
    collection: 'storage_volumes', name: 'create', method: 'POST', path: '/storage_volumes', capability: 'create_storage_volume',
    params: [
      { name: 'capacity', label: 'Size (GB)', description: 'How large the volume is, in gigabytes.' },
      { name: 'realm_id', label: 'Realm', description: 'Where the volume is made; attach it to instances in the same realm.' },
      { name: 'snapshot_id', label: 'From snapshot', description: 'Start from this snapshot\'s contents instead of an empty volume.' },
      { name: 'name', label: 'Name' }, { name: 'description', label: 'Description' },
    ],
    responses: [memberOf(storageVolumeView, 201, ['Location'])],
    async run(req) {
      const capacity = optParam(req, 'capacity');
      if (capacity !== undefined && capacity !== '' && !/^\d+(\.\d+)?$/.test(capacity)) {
        throw new ValidationFailure('capacity must be a number of GB');
      }
      const volume = await call(req.driver, 'create_storage_volume', req.ctx, {
        capacity: capacity || undefined, realmId: optParam(req, 'realm_id') || undefined,
        snapshotId: optParam(req, 'snapshot_id') || undefined, name: optParam(req, 'name') || undefined,
        description: optParam(req, 'description') || undefined,
      });
      const location = req.view.href('storage_volumes', volume.id);
      return { ...memberReply(req, 201, storageVolumeView, volume, { location }), htmlRedirect: location };
    },
  },
  {
    collection: 'storage_volumes', name: 'attach', method: 'POST', path: '/storage_volumes/:id/attach', capability: 'attach_storage_volume',
    params: [{ name: 'id', required: true }, { name: 'instance_id', label: 'Instance', required: true }, { name: 'device', label: 'Device', required: true, description: 'Where the volume appears in the instance, e.g. /dev/sdf.' }],
    responses: [memberOf(storageVolumeView, 202)],
    async run(req) {
      const volume = await call(req.driver, 'attach_storage_volume', req.ctx, {
        id: req.pathParams.id!, instanceId: param(req, 'instance_id'), device: param(req, 'device'),
      });
      return { ...memberReply(req, 202, storageVolumeView, volume), htmlRedirect: req.view.href('storage_volumes', volume.id) };
    },
  },
  {
    collection: 'storage_volumes', name: 'detach', method: 'POST', path: '/storage_volumes/:id/detach', capability: 'detach_storage_volume',
    params: [{ name: 'id', required: true }], responses: [memberOf(storageVolumeView, 202)],
    async run(req) {
      // Detach uses the volume's current instance and device (spec §11.8).
      const current = await findOne(req.driver, 'storage_volumes', req.ctx, req.pathParams.id!);
      if (!current) throw new NotFound();
      if (current.instanceId === undefined) throw new MethodNotAllowed('Storage volume is not attached');
      const volume = await call(req.driver, 'detach_storage_volume', req.ctx, {
        id: current.id, instanceId: current.instanceId, device: current.device,
      });
      return { ...memberReply(req, 202, storageVolumeView, volume), htmlRedirect: req.view.href('storage_volumes', volume.id) };
    },
  },
];

const snapshots: Operation[] = [
  ...readAndDestroy('storage_snapshots', storageSnapshotView, 'destroy_storage_snapshot'),
  {
    collection: 'storage_snapshots', name: 'create', method: 'POST', path: '/storage_snapshots', capability: 'create_storage_snapshot',
    params: [{ name: 'volume_id', required: true }, { name: 'name' }, { name: 'description' }],
    responses: [memberOf(storageSnapshotView, 201, ['Location'])],
    async run(req) {
      const snapshot = await call(req.driver, 'create_storage_snapshot', req.ctx, {
        volumeId: param(req, 'volume_id'), name: optParam(req, 'name') || undefined, description: optParam(req, 'description') || undefined,
      });
      const location = req.view.href('storage_snapshots', snapshot.id);
      return { ...memberReply(req, 201, storageSnapshotView, snapshot, { location }), htmlRedirect: location };
    },
  },
];

const METADATA_HEADER = /^x[-_]deltacloud[-_]blobmeta[-_](.+)$/i;

/** User metadata from `X-Deltacloud-Blobmeta-*` request headers, keys lower-cased (spec §11.10.4). */
export function metadataFromHeaders(req: ApiRequest): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    const m = METADATA_HEADER.exec(name);
    if (m && value !== undefined) meta[m[1]!.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return meta;
}

// Header values must be visible ASCII (plus space/tab); anything else is percent-encoded.
const HEADER_SAFE = /^[\t\x20-\x7e]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function metadataHeaders(meta: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (!TOKEN.test(key)) continue;
    headers[`X-Deltacloud-Blobmeta-${key}`] = HEADER_SAFE.test(value) ? value : encodeURIComponent(value);
  }
  return headers;
}

function metadataFromForm(req: ApiRequest): Record<string, string> {
  const meta: Record<string, string> = {};
  const count = Number(optParam(req, 'meta_params') ?? '0');
  for (let i = 1; Number.isInteger(count) && i <= Math.min(count, 1000); i++) {
    const name = optParam(req, `meta_name${i}`);
    if (name) meta[name.toLowerCase()] = optParam(req, `meta_value${i}`) ?? '';
  }
  return meta;
}

const blobPath = '/buckets/:id/:blob_id';
const BLOB_CONTENT_HEADERS = ['Content-Disposition', 'Accept-Ranges', 'Content-Length'];
// The blob's bytes come with its own media type.
// A whole blob or the finished segmented one: the blob; a segmented upload's first step or a segment: its id in a header.
const PUT_BLOB_RESPONSES = [memberOf(blobView), noContent(204, ['X-Deltacloud-SegmentedBlob', 'X-Deltacloud-BlobSegmentId'])];
const blobIdParams = [{ name: 'id', required: true }, { name: 'blob_id', required: true }];

const isSegmented = (req: Pick<ApiRequest, 'params' | 'headers'>) =>
  String(req.headers['x-deltacloud-blobtype'] ?? req.params.blob_type ?? '').toLowerCase() === 'segmented';
/** A header sent once (a repeated one counts by its first value). */
function headerValue(req: Pick<ApiRequest, 'headers'>, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
const segmentedUploadId = (req: Pick<ApiRequest, 'params' | 'headers'>) =>
  headerValue(req, 'x-deltacloud-segmentedblob') ?? str(req.params, 'segmented_blob');
const segmentOrder = (req: Pick<ApiRequest, 'params' | 'headers'>) =>
  headerValue(req, 'x-deltacloud-segmentorder') ?? str(req.params, 'segment_order');

/** Which capability a PUT needs: plain upload, or one step of a segmented upload (spec §11.10.7). */
function putCapability(req: Pick<ApiRequest, 'params' | 'headers'>): 'create_blob' | 'init_segmented_blob' | 'finalize_segmented_blob' | 'blob_segment' {
  if (!isSegmented(req)) return 'create_blob';
  if (segmentedUploadId(req) === undefined) return 'init_segmented_blob';
  return segmentOrder(req) === undefined ? 'finalize_segmented_blob' : 'blob_segment';
}

function contentLength(req: ApiRequest): number | undefined {
  const v = req.headers['content-length'];
  return v === undefined ? undefined : Number(v);
}

async function readManifest(stream: Readable): Promise<Array<{ order: number; id: string }>> {
  let text = '';
  for await (const chunk of stream) {
    text += chunk;
    if (text.length > 1024 * 1024) throw new ValidationFailure('Segment manifest too large');
  }
  const segments = text.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const eq = entry.indexOf('=');
    const order = Number(entry.slice(0, eq));
    if (eq <= 0 || !Number.isInteger(order)) throw new ValidationFailure(`Malformed segment manifest entry '${entry}'`);
    return { order, id: entry.slice(eq + 1).trim() };
  });
  return segments.sort((a, b) => a.order - b.order);
}

async function putBlob(req: ApiRequest): Promise<Reply> {
  const bucketId = req.pathParams.id!;
  const blobId = req.pathParams.blob_id!;
  const contentType = req.headers['content-type'] ?? '';
  const metadata = metadataFromHeaders(req);
  const capability = putCapability(req);
  if (capability === 'init_segmented_blob') {
    const uploadId = await call(req.driver, capability, req.ctx, { bucketId, blobId, contentType, metadata });
    return emptyReply(204, { 'X-Deltacloud-SegmentedBlob': uploadId });
  }
  if (capability === 'blob_segment') {
    const order = Number(segmentOrder(req));
    if (!Number.isInteger(order) || order < 1) throw new ValidationFailure('Segment order must be a positive whole number');
    const segmentId = await call(req.driver, capability, req.ctx, {
      bucketId, blobId, uploadId: segmentedUploadId(req)!, order, data: req.body, contentLength: contentLength(req),
    });
    return emptyReply(204, { 'X-Deltacloud-BlobSegmentId': segmentId });
  }
  if (capability === 'finalize_segmented_blob') {
    const blob = await call(req.driver, capability, req.ctx, {
      bucketId, blobId, uploadId: segmentedUploadId(req)!, segments: await readManifest(req.body),
    });
    return memberReply(req, 200, blobView, blob);
  }
  const blob = await call(req.driver, 'create_blob', req.ctx, {
    bucketId, blobId, data: req.body, contentType, contentLength: contentLength(req), metadata,
  });
  return memberReply(req, 200, blobView, blob);
}

async function requireBlob(req: ApiRequest): Promise<Blob> {
  const blob = await call(req.driver, 'blob', req.ctx, req.pathParams.id!, req.pathParams.blob_id!);
  if (!blob) throw new NotFound();
  return blob;
}

const metadataOperation = (path: string): Operation => ({
  // Answered whatever format was negotiated: the answer has no body (spec §11.10.6).
  collection: 'buckets', name: 'blob_metadata', method: 'HEAD', path, capability: 'blob_metadata',
  params: blobIdParams, formats: ['xml', 'json', 'html', 'png', 'gv'], responses: [noContent(204, ['X-Deltacloud-Blobmeta-*'])],
  async run(req) {
    const meta = await call(req.driver, 'blob_metadata', req.ctx, req.pathParams.id!, req.pathParams.blob_id!);
    if (!meta) throw new NotFound();
    return emptyReply(204, metadataHeaders(meta));
  },
});

/**
 * Publication through the back end's CDN (Rackspace Cloud Files), with `ttl`
 * in seconds when enabling. Four path segments, so no blob name is shadowed.
 */
const cdnOperation = (action: 'enable' | 'disable'): Operation => ({
  collection: 'buckets', name: `cdn_${action}`, method: 'POST', path: `/buckets/:id/cdn/${action}`, capability: 'update_bucket_cdn',
  params: [{ name: 'id', required: true }, ...(action === 'enable' ? [{ name: 'ttl' }] : [])],
  responses: [memberOf(bucketView)],
  async run(req) {
    const ttl = action === 'enable' ? optParam(req, 'ttl') || undefined : undefined;
    if (ttl !== undefined && !/^\d{1,10}$/.test(ttl)) throw new ValidationFailure('ttl must be a whole number of seconds');
    const bucket = await call(req.driver, 'update_bucket_cdn', req.ctx, {
      id: req.pathParams.id!, enabled: action === 'enable', ttlSeconds: ttl === undefined ? undefined : Number(ttl),
    });
    return { ...memberReply(req, 200, bucketView, bucket), htmlRedirect: req.view.href('buckets', bucket.id) };
  },
});

const buckets: Operation[] = [
  ...readAndDestroy('buckets', bucketView, 'delete_bucket'),
  {
    collection: 'buckets', name: 'create', method: 'POST', path: '/buckets', capability: 'create_bucket',
    params: [{ name: 'name', label: 'Bucket name', required: true }, { name: 'location', label: 'Location' }], // cdn: the bucket_cdn feature's parameter
    responses: [memberOf(bucketView, 201, ['Location'])],
    async run(req) {
      const name = param(req, 'name');
      if (name === '') throw new ValidationFailure('Bucket name must not be empty');
      const cdn = optParam(req, 'cdn') || 'false';
      if (cdn !== 'true' && cdn !== 'false') throw new ValidationFailure('cdn must be true or false');
      if (cdn === 'true' && !req.driver.update_bucket_cdn) throw new ValidationFailure('This driver cannot publish buckets through a CDN');
      let bucket = await call(req.driver, 'create_bucket', req.ctx, { name, location: optParam(req, 'location') || undefined });
      if (cdn === 'true') bucket = await call(req.driver, 'update_bucket_cdn', req.ctx, { id: bucket.id, enabled: true });
      const location = req.view.href('buckets', bucket.id);
      return { ...memberReply(req, 201, bucketView, bucket, { location }), htmlRedirect: location };
    },
  },
  cdnOperation('enable'),
  cdnOperation('disable'),
  {
    collection: 'buckets', name: 'show_blob', method: 'GET', path: blobPath, capability: 'blob', params: blobIdParams,
    responses: [memberOf(blobView)],
    async run(req) {
      return memberReply(req, 200, blobView, await requireBlob(req));
    },
  },
  {
    collection: 'buckets', name: 'blob_content', method: 'GET', path: `${blobPath}/content`, capability: 'blob_data',
    params: blobIdParams, formats: ['xml', 'json', 'html', 'png', 'gv'], run: blobContent,
    responses: [bytes(200, ['*/*'], BLOB_CONTENT_HEADERS), bytes(206, ['*/*'], [...BLOB_CONTENT_HEADERS, 'Content-Range'])],
    errors: [416],
  },
  { collection: 'buckets', name: 'create_blob', method: 'PUT', path: blobPath, capability: putCapability, params: blobIdParams, rawBody: true, run: putBlob, responses: PUT_BLOB_RESPONSES },
  {
    collection: 'buckets', name: 'create_blob', method: 'PUT', path: `${blobPath}/stream`, capability: putCapability, params: blobIdParams, rawBody: true, run: putBlob,
    responses: PUT_BLOB_RESPONSES,
  },
  {
    collection: 'buckets', name: 'create_blob', method: 'POST', path: '/buckets/:id', capability: 'create_blob',
    params: [{ name: 'id', required: true }, { name: 'blob_id', label: 'Blob name', required: true }, { name: 'blob_data', label: 'File', required: true, type: 'file', description: 'Choose a file or drop it on the form.' }],
    responses: [memberOf(blobView, 201)],
    async run(req) {
      const file = req.files.find((f) => f.field === 'blob_data');
      const text = file ? undefined : param(req, 'blob_data');
      const blob = await call(req.driver, 'create_blob', req.ctx, {
        bucketId: req.pathParams.id!,
        blobId: param(req, 'blob_id'),
        data: file ? createReadStream(file.path) : Readable.from([Buffer.from(text!, 'utf8')]),
        contentType: file ? file.contentType : 'text/plain',
        contentLength: file ? file.size : Buffer.byteLength(text!),
        metadata: metadataFromForm(req),
      });
      return { ...memberReply(req, 201, blobView, blob), htmlRedirect: req.view.href('buckets', blob.bucketId, blob.id) };
    },
  },
  metadataOperation(blobPath),
  metadataOperation(`${blobPath}/metadata`),
  {
    collection: 'buckets', name: 'update_blob_metadata', method: 'POST', path: blobPath, capability: 'update_blob_metadata',
    params: blobIdParams, formats: ['xml', 'json', 'html', 'png', 'gv'], responses: [noContent(204, ['X-Deltacloud-Blobmeta-*'])],
    async run(req) {
      // The console's form sends the entries as fields (`meta_params`, `meta_name1`, …): a form cannot send headers.
      const meta = optParam(req, 'meta_params') === undefined ? metadataFromHeaders(req) : metadataFromForm(req);
      const found = await call(req.driver, 'update_blob_metadata', req.ctx, req.pathParams.id!, req.pathParams.blob_id!, meta);
      if (!found) throw new NotFound();
      return emptyReply(204, metadataHeaders(meta), req.view.href('buckets', req.pathParams.id!, req.pathParams.blob_id!));
    },
  },
  {
    collection: 'buckets', name: 'delete_blob', method: 'DELETE', path: blobPath, capability: 'delete_blob', params: blobIdParams,
    responses: [noContent()],
    async run(req) {
      await call(req.driver, 'delete_blob', req.ctx, req.pathParams.id!, req.pathParams.blob_id!);
      return emptyReply(204, undefined, req.view.href('buckets', req.pathParams.id!));
    },
  },
];

export const storageOperations: Operation[] = [...volumes, ...snapshots, ...buckets];
