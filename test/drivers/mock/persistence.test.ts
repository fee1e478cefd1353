// The mock's state through the real server process (mock-driver.md §3):
// persistence across restarts, no re-seeding, `--reset`, clean shutdown on
// SIGTERM (also with a request in flight), and no acknowledged write lost to
// a SIGKILL in the middle of a burst of creates.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { get, getJson, getXml, JSON_TYPE, MOCK_AUTH, post, req, XML } from '../../helpers/api.js';
import { CLI, startServer } from '../../helpers/server.js';

function tempStorage(): string {
  return mkdtempSync(join(tmpdir(), 'deltacloud-persist-'));
}

test('state survives a restart and the seed is not re-applied', async () => {
  const storage = tempStorage();
  try {
    const first = await startServer({ storage });
    const inst = await post(first, '/api/instances', { image_id: 'img2', name: 'persist-me', hwp_id: 'm1-large', hwp_memory: '9000' }, { accept: JSON_TYPE });
    assert.equal(inst.status, 201);
    const instId = inst.json().instance.id;
    const key = await post(first, '/api/keys', { name: 'persist-key' }, { accept: JSON_TYPE });
    assert.equal(key.status, 201);
    const pem = key.json().key.pem_rsa_key;
    const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    assert.equal((await req(first, 'PUT', '/api/buckets/bucket1/persist-blob', { body: data, headers: { 'Content-Type': 'application/x-bin', 'X-Deltacloud-Blobmeta-Kept': 'yes' } })).status, 200);
    // Changes to seed data must stick too (no re-seeding).
    assert.equal((await req(first, 'DELETE', '/api/keys/test-key')).status, 204);
    assert.equal((await req(first, 'DELETE', '/api/buckets/bucket1/blob3')).status, 204);
    assert.equal((await post(first, `/api/instances/inst2/stop`, undefined, { accept: XML })).status, 202);
    assert.equal(await first.stop({ keepStorage: true }), 0, 'SIGTERM → exit code 0');

    const second = await startServer({ storage });
    try {
      const again = (await getJson(second, `/api/instances/${instId}`)).json().instance;
      assert.equal(again.name, 'persist-me');
      assert.equal(again.image.id, 'img2');
      assert.deepEqual(again.hardware_profile.properties, { memory: '9000' });
      assert.equal((await getJson(second, '/api/keys/persist-key')).json().key.pem_rsa_key, pem);
      const content = await get(second, '/api/buckets/bucket1/persist-blob/content');
      assert.equal(content.status, 200);
      assert.deepEqual(content.body, data);
      assert.equal(content.headers['content-type'], 'application/x-bin');
      const head = await req(second, 'HEAD', '/api/buckets/bucket1/persist-blob', { accept: XML });
      assert.equal(head.headers['x-deltacloud-blobmeta-kept'], 'yes');
      assert.equal((await getXml(second, '/api/keys/test-key')).status, 404, 'deleted seed key stays deleted');
      assert.equal((await getXml(second, '/api/buckets/bucket1/blob3')).status, 404, 'deleted seed blob stays deleted');
      assert.equal((await getJson(second, '/api/instances/inst2')).json().instance.state, 'STOPPED');
    } finally {
      assert.equal(await second.stop({ keepStorage: true }), 0);
    }

    // `--reset` restores the seed in DELTACLOUD_MOCK_STORAGE and exits.
    const reset = spawnSync(process.execPath, [CLI, '--reset'], { env: { ...process.env, DELTACLOUD_MOCK_STORAGE: storage }, encoding: 'utf8', timeout: 20_000 });
    assert.equal(reset.status, 0, reset.stderr);
    const third = await startServer({ storage });
    try {
      assert.equal((await getXml(third, '/api/keys/test-key')).status, 200, 'seed key back');
      assert.equal((await getXml(third, '/api/buckets/bucket1/blob3')).status, 200, 'seed blob back');
      assert.equal((await getXml(third, '/api/keys/persist-key')).status, 404, 'created key gone');
      assert.equal((await getXml(third, `/api/instances/${instId}`)).status, 404, 'created instance gone');
      assert.equal((await getXml(third, '/api/buckets/bucket1/persist-blob')).status, 404, 'created blob gone');
      assert.equal((await getJson(third, '/api/instances/inst2')).json().instance.state, 'RUNNING');
      assert.deepEqual((await getJson(third, '/api/buckets/bucket1')).json().bucket.blob_list.map((b: { id: string }) => b.id), ['blob1', 'blob2', 'blob3']);
    } finally {
      await third.stop({ keepStorage: true });
    }
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
});

test('SIGTERM lets an in-flight upload finish, exits 0 and closes the database cleanly', async () => {
  const storage = tempStorage();
  try {
    const server = await startServer({ storage });
    const part = Buffer.alloc(64 * 1024, 'x');
    const total = part.length * 3;
    // A slow upload: first part now, SIGTERM, then the rest.
    // The client keeps its connection alive for a minute: the server must not wait for it.
    const agent = new http.Agent({ keepAlive: true, timeout: 60_000 });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = http.request({
        host: '127.0.0.1', port: server.port, method: 'PUT', path: '/api/buckets/bucket2/slow', agent,
        headers: { Host: `localhost:${server.port}`, Authorization: MOCK_AUTH, Accept: XML, 'Content-Type': 'text/plain', 'Content-Length': String(total) },
      }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      r.on('error', reject);
      r.write(part);
      setTimeout(() => {
        server.process.kill('SIGTERM');
        setTimeout(() => {
          r.write(part);
          r.end(part);
        }, 300);
      }, 300);
    });
    const res = await response;
    assert.equal(res.status, 200, `the request in flight completes: ${res.body.slice(0, 200)}`);
    const answered = Date.now();
    assert.equal(await server.stop({ keepStorage: true }), 0, 'exit code 0');
    assert.ok(Date.now() - answered < 5000, `exits promptly once the request is done, despite the idle keep-alive connection (${Date.now() - answered} ms)`);
    agent.destroy();
    assert.ok(!existsSync(join(storage, 'mock.sqlite3-wal')) || statSync(join(storage, 'mock.sqlite3-wal')).size === 0, 'WAL checkpointed: the database was closed');

    const again = await startServer({ storage });
    try {
      const content = await get(again, '/api/buckets/bucket2/slow/content');
      assert.equal(content.status, 200);
      assert.equal(content.body.length, total);
    } finally {
      await again.stop({ keepStorage: true });
    }
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
});

test('kill -9 during a burst of creates loses no acknowledged write', async () => {
  const storage = tempStorage();
  try {
    const server = await startServer({ storage });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const acknowledged: string[] = [];
    let killed = false;
    const createKey = (name: string) => new Promise<void>((resolve) => {
      const body = `name=${name}`;
      const r = http.request({
        host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/keys', agent,
        headers: { Host: `localhost:${server.port}`, Authorization: MOCK_AUTH, Accept: XML, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) },
      }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 201) {
            acknowledged.push(name);
            if (acknowledged.length === 80 && !killed) {
              killed = true;
              server.process.kill('SIGKILL');
            }
          }
          resolve();
        });
        res.on('error', () => resolve());
      });
      r.on('error', () => resolve()); // connections die with the server
      r.end(body);
    });
    await Promise.all(Array.from({ length: 200 }, (_, i) => createKey(`burst-${i}`)));
    agent.destroy();
    assert.ok(killed, `the server was killed mid-burst (acknowledged ${acknowledged.length})`);
    assert.equal(await server.stop({ keepStorage: true }), null, 'died of SIGKILL');
    assert.ok(acknowledged.length >= 80 && acknowledged.length < 200, `killed mid-burst: ${acknowledged.length} acknowledged`);

    const again = await startServer({ storage });
    try {
      const ids = new Set((await getJson(again, '/api/keys')).json().keys.map((k: { id: string }) => k.id));
      const lost = acknowledged.filter((name) => !ids.has(name));
      assert.deepEqual(lost, [], 'every key answered 201 is still there');
      assert.ok(ids.has('test-key'), 'not re-seeded over');
      // The store is usable after the crash.
      assert.equal((await post(again, '/api/keys', { name: 'after-crash' }, { accept: XML })).status, 201);
    } finally {
      await again.stop({ keepStorage: true });
    }
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
});
