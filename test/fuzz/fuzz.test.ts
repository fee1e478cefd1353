// A bounded fuzz run in the normal suite (the full one is `npm run fuzz`):
// a few thousand hostile requests, then the same checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summary } from './hostile.js';
import { fuzzSession } from './server.js';

test('2,500 hostile requests: no crash, no non-back-end 5xx, no leak, every error a Deltacloud document, no pollution', { timeout: 120_000 }, async () => {
  const session = await fuzzSession({ count: 2500, seed: 7, concurrency: 8, verbose: true });
  assert.equal(session.count, 2500);
  assert.equal(session.crashed, false, 'the server is still running');
  assert.deepEqual(session.violations, [], summary(session));
  assert.deepEqual(session.changedAnswers, [], 'normal answers unchanged after the run');
  assert.deepEqual(session.badLogLines, [], 'no error-level log line, no secret in the log');
});
