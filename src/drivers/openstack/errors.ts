// OpenStack answers → the API's typed errors (spec §8.3), carrying the
// service's own message.
import { BackendUnreachable, DeltacloudError, ValidationFailure } from '../../core/errors.js';
import { errorForHttp, retryAfterSeconds, transportError as classifyTransport } from '../../core/kit/classify.js';
import { isRecord } from '../../core/guards.js';

const MAX_MESSAGE = 500;

/** The human message inside an OpenStack error body (Nova/Cinder, Keystone, Neutron, Glance/Swift text). */
export function extractMessage(text: string): string {
  const body = text.trim();
  if (!body) return '';
  try {
    const json: unknown = JSON.parse(body);
    const found = messageIn(json);
    if (found) return clip(found);
  } catch {
    // not JSON: HTML or plain text
  }
  return clip(body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim());
}

function messageIn(json: unknown): string | undefined {
  if (!isRecord(json)) return typeof json === 'string' ? json : undefined;
  const o = json;
  if (typeof o.message === 'string' && o.message) return o.message; // {"message": …} (Ironic/Placement style)
  if (typeof o.error === 'string' && o.error) return o.error;
  for (const value of Object.values(o)) {
    // {"itemNotFound": {"message", "code"}}, {"error": {"message", "code", "title"}}, {"NeutronError": {"message", "type"}}
    if (isRecord(value) && typeof value.message === 'string' && value.message) return value.message;
  }
  if (Array.isArray(o.errors) && o.errors.length > 0) return messageIn(o.errors[0]); // Placement/Cinder v3 style
  return undefined;
}

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

/** The error for a non-2xx answer of `service`: the service's own message, classified by the core. */
export function errorForStatus(status: number, headers: Headers, bodyText: string, service: string): DeltacloudError {
  const message = extractMessage(bodyText) || (status >= 500 ? `The ${service} service failed (HTTP ${status})` : '');
  return errorForHttp(status, message, retryAfterSeconds(headers.get('retry-after')));
}

/** The error for a call that got no answer (refused, reset, timed out, aborted). */
export function transportError(error: unknown, service: string): DeltacloudError {
  // An upload body that failed on our side (client gone, body too short) carries its own error.
  const e: { code?: unknown; cause?: unknown } = typeof error === 'object' && error !== null ? error : {};
  if (e.cause instanceof DeltacloudError) return e.cause;
  const code = (typeof e.cause === 'object' && e.cause !== null && 'code' in e.cause ? e.cause.code : undefined) ?? e.code;
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return new ValidationFailure('The request body does not match its Content-Length');
  return classifyTransport(error, `The ${service} service`) ?? new BackendUnreachable(`Cannot talk to the ${service} service${typeof code === 'string' ? ` (${code})` : ''}`);
}
