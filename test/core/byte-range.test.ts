// The Range header parser (RFC 9110 §14) and its resolution against a size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentRange, parseContentRange, parseRange, resolveRange } from '../../src/core/byte-range.js';

test('single ranges: first-last, open first-, suffix -n; unit case-insensitive, spaces tolerated', () => {
  assert.deepEqual(parseRange('bytes=0-3'), { first: 0, last: 3 });
  assert.deepEqual(parseRange('bytes=100-'), { first: 100 });
  assert.deepEqual(parseRange('bytes=-500'), { suffix: 500 });
  assert.deepEqual(parseRange('Bytes = 5 - 9'), { first: 5, last: 9 });
  assert.deepEqual(parseRange('bytes=7-7,'), { first: 7, last: 7 }, 'empty list elements are allowed');
});

test('ignored (→ the whole body): absent, other units, malformed, last < first, several ranges, huge numbers', () => {
  for (const header of [undefined, '', 'items=0-3', 'bytes', 'bytes=', 'bytes=a-b', 'bytes=3', 'bytes=-', 'bytes=5-2', 'bytes=0-1,4-5',
    'bytes=0-3, -2', 'bytes=1.5-3', 'bytes=+1-3', 'bytes=9999999999999999-', 'bytes=0x1-2']) {
    assert.equal(parseRange(header), undefined, String(header));
  }
});

test('resolution: clamped to the size; past the end or an empty suffix selects nothing (416)', () => {
  assert.deepEqual(resolveRange({ first: 0, last: 3 }, 10), { start: 0, end: 3 });
  assert.deepEqual(resolveRange({ first: 5, last: 500 }, 10), { start: 5, end: 9 });
  assert.deepEqual(resolveRange({ first: 9 }, 10), { start: 9, end: 9 });
  assert.deepEqual(resolveRange({ suffix: 3 }, 10), { start: 7, end: 9 });
  assert.deepEqual(resolveRange({ suffix: 30 }, 10), { start: 0, end: 9 }, 'a suffix longer than the blob is the whole blob');
  assert.equal(resolveRange({ first: 10 }, 10), undefined);
  assert.equal(resolveRange({ first: 10, last: 20 }, 10), undefined);
  assert.equal(resolveRange({ suffix: 0 }, 10), undefined);
  assert.equal(resolveRange({ suffix: 5 }, 0), undefined);
  assert.equal(resolveRange({ first: 0 }, 0), undefined);
});

test('Content-Range: written, and read back from a store\'s answer', () => {
  assert.equal(contentRange({ start: 0, end: 3 }, 10), 'bytes 0-3/10');
  assert.deepEqual(parseContentRange('bytes 0-3/10'), { start: 0, end: 3, size: 10 });
  for (const bad of [null, undefined, 'bytes */10', 'bytes 0-3/*', 'bytes 4-3/10', 'bytes 0-10/10', 'items 0-3/10']) {
    assert.equal(parseContentRange(bad), undefined, String(bad));
  }
});
