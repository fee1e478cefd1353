// Maps keyed by names a client chooses (parameters, endpoint-set names): no
// prototype, and names that would address one are recognisable, so no request
// can reach Object.prototype.

/** Name segments that address an object's prototype rather than a key. */
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isPrototypeName(segment: string): boolean {
  return PROTOTYPE_NAMES.has(segment);
}

/** An empty map that cannot reach `Object.prototype`: `__proto__` or `toString` are plain (absent) keys. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
