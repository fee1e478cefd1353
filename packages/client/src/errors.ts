// Typed errors: one class per status the server answers, carrying the
// server's message; client-side refusals (a capability the driver lacks) and
// network failures (naming the URL, never the credentials).

export class DeltacloudError extends Error {
  constructor(message: string, readonly status: number | undefined, readonly url: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequest extends DeltacloudError {}
export class Unauthorized extends DeltacloudError {}
export class Forbidden extends DeltacloudError {}
export class NotFound extends DeltacloudError {}
/** The action is not allowed in the resource's current state (405), or the resource is in use (409). */
export class Conflict extends DeltacloudError {}
/** The driver lacks the capability (412 from the server, or refused before sending). */
export class CapabilityMissing extends DeltacloudError {}
export class PayloadTooLarge extends DeltacloudError {}
export class NotSupported extends DeltacloudError {}
/** The back end failed or could not be reached (500, 502, 503, 504). */
export class BackendError extends DeltacloudError {}
/** No HTTP answer at all (connection refused, DNS, reset). */
export class NetworkError extends DeltacloudError {}
/** waitForState gave up. */
export class Timeout extends DeltacloudError {}

const BY_STATUS: Record<number, new (message: string, status: number, url: string) => DeltacloudError> = {
  400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 405: Conflict, 409: Conflict, 412: CapabilityMissing,
  413: PayloadTooLarge, 415: BadRequest, 416: BadRequest, 501: NotSupported,
};

/** The error for a non-2xx answer; `message` is the server's when it sent an error document. */
export function errorFor(status: number, message: string, url: string): DeltacloudError {
  const Type = BY_STATUS[status] ?? (status >= 500 ? BackendError : DeltacloudError);
  return new Type(message, status, url);
}
