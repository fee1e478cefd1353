// What is never written to a log or echoed back: the values of parameters
// whose names say they are secrets or bulk user content.

const SENSITIVE = /password|passwd|secret|token|private_?key|public_?key|user_?data|blob_data|credential|user_iso|signature|content\d*$/i;

export const FILTERED = '[FILTERED]';

export function isSensitive(name: string): boolean {
  return SENSITIVE.test(name);
}

/** The URL as logged: query values of sensitive parameters (passwords, presigned signatures, user data) replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (isSensitive(key)) params.set(key, FILTERED);
  return `${url.slice(0, q)}?${params.toString()}`;
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
