// Request parameters (spec §1.2, §7.1): path segments with matrix
// parameters, query string and form body merged into one ordered set.

export type ParamValue = string | string[] | { [key: string]: string };
export type Params = Record<string, ParamValue>;

export interface ParsedPath {
  /** Decoded segments without matrix parameters, e.g. ['api', 'instances']. */
  segments: string[];
  /** Matrix parameters per segment name, e.g. { api: { driver: 'ec2' } }. */
  matrix: Record<string, Record<string, string>>;
  /** Matrix parameters of the last segment (treated as top-level parameters, spec §1.2). */
  lastSegmentMatrix: Record<string, string>;
}

export class BadPath extends Error {}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BadPath('Malformed percent-encoding in the request path');
  }
}

export function parsePath(rawPath: string): ParsedPath {
  const segments: string[] = [];
  const matrix: ParsedPath['matrix'] = {};
  let lastSegmentMatrix: Record<string, string> = {};
  const parts = rawPath.split('/');
  for (let i = 1; i < parts.length; i++) {
    const [rawName, ...pieces] = parts[i]!.split(';');
    const name = decode(rawName!);
    const values: Record<string, string> = {};
    for (const piece of pieces) {
      const eq = piece.indexOf('=');
      if (eq <= 0) continue; // malformed pieces such as `;;;` are ignored
      values[decode(piece.slice(0, eq))] = decode(piece.slice(eq + 1));
    }
    if (name === '' && i === parts.length - 1 && pieces.length === 0) continue; // trailing slash
    segments.push(name);
    if (pieces.length > 0) matrix[name] = { ...matrix[name], ...values };
    lastSegmentMatrix = values;
  }
  return { segments, matrix, lastSegmentMatrix };
}

/** Adds `name=value` to params, nesting `a[b]` and collecting `a[]` / repeated names into arrays. */
export function addParam(params: Params, name: string, value: string): void {
  const nested = /^([^[\]]+)\[([^[\]]*)\]$/.exec(name);
  if (nested) {
    const [, outer, inner] = nested as unknown as [string, string, string];
    if (inner === '') {
      const existing = params[outer];
      params[outer] = Array.isArray(existing) ? [...existing, value] : typeof existing === 'string' ? [existing, value] : [value];
      return;
    }
    const existing = params[outer];
    const obj = existing && typeof existing === 'object' && !Array.isArray(existing) ? existing : {};
    obj[inner] = value;
    params[outer] = obj;
    return;
  }
  const existing = params[name];
  if (existing === undefined || typeof existing === 'object' && !Array.isArray(existing)) params[name] = value;
  else params[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
}

export function parseQuery(query: string, into: Params = {}): Params {
  if (query === '') return into;
  for (const [k, v] of new URLSearchParams(query)) addParam(into, k, v);
  return into;
}

/** The value of a parameter as one string (first of an array), or undefined. */
export function str(params: Params, name: string): string | undefined {
  const v = params[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v[0];
  return undefined;
}
