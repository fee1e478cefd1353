// Declarations are computed once from the operator's configuration and shared
// by every request: frozen, so nothing can change what a server offers later.

/** `value`, with every plain object and array reachable from it frozen (class instances are left alone). */
export function deepFreeze<T>(value: T): T {
  if (!value || typeof value !== 'object' || Object.isFrozen(value)) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}
