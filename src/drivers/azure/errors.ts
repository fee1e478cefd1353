// Azure answers → the API's typed errors. Storage names its error in the
// `x-ms-error-code` header (HEAD answers have no body), Resource Manager in
// `{"error":{"code","message"}}`, Entra ID (the token endpoint) in AADSTS
// codes; the SDKs put each in the RestError's `code`. Both SDKs' retry
// policies have already run (throttling honours Retry-After) when an error
// reaches us, so the call pipeline must not repeat it.
import { DeltacloudError, GENERIC_MESSAGES, ProviderUnavailable, type ErrorStatus } from '../../core/errors.js';
import { DEFAULT_RETRY_AFTER, errorOfStatus, retryAfterSeconds, statusForHttp, transportError } from '../../core/kit/classify.js';

const AUTHENTICATION = new Set([
  'AuthenticationFailed', 'InvalidAuthenticationInfo', 'NoAuthenticationInformation', 'InvalidAuthenticationToken',
  'ExpiredAuthenticationToken', 'InvalidAuthenticationTokenTenant', 'AuthenticationFailedMissingToken', 'InvalidAuthenticationTokenAudience',
]);
const FORBIDDEN = new Set([
  'AuthorizationFailed', 'AuthorizationFailure', 'AuthorizationPermissionMismatch', 'AuthorizationPermissionDenied',
  'AuthorizationResourceTypeMismatch', 'AuthorizationSourceIPMismatch', 'AuthorizationProtocolMismatch', 'LinkedAuthorizationFailed',
  'InsufficientAccountPermissions', 'AccountIsDisabled', 'ReadOnlyDisabledSubscription', 'SubscriptionNotRegistered',
]);
const NOT_FOUND = new Set([
  'NotFound', 'ResourceNotFound', 'ResourceGroupNotFound', 'ParentResourceNotFound', 'SubscriptionNotFound', 'ContainerNotFound',
  'BlobNotFound', 'ResourceTypeNotFound', 'ImageNotFound', 'PlatformImageNotFound', 'LocationNotAvailableForResourceType',
]);
const CONFLICT = new Set([
  'Conflict', 'OperationNotAllowed', 'ContainerAlreadyExists', 'ContainerBeingDeleted', 'ContainerDisabled', 'BlobAlreadyExists',
  'LeaseIdMissing', 'LeaseAlreadyPresent', 'BlobBeingRehydrated', 'AnotherOperationInProgress', 'InUseSubnetCannotBeDeleted',
  'InUseNetworkSecurityGroupCannotBeDeleted', 'PublicIPAddressInUse', 'NicInUse', 'OperationNotAllowedOnVMImageAsVMsBeingProvisioned',
  'PropertyChangeNotAllowed', 'ResourceGroupBeingDeleted', 'QuotaExceeded', 'SkuNotAvailable', 'AllocationFailed', 'ZonalAllocationFailed',
]);
const BAD_REQUEST = new Set([
  'InvalidParameter', 'InvalidInput', 'InvalidResourceName', 'InvalidHeaderValue', 'InvalidQueryParameterValue', 'OutOfRangeInput',
  'InvalidMetadata', 'InvalidRequestContent', 'InvalidRequestFormat', 'MissingRequiredParameter', 'InvalidBlockList', 'InvalidBlobOrBlock',
  'InvalidBlockId', 'InvalidResourceReference', 'BadRequest', 'InvalidTemplate', 'LinkedInvalidPropertyId', 'InvalidApiVersionParameter',
  'NoRegisteredProviderFound', 'InvalidSubscriptionId', 'InvalidRange', 'Md5Mismatch', 'MetadataTooLarge',
]);
const THROTTLED = new Set(['ServerBusy', 'TooManyRequests', 'OperationPreempted', 'RetryableError', 'SubscriptionRequestsThrottled']);

/** What a RestError (core-rest-pipeline) or an Entra ID error (identity) may carry. */
interface AzureLikeError {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
  /** @azure/identity's AuthenticationError. */
  errorResponse?: { error?: string; errorDescription?: string };
  cause?: unknown;
}

