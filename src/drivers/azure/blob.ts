// Buckets and blobs = Azure Blob Storage containers and block blobs (spec
// §11.10). Uploads stream through the SDK's uploadStream: blocks of
// `blockSizeBytes` staged `uploadConcurrency` at a time (so at most that many
// blocks are in memory), then committed; downloads stream the GET body.
import {
  AnonymousCredential, BlobServiceClient, newPipeline, StorageSharedKeyCredential, type StoragePipelineOptions, type BlobGetPropertiesResponse, type ContainerClient,
} from '@azure/storage-blob';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import type { BlobData, BlobUpload, Driver, Filter, RequestContext } from '../../core/driver.js';
import { parseContentRange } from '../../core/byte-range.js';
import { orUndefined } from '../../core/kit/lookup.js';
import { Conflict, NotFound, RangeNotSatisfiable, ValidationFailure } from '../../core/errors.js';
import type { Blob, Bucket } from '../../core/model.js';
import { checkContainerName, checkMetadata, checkNames } from './blob-names.js';
import type { AzureOptions } from './config.js';
import { blobEndpointOf } from './provider.js';
import { measuredPolicies } from './service-calls.js';
import { AzureSession, ClientCache } from './session.js';

type BlobOps = Pick<Driver,
  'buckets' | 'bucket' | 'create_bucket' | 'delete_bucket' | 'blob' | 'blob_data' | 'create_blob' | 'delete_blob' | 'blob_metadata'
  | 'update_blob_metadata'>;

function toBlob(bucketId: string, blobId: string, props: BlobGetPropertiesResponse): Blob {
  return {
    id: blobId,
    bucketId,
    contentLength: props.contentLength,
    contentType: props.contentType,
    lastModified: props.lastModified?.toISOString(),
    userMetadata: props.metadata ?? {},
    content: null,
  };
}

/** Passes the bytes on and fails the stream when it ends short of (or beyond) the announced length. */
function lengthChecked(expected: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > expected) done(new ValidationFailure('The request body is longer than its Content-Length'));
      else done(null, chunk);
    },
    flush(done: TransformCallback) {
      done(seen === expected ? null : new ValidationFailure('The request body is shorter than its Content-Length'));
    },
  });
}

