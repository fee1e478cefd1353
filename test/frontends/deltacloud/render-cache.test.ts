// Reads are served from earlier renderings only while nothing changed: these
// tests change state every way there is and check no stale answer comes back.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { call, startServer, type TestServer } from '../../helpers/server.js';

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
  const before = await instanceIds();
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

test('a change committed by another process is seen (SQLite data_version)', async () => {
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
