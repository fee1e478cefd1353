// Reads are served from earlier renderings only while nothing changed: these
// tests change state every way there is and check no stale answer comes back.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { call } from '../../helpers/api.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { TEST_DATABASE_URL } from '../../helpers/database.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

const instanceIds = async (accept = 'application/json') =>
  (await call(server, 'GET', '/api/instances', { accept })).json().instances.map((i: { id: string }) => i.id);

test('a write through the API is visible to the next read', async () => {
  await instanceIds(); // rendered: its fingerprint kept
  const before = await instanceIds(); // rendered again: stored
  const again = await call(server, 'GET', '/api/instances', { accept: 'application/json' });
  assert.equal(again.headers.get('x-backend-runtime'), '0.000000', 'the repeated read is served from the cache');
  const created = await call(server, 'POST', '/api/instances', { accept: 'application/json', body: new URLSearchParams({ image_id: 'img1' }) });
  assert.equal(created.status, 201);
  const id = created.json().instance.id as string;
  const afterCreate = await instanceIds();
  assert.deepEqual(afterCreate, [...before, id].sort());
  await call(server, 'POST', `/api/instances/${id}/stop`, { accept: 'application/json' });
  const shown = await call(server, 'GET', `/api/instances/${id}`, { accept: 'application/json' });
  assert.equal(shown.json().instance.state, 'STOPPED');
  assert.equal((await call(server, 'DELETE', `/api/instances/${id}`, { accept: 'application/xml' })).status, 204);
  assert.deepEqual(await instanceIds(), before);
});

test('credentials are part of the key: a wrong password is never answered from the cache', async () => {
  assert.equal((await call(server, 'GET', '/api/realms', { accept: 'application/xml' })).status, 200);
  const wrong = 'Basic ' + Buffer.from('mockuser:wrong').toString('base64');
  assert.equal((await call(server, 'GET', '/api/realms', { accept: 'application/xml', auth: wrong })).status, 401);
  assert.equal((await call(server, 'GET', '/api/realms', { accept: 'application/xml', auth: false })).status, 401);
});

// On PostgreSQL the other process is another replica: test/server/replicas.test.ts.
test('a change committed by another process is seen (SQLite data_version)', { skip: TEST_DATABASE_URL ? 'SQLite only' : false }, async () => {
  const first = await call(server, 'GET', '/api/keys/test-key', { accept: 'application/json' });
  assert.equal(first.json().key.state, null);
  const db = new Database(join(server.storage, 'mock.sqlite3'));
  try {
    const row = db.prepare("SELECT data FROM records WHERE collection = 'keys' AND id = 'test-key'").get() as { data: string };
    const record = JSON.parse(row.data);
    record.state = 'CHANGED-ELSEWHERE';
    db.prepare("UPDATE records SET data = ? WHERE collection = 'keys' AND id = 'test-key'").run(JSON.stringify(record));
  } finally {
    db.close();
  }
  // Another process's commits are noticed within a few milliseconds (the mock polls SQLite's data_version).
  await new Promise((r) => setTimeout(r, 50));
  const second = await call(server, 'GET', '/api/keys/test-key', { accept: 'application/json' });
  assert.equal(second.json().key.state, 'CHANGED-ELSEWHERE');
});

test('metric samples are fresh on every read (never cached)', async () => {
  const a = await call(server, 'GET', '/api/metrics/inst0', { accept: 'application/json' });
  const b = await call(server, 'GET', '/api/metrics/inst0', { accept: 'application/json' });
  assert.equal(a.status, 200);
  assert.notEqual(b.headers.get('x-backend-runtime'), '0.000000');
});

// Repeats of the same request are answered before the framework (RenderCache.answerRepeat):
// they must be indistinguishable from answers of the full path.

/** Headers of a response that must agree between two answers of the same request. */
const stableHeaders = (headers: Headers) => [...headers].filter(([name]) => name !== 'date');

