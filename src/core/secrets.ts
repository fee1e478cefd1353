// Comparing secrets without leaking, through timing, how much of a guess was right.
import { timingSafeEqual } from 'node:crypto';

/** Whether two secrets are equal, in time that depends only on their lengths. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether `text` from `start` on equals `known`, in time that depends on the lengths only, not on
 * where they differ. Plain JavaScript over the strings: in a busy server the two native calls of a
 * Buffer comparison cost more than this loop.
 */
export function sameTextAt(text: string, start: number, known: string): boolean {
  let differ = (text.length - start) ^ known.length;
  for (let i = 0; i < known.length; i++) differ |= text.charCodeAt(start + i) ^ known.charCodeAt(i);
  return differ === 0;
}
