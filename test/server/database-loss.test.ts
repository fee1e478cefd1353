// A replica whose PostgreSQL goes away and comes back (issue 18): requests
// that need the database get 503 with Retry-After (in the Deltacloud error
// document, no stack trace), /healthz turns unready, and both recover by
// themselves once the database is back. A database unreachable at start is a
// clear start-up error. Runs its own cluster (scripts/postgres/setup.sh with
// a temp directory and a free port), so it can stop it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { getJson, req } from '../helpers/api.js';
import { freePort, ROOT, startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const missing = existsSync('/usr/lib/postgresql') ? undefined : 'PostgreSQL is not installed (apt-get install postgresql)';
if (missing) {
  if (process.env.CI) throw new Error(`database-loss suite: ${missing}`);
  console.warn(`\n*** SKIPPING the database-loss suite: ${missing} ***\n`);
}

let dir = '';
let env: Record<string, string> = {};
let url = '';
let server: TestServer | undefined;
const cluster = (action: 'setup' | 'teardown') => run('bash', [join(ROOT, 'scripts', 'postgres', `${action}.sh`), '--no-install'], { env: { ...process.env, ...env } });

before(async () => {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), 'deltacloud-pg-loss-'));
  rmSync(dir, { recursive: true, force: true }); // setup.sh creates it, owned by postgres
  env = { DC_PG_DIR: dir, DC_PG_PORT: String(await freePort()) };
  url = (await cluster('setup')).stdout.trim();
});
after(async () => {
  await server?.stop();
  if (dir) {
    await cluster('teardown');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('database lost while running: 503 + Retry-After and unready /healthz, then recovery without a restart', { skip: missing }, async () => {
  server = await startServer({ env: { DELTACLOUD_DATABASE_URL: url } });
  assert.equal((await req(server, 'GET', '/healthz', { auth: false })).status, 200);
  assert.equal((await getJson(server, '/api/instances')).status, 200);

  await cluster('teardown');
  const health = await req(server, 'GET', '/healthz', { auth: false });
  assert.equal(health.status, 503);
  assert.ok(Number(health.headers['retry-after']) > 0);
  for (const path of ['/api/instances', '/api/buckets/bucket1']) {
    const res = await getJson(server, path);
    assert.equal(res.status, 503, `${path}: ${res.text}`);
    assert.ok(Number(res.headers['retry-after']) > 0, 'Retry-After');
    assert.match(res.json().message ?? res.text, /unavailable/i);
  }
  const write = await req(server, 'POST', '/api/instances', { body: { image_id: 'img1' }, accept: 'application/json' });
  assert.equal(write.status, 503);

  await cluster('setup');
  let ready = 0;
  for (let i = 0; i < 50 && ready !== 200; i++) {
    ready = (await req(server, 'GET', '/healthz', { auth: false })).status;
    if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(ready, 200, 'ready again once the database is back');
  const created = await req(server, 'POST', '/api/instances', { body: { image_id: 'img1', name: 'after-outage' }, accept: 'application/json' });
  assert.equal(created.status, 201, created.text);
  assert.equal((await getJson(server, `/api/instances/${created.json().instance.id}`)).json().instance.name, 'after-outage');
});

test('database unreachable at start: a clear message and exit status 1', { skip: missing }, async () => {
  const port = await freePort();
  await assert.rejects(
    startServer({ env: { DELTACLOUD_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/deltacloud` } }),
    (err: Error) => /server exited with 1/.test(err.message) && /deltacloudd: failed to start: cannot reach the database postgres:\/\/postgres@127\.0\.0\.1:\d+\/deltacloud/.test(err.message) && !/at .*\.js:\d+/.test(err.message),
  );
});
