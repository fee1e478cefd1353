// The libvirt driver's keys on PostgreSQL (--database postgres://…, issue 18):
// every replica sees the same keys, and of replicas racing to create one name
// exactly one succeeds (the others get the 403 a second create gets). Two
// driver instances on one schema, then two servers on libvirt's
// test:///default. Needs PostgreSQL (scripts/postgres/setup.sh;
// DELTACLOUD_TEST_DATABASE_URL or its default URL) and, for the servers,
// virsh; without them it skips loudly, and fails under CI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RequestContext, type Driver } from '../../../src/core/driver.js';
import { Forbidden } from '../../../src/core/errors.js';
import { libvirtDriverFactory } from '../../../src/drivers/libvirt/index.js';
import { call } from '../../helpers/api.js';
import { freshSchemaUrl, postgresUnreachable } from '../../helpers/database.js';
import { startServer, type TestServer } from '../../helpers/server.js';

const DATABASE_URL = process.env.DELTACLOUD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:55432/deltacloud';

async function missingService(): Promise<string | undefined> {
  const database = await postgresUnreachable(DATABASE_URL);
  if (database) return database;
  try {
    execFileSync('virsh', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'virsh is not installed (run scripts/libvirt/setup.sh)';
  }
  return undefined;
}

const missing = await missingService();
if (missing) {
  if (process.env.CI) throw new Error(`libvirt keys on PostgreSQL need ${missing}`);
  console.warn(`\n*** SKIPPING libvirt keys on PostgreSQL: ${missing} ***\n`);
}

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'deltacloud-libvirt-pg-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const schemaUrl = () => freshSchemaUrl(`libvirt_keys_${randomBytes(6).toString('hex')}`, DATABASE_URL);
const ctx = () => new RequestContext(undefined, undefined, new AbortController().signal);
const load = async (databaseUrl: string) => (await libvirtDriverFactory.load({ options: {}, dataDir: tempDir(), databaseUrl })) as Required<Driver>;

test('two driver instances on one database: the same keys; of 8 racing creates of one name exactly one succeeds', { skip: missing }, async () => {
  const url = await schemaUrl();
  const [a, b] = [await load(url), await load(url)];
  try {
    const made = await a.create_key(ctx(), { name: 'shared' });
    assert.match(made.pem!, /PRIVATE KEY/);
    assert.deepEqual((await b.keys(ctx(), {})).map((k) => [k.id, k.fingerprint, k.pem]), [['shared', made.fingerprint, undefined]]);

    const raced = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => (n % 2 ? a : b).create_key(ctx(), { name: 'raced' })));
    const won = raced.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1, `${won.length} creates succeeded`);
    for (const r of raced) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof Forbidden && /same name/.test(r.reason.message), String(r.reason));
    }
    const winner = won[0]!.status === 'fulfilled' ? won[0]!.value : undefined;
    assert.equal((await a.key(ctx(), 'raced'))?.fingerprint, winner?.fingerprint, 'the stored key is the one whose private key was returned');

    await b.destroy_key(ctx(), 'shared');
    assert.equal(await a.key(ctx(), 'shared'), undefined);
  } finally {
    await a.close();
    await b.close();
  }
});

test('two servers on test:///default and one database: a key made on A is listed, raced and deleted across replicas', { skip: missing }, async () => {
  const url = await schemaUrl();
  const operator = { user: 'operator', password: 'libvirt-pg-secret' };
  const config = join(tempDir(), 'config.json');
  writeFileSync(config, JSON.stringify({ drivers: { libvirt: operator } }), { mode: 0o600 });
  const start = () => startServer({
    args: ['-i', 'libvirt', '-P', 'test:///default', '-c', config],
    env: { DELTACLOUD_DATA_DIR: tempDir(), DELTACLOUD_DATABASE_URL: url },
  });
  const servers: TestServer[] = [await start(), await start()];
  try {
    const [a, b] = servers as [TestServer, TestServer];
    const json = { accept: 'application/json', auth: 'Basic ' + Buffer.from(`${operator.user}:${operator.password}`).toString('base64') };
    const create = (s: TestServer, name: string) => call(s, 'POST', '/api/keys', { ...json, body: new URLSearchParams({ name }) });
    assert.equal((await create(a, 'web')).status, 201);
    assert.deepEqual((await call(b, 'GET', '/api/keys', json)).json().keys.map((k: { id: string }) => k.id), ['web']);
    const statuses = (await Promise.all([create(a, 'dup'), create(b, 'dup'), create(a, 'dup'), create(b, 'dup')])).map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 403, 403, 403]);
    assert.equal((await call(b, 'DELETE', '/api/keys/web', json)).status, 204);
    assert.equal((await call(a, 'GET', '/api/keys/web', json)).status, 404);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
});
