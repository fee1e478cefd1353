// The `deltacloudd` command line (dist/server/cli.js): help, driver list,
// option errors, -t, and the API_PORT / API_DRIVER environment variables.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { getJson, getXml } from '../helpers/api.js';
import { CLI, freePort, startServer } from '../helpers/server.js';

function run(args: string[], env: Record<string, string> = {}) {
  const storage = mkdtempSync(join(tmpdir(), 'deltacloud-cli-'));
  try {
    return spawnSync(process.execPath, [CLI, ...args], {
      env: { ...process.env, DELTACLOUD_MOCK_STORAGE: storage, ...env }, encoding: 'utf8', timeout: 20_000,
    });
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
}

function assertCleanMessage(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(text, /\.(js|ts):\d+/, 'no source positions');
}

test('-h / --help prints the usage and exits 0', () => {
  for (const flag of ['-h', '--help']) {
    const r = run([flag]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: deltacloudd/);
    for (const option of ['--port', '--driver', '--provider', '--hostname', '--timeout', '--drivers', '--reset']) {
      assert.ok(r.stdout.includes(option), `usage mentions ${option}`);
    }
    assert.ok(r.stdout.includes('API_PORT') && r.stdout.includes('API_DRIVER'), 'usage mentions the environment');
  }
});

test('-l lists the drivers (id and name) and exits 0', () => {
  const r = run(['-l']);
  assert.equal(r.status, 0);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.some((l) => /^mock\s+Mock$/.test(l)), r.stdout);
});

test('a bad option or value → non-zero exit with a clear one-line message, no stack trace', () => {
  const bad = run(['--bogus']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /deltacloudd: .*--bogus/);
  assertCleanMessage(bad.stderr);
  const port = run(['-p', 'notaport']);
  assert.notEqual(port.status, 0);
  assert.match(port.stderr, /port/i);
  assert.match(port.stderr, /notaport/);
  assertCleanMessage(port.stderr);
  const tooHigh = run(['-p', '70000']);
  assert.notEqual(tooHigh.status, 0);
  assert.match(tooHigh.stderr, /port/i);
  const timeout = run(['-t', 'soon']);
  assert.notEqual(timeout.status, 0);
  assert.match(timeout.stderr, /timeout/i);
  assertCleanMessage(timeout.stderr);
});

test('API_DRIVER naming an unknown driver is refused; its case does not matter', async () => {
  const r = run(['-p', '0', '-r', '127.0.0.1'], { API_DRIVER: 'nosuchdriver' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /nosuchdriver/);
  assertCleanMessage(r.stderr);
  const server = await startServer({ env: { API_DRIVER: 'MOCK' } });
  try {
    const res = await getXml(server, '/api');
    assert.equal(res.headers['x-deltacloud-driver'], 'mock');
    assert.equal(res.xml().attrs.driver, 'mock');
  } finally {
    await server.stop();
  }
});

test('-t is accepted and the server serves', async () => {
  const server = await startServer({ args: ['-t', '5'] });
  try {
    assert.equal((await getJson(server, '/api/realms')).status, 200);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('API_PORT is honoured', async () => {
  const port = await freePort();
  const storage = mkdtempSync(join(tmpdir(), 'deltacloud-cli-'));
  const child = spawn(process.execPath, [CLI, '-r', '127.0.0.1'], {
    env: { ...process.env, API_PORT: String(port), DELTACLOUD_MOCK_STORAGE: storage }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 20_000);
      const onData = (d: Buffer) => {
        out += d;
        if (/listening on/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => (out += d));
      child.once('exit', () => reject(new Error(`exited: ${out}`)));
    });
    assert.match(out, new RegExp(`listening on http://[^:]+:${port}/api`));
    const res = await getXml(port, '/api/realms');
    assert.equal(res.status, 200);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    rmSync(storage, { recursive: true, force: true });
  }
});

test('API_USER and API_PASSWORD fix the back-end credentials; the Authorization header is then ignored (§4)', async () => {
  const server = await startServer({ env: { API_USER: 'mockuser', API_PASSWORD: 'mockpassword' } });
  try {
    assert.equal((await getXml(server, '/api/realms', { auth: false })).status, 200, 'no header needed');
    const wrong = 'Basic ' + Buffer.from('mockuser:nope').toString('base64');
    assert.equal((await getXml(server, '/api/realms/us', { auth: wrong })).status, 200, 'a wrong header is ignored');
  } finally {
    await server.stop();
  }
  assert.ok(!server.output().includes('mockpassword'), 'the operator password is not printed');
});
