// What is never written to a log or echoed back: the values of parameters
// whose names say they are secrets or bulk user content.

const SENSITIVE = /password|passwd|secret|token|private_?key|public_?key|user_?data|blob_data|credential|user_iso|signature|content\d*$/i;

export const FILTERED = '[FILTERED]';

/** True when the name, or any part of a nested name (`x[password]`), names a secret. */
export function isSensitive(name: string): boolean {
  return name.split(/[[\]]+/).some((part) => part !== '' && SENSITIVE.test(part));
}

/** A request URL fit for a log line: values of secret query and matrix parameters replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).split('/').map((segment) => segment.split(';').map((piece, i) => {
    const eq = piece.indexOf('=');
    return i > 0 && eq > 0 && isSensitive(decodeLeniently(piece.slice(0, eq))) ? `${piece.slice(0, eq)}=${FILTERED}` : piece;
  }).join(';')).join('/');
  if (q < 0) return path;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (isSensitive(key)) params.set(key, FILTERED);
  return `${path}?${params.toString()}`;
}

function decodeLeniently(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const MAX_LOGGED = 120;

function loggable(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_LOGGED ? `${value.slice(0, MAX_LOGGED)}…` : value;
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || value === undefined) return value;
  // Streams, buffers, nested records: their shape only.
  return Array.isArray(value) ? `[${value.length} items]` : '[object]';
}

/** Driver call arguments as logged: ids and scalars as they are, sensitive fields and bulk values hidden. */
export function redactArgs(args: readonly unknown[]): unknown[] {
  return args.map((arg) => {
    if (arg === null || typeof arg !== 'object' || Array.isArray(arg) || Buffer.isBuffer(arg)) return loggable(arg);
    const shown: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(arg)) shown[key] = isSensitive(key) ? FILTERED : loggable(value);
    return shown;
  });
}
