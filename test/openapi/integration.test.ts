// Every request of the API integration tests, through the response validator:
// the suites run again with DELTACLOUD_OPENAPI_CHECK set, and every answer they
// receive must be documented by the server's OpenAPI document (status, media
// type) and a JSON one match its schema (test/openapi/integration-hook.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ROOT } from '../helpers/server.js';

const SUITES = readdirSync(join(ROOT, 'test', 'frontends', 'deltacloud')).filter((f) => /^api-.*\.test\.ts$/.test(f)).sort();

it(`the API integration suites (${SUITES.join(', ')}) pass with every answer validated against the document`, { timeout: 900_000 }, () => {
  assert.ok(SUITES.length >= 5, SUITES.join(','));
  // A child `node --test` inside a test file needs the runner's own marker removed, or it runs nothing.
  const env: NodeJS.ProcessEnv = { ...process.env, DELTACLOUD_OPENAPI_CHECK: '1' };
  delete env.NODE_TEST_CONTEXT;
  const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--import', 'tsx', ...SUITES.map((f) => join('test', 'frontends', 'deltacloud', f))], {
    cwd: ROOT, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
  });
  const summary = /# pass (\d+)[\s\S]*# fail (\d+)/.exec(run.stdout);
  assert.ok(summary, run.stdout.slice(-2000) + run.stderr.slice(-2000));
  assert.ok(Number(summary[1]) > 100, `the suites ran (${summary[1]} passed)`);
  const failures = run.stdout.split('\n').filter((l) => /does not document|does not match the schema|is not documented/.test(l)).slice(0, 20);
  assert.equal(run.status, 0, `failures:\n${failures.join('\n')}\n${run.stdout.slice(-3000)}`);
});
