// Buckets and blobs (mock-driver.md §6.7). Blob records are keyed by
// (bucket, blob id); content is streamed to and from files, never buffered.
import type { Driver, BlobUpload } from '../../../core/driver.js';
import { BackendError, Forbidden, NotFound, RangeNotSatisfiable } from '../../../core/errors.js';
import type { Blob, Bucket } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate } from '../catalog.js';
import type { BlobRecord, BucketRecord } from '../records.js';
import { formatLocalTime } from '../util.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver,
  'buckets' | 'bucket' | 'create_bucket' | 'delete_bucket'
  | 'blob' | 'blob_data' | 'create_blob' | 'delete_blob' | 'blob_metadata' | 'update_blob_metadata'>;

/** Blobs up to this size carry their text in `Blob.content`; larger ones stay on disk. */
const INLINE_CONTENT_LIMIT = 64 * 1024;

/** Ruby's `to_i`: the stored size may be `"0"` or a number. */
function sizeAsNumber(size: string | number): number {
  const n = parseInt(String(size), 10);
  return Number.isNaN(n) ? 0 : n;
}

function toBucket(record: BucketRecord, blobIds: string[]): Bucket {
  return { id: record.id, name: record.name, size: record.size, blobIds };
}

export function bucketOperations({ store, files }: MockBackend): Ops {
  const toBlob = async (r: BlobRecord): Promise<Blob> => ({
    id: r.id,
    bucketId: r.bucketId,
    contentLength: r.contentLength,
    contentType: r.contentType,
    lastModified: r.lastModified,
    userMetadata: r.userMetadata,
    content: r.contentLength <= INLINE_CONTENT_LIMIT ? ((await files.readText(r.file)) ?? null) : null,
  });

  /** Content first (outside any transaction), then the record in one; the old content goes after commit. */
  const createBlob = async (upload: BlobUpload, signal: AbortSignal): Promise<Blob> => {
    const { bucketId, blobId } = upload;
    if (!store.has('buckets', bucketId)) throw new NotFound('BucketNotExist');
    const received = await files.receive(bucketId, blobId, upload.data, upload.contentLength, signal);
    let record: BlobRecord;
    let replacedFile: string | undefined;
    try {
      record = await store.write(() => {
        const bucket = store.get('buckets', bucketId);
        if (!bucket) throw new NotFound('BucketNotExist'); // deleted while uploading
        replacedFile = store.getBlob(bucketId, blobId)?.file;
        // Incremented on overwrites too (original quirk); a number from now on.
        store.put('buckets', { ...bucket, size: sizeAsNumber(bucket.size) + 1 });
        return store.putBlob({
          id: blobId,
          bucketId,
          contentType: upload.contentType,
          contentLength: received.length,
          lastModified: formatLocalTime(),
          userMetadata: { ...upload.metadata },
          file: received.file,
        });
      });
    } catch (err) {
      await files.remove(received.file);
      throw err;
    }
    if (replacedFile !== undefined) await files.remove(replacedFile);
    return toBlob(record);
  };

  return {
    buckets: async (ctx, filter) => {
      authenticate(ctx);
      const blobIds = store.blobIdsByBucket();
      return applyFilters('buckets', store.list('buckets').map((b) => toBucket(b, blobIds.get(b.id) ?? [])), filter);
    },
    bucket: async (ctx, id) => {
      authenticate(ctx);
      const bucket = store.get('buckets', id);
      return bucket && toBucket(bucket, store.blobIds(id));
    },
    create_bucket: async (ctx, { name }) => {
      authenticate(ctx);
      // location is ignored; an existing bucket of that name is replaced (original).
      const record = await store.write(() => store.put('buckets', { id: name, name, size: '0' }));
      return toBucket(record, []);
    },
    delete_bucket: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => {
        if (!store.has('buckets', id)) throw new NotFound('BucketNotExist');
        if (store.blobCount(id) > 0) throw new Forbidden('Delete operation not valid for non-empty bucket');
        store.delete('buckets', id);
      });
    },

    blob: async (ctx, bucketId, blobId) => {
      authenticate(ctx);
      const record = store.getBlob(bucketId, blobId);
      return record && toBlob(record);
    },
    blob_data: async (ctx, bucketId, blobId, asked) => {
      authenticate(ctx);
      const record = store.getBlob(bucketId, blobId);
      if (!record) return undefined;
      const size = record.contentLength;
      // Resolved against the size the front end saw; an overwrite since may have shortened the blob.
      if (asked && asked.start >= size) throw new RangeNotSatisfiable(size);
      const range = asked && { start: asked.start, end: Math.min(asked.end, size - 1) };
      const stream = await files.openRead(record.file, range);
      if (!stream) throw new BackendError('Blob content is missing');
      return {
        stream,
        contentType: record.contentType === '' ? 'application/octet-stream' : record.contentType,
        contentLength: range ? range.end - range.start + 1 : size,
        acceptRanges: true,
        ...(range ? { range: { ...range, size } } : {}),
      };
    },
    create_blob: async (ctx, upload) => {
      authenticate(ctx);
      return createBlob(upload, ctx.signal);
    },
    delete_blob: async (ctx, bucketId, blobId) => {
      authenticate(ctx);
      const file = await store.write(() => {
        const record = store.getBlob(bucketId, blobId);
        if (!record) throw new NotFound('Could not delete a non existent blob');
        const bucket = store.get('buckets', bucketId);
        if (bucket) store.put('buckets', { ...bucket, size: sizeAsNumber(bucket.size) - 1 });
        store.deleteBlob(bucketId, blobId);
        return record.file;
      });
      await files.remove(file);
    },
    blob_metadata: async (ctx, bucketId, blobId) => {
      authenticate(ctx);
      return store.getBlob(bucketId, blobId)?.userMetadata;
    },
    update_blob_metadata: async (ctx, bucketId, blobId, metadata) => {
      authenticate(ctx);
      return store.write(() => {
        const record = store.getBlob(bucketId, blobId);
        if (!record) return false;
        store.putBlob({ ...record, userMetadata: { ...metadata } });
        return true;
      });
    },
  };
}
