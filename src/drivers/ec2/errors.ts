// AWS errors → the API's statuses (spec §8.3, drivers-matrix §7, issue 3).
// The SDK has already retried what it considers retryable (throttling,
// 5xx, connection resets) with jittered back-off before we see an error.
// Messages are the provider's own, with the caller's secret and session
// token scrubbed should a service ever echo them.
import {
  AuthenticationFailure, BackendUnreachable, GENERIC_MESSAGES, Conflict, DeltacloudError, Forbidden, MethodNotAllowed, NotFound, NotSupported, PayloadTooLarge,
  ProviderError, ProviderTimeout, ProviderUnavailable, ValidationFailure,
} from '../../core/errors.js';

/** What an error from the SDK (or below it) may carry. */
interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number; totalRetryDelay?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
  $retryable?: { throttling?: boolean };
  cause?: unknown;
}

const AUTH_CODES = new Set([
  'AuthFailure', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'UnrecognizedClientException',
  'InvalidSecurity', 'ExpiredToken', 'ExpiredTokenException', 'IncompleteSignature', 'MissingAuthenticationToken',
  'InvalidToken', 'TokenRefreshRequired', 'AuthFailure.ServiceLinkedRoleCreationNotPermitted',
  'RequestExpired', 'RequestTimeTooSkewed',
]);

const FORBIDDEN_CODES = new Set([
  'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'OptInRequired', 'Blocked', 'AllAccessDisabled',
  'AccountProblem', 'InvalidObjectState',
]);

const THROTTLING_CODES = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottledException', 'TooManyRequestsException',
  'ProvisionedThroughputExceededException', 'TransactionInProgressException', 'RequestLimitExceeded', 'BandwidthLimitExceeded',
  'RequestThrottled', 'SlowDown', 'PriorRequestNotComplete', 'EC2ThrottledException',
  'ServiceUnavailable', 'ServiceUnavailableException', 'Unavailable', 'InsufficientInstanceCapacity',
]);

const NOT_FOUND_CODES = new Set([
  'NoSuchBucket', 'NoSuchKey', 'NoSuchUpload', 'NotFound', 'LoadBalancerNotFound', 'AccessPointNotFound',
  'AccessPointNotFoundException', 'ResourceNotFound', 'ResourceNotFoundException', 'InvalidInstanceID',
  'InvalidAMIID.Unavailable', 'InvalidZone.NotFound', 'InvalidAvailabilityZone',
]);

const CONFLICT_CODES = new Set([
  'BucketAlreadyExists', 'BucketAlreadyOwnedByYou', 'BucketNotEmpty', 'DuplicateLoadBalancerName', 'DuplicateAccessPointName',
  'DuplicateAccessPointNameException', 'DependencyViolation', 'VolumeInUse', 'InvalidGroup.InUse', 'InvalidIPAddress.InUse',
  'Resource.AlreadyAssociated', 'IdempotentParameterMismatch', 'IncorrectState', 'IncorrectStateException', 'InvalidState',
  'OperationAborted', 'InvalidSnapshot.InUse', 'InvalidVolume.ZoneMismatch', 'InvalidAttachment.NotFound',
  'TooManyAccessPoints', 'TooManyAccessPointsException',
]);

/** Action refused in the object's current state (spec §8.3: 405). */
const STATE_CODES = new Set(['IncorrectInstanceState', 'InvalidInstanceState', 'UnsupportedOperation.InstanceState']);

const BAD_REQUEST_CODES = new Set([
  'MissingParameter', 'ValidationError', 'InvalidRequest', 'InvalidArgument', 'MalformedXML', 'InvalidBucketName',
  'InvalidLocationConstraint', 'IllegalLocationConstraintException', 'InvalidPart', 'InvalidPartOrder', 'EntityTooSmall',
  'InvalidDigest', 'BadDigest', 'InvalidRange', 'KeyTooLongError', 'MetadataTooLarge', 'InvalidTag', 'MalformedPolicy',
  'InvalidConfigurationRequest', 'InvalidConfigurationRequestException', 'InvalidSchemeException', 'InvalidSubnet',
  'InvalidSecurityGroup', 'InvalidEndPoint', 'InvalidEndPointException', 'CertificateNotFound', 'ListenerNotFound',
  'InvalidInput', 'InvalidKeyPair.Format', 'InvalidBlockDeviceMapping', 'InvalidUserData.Malformed',
  'InvalidQueryParameter', 'MalformedQueryString', 'InvalidParameter', 'UnknownParameter', 'XAmzContentSHA256Mismatch',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED',
  'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'UND_ERR_SOCKET', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_STREAM_PREMATURE_CLOSE',
]);

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** Seconds a client should wait after throttling, when the service did not say. */
export const DEFAULT_RETRY_AFTER = 5;

function codeOf(e: AwsLikeError): string {
  return e.Code ?? e.name ?? e.code ?? '';
}

