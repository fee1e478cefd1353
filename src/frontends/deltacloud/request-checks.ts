// Small classifications of bad requests, so they are answered 4xx (and
// logged as routine) instead of surfacing as server errors.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { DeltacloudError, ValidationFailure } from '../../core/errors.js';

/** Visible ASCII only: the value goes back in a response header (X-Deltacloud-Driver/-Provider). */
const HEADER_SAFE = /^[\x21-\x7e]*$/;

export function checkHeaderSafe(what: 'driver' | 'provider', value: string): void {
  if (!HEADER_SAFE.test(value) || value.length > 1024) throw new ValidationFailure(`Invalid ${what} name: only visible ASCII characters are allowed`);
}

/**
 * A multipart body the parser refused (no boundary, truncated, malformed headers) as opposed to a
 * server-side failure: parser errors carry neither an HTTP status of their own nor a system call.
 */
export function isMalformedMultipart(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof DeltacloudError) return false;
  const { statusCode, syscall } = errorDetails(error);
  return statusCode === undefined && syscall === undefined;
}

/** The fields Node, Fastify and its plugins add to their errors, when present with the expected type. */
export function errorDetails(error: Error): { code: string | undefined; statusCode: number | undefined; syscall: string | undefined } {
  return {
    code: 'code' in error && typeof error.code === 'string' ? error.code : undefined,
    statusCode: 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : undefined,
    syscall: 'syscall' in error && typeof error.syscall === 'string' ? error.syscall : undefined,
  };
}

/** The client closed the connection mid-request: nothing to answer, nothing to worry about. */
export function isClientAbort(error: Error, raw: IncomingMessage): boolean {
  const { code } = errorDetails(error);
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || error.message === 'aborted' || (raw.destroyed && !raw.complete);
}

/** Whether a request announces a body (a length above 0, or chunked). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return headers['transfer-encoding'] !== undefined;
}
