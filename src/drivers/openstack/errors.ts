// OpenStack answers → the API's typed errors (spec §8.3), carrying the
// service's own message.
import {
  AuthenticationFailure, BackendUnreachable, Conflict, DeltacloudError, Forbidden, MethodNotAllowed, NotFound, NotSupported, PayloadTooLarge,
  ProviderError, ProviderTimeout, ProviderUnavailable, ValidationFailure,
} from '../../core/errors.js';

const MAX_MESSAGE = 500;

/** The human message inside an OpenStack error body (Nova/Cinder, Keystone, Neutron, Glance/Swift text). */
export function extractMessage(text: string): string {
  const body = text.trim();
  if (!body) return '';
  try {
    const json = JSON.parse(body) as unknown;
    const found = messageIn(json);
    if (found) return clip(found);
  } catch {
    // not JSON: HTML or plain text
  }
  return clip(body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim());
}

function messageIn(json: unknown): string | undefined {
  if (!json || typeof json !== 'object') return typeof json === 'string' ? json : undefined;
  const o = json as Record<string, unknown>;
  if (typeof o.message === 'string' && o.message) return o.message; // {"message": …} (Ironic/Placement style)
  if (typeof o.error === 'string' && o.error) return o.error;
  for (const value of Object.values(o)) {
    // {"itemNotFound": {"message", "code"}}, {"error": {"message", "code", "title"}}, {"NeutronError": {"message", "type"}}
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const inner = value as Record<string, unknown>;
      if (typeof inner.message === 'string' && inner.message) return inner.message;
    }
  }
  if (Array.isArray(o.errors) && o.errors.length > 0) return messageIn(o.errors[0]); // Placement/Cinder v3 style
  return undefined;
}

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

/** Seconds from a Retry-After header (delta seconds or an HTTP date). */
export function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The error for a non-2xx answer of `service`. */
export function errorForStatus(status: number, headers: Headers, bodyText: string, service: string): DeltacloudError {
  const message = extractMessage(bodyText);
  const retryAfter = retryAfterSeconds(headers.get('retry-after'));
  switch (status) {
    case 400: return new ValidationFailure(message || 'Bad Request');
    case 401: return new AuthenticationFailure(message || 'Authentication Failure');
    case 403: return new Forbidden(message || 'Forbidden');
    case 404: return new NotFound(message || 'Not Found');
    case 405: return new MethodNotAllowed(message || 'Method Not Allowed');
    case 409: return new Conflict(message || 'Resource Conflict');
    case 413: return retryAfter !== undefined ? new ProviderUnavailable(message || 'Over limit', retryAfter) : new PayloadTooLarge(message || 'Payload Too Large');
    case 429: return new ProviderUnavailable(message || 'Too many requests', retryAfter);
    case 501: return new NotSupported(message || `The ${service} service does not implement this operation`);
    case 503: return retryAfter !== undefined ? new ProviderUnavailable(message || 'Service Unavailable', retryAfter) : new ProviderError(message || `The ${service} service is unavailable`);
    case 504: return new ProviderTimeout(message || `The ${service} service timed out`);
  }
  if (status >= 500) return new ProviderError(message ? `${service}: ${message}` : `The ${service} service failed (HTTP ${status})`);
  if (status >= 400) return new ValidationFailure(message || `The ${service} service refused the request (HTTP ${status})`);
  return new ProviderError(`Unexpected answer from the ${service} service (HTTP ${status})`);
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUTS = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The error for a call that got no answer (refused, reset, timed out, aborted). */
export function transportError(error: unknown, service: string): DeltacloudError {
  if (error instanceof DeltacloudError) return error;
  // An upload body that failed on our side (client gone, body too short) carries its own error.
  if ((error as { cause?: unknown })?.cause instanceof DeltacloudError) return (error as { cause: DeltacloudError }).cause;
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.cause?.name === 'TimeoutError') {
    return new ProviderTimeout(`The ${service} service did not answer in time`);
  }
  const code = e?.cause?.code ?? e?.code;
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return new ValidationFailure('The request body does not match its Content-Length');
  if (code && TIMEOUTS.has(code)) return new ProviderTimeout(`The ${service} service did not answer in time`);
  if (code && UNREACHABLE.has(code)) return new BackendUnreachable(`Cannot reach the ${service} service (${code})`);
  return new BackendUnreachable(`Cannot talk to the ${service} service${code ? ` (${code})` : ''}`);
}
