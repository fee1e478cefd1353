// The Deltacloud front end as an encapsulated Fastify plugin (in-process,
// `inject` and one listening server): its parsers and error handler stay in
// its own scope, the render cache's key covers every input of a page, and
// repeats are answered early only once they were answered from the cache.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import type { Driver, DriverDeclaration } from '../../../src/core/driver.js';
import { registerDeltacloud } from '../../../src/frontends/deltacloud/plugin.js';
import { RenderCache, type RenderKeyParts } from '../../../src/frontends/deltacloud/render-cache.js';
import { buildServer, type BuiltServer } from '../../../src/server/app.js';
import { parseCommandLine } from '../../../src/server/config.js';
import { MOCK_AUTH } from '../../helpers/server.js';

describe('encapsulation', () => {
  const declaration: DriverDeclaration = { id: 'fake', name: 'Fake', features: {}, reach: 'remote' };
  const driver: Driver = { declaration, realms: async () => [{ id: 'zone-a', state: 'AVAILABLE' }] };
  const app = Fastify({ logger: false });

  before(async () => {
    await registerDeltacloud(app, {
      drivers: { declarations: () => [declaration], get: async (id) => (id === 'fake' ? driver : undefined) },
      defaultDriver: 'fake', timeoutMs: 1000, serverHostname: 'test', bodyLimit: 1024, maxUploadBytes: 1024,
    });
    // Routes of the root scope, registered after the front end.
    app.post('/echo', async (req) => ({ echoed: req.body }));
    app.get('/fails', async () => {
      throw new Error('root failure');
    });
    await app.ready();
  });
  after(() => app.close());

  test("the root scope keeps Fastify's own JSON parser", async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { echoed: { a: 1 } });
  });

  test("the root scope keeps its own error handler and gets no front-end headers", async () => {
    const res = await app.inject({ method: 'GET', url: '/fails' });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().message, 'root failure');
    assert.equal(res.headers.server, undefined);
    assert.equal(res.headers['x-content-type-options'], undefined);
  });

  test('inside /api: form parsing, its error document and its security headers', async () => {
    const json = await app.inject({ method: 'POST', url: '/api/keys', headers: { 'content-type': 'application/json', accept: 'application/json' }, payload: '{}' });
    assert.equal(json.statusCode, 412, 'JSON is not a form body here; the capability check answers first');
    assert.equal(json.headers.expect, 'create_key');
    const big = await app.inject({
      method: 'POST', url: '/api/realms', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, payload: 'x='.padEnd(4096, 'a'),
    });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().code, 413);
    const realms = await app.inject({ method: 'GET', url: '/api;driver=fake/realms', headers: { accept: 'application/json' } });
    assert.equal(realms.statusCode, 200);
    assert.deepEqual(realms.json().realms.map((r: { id: string }) => r.id), ['zone-a']);
    assert.equal(realms.headers['x-content-type-options'], 'nosniff');
    assert.equal(realms.headers['x-deltacloud-driver'], 'fake');
  });
});

describe('render cache key', () => {
  const parts = (headers: IncomingHttpHeaders, over: Partial<RenderKeyParts> = {}): RenderKeyParts => ({
    driver: 'mock', provider: undefined, format: 'xml', base: 'http://h/api', url: '/api/instances', headers, credentialsFixed: false, ...over,
  });
  const key = (headers: IncomingHttpHeaders, over: Partial<RenderKeyParts> = {}) => RenderCache.key(parts(headers, over));

  test('every input of a rendering changes the key', () => {
    const plain = key({ authorization: 'Basic a' });
    assert.notEqual(key({ authorization: 'Basic b' }), plain, 'credentials');
    assert.notEqual(key({ authorization: 'Basic a', 'x-deltacloud-aws-session-token': 't' }), plain, 'a header drivers read');
    assert.notEqual(key({ authorization: 'Basic a' }, { url: '/api/instances?state=RUNNING' }), plain, 'the URL');
    assert.notEqual(key({ authorization: 'Basic a' }, { base: 'https://other/api' }), plain, 'the base of links');
    assert.notEqual(key({ authorization: 'Basic a' }, { format: 'json' }), plain, 'the format');
    assert.notEqual(key({ authorization: 'Basic a' }, { provider: 'p' }), plain, 'the provider');
    assert.notEqual(key({ authorization: 'Basic a' }, { driver: 'ec2' }), plain, 'the driver');
  });

  test('headers nothing reads do not; nor Authorization when the operator fixed the credentials', () => {
    assert.equal(key({ authorization: 'Basic a', 'user-agent': 'x' }), key({ authorization: 'Basic a', 'user-agent': 'y' }));
    assert.equal(key({ authorization: 'Basic a' }, { credentialsFixed: true }), key({ authorization: 'Basic b' }, { credentialsFixed: true }));
  });

  test('the key never holds the credentials', () => {
    assert.equal(key({ authorization: 'Basic c2VjcmV0OnNlY3JldA==' }).includes('c2VjcmV0'), false);
  });
});

