// Rate-limit windows shared by replicas on PostgreSQL (issue 18 with issue
// 13's limits), against the real database and two real server replicas on
// it: requests split across both count into one window per caller, so the
// (N+1)th gets 429 with Retry-After on either; the database holds keyed
// hashes of the callers, never a user name or a token id. And the limiter on
// its own: a database error while counting lets the request through, warned
// once until counting works again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { SharedRateLimiter } from '../../../src/server/team/shared-rate-limit.js';
import { JSON_TYPE, MOCK_AUTH, req } from '../../helpers/api.js';
import { freshSchemaUrl, postgresForSuite } from '../../helpers/database.js';
import type { TestServer } from '../../helpers/server.js';
import { bearer, teamDir, type TeamDir } from './helpers.js';

const { url: DATABASE_URL, missing } = await postgresForSuite('rate limits on PostgreSQL');

const READS = 4;
const WRITES = 2;

/** Waits for a fresh minute when this one is nearly over, so that a test's requests fall into one window. */
async function awayFromWindowEnd(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await sleep(60_000 - intoMinute + 500);
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('rate limits on PostgreSQL, two replicas', { skip: missing }, () => {
  let url: string;
  let team: TeamDir;
  let a: TestServer;
  let b: TestServer;
  let token: { id: string; token: string };

  before(async () => {
    url = await freshSchemaUrl(`team_rl_${randomBytes(6).toString('hex')}`, DATABASE_URL);
    team = await teamDir({ DELTACLOUD_DATABASE_URL: url });
    assert.equal((await team.cli('profiles', 'add', 'mock-team', '--driver', 'mock', '--user', 'mockuser', '--password-env', 'PROFILE_PASSWORD')).code, 0);
    token = await team.token('--profile', 'mock-team', '--scope', 'write', '--name', 'limited');
    const args = ['--auth', 'both', '--rate-limit-reads', String(READS), '--rate-limit-writes', String(WRITES)];
    [a, b] = await Promise.all([team.start({ args }), team.start({ args })]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    team?.remove();
  });

  test('N requests split across both replicas: the (N+1)th gets 429 with Retry-After on either; callers are stored as keyed hashes', async () => {
    await awayFromWindowEnd();
    const read = (server: TestServer, auth: string) => req(server, 'GET', '/api/realms', { accept: JSON_TYPE, auth });
    for (let i = 0; i < READS; i++) assert.equal((await read(i % 2 ? b : a, bearer(token.token))).status, 200, `read ${i + 1}`);
    for (const server of [a, b]) {
      const over = await read(server, bearer(token.token));
      assert.equal(over.status, 429, `over the limit on replica ${server === a ? 'A' : 'B'}`);
      const retryAfter = Number(over.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(over.headers['retry-after']));
      assert.equal(over.json().code, 429);
    }

    // A Basic user has a window of its own, shared too; writes are counted apart from reads.
    assert.equal((await read(b, MOCK_AUTH)).status, 200);
    const write = (server: TestServer, name: string) => req(server, 'POST', '/api/keys', { accept: JSON_TYPE, auth: MOCK_AUTH, body: { name } });
    assert.equal((await write(a, 'pg-limited-1')).status, 201);
    assert.equal((await write(b, 'pg-limited-2')).status, 201);
    const overWrite = await write(a, 'pg-limited-3');
    assert.equal(overWrite.status, 429);
    assert.ok(Number(overWrite.headers['retry-after']) >= 1);

    const rows = await withClient(url, async (client) => (await client.query<{ caller_key: string; used: number }>('SELECT caller_key, used FROM team_rate_windows')).rows);
    assert.deepEqual(rows.map((r) => r.used).sort((x, y) => x - y), [1, WRITES + 1, READS + 2], 'one row per caller and kind: Basic reads, Basic writes, token reads');
    for (const row of rows) {
      for (const clear of ['mockuser', token.id, '127.0.0.1']) assert.ok(!row.caller_key.includes(clear), `${clear} in a stored caller key`);
    }
  });
});

describe('SharedRateLimiter on its own', { skip: missing }, () => {
  test('counts per caller in the database window; a database error lets requests through, warned once until counting works again', async () => {
    const url = await freshSchemaUrl(`team_rl_unit_${randomBytes(6).toString('hex')}`, DATABASE_URL);
    const warnings: string[] = [];
    const limiter = await SharedRateLimiter.open(url, 2, 1, (message) => warnings.push(message));
    const other = await SharedRateLimiter.open(url, 2, 1, (message) => warnings.push(message));
    try {
      await awayFromWindowEnd();
      assert.equal(limiter.hashKey.length, 32);
      assert.deepEqual(other.hashKey, limiter.hashKey, 'the replicas hash callers with one key');
      assert.deepEqual(await limiter.take('u:x', false), {});
      assert.deepEqual(await other.take('u:x', false), {});
      const over = await limiter.take('u:x', false);
      assert.ok(over.retryAfter !== undefined && over.retryAfter >= 1 && over.retryAfter <= 60);
      assert.deepEqual(await other.take('u:x', true), {}, 'writes counted apart');
      assert.deepEqual(await other.take('u:y', false), {}, 'another caller');

      // The table gone: every request passes, one warning.
      await withClient(url, (client) => client.query('ALTER TABLE team_rate_windows RENAME TO team_rate_windows_away'));
      for (let i = 0; i < 3; i++) assert.deepEqual(await limiter.take('u:x', false), {}, 'fail open');
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0]!, /not counted/);
      assert.ok(!warnings[0]!.includes(url), 'the database URL is not logged');

      // Back: counted again (the earlier count kept), and the next failure is warned anew.
      await withClient(url, (client) => client.query('ALTER TABLE team_rate_windows_away RENAME TO team_rate_windows'));
      assert.ok((await limiter.take('u:x', false)).retryAfter !== undefined, 'counting again');
      await withClient(url, (client) => client.query('ALTER TABLE team_rate_windows RENAME TO team_rate_windows_away'));
      assert.deepEqual(await limiter.take('u:x', false), {});
      assert.equal(warnings.length, 2);
    } finally {
      await limiter.close();
      await other.close();
    }
  });
});
