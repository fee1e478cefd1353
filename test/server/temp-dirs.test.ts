// Nothing is left in the temporary directory: not by the test helper when a
// server fails to start or is stopped, not by the S3 part of the bench.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, startServer } from '../helpers/server.js';

/** Runs `body` with os.tmpdir() pointing at a fresh directory; returns what was left in it. */
async function leftoversOf(body: (dir: string) => Promise<void>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'temp-dirs-check-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    await body(dir);
    return readdirSync(dir);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a server that fails to start leaves no deltacloud-test-* storage', async () => {
  const left = await leftoversOf(async () => {
    await assert.rejects(startServer({ args: ['-i', 'nosuchdriver'] }), /server exited/);
  });
  assert.deepEqual(left, []);
});

test('a server that started and stopped leaves no deltacloud-test-* storage', async () => {
  const left = await leftoversOf(async () => {
    const server = await startServer();
    await server.stop();
  });
  assert.deepEqual(left, []);
});

function swiftUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get('http://127.0.0.1:8080/healthcheck', { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

test('the S3 throughput bench leaves no deltacloud-bench-* directory', async (t) => {
  if (!(await swiftUp())) {
    const why = 'Swift S3 API not running on 127.0.0.1:8080 (bash scripts/swift-s3/setup.sh)';
    if (process.env.CI) assert.fail(why);
    t.skip(why);
    return;
  }
  const left = await leftoversOf(async (dir) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 's3-throughput.ts')], {
      cwd: ROOT, env: { ...process.env, TMPDIR: dir, BENCH_S3_MB: '1' }, encoding: 'utf8', timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /API \/ direct/, 'the bench measured');
  });
  assert.deepEqual(left.filter((name) => name.startsWith('deltacloud-')), []);
});
