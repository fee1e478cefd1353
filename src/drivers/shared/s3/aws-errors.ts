// AWS SDK errors (EC2, S3 and S3-compatible stores, ELB, CloudWatch) → the API's statuses (spec §8.3, drivers-matrix §7, issue 3).
// The SDK has already retried what it considers retryable (throttling,
// 5xx, connection resets) with jittered back-off before we see an error.
// Messages are the provider's own, with the caller's secret and session
// token scrubbed should a service ever echo them.
import { isThrottlingError } from '@smithy/core/retry';
import { DeltacloudError, GENERIC_MESSAGES, NotFound, ProviderTimeout, ProviderUnavailable, type ErrorStatus } from '../../../core/errors.js';
import {
  DEFAULT_RETRY_AFTER, errorOfStatus, retryAfterSeconds, statusForHttp, transportError,
} from '../../../core/kit/classify.js';

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

/** Codes meaning "come back later" beyond the SDK's own throttling list (isThrottlingError). */
const UNAVAILABLE_CODES = new Set(['ServiceUnavailable', 'ServiceUnavailableException', 'Unavailable', 'InsufficientInstanceCapacity']);

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

/** AWS error codes of a request that timed out (Node's own timeout codes are the core's). */
const TIMEOUT_CODES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

export { DEFAULT_RETRY_AFTER };

/** The SDK's own throttling test: its list of codes, HTTP 429, the modeled `throttling` trait. */
function sdkThrottling(code: string, httpStatus?: number, throttling?: boolean): boolean {
  return isThrottlingError({ name: code, message: '', $metadata: { httpStatusCode: httpStatus }, $retryable: { throttling } } as Parameters<typeof isThrottlingError>[0]);
}

function codeOf(e: AwsLikeError): string {
  return e.Code ?? e.name ?? e.code ?? '';
}

/** The kind of error: which status it becomes (exported for the unit tests). */
export function statusForCode(code: string, httpStatus?: number): ErrorStatus | undefined {
  if (AUTH_CODES.has(code)) return 401;
  if (UNAVAILABLE_CODES.has(code) || sdkThrottling(code)) return 503;
  if (FORBIDDEN_CODES.has(code)) return 403;
  if (STATE_CODES.has(code)) return 405;
  if (NOT_FOUND_CODES.has(code) || code.endsWith('.NotFound') || /^Invalid\w*ID\.(NotFound|Malformed)$/.test(code) || /NotFound(Exception)?$/.test(code)) return 404;
  if (CONFLICT_CODES.has(code) || code.endsWith('.Duplicate') || code.endsWith('.InUse') || /LimitExceeded$/.test(code)) return 409;
  if (code === 'EntityTooLarge') return 413;
  // The endpoint does not offer the action at all (an EC2-compatible API with fewer actions).
  if (code === 'UnsupportedOperation' || code === 'InvalidAction' || code === 'NotImplemented' || code === 'OperationNotSupportedException') return 501;
  if (BAD_REQUEST_CODES.has(code) || /^InvalidParameter/.test(code) || /^Invalid[A-Z]/.test(code) || code.endsWith('.Malformed')) return 400;
  if (code === 'InternalError' || code === 'InternalFailure' || code === 'InternalServerError' || code === 'ServerError') return 502;
  return httpStatus === undefined ? undefined : statusForHttp(httpStatus, DEFAULT_RETRY_AFTER);
}

function scrub(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[FILTERED]');
  return out.replace(/\s+/g, ' ').trim();
}

function retryAfterOf(e: AwsLikeError): number {
  return retryAfterSeconds(e.$response?.headers?.['retry-after']) || DEFAULT_RETRY_AFTER;
}

/**
 * Any error thrown while talking to AWS → a DeltacloudError. Errors that are
 * already DeltacloudErrors pass through; programming errors (no AWS or
 * network marks) are returned unchanged so the front end answers 500.
 */
export function mapAwsError(error: unknown, secrets: Array<string | undefined> = []): unknown {
  if (error instanceof DeltacloudError) return error;
  if (!error || typeof error !== 'object') return error;
  const mapped = classifyAwsError(error as AwsLikeError & Error, secrets);
  // Whatever reached us went through the SDK's retry strategy: the call pipeline must not repeat it.
  if (mapped instanceof DeltacloudError) mapped.retried = true;
  return mapped;
}

function classifyAwsError(e: AwsLikeError & Error, secrets: Array<string | undefined>): unknown {
  const raw = e.message && e.message !== 'UnknownError' ? e.message : '';
  let message = scrub(raw || e.name || 'Error', secrets);
  const transport = transportError(e, 'The back end');
  if (transport) return transport;
  const code = codeOf(e);
  if (TIMEOUT_CODES.has(code) && e.$metadata?.httpStatusCode === undefined) return new ProviderTimeout(`The back end did not answer in time (${message})`);
  const isService = e.$metadata !== undefined || e.$fault !== undefined;
  if (!isService) return e;
  const httpStatus = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  if (sdkThrottling(code, httpStatus, e.$retryable?.throttling)) return new ProviderUnavailable(message, retryAfterOf(e));
  const status = statusForCode(code, httpStatus);
  // Answers without a body (HEAD) carry no message: say what the status means.
  if (!raw && (code === 'UnknownError' || code === '' || /^\d+$/.test(code))) message = `${GENERIC_MESSAGES[status ?? 502] ?? 'Error'} (HTTP ${httpStatus ?? '?'})`;
  const text = code && code !== 'UnknownError' && !message.includes(code) ? `${code}: ${message}` : message;
  return errorOfStatus(status ?? 502, text, retryAfterOf(e));
}

/** True when the error means "that object does not exist" (show methods answer undefined). */
export function isNotFound(error: unknown): boolean {
  return error instanceof NotFound;
}