/** The status of an Azure error code (exported for the unit tests). */
export function statusForAzureCode(code: string, httpStatus?: number): ErrorStatus | undefined {
  if (AUTHENTICATION.has(code) || code.startsWith('AADSTS') || code === 'invalid_client' || code === 'unauthorized_client') return 401;
  if (FORBIDDEN.has(code)) return 403;
  if (THROTTLED.has(code)) return 503;
  if (NOT_FOUND.has(code) || code.endsWith('NotFound')) return 404;
  if (CONFLICT.has(code)) return 409;
  if (code === 'RequestBodyTooLarge' || code === 'BlobTooLarge') return 413;
  if (BAD_REQUEST.has(code) || code.startsWith('Invalid')) return 400;
  return httpStatus === undefined ? undefined : statusForHttp(httpStatus, httpStatus === 429 || httpStatus === 503 ? DEFAULT_RETRY_AFTER : undefined);
}

/**
 * Storage refusing the shared-key signature: Azure says AuthenticationFailed,
 * Azurite AuthorizationFailure, both "Server failed to authenticate the
 * request"; a HEAD answer carries no code at all, and with a shared key a
 * bodiless 403 is that same refusal.
 */
function refusedSignature(code: string, e: AzureLikeError): boolean {
  if (e.statusCode !== 403) return false;
  return code === '' || (code === 'AuthorizationFailure' && (e.message ?? '').startsWith('Server failed to authenticate'));
}

function scrub(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[FILTERED]');
  // Storage messages carry the request id and time on their own lines; a bearer token never belongs in one.
  return out.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer [FILTERED]').replace(/([?&]sig=)[^&\s]+/g, '$1[FILTERED]').replace(/\s+/g, ' ').trim().slice(0, 500);
}

/**
 * Any error of an Azure SDK → a DeltacloudError (marked retried: the SDK's
 * policy has run). Programming errors (no Azure or network marks) pass
 * unchanged so the front end answers 500.
 */
export function mapAzureError(error: unknown, secrets: Array<string | undefined> = []): unknown {
  if (error instanceof DeltacloudError) return error;
  if (!error || typeof error !== 'object') return error;
  const e: AzureLikeError = error;
  const transport = transportError(error, 'Azure');
  if (transport) {
    transport.retried = true;
    return transport;
  }
  const identity = e.name === 'AuthenticationError' || e.name === 'AggregateAuthenticationError' || e.name === 'CredentialUnavailableError'
    || e.name === 'AuthenticationRequiredError';
  if (identity) {
    const cause = e.errorResponse?.error ?? '';
    const mapped = errorOfStatus(cause === 'invalid_request' && e.statusCode !== 401 ? 400 : 401, scrub(`Entra ID refused the service principal: ${e.errorResponse?.errorDescription ?? e.message ?? ''}`.split('\n')[0]!, secrets));
    mapped.retried = true;
    return mapped;
  }
  if (e.name !== 'RestError') {
    const inner = e.cause === undefined ? undefined : mapAzureError(e.cause, secrets);
    return inner instanceof DeltacloudError ? inner : error;
  }
  const code = e.code ?? e.response?.headers?.get('x-ms-error-code') ?? '';
  const status = refusedSignature(code, e) ? 401 : statusForAzureCode(code, e.statusCode) ?? (e.statusCode === undefined ? 502 : statusForHttp(e.statusCode));
  // The message's first line: storage appends RequestId and Time lines.
  const raw = scrub((e.message ?? '').split('\n')[0]!, secrets);
  const message = raw && raw !== code ? (code && !raw.includes(code) ? `${code}: ${raw}` : raw) : `${code || GENERIC_MESSAGES[status] || 'Error'} (HTTP ${e.statusCode ?? '?'})`;
  const retryAfter = retryAfterSeconds(e.response?.headers?.get('retry-after'));
  const mapped = status === 503 ? new ProviderUnavailable(message, retryAfter ?? DEFAULT_RETRY_AFTER) : errorOfStatus(status, message, retryAfter);
  mapped.retried = true;
  return mapped;
}
