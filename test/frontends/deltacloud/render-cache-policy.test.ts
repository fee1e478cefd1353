// What the render cache keeps (unit): a rendering is stored the second time
// its key is rendered and then kept for the whole cache's length; a one-off
// rendering (a new query string) leaves only a fingerprint behind and cannot
// push polled renderings out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CachedRendering, RenderCache } from '../../../src/frontends/deltacloud/render-cache.js';

const rendering = (text: string) => new CachedRendering('application/xml', text, `etag of ${text}`);
/** A key rendered twice, as a polled read is before it can be answered from the cache. */
const renderTwice = (cache: RenderCache, key: string, revision: string, text: string) => {
  cache.set(key, revision, rendering(`${text} (first)`));
  cache.set(key, revision, rendering(text));
};

test('a rendering is stored on its key\'s second rendering, and one-off renderings neither stay nor evict a polled one', () => {
  const cache = new RenderCache(10);
  cache.set('polled', 'r1', rendering('polled (first)'));
  assert.equal(cache.get('polled', 'r1'), undefined, 'rendered once: only its fingerprint is kept');
  cache.set('polled', 'r1', rendering('polled'));
  assert.equal(cache.get('polled', 'r1')?.bytes.toString(), 'polled', 'rendered twice: answered from the cache');
  for (let i = 0; i < 500; i++) cache.set(`one-off ${i}`, 'r1', rendering(`one-off ${i}`));
  assert.equal(cache.get('polled', 'r1')?.bytes.toString(), 'polled', 'still there after 500 one-off reads');
  assert.equal(cache.get('one-off 499', 'r1'), undefined, 'a one-off rendering is not stored');
});

test('a rendering of an older revision is never answered; a key rendered before is stored again at once', () => {
  const cache = new RenderCache(10);
  renderTwice(cache, 'polled', 'r1', 'a');
  assert.equal(cache.get('polled', 'r2'), undefined);
  assert.equal(cache.get('polled', 'r1'), undefined, 'dropped once found stale');
  cache.set('polled', 'r2', rendering('b'));
  assert.equal(cache.get('polled', 'r2')?.bytes.toString(), 'b');
  assert.equal(cache.get('polled', 'r3'), undefined);
});

test('the cache holds at most its size in polled renderings', () => {
  const cache = new RenderCache(3);
  for (const key of ['a', 'b', 'c', 'd']) {
    renderTwice(cache, key, 'r1', key);
    assert.ok(cache.get(key, 'r1'));
  }
  assert.equal(cache.get('a', 'r1'), undefined, 'the oldest polled rendering made room');
  for (const key of ['b', 'c', 'd']) assert.ok(cache.get(key, 'r1'), key);
});

test('the key tells credentials apart when requests alternate between them, and never holds them in clear', () => {
  const basic = (user: string) => 'Basic ' + Buffer.from(`${user}:secret`).toString('base64');
  const keyFor = (authorization: string) => RenderCache.key({
    driver: 'mock', provider: undefined, format: 'xml', base: 'http://h/api', url: '/api/instances', headers: { authorization }, credentialsFixed: false,
  });
  const [a1, b1, a2, b2] = [keyFor(basic('alice')), keyFor(basic('bob')), keyFor(basic('alice')), keyFor(basic('bob'))];
  assert.notEqual(a1, b1);
  assert.equal(a1, a2);
  assert.equal(b1, b2);
  assert.ok(!a1.includes(basic('alice')) && !a1.includes('secret'), 'the Authorization value is digested');
});
