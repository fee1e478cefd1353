// Error documents (spec §8.1) in XML, JSON and HTML. Never a backtrace, never
// a secret: sensitive parameters are redacted before they are echoed.
import { GENERIC_MESSAGES } from '../../core/errors.js';
import { FILTERED, isSensitive, redactUrl } from '../../core/kit/redact.js';
import type { Params, ParamValue } from './params.js';
import { cdataEl, el, serializeXml } from './xml.js';

export const ERROR_CLASSES: Record<number, string> = {
  202: 'Deltacloud::Exceptions::AcceptedButNotCompletedError',
  400: 'Deltacloud::Exceptions::ValidationFailure',
  401: 'Deltacloud::Exceptions::AuthenticationFailure',
  403: 'Deltacloud::Exceptions::ForbiddenError',
  404: 'Deltacloud::Exceptions::ObjectNotFound',
  405: 'Deltacloud::Exceptions::MethodNotAllowed',
  406: 'Deltacloud::Exceptions::UnknownMediaTypeError',
  409: 'Deltacloud::Exceptions::Conflict',
  412: 'Deltacloud::Exceptions::PreconditionFailed',
  413: 'Deltacloud::Exceptions::PayloadTooLarge',
  415: 'Deltacloud::Exceptions::UnsupportedMediaType',
  416: 'Deltacloud::Exceptions::RangeNotSatisfiable',
  429: 'Deltacloud::Exceptions::RateLimitExceeded',
  500: 'Deltacloud::Exceptions::BackendError',
  501: 'Deltacloud::Exceptions::NotImplemented',
  502: 'Deltacloud::Exceptions::ProviderError',
  503: 'Deltacloud::Exceptions::ProviderUnavailable',
  504: 'Deltacloud::Exceptions::ProviderTimeout',
};

export { isSensitive, redactUrl };

/** Ruby-`inspect`-like rendering of a parameter, as the original showed it; nested secrets filtered by key. */
function inspect(value: ParamValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}=>${JSON.stringify(isSensitive(k) ? FILTERED : v)}`).join(', ')}}`;
}

export interface ErrorInfo {
  status: number;
  message: string;
  /** Request path with matrix parameters and query removed. */
  url: string;
  driver: string;
  provider?: string;
  params: Params;
}

export function errorXml(e: ErrorInfo): string {
  return serializeXml(
    el('error', { status: e.status, url: e.url }, [
      el('backend', { driver: e.driver, provider: e.provider ?? 'default' }),
      el('code', {}, [String(e.status)]),
      cdataEl('message', e.message),
      cdataEl('backtrace', ''),
      el('request', {}, Object.entries(e.params).map(([name, value]) =>
        cdataEl('param', isSensitive(name) ? JSON.stringify(FILTERED) : inspect(value), { name }))),
    ]),
  );
}

export function errorJson(e: ErrorInfo): string {
  return JSON.stringify({ code: e.status, message: e.message, error: ERROR_CLASSES[e.status] ?? ERROR_CLASSES[500] });
}

export function genericMessage(status: number): string {
  return GENERIC_MESSAGES[status] ?? 'Error';
}
