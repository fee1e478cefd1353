// What the render cache keeps (unit): a rendering asked for again is kept for
// the whole cache's length; one-off renderings (new query strings) pass
// through a short queue and cannot push polled renderings out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CachedRendering, RenderCache } from '../../../src/frontends/deltacloud/render-cache.js';

const rendering = (text: string) => new CachedRendering('application/xml', text, `etag of ${text}`);

test('a rendering is answered on its second request, and one-off renderings do not evict a polled one', () => {
  const cache = new RenderCache(10);
  cache.set('polled', 'r1', rendering('polled'));
  assert.equal(cache.get('polled', 'r1')?.bytes.toString(), 'polled', 'the second request is answered from the cache');
  for (let i = 0; i < 500; i++) cache.set(`one-off ${i}`, 'r1', rendering(`one-off ${i}`));
  assert.equal(cache.get('polled', 'r1')?.bytes.toString(), 'polled', 'still there after 500 one-off reads');
  assert.equal(cache.get('one-off 0', 'r1'), undefined, 'the oldest one-off rendering was dropped');
  assert.equal(cache.get('one-off 499', 'r1')?.bytes.toString(), 'one-off 499', 'a recent one-off rendering is still there');
});

test('a rendering of an older revision is never answered, wherever it is kept', () => {
  const cache = new RenderCache(10);
  cache.set('first-time', 'r1', rendering('a'));
  assert.equal(cache.get('first-time', 'r2'), undefined);
  assert.equal(cache.get('first-time', 'r1'), undefined, 'dropped once found stale');
  cache.set('polled', 'r1', rendering('b'));
  assert.ok(cache.get('polled', 'r1'));
  assert.equal(cache.get('polled', 'r2'), undefined);
  cache.set('polled', 'r2', rendering('c'));
  assert.equal(cache.get('polled', 'r2')?.bytes.toString(), 'c');
});

test('the cache holds at most its size in polled renderings', () => {
  const cache = new RenderCache(3);
  for (const key of ['a', 'b', 'c', 'd']) {
    cache.set(key, 'r1', rendering(key));
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
