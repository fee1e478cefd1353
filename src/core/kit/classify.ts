// One classifier from back-end failures to core errors (AWS SDK v3 keeps its
// list once, in service-error-classification; so do we). Drivers feed it only
// with what is theirs: a provider code table (ec2) or the service name and
// message of an HTTP answer (openstack); everything else is decided here:
//   HTTP status → core error; Node network codes → 502; timeouts and aborts →
//   504; throttling → 503 with Retry-After. Errors a retry may cure are marked
//   `transient` for the call pipeline.
import {
  AuthenticationFailure, BackendUnreachable, Conflict, DeltacloudError, Forbidden, MethodNotAllowed, NotFound, NotSupported, PayloadTooLarge,
  ProviderError, ProviderTimeout, ProviderUnavailable, ValidationFailure, type ErrorStatus,
} from '../errors.js';

/** Node and undici codes of a connection that failed or broke: the back end could not be reached (502). */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED',
  'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Codes of a connection that got no answer in time (504). */
export const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

/** Answers a repeat may cure (the AWS SDK's transient status codes). */
const TRANSIENT_HTTP = new Set([500, 502, 503, 504]);

/** Seconds a client should wait after throttling when the back end did not say. */
export const DEFAULT_RETRY_AFTER = 5;

/** The status of a back end's HTTP answer as the API reports it. */
export function statusForHttp(status: number, retryAfter?: number): ErrorStatus {
  switch (status) {
    case 400: case 401: case 403: case 404: case 405: case 409: case 501: case 504:
      return status;
    // Rate limits: some services say "over limit" with 413 and a Retry-After.
    case 413: return retryAfter !== undefined ? 503 : 413;
    case 429: return 503;
    // A 503 without a hint of when to come back is a failing back end, not throttling.
    case 503: return retryAfter !== undefined ? 503 : 502;
  }
  if (status >= 400 && status < 500) return 400;
  return 502;
}

/** The core error of a status, with its message (the class's own when empty). */
export function errorOfStatus(status: ErrorStatus, message: string, retryAfter?: number): DeltacloudError {
  const text = message || undefined;
  switch (status) {
    case 400: return new ValidationFailure(text);
    case 401: return new AuthenticationFailure(text);
    case 403: return new Forbidden(text);
    case 404: return new NotFound(text);
    case 405: return new MethodNotAllowed(text);
    case 409: return new Conflict(text);
    case 413: return new PayloadTooLarge(text);
    case 501: return new NotSupported(text);
    case 503: return new ProviderUnavailable(text, retryAfter ?? DEFAULT_RETRY_AFTER);
    case 504: return new ProviderTimeout(text);
    default: return status >= 500 ? new ProviderError(text) : new DeltacloudError(status, text);
  }
}

/** A back end's HTTP answer outside 2xx → a core error, marked transient when a repeat may succeed. */
export function errorForHttp(httpStatus: number, message: string, retryAfter?: number): DeltacloudError {
  const error = errorOfStatus(statusForHttp(httpStatus, retryAfter), message, retryAfter);
  if (TRANSIENT_HTTP.has(httpStatus) || error.status === 503) error.transient = true;
  return error;
}

/** Seconds from a Retry-After header (delta seconds or an HTTP date), at most an hour. */
export function retryAfterSeconds(value: string | null | undefined): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Math.ceil(Number(text)) : Math.ceil((Date.parse(text) - Date.now()) / 1000);
  return Number.isNaN(seconds) ? undefined : Math.min(Math.max(0, seconds), 3600);
}

/** A Node network or timeout code anywhere in the error's `cause` chain or AggregateError list. */
export function networkCodeOf(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || TIMEOUT_CODES.has(e.code))) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = networkCodeOf(inner, depth + 1);
      if (code) return code;
    }
  }
  return networkCodeOf(e.cause, depth + 1);
}

function isAbortOrTimeout(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown; cause?: { name?: unknown } } | undefined;
  return e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR' || e?.cause?.name === 'TimeoutError';
}

/**
 * A failure below HTTP (no answer: refused, reset, timed out, aborted) → a core
 * error naming `what` (e.g. "the compute service"); undefined when the error
 * carries no such mark (a programming error, left for the front end's 500).
 */
export function transportError(error: unknown, what: string): DeltacloudError | undefined {
  if (error instanceof DeltacloudError) return error;
  if (isAbortOrTimeout(error)) return new ProviderTimeout(`${what} did not answer in time`);
  const code = networkCodeOf(error);
  if (code === undefined) return undefined;
  if (TIMEOUT_CODES.has(code)) return new ProviderTimeout(`${what} did not answer in time (${code})`);
  const unreachable = new BackendUnreachable(`Cannot reach ${what.replace(/^The /, 'the ')} (${code})`);
  unreachable.transient = true;
  return unreachable;
}

/** Whether the pipeline may repeat a call that failed with `error`. */
export function isTransient(error: unknown): boolean {
  return error instanceof DeltacloudError && error.transient === true && error.retried !== true;
}
