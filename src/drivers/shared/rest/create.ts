// What REST-API drivers check before they create anything: names the
// provider's rules accept, and sizes/regions the provider lists (400 before
// any create call, with the provider's own choices named).
import { ValidationFailure } from '../../../core/errors.js';
import { requireListed } from './provider.js';

export interface NameRule {
  /** The provider's pattern for the name (a constant, never built from input). */
  pattern: RegExp;
  max: number;
  /** What the 400 says when a name breaks the rule. */
  message: string;
}

/** The client's name when the provider's rule accepts it (400 otherwise); a generated one when it gave none. */
export function providerName(name: string | undefined, rule: NameRule): string {
  if (name === undefined) return `deltacloud-${Date.now().toString(36)}`;
  if (name.length > rule.max || !rule.pattern.test(name)) throw new ValidationFailure(rule.message);
  return name;
}

/** 400 unless the provider lists `id` (when one is given). */
export async function checkListed(provider: string, what: string, id: string | undefined, listed: () => Promise<readonly string[]>): Promise<void> {
  if (id !== undefined) requireListed(provider, what, id, await listed());
}

/** The client's `id` when the provider lists it (400 otherwise), else the first one listed (400 when none is). */
export async function listedOrFirst(provider: string, what: string, id: string | undefined, listed: () => Promise<readonly string[]>): Promise<string> {
  const known = await listed();
  if (id !== undefined) {
    requireListed(provider, what, id, known);
    return id;
  }
  const first = known[0];
  if (first === undefined) throw new ValidationFailure(`${provider} lists no ${what} to create with`);
  return first;
}
