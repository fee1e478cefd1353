// GET /api/buckets/:id/:blob_id/content: the blob's bytes, streamed, with
// single byte ranges (RFC 9110 §14): 206 + Content-Range for a satisfiable
// range, 416 + `Content-Range: bytes */size` for one past the end, the whole
// blob with 200 for no, an invalid, a multi-range or a conditional (If-Range)
// request.
import { parseRange, resolveRange, contentRange, type ByteRange } from '../../../core/byte-range.js';
import { hasCapability } from '../../../core/driver.js';
import { NotFound, RangeNotSatisfiable } from '../../../core/errors.js';
import type { ApiRequest } from '../operation.js';
import type { Reply } from '../reply.js';
import { call } from '../../../core/kit/pipeline.js';

/** The bytes to serve, or undefined for the whole blob. The size comes from the blob's metadata (one look-up, only for range requests). */
async function askedRange(req: ApiRequest, bucketId: string, blobId: string): Promise<ByteRange | undefined> {
  const header = req.headers.range;
  // If-Range would need the validator compared; answering the whole blob is always correct.
  if (req.headers['if-range'] !== undefined || !hasCapability(req.driver, 'blob')) return undefined;
  const spec = parseRange(Array.isArray(header) ? undefined : header);
  if (!spec) return undefined;
  const blob = await call(req.driver, 'blob', req.ctx, bucketId, blobId);
  if (!blob) throw new NotFound();
  if (blob.contentLength === undefined) return undefined;
  const range = resolveRange(spec, blob.contentLength);
  if (!range) throw new RangeNotSatisfiable(blob.contentLength);
  return range;
}

export async function blobContent(req: ApiRequest): Promise<Reply> {
  const bucketId = req.pathParams.id!;
  const blobId = req.pathParams.blob_id!;
  const range = await askedRange(req, bucketId, blobId);
  const data = await call(req.driver, 'blob_data', req.ctx, bucketId, blobId, range);
  if (!data) throw new NotFound();
  const headers: Record<string, string> = {
    // Only characters that need no quoting in a header parameter; others become `_`.
    'Content-Disposition': `attachment; filename=${blobId.replace(/[^A-Za-z0-9._-]/g, '_')}`,
  };
  if (data.acceptRanges) headers['Accept-Ranges'] = 'bytes';
  if (data.contentLength !== undefined) headers['Content-Length'] = String(data.contentLength);
  const partial = range !== undefined && data.range !== undefined;
  if (partial) headers['Content-Range'] = contentRange(data.range!, data.range!.size);
  return { status: partial ? 206 : 200, headers, body: { kind: 'stream', stream: data.stream, contentType: data.contentType || 'application/octet-stream' } };
}
