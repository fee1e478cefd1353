// Typed errors. Drivers throw these (or let the front end map unknown ones to
// 500); front ends turn them into their own error documents.

export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 406 | 409 | 412 | 413 | 415 | 416 | 429 | 500 | 501 | 502 | 503 | 504;

/** The generic message of each status (spec §8.1), used for listings and server-made errors. */
export const GENERIC_MESSAGES: Record<number, string> = {
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Resource Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Supported',
  502: 'Backend Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export class DeltacloudError extends Error {
  readonly status: ErrorStatus;
  /**
   * The message names a cause that holds whatever the request (a provider
   * the server does not allow, a back end that is missing or unreachable):
   * listings say it too, instead of their generic text (spec §8.2).
   */
  readonly specific: boolean = false;
  /** Seconds a client should wait before retrying (503 throttling). */
  retryAfter?: number;
  /** A passing back-end condition (5xx answer, reset connection): an idempotent call may succeed when repeated. */
  transient?: boolean;
  /** The driver's own client already retried (the AWS SDK): the call pipeline must not retry it again. */
  retried?: boolean;
  constructor(status: ErrorStatus, message?: string) {
    super(message ?? GENERIC_MESSAGES[status] ?? 'Error');
    this.status = status;
    this.name = new.target.name;
  }
}

/** The operation needs credentials and the request carried none: a 401 challenge. */
export class CredentialsRequired extends DeltacloudError {
  constructor() { super(401, 'Unauthorized'); }
}
/** The back end rejected the credentials. */
export class AuthenticationFailure extends DeltacloudError {
  constructor(message = 'Authentication Failure') { super(401, message); }
}
export class ValidationFailure extends DeltacloudError {
  constructor(message = 'Bad Request') { super(400, message); }
}
export class MissingParameter extends ValidationFailure {
  constructor(readonly parameter: string, present: string[]) {
    super(`Required parameter '${parameter}' not found in [${present.join(',')}]`);
  }
}
export class Forbidden extends DeltacloudError {
  constructor(message = 'Forbidden') { super(403, message); }
}
export class NotFound extends DeltacloudError {
  constructor(message = 'Not Found') { super(404, message); }
}
export class MethodNotAllowed extends DeltacloudError {
  constructor(message = 'Method Not Allowed') { super(405, message); }
}
export class Conflict extends DeltacloudError {
  constructor(message = 'Resource Conflict') { super(409, message); }
}
/** The driver lacks the capability (spec §8.4). */
export class CapabilityMissing extends DeltacloudError {
  constructor(readonly capability: string) {
    super(412, 'The required capability to execute this operation is missing');
  }
}
export class PayloadTooLarge extends DeltacloudError {
  constructor(message = 'Payload Too Large') { super(413, message); }
}
export class UnsupportedMediaType extends DeltacloudError {
  constructor(message = 'Unsupported Media Type') { super(415, message); }
}
/** No byte of the blob is in the range asked for: 416, with the blob's size in `Content-Range` (RFC 9110 section 15.5.17). */
export class RangeNotSatisfiable extends DeltacloudError {
  constructor(readonly size: number) { super(416, `Range Not Satisfiable: the blob has ${size} bytes`); }
}
/** The client sent more requests than its rate limit allows; `retryAfter` says when to try again. */
export class TooManyRequests extends DeltacloudError {
  constructor(retryAfterSeconds: number) {
    super(429, 'Too Many Requests: rate limit exceeded');
    this.retryAfter = retryAfterSeconds;
  }
}
export class BackendError extends DeltacloudError {
  constructor(message = 'Internal Server Error') { super(500, message); }
}
export class NotSupported extends DeltacloudError {
  constructor(message = 'Not Supported') { super(501, message); }
}
/** The provider has no such service (in the chosen region): the same for every operation, so listings say so too. */
export class ServiceMissing extends NotSupported {
  override readonly specific = true;
}
export class ProviderError extends DeltacloudError {
  constructor(message = 'Backend Server Error') { super(502, message); }
}
/** The request names a provider the operator does not allow (nothing was contacted). */
export class ProviderNotAllowed extends ValidationFailure {
  override readonly specific = true;
  /** `hint` tells what is allowed instead (names and URLs from the operator's configuration, never secrets). */
  constructor(provider: string, hint?: string) {
    super(`Provider '${printable(provider)}' is not allowed on this server${hint ? `; ${hint}` : ''}`);
  }
}

/** The back end cannot be reached or is not installed: the same for every operation, so listings say so too. */
export class BackendUnreachable extends ProviderError {
  override readonly specific = true;
}

/** At most 80 printable ASCII characters of a client-given value, for messages. */
function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}

export class ProviderUnavailable extends DeltacloudError {
  constructor(message = 'Service Unavailable', retryAfter?: number) {
    super(503, message);
    this.retryAfter = retryAfter;
    this.transient = true;
  }
}
export class ProviderTimeout extends DeltacloudError {
  constructor(message = 'Gateway Timeout') { super(504, message); }
}
