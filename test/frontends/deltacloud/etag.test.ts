// The ETag memo (src/frontends/deltacloud/etag.ts): a remembered digest is
// exactly the MD5 a fresh computation gives, for every text it answers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { DocumentEtags } from '../../../src/frontends/deltacloud/etag.js';

const of = (etags: DocumentEtags, text: string) => etags.of(text);

describe('DocumentEtags', () => {
  test('the MD5 of the UTF-8 bytes (RFC 1321 test values), the same when the text comes again', () => {
    const etags = new DocumentEtags();
    assert.equal(of(etags, 'abc'), '900150983cd24fb0d6963f7d28e17f72');
    assert.equal(of(etags, 'message digest'), 'f96b697d7cb7938d525a2f31aaf161d0');
    assert.equal(of(etags, 'abc'), '900150983cd24fb0d6963f7d28e17f72');
    // Of the UTF-8 bytes: 'é' is two bytes (c3 a9), not its Latin-1 byte.
    assert.equal(of(etags, 'é'), createHash('md5').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
    // A text equal in content but built separately (another string object) is recognised too.
    assert.equal(of(etags, ['a', 'b', 'c'].join('')), '900150983cd24fb0d6963f7d28e17f72');
  });

  test('texts of the same length but different content never share a digest, also after the memo wrapped around', () => {
    const etags = new DocumentEtags();
    const texts = Array.from({ length: 20 }, (_, i) => `<doc n='${String(i).padStart(2, '0')}'/>`);
    const first = texts.map((t) => of(etags, t));
    assert.equal(new Set(first).size, texts.length);
    // The second pass finds the last ones remembered and recomputes the others: same answers either way.
    assert.deepEqual(texts.map((t) => of(etags, t)), first);
    assert.deepEqual([...texts].reverse().map((t) => of(etags, t)), [...first].reverse());
  });

  test('a long document is hashed, not remembered, and still gets its digest', () => {
    const etags = new DocumentEtags();
    const long = 'x'.repeat(100_000);
    const digest = of(etags, long);
    assert.match(digest, /^[0-9a-f]{32}$/);
    assert.equal(of(etags, long), digest);
    assert.notEqual(of(etags, long + 'y'), digest);
  });
});
