// Comparing secrets without leaking, through timing, how much of a guess was right.
import { timingSafeEqual } from 'node:crypto';

/** Whether two secrets are equal, in time that depends only on their lengths. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