test('a repeated read is answered exactly as the full path answers it', async () => {
  for (const accept of ['application/xml', 'application/json', 'text/html']) {
    for (const path of ['/api/instances', '/api/hardware_profiles/m1-large', '/api;driver=mock/realms/us', '/api']) {
      // A header nothing reads makes this client's requests distinct from every earlier one: the
      // first is answered by the full path (from the rendering cache), the second as a repeat.
      if (path === '/api' && accept === 'text/html') continue; // the HTML entry page is not a cached rendering
      const headers = { 'X-Test-Client': `${accept} ${path}` };
      // Renders twice, if nothing has yet: a rendering is stored the second time its key is rendered.
      for (let i = 0; i < 2; i++) await call(server, 'GET', path, { accept });
      const fullPath = await call(server, 'GET', path, { accept, headers });
      const repeat = await call(server, 'GET', path, { accept, headers });
      assert.equal(fullPath.status, 200, `${path} ${accept}`);
      assert.equal(repeat.status, 200);
      assert.equal(repeat.text, fullPath.text);
      assert.deepEqual(stableHeaders(repeat.headers), stableHeaders(fullPath.headers), `${path} ${accept}`);
      assert.equal(fullPath.headers.get('x-backend-runtime'), '0.000000', `${path} ${accept}: the full path answered from the rendering cache`);
    }
  }
});

test('every header that shapes an answer keeps repeats apart', async () => {
  const links = async (forwardedHost: string) => {
    const headers = { 'X-Forwarded-Host': forwardedHost, 'X-Forwarded-Proto': 'https' };
    const first = await call(server, 'GET', '/api/realms', { accept: 'application/xml', headers });
    const again = await call(server, 'GET', '/api/realms', { accept: 'application/xml', headers });
    assert.equal(again.text, first.text);
    return first.text;
  };
  assert.match(await links('a.example'), /href='https:\/\/a\.example\/api\/realms\/us'/);
  assert.match(await links('b.example'), /href='https:\/\/b\.example\/api\/realms\/us'/);

  for (let i = 0; i < 2; i++) {
    assert.match((await call(server, 'GET', '/api/realms', { accept: 'application/json' })).headers.get('content-type')!, /^application\/json/);
    assert.match((await call(server, 'GET', '/api/realms', { accept: 'application/xml' })).headers.get('content-type')!, /^application\/xml/);
  }
  // The driver header: the repeat of a good request does not answer for an unknown driver.
  for (let i = 0; i < 2; i++) {
    assert.equal((await call(server, 'GET', '/api/realms', { accept: 'application/xml', headers: { 'X-Deltacloud-Driver': 'mock' } })).status, 200);
    assert.equal((await call(server, 'GET', '/api/realms', { accept: 'application/xml', headers: { 'X-Deltacloud-Driver': 'nosuch' } })).status, 400);
  }
  // Credentials: after good ones were answered twice, bad ones still get 401.
  const wrong = 'Basic ' + Buffer.from('mockuser:nope').toString('base64');
  assert.equal((await call(server, 'GET', '/api/instances', { accept: 'application/xml', auth: wrong })).status, 401);
});

test('a repeated show sees a write made in between', async () => {
  const path = '/api/keys/test-key';
  const accept = 'application/json';
  assert.equal((await call(server, 'GET', path, { accept })).status, 200);
  assert.equal((await call(server, 'GET', path, { accept })).status, 200);
  assert.equal((await call(server, 'DELETE', path, { accept })).status, 204);
  assert.equal((await call(server, 'GET', path, { accept })).status, 404);
  const created = await call(server, 'POST', '/api/keys', { accept, body: new URLSearchParams({ name: 'test-key' }) });
  assert.equal(created.status, 201);
  const shown = await call(server, 'GET', path, { accept });
  assert.equal(shown.status, 200);
  assert.equal(shown.json().key.fingerprint, created.json().key.fingerprint);
});

test('with --verbose every repeated read is logged', async () => {
  const verbose = await startServer({ args: ['-V'] });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await call(verbose, 'GET', '/api/realms?repeat=yes', { accept: 'application/xml' })).status, 200);
    await new Promise((r) => setTimeout(r, 100));
    const logged = verbose.output().split('\n').filter((line) => line.includes('/api/realms?repeat=yes') && line.includes('incoming request'));
    assert.equal(logged.length, 3, verbose.output());
  } finally {
    await verbose.stop();
  }
});