describe('the full server in-process (buildServer)', () => {
  let server: BuiltServer;
  let dataDir: string;
  let origin: string;
  const json = { accept: 'application/json', authorization: MOCK_AUTH };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'deltacloud-plugin-test-'));
    const { config } = parseCommandLine(['-i', 'mock', '-p', '0', '-r', '127.0.0.1'], { DELTACLOUD_DATA_DIR: dataDir, DELTACLOUD_MOCK_STORAGE: join(dataDir, 'mock') });
    server = await buildServer(config);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const address = server.app.server.address();
    assert.ok(address && typeof address === 'object');
    origin = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a POST with _method=GET and filters in its body is never served, nor stored, as the plain read', async () => {
    const ids = async () => (await server.app.inject({ method: 'GET', url: '/api/instances', headers: json })).json().instances.map((i: { id: string }) => i.id);
    const all = await ids();
    assert.ok(all.length > 0);
    const filtered = await server.app.inject({
      method: 'POST', url: '/api/instances', headers: { ...json, 'content-type': 'application/x-www-form-urlencoded' }, payload: '_method=GET&state=NO-SUCH-STATE',
    });
    assert.equal(filtered.statusCode, 200);
    assert.deepEqual(filtered.json().instances, []);
    assert.notEqual(filtered.headers['x-backend-runtime'], '0.000000', 'the filtered read was not answered from the cache');
    assert.deepEqual(await ids(), all);

    // The other order: the overriding POST comes first, on a URL nothing has read yet.
    const url = '/api/instances?poll=post-first';
    const first = await server.app.inject({
      method: 'POST', url, headers: { ...json, 'content-type': 'application/x-www-form-urlencoded' }, payload: '_method=GET&state=NO-SUCH-STATE',
    });
    assert.deepEqual(first.json().instances, []);
    const read = await server.app.inject({ method: 'GET', url, headers: json });
    assert.deepEqual(read.json().instances.map((i: { id: string }) => i.id), all);
  });

  test('a read is stored on its second rendering, answered from the cache on its third, early from then on', async () => {
    const headers = { Accept: 'application/xml', Authorization: MOCK_AUTH, 'X-Test': 'stages' };
    const url = `${origin}/api/realms?probe=stages`;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await fetch(url, { headers }));
    const [first, second, third, fourth] = answers as [Response, Response, Response, Response];
    for (const res of answers) assert.equal(res.status, 200);
    assert.notEqual(first.headers.get('x-backend-runtime'), '0.000000', 'rendered, only its fingerprint kept');
    assert.notEqual(second.headers.get('x-backend-runtime'), '0.000000', 'rendered again, and stored');
    assert.equal(third.headers.get('x-backend-runtime'), '0.000000', 'from the cache');
    const [a, b, c, d] = await Promise.all(answers.map((res) => res.text()));
    assert.equal(b, a);
    assert.equal(c, a);
    assert.equal(d, a);
    // The early answer carries exactly the full path's headers (Fastify adds none of its own to a 200 here).
    const stable = (h: Headers) => [...h].filter(([name]) => name !== 'date' && name !== 'x-backend-runtime');
    assert.deepEqual(stable(fourth.headers), stable(third.headers));
  });

  test('a write between two reads is seen by the next read, early path included', async () => {
    const headers = { Accept: 'application/json', Authorization: MOCK_AUTH };
    const names = async () => (await (await fetch(`${origin}/api/keys`, { headers })).json()).keys.map((k: { id: string }) => k.id);
    await names();
    await names();
    const before = await names();
    const created = await fetch(`${origin}/api/keys`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=plugin-test-key' });
    assert.equal(created.status, 201);
    assert.deepEqual(await names(), [...before, 'plugin-test-key'].sort());
  });
});
