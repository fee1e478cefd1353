// Request parameters (spec §1.2, §7.1): path segments with matrix
// parameters, query string and form body merged into one ordered set.
// Every object here has a null prototype and no parameter name may reach
// `Object.prototype` (`__proto__[k]=v` once polluted every later request).
import { ValidationFailure } from '../../core/errors.js';
import { emptyRecord, isPrototypeName } from '../../core/safe-keys.js';

export type ParamValue = string | string[] | { [key: string]: string };
export type Params = Record<string, ParamValue>;

export interface ParsedPath {
  /** Decoded segments without matrix parameters, e.g. ['api', 'instances']. */
  segments: string[];
  /** Matrix parameters per segment name, e.g. { api: { driver: 'ec2' } }. */
  matrix: Record<string, Record<string, string>>;
  /** Matrix parameters of the last segment (treated as top-level parameters, spec §1.2). */
  lastSegmentMatrix: Record<string, string>;
  /** The path ended in `/` (`/api/realms/` is not `/api/realms`). */
  trailingSlash: boolean;
}

export class BadPath extends Error {}

/** An empty object that cannot reach `Object.prototype` (see core/safe-keys.ts). */
export function emptyParams<T = ParamValue>(): Record<string, T> {
  return emptyRecord<T>();
}

/** 400 for a name that is, or nests, `__proto__`, `constructor` or `prototype` (`a[__proto__][b]` too). */
function checkName(name: string): void {
  for (const part of name.split(/[[\]]+/)) {
    if (isPrototypeName(part)) throw new ValidationFailure('Parameter names may not contain __proto__, constructor or prototype');
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BadPath('Malformed percent-encoding in the request path');
  }
}

export function parsePath(rawPath: string): ParsedPath {
  const segments: string[] = [];
  const matrix: ParsedPath['matrix'] = emptyParams();
  let lastSegmentMatrix: Record<string, string> = emptyParams();
  let trailingSlash = false;
  const parts = rawPath.split('/');
  for (let i = 1; i < parts.length; i++) {
    const [rawName, ...pieces] = parts[i]!.split(';');
    const name = decode(rawName!);
    const values = matrix[name] ?? emptyParams<string>();
    const own: Record<string, string> = emptyParams();
    for (const piece of pieces) {
      const eq = piece.indexOf('=');
      if (eq <= 0) continue; // malformed pieces such as `;;;` are ignored
      const key = decode(piece.slice(0, eq));
      const value = decode(piece.slice(eq + 1));
      checkName(key);
      // `;driver=a;driver=b` names no single driver: refuse rather than guess which one was meant.
      if (values[key] !== undefined && values[key] !== value) throw new BadPath(`Conflicting values for matrix parameter '${key}'`);
      values[key] = value;
      own[key] = value;
    }
    if (name === '' && i === parts.length - 1 && pieces.length === 0) {
      trailingSlash = i > 1;
      continue;
    }
    segments.push(name);
    if (pieces.length > 0) matrix[name] = values;
    lastSegmentMatrix = own;
  }
  return { segments, matrix, lastSegmentMatrix, trailingSlash };
}

/** The path without matrix parameters, undecoded: what error documents show when the path did not parse. */
export function withoutMatrix(rawPath: string): string {
  return rawPath.split('/').map((segment) => segment.split(';')[0]).join('/');
}

/** Adds `name=value` to params, nesting `a[b]` and collecting `a[]` / repeated names into arrays. */
export function addParam(params: Params, name: string, value: string): void {
  // Most names are plain (`state`, `format`): no brackets to split on or match (this runs for every parameter).
  const plain = !name.includes('[') && !name.includes(']');
  if (!plain || isPrototypeName(name)) checkName(name);
  const nested = plain ? null : /^([^[\]]+)\[([^[\]]*)\]$/.exec(name);
  if (nested) {
    const [, outer = '', inner = ''] = nested;
    const existing = params[outer];
    if (inner === '') {
      params[outer] = Array.isArray(existing) ? [...existing, value] : typeof existing === 'string' ? [existing, value] : [value];
      return;
    }
    const obj = existing && typeof existing === 'object' && !Array.isArray(existing) ? existing : emptyParams<string>();
    obj[inner] = value;
    params[outer] = obj;
    return;
  }
  const existing = params[name];
  if (existing === undefined || typeof existing === 'object' && !Array.isArray(existing)) params[name] = value;
  else params[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
}

export function parseQuery(query: string, into: Params = emptyParams()): Params {
  if (query === '') return into;
  for (const [k, v] of new URLSearchParams(query)) addParam(into, k, v);
  return into;
}

/**
 * Empty values mean absent (`-d hwp_memory=` is no override, `?state=` no filter): removes them,
 * also from arrays and nested objects. Runs once, after required parameters were checked by name (§7.3).
 */
export function dropEmptyValues(params: Params): void {
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string') {
      if (value === '') delete params[name];
    } else if (Array.isArray(value)) {
      const kept = value.filter((v) => v !== '');
      if (kept.length === 0) delete params[name];
      else params[name] = kept;
    } else {
      for (const [key, v] of Object.entries(value)) if (v === '') delete value[key];
      if (Object.keys(value).length === 0) delete params[name];
    }
  }
}

/** The value of a parameter as one string (first of an array), or undefined. */
export function str(params: Params, name: string): string | undefined {
  const v = params[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v[0];
  return undefined;
}
