// The team store on PostgreSQL (`--database postgres://…`, issue 18), against
// the real database (scripts/postgres/setup.sh) and two real server
// replicas on it: profiles and tokens made by the operator's CLI live in the
// database (no team.sqlite), sealed as on SQLite; a token is accepted by
// both replicas, also one created after they started; a revocation is
// refused by both at their next request.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { JSON_TYPE, req } from '../../helpers/api.js';
import { freshSchemaUrl, postgresForSuite } from '../../helpers/database.js';
import type { TestServer } from '../../helpers/server.js';
import { bearer, MOCK_PASSWORD, teamDir, type TeamDir } from './helpers.js';

const { url: DATABASE_URL, missing } = await postgresForSuite('the team store on PostgreSQL');

describe('team store on PostgreSQL, two replicas', { skip: missing }, () => {
  let url: string;
  let team: TeamDir;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    url = await freshSchemaUrl(`team_pg_${randomBytes(6).toString('hex')}`, DATABASE_URL);
    team = await teamDir({ DELTACLOUD_DATABASE_URL: url });
    assert.equal((await team.cli('profiles', 'add', 'mock-team', '--driver', 'mock', '--user', 'mockuser', '--password-env', 'PROFILE_PASSWORD')).code, 0);
    [a, b] = await Promise.all([team.start({ args: ['--auth', 'tokens'] }), team.start({ args: ['--auth', 'tokens'] })]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    team?.remove();
  });

  const status = async (server: TestServer, token: string, method = 'GET', path = '/api/realms', body?: Record<string, string>) =>
    (await req(server, method, path, { accept: JSON_TYPE, auth: bearer(token), body })).status;

  test('profiles and tokens live in the database, sealed; a token made after both replicas started is accepted by both; a revocation is refused by both at once', async () => {
    assert.ok(!existsSync(join(team.dir, 'team.sqlite')), 'no SQLite team store beside PostgreSQL');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; sealed_credentials: string }>('SELECT name, sealed_credentials FROM team_profiles');
      assert.deepEqual(rows.map((r) => r.name), ['mock-team']);
      assert.ok(!rows[0]!.sealed_credentials.includes(MOCK_PASSWORD), 'the profile secret is sealed in the database');
    } finally {
      await client.end();
    }

    // Both replicas have answered (and cached) before the token exists.
    const first = await team.token('--profile', 'mock-team', '--scope', 'write', '--name', 'replicated');
    for (const server of [a, b]) assert.equal(await status(server, first.token), 200);
    const second = await team.token('--profile', 'mock-team', '--name', 'late');
    for (const server of [a, b]) {
      assert.equal(await status(server, second.token), 200, 'a token created after the replica started');
      assert.equal(await status(server, second.token, 'POST', '/api/keys', { name: 'read-scope' }), 403);
    }
    assert.equal(await status(a, first.token, 'POST', '/api/keys', { name: 'pg-team-key' }), 201);
    // The key made through A is B's too (the mock's state is on the same database).
    assert.equal(await status(b, first.token, 'GET', '/api/keys/pg-team-key'), 200);

    assert.equal((await team.cli('tokens', 'revoke', first.id)).code, 0);
    for (const server of [a, b]) assert.equal(await status(server, first.token), 401, 'revoked: refused at the next request');
    for (const server of [a, b]) assert.equal(await status(server, second.token), 200, 'the other token still works');
    const listed = await team.cli('tokens', 'list');
    assert.match(listed.out, new RegExp(`^${first.id}\\treplicated\\tmock-team\\twrite\\t\\S+\\tnever\\trevoked `, 'm'));

    // A profile removed through the CLI takes its tokens with it, on both replicas.
    assert.equal((await team.cli('profiles', 'remove', 'mock-team')).code, 0);
    for (const server of [a, b]) assert.equal(await status(server, second.token), 401);
  });
});
