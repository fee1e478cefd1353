// `deltacloudd db migrate|status` (issue 18) on a fresh schema of the test
// database (scripts/postgres/setup.sh); usage errors need no database.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freshSchemaUrl, postgresForSuite } from '../helpers/database.js';
import { CLI } from '../helpers/server.js';

const run = promisify(execFile);
const { url: DATABASE_URL, missing } = await postgresForSuite('part of the db-command suite');

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, DELTACLOUD_DATABASE_URL: '' } });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

test('status lists pending migrations, migrate applies them once, status then shows them applied', { skip: missing }, async () => {
  const url = await freshSchemaUrl(`dbcmd_${randomBytes(6).toString('hex')}`, DATABASE_URL);
  const before = await cli('db', 'status', '--database', url);
  assert.equal(before.code, 0, before.out);
  assert.match(before.out, /^1\tpending\tmock driver/m);
  assert.match(before.out, /^2\tpending\tEC2 front end ClientTokens/m);
  const first = await cli('db', 'migrate', '--database', url);
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /Applied migration\(s\) 1, 2/);
  assert.match((await cli('db', 'migrate', '--database', url)).out, /Schema up to date/);
  const after = await cli('db', 'status', '--database', url);
  assert.match(after.out, /^1\tapplied \d{4}-/m);
  assert.match(after.out, /^2\tapplied \d{4}-/m);
});

test('bad db usage: exit 1 with the usage, no stack trace', async () => {
  for (const args of [['db'], ['db', 'drop'], ['db', 'migrate'], ['db', 'status', '--database', 'mysql://x']]) {
    const { code, out } = await cli(...args);
    assert.equal(code, 1, args.join(' '));
    assert.match(out, /^deltacloudd: /);
    assert.doesNotMatch(out, /\bat .*\.js:\d+/);
  }
});