/** The kind of error: which status it becomes (exported for the unit tests). */
export function statusForCode(code: string, httpStatus?: number): number | undefined {
  if (AUTH_CODES.has(code)) return 401;
  if (THROTTLING_CODES.has(code)) return 503;
  if (FORBIDDEN_CODES.has(code)) return 403;
  if (STATE_CODES.has(code)) return 405;
  if (NOT_FOUND_CODES.has(code) || code.endsWith('.NotFound') || /^Invalid\w*ID\.(NotFound|Malformed)$/.test(code) || /NotFound(Exception)?$/.test(code)) return 404;
  if (CONFLICT_CODES.has(code) || code.endsWith('.Duplicate') || code.endsWith('.InUse') || /LimitExceeded$/.test(code)) return 409;
  if (code === 'EntityTooLarge') return 413;
  // The endpoint does not offer the action at all (an EC2-compatible API with fewer actions).
  if (code === 'UnsupportedOperation' || code === 'InvalidAction' || code === 'NotImplemented' || code === 'OperationNotSupportedException') return 501;
  if (BAD_REQUEST_CODES.has(code) || /^InvalidParameter/.test(code) || /^Invalid[A-Z]/.test(code) || code.endsWith('.Malformed')) return 400;
  if (code === 'InternalError' || code === 'InternalFailure' || code === 'InternalServerError' || code === 'ServerError') return 502;
  if (httpStatus !== undefined) {
    if (httpStatus === 401) return 401;
    if (httpStatus === 403) return 403;
    if (httpStatus === 404) return 404;
    if (httpStatus === 409) return 409;
    if (httpStatus === 429 || httpStatus === 503) return 503;
    if (httpStatus === 504) return 504;
    if (httpStatus >= 400 && httpStatus < 500) return 400;
    if (httpStatus >= 500) return 502;
  }
  return undefined;
}

function scrub(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[FILTERED]');
  return out.replace(/\s+/g, ' ').trim();
}

function retryAfterOf(e: AwsLikeError): number {
  const header = e.$response?.headers?.['retry-after'];
  const seconds = header !== undefined ? Number(header) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.ceil(seconds), 3600) : DEFAULT_RETRY_AFTER;
}

function isAbort(e: AwsLikeError): boolean {
  return e.name === 'AbortError' || e.code === 'ABORT_ERR' || e.name === 'AbortSignal';
}

/** Walks `cause` chains for a network error code (`ECONNREFUSED` …). */
function systemCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 5) return undefined;
  const err = e as { code?: unknown; cause?: unknown; errors?: unknown[] };
  if (typeof err.code === 'string' && (NETWORK_CODES.has(err.code) || TIMEOUT_CODES.has(err.code))) return err.code;
  if (Array.isArray(err.errors)) for (const inner of err.errors) {
    const c = systemCode(inner, depth + 1);
    if (c) return c;
  }
  return systemCode(err.cause, depth + 1);
}

/**
 * Any error thrown while talking to AWS → a DeltacloudError. Errors that are
 * already DeltacloudErrors pass through; programming errors (no AWS or
 * network marks) are returned unchanged so the front end answers 500.
 */
export function mapAwsError(error: unknown, secrets: Array<string | undefined> = []): unknown {
  if (error instanceof DeltacloudError) return error;
  if (!error || typeof error !== 'object') return error;
  const e = error as AwsLikeError & Error;
  const raw = e.message && e.message !== 'UnknownError' ? e.message : '';
  let message = scrub(raw || e.name || 'Error', secrets);
  if (isAbort(e)) return new ProviderTimeout(`The back end did not answer in time (${message})`);
  const net = systemCode(e);
  if (net && TIMEOUT_CODES.has(net)) return new ProviderTimeout(`The back end did not answer in time (${net})`);
  if (net) return new BackendUnreachable(`The back end could not be reached (${net})`);
  const code = codeOf(e);
  if (TIMEOUT_CODES.has(code) && e.$metadata?.httpStatusCode === undefined) return new ProviderTimeout(`The back end did not answer in time (${message})`);
  const isService = e.$metadata !== undefined || e.$fault !== undefined;
  if (!isService) return error;
  const httpStatus = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  if (e.$retryable?.throttling) return new ProviderUnavailable(message, retryAfterOf(e));
  const status = statusForCode(code, httpStatus);
  // Answers without a body (HEAD) carry no message: say what the status means.
  if (!raw && (code === 'UnknownError' || code === '' || /^\d+$/.test(code))) message = `${GENERIC_MESSAGES[status ?? 502] ?? 'Error'} (HTTP ${httpStatus ?? '?'})`;
  const text = code && code !== 'UnknownError' && !message.includes(code) ? `${code}: ${message}` : message;
  switch (status) {
    case 401: return new AuthenticationFailure(text);
    case 403: return new Forbidden(text);
    case 404: return new NotFound(text);
    case 405: return new MethodNotAllowed(text);
    case 409: return new Conflict(text);
    case 413: return new PayloadTooLarge(text);
    case 400: return new ValidationFailure(text);
    case 501: return new NotSupported(text);
    case 503: return new ProviderUnavailable(text, retryAfterOf(e));
    case 504: return new ProviderTimeout(text);
    default: return new ProviderError(text);
  }
}

/** True when the error means "that object does not exist" (show methods answer undefined). */
export function isNotFound(error: unknown): boolean {
  return error instanceof NotFound;
}
