// The EC2 filter wildcard matcher against AWS's documented semantics: `*`
// zero or more characters, `?` exactly one, a backslash escapes (`\*amazon\?\\`
// is the literal `*amazon?\`); linear in practice and bounded by its budget.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatchBudget, wildcard } from '../../../src/frontends/ec2/wildcard.js';

const plenty = () => new MatchBudget(1e9, () => new Error('budget exceeded'));
const matches = (pattern: string, text: string) => wildcard(pattern).matches(Array.from(text), plenty());

test('* matches any run of characters, also none', () => {
  for (const [pattern, text] of [['*', ''], ['*', 'anything'], ['a*', 'a'], ['a*', 'abc'], ['*c', 'abc'], ['a*c', 'ac'], ['a*b*c', 'aXbYc'], ['**', 'x'], ['*\n*', 'a\nb']]) {
    assert.equal(matches(pattern!, text!), true, `${pattern} ~ ${text}`);
  }
  for (const [pattern, text] of [['a*', 'ba'], ['*c', 'cb'], ['a*b*c', 'acb'], ['a*c', 'ab']]) {
    assert.equal(matches(pattern!, text!), false, `${pattern} !~ ${text}`);
  }
});

test('? matches exactly one character (a code point, also outside the BMP)', () => {
  assert.equal(matches('?', 'a'), true);
  assert.equal(matches('?', ''), false);
  assert.equal(matches('?', 'ab'), false);
  assert.equal(matches('a?c', 'abc'), true);
  assert.equal(matches('a?c', 'ac'), false);
  assert.equal(matches('??', '😀x'), true);
  assert.equal(matches('?', '😀'), true);
  assert.equal(matches('?*?', 'ab'), true);
  assert.equal(matches('?*?', 'a'), false);
});

test('no other character is special: the pattern is not a regular expression', () => {
  for (const literal of ['a.c', '^a$', '(a|b)', '[ab]', 'a+', 'a{2}', '.*']) {
    assert.equal(matches(literal, literal), true, literal);
  }
  assert.equal(matches('a.c', 'abc'), false);
  assert.equal(matches('[ab]', 'a'), false);
  assert.equal(matches('.*', 'xyz'), false);
  assert.equal(matches('ABC', 'abc'), false, 'case-sensitive, as on AWS');
});

test('a backslash escapes: \\*amazon\\?\\\\ is the literal *amazon?\\', () => {
  assert.equal(matches('\\*amazon\\?\\\\', '*amazon?\\'), true);
  assert.equal(matches('\\*amazon\\?\\\\', 'xamazony\\'), false);
  assert.equal(matches('\\*', 'x'), false);
  assert.equal(matches('a\\?', 'a?'), true);
  assert.equal(matches('a\\?', 'ab'), false);
  assert.equal(matches('\\a', 'a'), true, 'any escaped character is itself');
  assert.equal(matches('a\\', 'a\\'), true, 'a trailing backslash is itself');
});

/** Reference: the textbook dynamic programme over (pattern position, text position). */
function reference(pattern: string, text: string): boolean {
  const p = [...pattern];
  const t = [...text];
  let row = [true, ...t.map(() => false)];
  for (const ch of p) {
    const next = [ch === '*' && row[0]!];
    for (let j = 1; j <= t.length; j++) {
      next[j] = ch === '*' ? row[j]! || next[j - 1]! : row[j - 1]! && (ch === '?' || ch === t[j - 1]);
    }
    row = next;
  }
  return row[t.length]!;
}

test('agrees with a dynamic-programming reference on every small pattern and text', () => {
  const alphabet = ['a', 'b', '*', '?'];
  const words = (length: number, symbols: string[]): string[] =>
    length === 0 ? [''] : words(length - 1, symbols).flatMap((w) => symbols.map((s) => w + s));
  const patterns = [0, 1, 2, 3, 4].flatMap((n) => words(n, alphabet));
  const texts = [0, 1, 2, 3, 4, 5].flatMap((n) => words(n, ['a', 'b']));
  for (const pattern of patterns) {
    const compiled = wildcard(pattern);
    for (const text of texts) assert.equal(compiled.matches(Array.from(text), plenty()), reference(pattern, text), `${pattern} ~ ${text}`);
  }
});

test('patterns built to make a backtracking matcher explode finish at once', () => {
  const start = performance.now();
  assert.equal(matches(`${'*?'.repeat(100)}x`, 'a'.repeat(10_000)), false);
  assert.equal(matches(`${'*a'.repeat(100)}b`, 'a'.repeat(10_000)), false);
  assert.equal(matches(`${'*?'.repeat(100)}`, 'a'.repeat(10_000)), true);
  assert.ok(performance.now() - start < 1000, `took ${Math.round(performance.now() - start)} ms`);
});

test('the budget stops a match that would take more steps than allowed, across matches', () => {
  const exceeded = new Error('too much');
  const budget = new MatchBudget(1000, () => exceeded);
  const text = Array.from('a'.repeat(100));
  assert.equal(wildcard('a*').matches(text, budget), true);
  assert.equal(wildcard('*b').matches(text, budget), false);
  // `*` then 50 a's and a b, against 100 a's: ~50 steps per start position, far over what is left.
  assert.throws(() => wildcard(`*${'a'.repeat(50)}b`).matches(text, budget), (e) => e === exceeded);
});
