// Credential profiles declared in the configuration file (`team.profiles`),
// against the real server: a profile whose secret is in an environment
// variable and one whose secret is in a 0600 file both serve Bearer tokens;
// the file never holds a secret (a `password` key is refused), a secret file
// its group or others may read is refused, a missing variable is refused, a
// name in both the file and the store is refused — each naming the setting,
// never a secret; the secret appears in no response and no log line.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { JSON_TYPE, req } from '../../helpers/api.js';
import type { TestServer } from '../../helpers/server.js';
import { bearer, MOCK_PASSWORD, teamDir, type TeamDir } from './helpers.js';

let team: TeamDir;
let server: TestServer;
let configFile: string;
let secretFile: string;

/** Writes a configuration file (0600) with these team profiles; returns its path. */
function writeConfig(name: string, profiles: Record<string, Record<string, string>>): string {
  const path = join(team.dir, name);
  writeFileSync(path, JSON.stringify({ team: { auth: 'tokens', profiles } }), { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

before(async () => {
  team = await teamDir({ CFG_MOCK_SECRET: MOCK_PASSWORD });
  secretFile = join(team.dir, 'mock.secret');
  writeFileSync(secretFile, `${MOCK_PASSWORD}\n`, { mode: 0o600 });
  configFile = writeConfig('server.json', {
    'cfg-env': { driver: 'mock', user: 'mockuser', passwordEnv: 'CFG_MOCK_SECRET' },
    'cfg-file': { driver: 'mock', user: 'mockuser', passwordFile: secretFile },
  });
  server = await team.start({ args: ['-c', configFile, '-V'] });
});

after(async () => {
  await server?.stop();
  team?.remove();
});

test('profiles of the configuration file: tokens made for them (CLI -c) are served, the secret is in no response or log line', async () => {
  const listed = await team.cli('profiles', 'list', '-c', configFile);
  assert.equal(listed.code, 0);
  assert.match(listed.out, /cfg-env\tmock\t-\tenv CFG_MOCK_SECRET\tconfig file/);
  assert.match(listed.out, /cfg-file\tmock\t-\tfile \S+mock\.secret\tconfig file/);
  assert.ok(!listed.out.includes(MOCK_PASSWORD));
  // Without -c the CLI does not know them: no token for a profile nobody declared.
  await assert.rejects(team.cli('tokens', 'create', '--profile', 'cfg-env'), /tokens create needs --profile, the name of an existing profile/);

  const bodies: string[] = [];
  for (const profile of ['cfg-env', 'cfg-file']) {
    const reader = await team.token('--profile', profile, '-c', configFile);
    const writer = await team.token('--profile', profile, '--scope', 'write', '-c', configFile);
    const list = await req(server, 'GET', '/api/instances', { accept: JSON_TYPE, auth: bearer(reader.token) });
    assert.equal(list.status, 200, list.text);
    assert.ok(Array.isArray(list.json().instances) && list.json().instances.length > 0, 'the mock account behind the profile');
    const created = await req(server, 'POST', '/api/keys', { accept: JSON_TYPE, auth: bearer(writer.token), body: { name: `key-${profile}` } });
    assert.equal(created.status, 201, created.text);
    const refused = await req(server, 'POST', '/api/keys', { accept: JSON_TYPE, auth: bearer(reader.token), body: { name: `no-${profile}` } });
    assert.equal(refused.status, 403);
    bodies.push(list.text, created.text, refused.text, list.rawHeaders.join(" "), created.rawHeaders.join(" "));
  }
  for (const text of [...bodies, server.output()]) assert.ok(!text.includes(MOCK_PASSWORD), 'the profile secret leaked');
});

/** Starts the server on `config` expecting it to refuse; returns what it printed. */
async function refusal(config: string, env: Record<string, string> = {}): Promise<string> {
  const error = await team.start({ args: ['-c', config], env }).then(async (s) => {
    await s.stop();
    return undefined;
  }, (e: Error) => e);
  assert.ok(error, 'the server started');
  assert.match(error.message, /exited with 1/);
  assert.ok(!error.message.includes(MOCK_PASSWORD), 'a refusal printed the secret');
  return error.message;
}

test('refusals at start-up: a secret in the file, a secret file others may read, a missing variable, a name in file and store', async () => {
  const plain = writeConfig('plain.json', { plain: { driver: 'mock', user: 'mockuser', password: MOCK_PASSWORD } });
  assert.match(await refusal(plain), /team\.profiles\.plain\.password: the configuration file never holds a secret; name an environment variable \(passwordEnv\) or a file/);

  const loose = join(team.dir, 'loose.secret');
  writeFileSync(loose, MOCK_PASSWORD);
  chmodSync(loose, 0o640);
  const looseConfig = writeConfig('loose.json', { loose: { driver: 'mock', user: 'mockuser', passwordFile: loose } });
  assert.match(await refusal(looseConfig), /team\.profiles\.loose\.passwordFile \S+loose\.secret is readable by its group or others; chmod 600 it/);

  const unset = writeConfig('unset.json', { unset: { driver: 'mock', user: 'mockuser', passwordEnv: 'NO_SUCH_VARIABLE_SET' } });
  assert.match(await refusal(unset), /team\.profiles\.unset\.passwordEnv: the environment variable NO_SUCH_VARIABLE_SET is not set/);

  assert.equal((await team.cli('profiles', 'add', 'twice', '--driver', 'mock', '--user', 'mockuser', '--password-env', 'PROFILE_PASSWORD')).code, 0);
  const clash = writeConfig('clash.json', { twice: { driver: 'mock', user: 'mockuser', passwordEnv: 'CFG_MOCK_SECRET' } });
  assert.match(await refusal(clash), /Profile 'twice' is both in the configuration file and in the team store/);
  assert.equal((await team.cli('profiles', 'remove', 'twice')).code, 0);
});