/** A signal that follows the request's only until `detach()` (a long download must not be cut by the request deadline). */
function detachableSignal(signal: AbortSignal): { signal: AbortSignal; detach(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, detach: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * A client whose requests reach the back-end metrics, each attempt once (after the storage retry policy, as for
 * Resource Manager). StoragePipelineOptions' type lacks `additionalPolicies`, but the options reach core-client's
 * ServiceClient, which adds them to the pipeline all clients made from this one share (containers, blobs) at each
 * client's construction: they stay in the options for the first client only (a second addition would be refused).
 */
function measuredClient(url: string, credential: StorageSharedKeyCredential | AnonymousCredential, options: StoragePipelineOptions): BlobServiceClient {
  const measured = { ...options, additionalPolicies: measuredPolicies('Blob') };
  const pipeline = newPipeline(credential, measured);
  const client = new BlobServiceClient(url, pipeline);
  Reflect.deleteProperty(pipeline.options, 'additionalPolicies');
  return client;
}

export function blobOperations(options: AzureOptions): BlobOps {
  const clients = new ClientCache<BlobServiceClient>();

  function service(s: AzureSession): BlobServiceClient {
    const { account, secret } = s.storage();
    const url = blobEndpointOf(s.provider, account);
    const pipelineOptions = {
      retryOptions: { maxTries: options.retries, retryDelayInMs: 200, maxRetryDelayInMs: 5_000, tryTimeoutInMs: options.requestTimeoutMs },
      userAgentOptions: { userAgentPrefix: 'deltacloud-ts' },
    };
    if ('sas' in secret) return clients.get([url, account, 'sas', secret.sas], () => measuredClient(`${url}?${secret.sas}`, new AnonymousCredential(), pipelineOptions));
    return clients.get([url, account, 'key', secret.sharedKey], () => {
      let credential: StorageSharedKeyCredential;
      try {
        credential = new StorageSharedKeyCredential(account, secret.sharedKey);
      } catch {
        throw new ValidationFailure('The storage account key is not base64');
      }
      return measuredClient(url, credential, pipelineOptions);
    });
  }

  const session = (ctx: RequestContext) => new AzureSession(ctx, options);
  const container = (s: AzureSession, name: string): ContainerClient => service(s).getContainerClient(name);

  async function properties(s: AzureSession, bucketId: string, blobId: string): Promise<BlobGetPropertiesResponse> {
    return s.call(() => container(s, bucketId).getBlobClient(blobId).getProperties({ abortSignal: s.signal }));
  }

  async function blobIds(s: AzureSession, bucketId: string, limit = Infinity): Promise<string[]> {
    return s.call(async () => {
      const names: string[] = [];
      for await (const page of container(s, bucketId).listBlobsFlat({ abortSignal: s.signal }).byPage({ maxPageSize: Math.min(limit, 5000) })) {
        for (const item of page.segment.blobItems) names.push(item.name);
        if (names.length >= limit) break;
      }
      return names;
    });
  }

  return {
    buckets: async (ctx, filter: Filter) => {
      const s = session(ctx);
      return s.call(async () => {
        const found: Bucket[] = [];
        const prefix = filter.id;
        // As the original: the list names buckets only; blobs are listed by show.
        for await (const item of service(s).listContainers({ abortSignal: s.signal, ...(prefix ? { prefix } : {}) })) {
          found.push({ id: item.name, name: item.name, blobIds: [] });
        }
        return found;
      });
    },
    bucket: async (ctx, id) => {
      checkContainerName(id);
      const s = session(ctx);
      return orUndefined(async () => {
        const names = await blobIds(s, id);
        return { id, name: id, size: names.length, blobIds: names };
      });
    },
    create_bucket: async (ctx, { name }) => {
      checkContainerName(name);
      const s = session(ctx);
      await s.call(() => container(s, name).create({ abortSignal: s.signal }));
      return { id: name, name, size: 0, blobIds: [] };
    },
    delete_bucket: async (ctx, id) => {
      checkContainerName(id);
      const s = session(ctx);
      // Azure deletes a container with everything in it; the API (as S3 and Swift) refuses to while it holds blobs.
      if ((await blobIds(s, id, 1)).length > 0) throw new Conflict(`Bucket '${id}' is not empty`);
      await s.call(() => container(s, id).delete({ abortSignal: s.signal }));
    },

    blob: async (ctx, bucketId, blobId) => {
      checkNames(bucketId, blobId);
      const s = session(ctx);
      const props = await orUndefined(() => properties(s, bucketId, blobId));
      return props && toBlob(bucketId, blobId, props);
    },
    blob_data: async (ctx, bucketId, blobId, range): Promise<BlobData | undefined> => {
      checkNames(bucketId, blobId);
      const s = session(ctx);
      const untilHeaders = detachableSignal(s.signal);
      const client = container(s, bucketId).getBlobClient(blobId);
      try {
        const out = await s.call(() => client.download(range?.start ?? 0, range ? range.end - range.start + 1 : undefined, {
          abortSignal: untilHeaders.signal, maxRetryRequests: options.retries,
        }));
        const served = range && parseContentRange(out.contentRange ?? null);
        const body = out.readableStreamBody;
        return {
          // Node's SDK answers with the HTTP response itself (a Readable); anything else is read through.
          stream: body instanceof Readable ? body : body ? Readable.from(body) : Readable.from([]),
          contentType: out.contentType,
          contentLength: out.contentLength,
          acceptRanges: true,
          ...(served ? { range: served } : {}),
        };
      } catch (error) {
        if (error instanceof NotFound) return undefined;
        // The blob shrank since the front end read its size.
        if (range && error instanceof ValidationFailure && error.message.startsWith('InvalidRange')) {
          throw new RangeNotSatisfiable((await properties(s, bucketId, blobId)).contentLength ?? 0);
        }
        throw error;
      } finally {
        untilHeaders.detach();
      }
    },
    create_blob: async (ctx, upload: BlobUpload) => {
      checkNames(upload.bucketId, upload.blobId);
      const metadata = checkMetadata(upload.metadata);
      const s = session(ctx);
      const client = container(s, upload.bucketId).getBlockBlobClient(upload.blobId);
      // A client hanging up mid-upload ends the request stream: abort (nothing is committed then).
      const aborter = new AbortController();
      const onAbort = () => aborter.abort();
      const onClose = () => { if (!upload.data.readableEnded) aborter.abort(); };
      s.signal.addEventListener('abort', onAbort, { once: true });
      upload.data.once('close', onClose);
      const body = upload.contentLength === undefined ? upload.data : pipeline(upload.data, lengthChecked(upload.contentLength), () => {});
      try {
        await s.call(() => client.uploadStream(body, options.blockSizeBytes, options.uploadConcurrency, {
          abortSignal: aborter.signal,
          metadata,
          blobHTTPHeaders: { blobContentType: upload.contentType || 'application/octet-stream' },
        }));
      } finally {
        s.signal.removeEventListener('abort', onAbort);
        upload.data.off('close', onClose);
      }
      return toBlob(upload.bucketId, upload.blobId, await properties(s, upload.bucketId, upload.blobId));
    },
    delete_blob: async (ctx, bucketId, blobId) => {
      checkNames(bucketId, blobId);
      const s = session(ctx);
      await s.call(() => container(s, bucketId).getBlobClient(blobId).delete({ deleteSnapshots: 'include', abortSignal: s.signal }));
    },
    blob_metadata: async (ctx, bucketId, blobId) => {
      checkNames(bucketId, blobId);
      const s = session(ctx);
      const props = await orUndefined(() => properties(s, bucketId, blobId));
      return props && (props.metadata ?? {});
    },
    update_blob_metadata: async (ctx, bucketId, blobId, metadata) => {
      checkNames(bucketId, blobId);
      const meta = checkMetadata(metadata);
      const s = session(ctx);
      const done = await orUndefined(() => s.call(() => container(s, bucketId).getBlobClient(blobId).setMetadata(meta, { abortSignal: s.signal })));
      return done !== undefined;
    },
  };
}
