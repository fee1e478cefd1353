// API tokens over credential profiles, against the real server (`--auth
// tokens` / `both`): the whole lifecycle through the operator's CLI, read
// and write scopes on every write route, revocation and expiry on the next
// request, the profile's secret never shown, the store encrypted, and the
// start-up refusals.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { computeOperations } from '../../../src/frontends/deltacloud/operations/compute.js';
import { entryOperations } from '../../../src/frontends/deltacloud/operations/entry.js';
import { networkOperations } from '../../../src/frontends/deltacloud/operations/network.js';
import { storageOperations } from '../../../src/frontends/deltacloud/operations/storage.js';
import { JSON_TYPE, MOCK_AUTH, req, type Res } from '../../helpers/api.js';
import { CLI, type TestServer } from '../../helpers/server.js';
import { bearer, MOCK_PASSWORD, teamDir, type TeamDir } from './helpers.js';

/** A cloud secret that only the store ever holds (an ec2 profile this suite never uses for a request). */
const STORED_ONLY_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzebra000SECRET';

let team: TeamDir;
let server: TestServer;
let writer: string;
let reader: string;
/** Every response this suite received, scanned for secrets at the end. */
const seen: Res[] = [];

async function call(method: string, path: string, auth: string | false, opts: Parameters<typeof req>[3] = {}): Promise<Res> {
  const res = await req(server, method, path, { accept: JSON_TYPE, auth, ...opts });
  seen.push(res);
  return res;
}

before(async () => {
  team = await teamDir({ EC2_SECRET: STORED_ONLY_SECRET }, { store: 'sqlite' });
  assert.equal((await team.cli('profiles', 'add', 'mock-team', '--driver', 'mock', '--user', 'mockuser', '--password-env', 'PROFILE_PASSWORD')).code, 0);
  assert.equal((await team.cli('profiles', 'add', 'aws-prod', '--driver', 'ec2', '--provider', 'us-east-1', '--user', 'AKIAEXAMPLE', '--password-env', 'EC2_SECRET')).code, 0);
  writer = (await team.token('--profile', 'mock-team', '--scope', 'write', '--name', 'ci-bot')).token;
  reader = (await team.token('--profile', 'mock-team', '--name', 'dashboard')).token;
  server = await team.start({ args: ['--auth', 'tokens', '-V', '--audit-log', join(team.dir, 'audit.log')] });
});

after(async () => {
  await server?.stop();
  team?.remove();
});

test('the operator CLI (built binary): profile from a piped prompt, token printed once, listed without secrets, revoked', async () => {
  const run = (args: string[], input?: string) => new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...team.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.stdin.end(input ?? '');
    child.once('exit', (code) => resolve({ code, out }));
  });
  const added = await run(['profiles', 'add', 'piped', '--driver', 'mock', '--user', 'mockuser'], `${MOCK_PASSWORD}\n`);
  assert.equal(added.code, 0, added.out);
  const listed = await run(['profiles', 'list']);
  assert.match(listed.out, /^piped\tmock\t-\tsealed\t/m);
  assert.ok(!listed.out.includes(MOCK_PASSWORD) && !listed.out.includes(STORED_ONLY_SECRET));
  // A secret on the command line is refused, not stored.
  const argv = await run(['profiles', 'add', 'leaky', '--driver', 'mock', '--user', 'mockuser', MOCK_PASSWORD]);
  assert.equal(argv.code, 1);
  assert.match(argv.out, /never taken from the command line/);

  const created = await run(['tokens', 'create', '--profile', 'piped', '--scope', 'write', '--expires', '30d', '--name', 'cli']);
  assert.equal(created.code, 0, created.out);
  const token = /^dct_([0-9a-f]{16})_\S+$/m.exec(created.out);
  assert.ok(token, created.out);
  const tokens = await run(['tokens', 'list']);
  assert.match(tokens.out, new RegExp(`^${token[1]}\tcli\tpiped\twrite\t\\S+\t\\S+\tactive$`, 'm'));
  assert.ok(!tokens.out.includes(token[0]), 'the token is shown only when created');

  // The running server takes the new token at once, and refuses it on the very next request after the revocation.
  assert.equal((await call('GET', '/api/realms', bearer(token[0]))).status, 200);
  const revoked = await run(['tokens', 'revoke', token[1]!]);
  assert.equal(revoked.code, 0, revoked.out);
  assert.match((await run(['tokens', 'list'])).out, new RegExp(`^${token[1]}\t.*\trevoked `, 'm'));
  assert.equal((await call('GET', '/api/realms', bearer(token[0]))).status, 401);
});

test('a Bearer token resolves to its profile: driver, provider and cloud credentials, with no X-Deltacloud-Driver', async () => {
  const res = await call('GET', '/api/instances', bearer(writer));
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-deltacloud-driver'], 'mock');
  assert.ok(res.json().instances.length > 0);
  // The client's own choice of driver does not override the token's profile.
  const chosen = await call('GET', '/api/realms', bearer(writer), { headers: { 'X-Deltacloud-Driver': 'ec2' } });
  assert.equal(chosen.status, 200);
  assert.equal(chosen.headers['x-deltacloud-driver'], 'mock');
});

test('with --auth tokens, Basic credentials and requests without a token get 401 with the error document', async () => {
  for (const auth of [MOCK_AUTH, false] as const) {
    const res = await call('GET', '/api/instances', auth);
    assert.equal(res.status, 401);
    assert.equal(res.json().code, 401);
    assert.match(String(res.headers['www-authenticate']), /^Bearer /);
  }
});

test('malformed, unknown and wrong tokens: the same 401, no hint which', async () => {
  const [id] = /[0-9a-f]{16}/.exec(writer)!;
  const bad = ['nonsense', 'dct_0123456789abcdef_' + 'A'.repeat(43), `dct_${id}_${'B'.repeat(43)}`, writer.slice(0, -1)];
  const messages = new Set<string>();
  for (const token of bad) {
    for (const format of ['application/json', 'application/xml']) {
      const res = await call('GET', '/api/realms', bearer(token), { accept: format });
      assert.equal(res.status, 401, token);
      if (format === JSON_TYPE) messages.add(res.json().message);
      else assert.match(res.text, /<error[^>]* status=['"]401['"]/);
    }
  }
  assert.deepEqual([...messages], ['Invalid, expired or revoked token']);
});

/**
 * A server without -V, as deployed: it answers repeated reads early, before Fastify (the suite's
 * server logs every request, and so answers nothing early).
 */
async function withEarlyAnswers(run: (get: (path: string, headers: Record<string, string | string[]>) => Promise<Res>) => Promise<void>): Promise<void> {
  const quiet = await team.start({ args: ['--auth', 'tokens'] });
  try {
    await run(async (path, headers) => {
      const res = await req(quiet, 'GET', path, { accept: JSON_TYPE, auth: false, headers });
      seen.push(res);
      return res;
    });
  } finally {
    await quiet.stop();
  }
}

test('the Authorization header is read as Node reads it: its name in any case, the first of two', async () => {
  // The second value of each pair is a well-formed token of no one: whichever is read decides the status.
  const stranger = bearer(`dct_0123456789abcdef_${'C'.repeat(43)}`);
  await withEarlyAnswers(async (get) => {
    for (let round = 0; round < 6; round++) {
      // Repeated: from the 4th round these reads are answered early, and admitted by their notes from the 5th.
      assert.equal((await get('/api/realms', { AUTHORIZATION: bearer(writer) })).status, 200);
      assert.equal((await get('/api/realms', { Authorization: [bearer(writer), stranger] })).status, 200);
      assert.equal((await get('/api/realms', { Authorization: [stranger, bearer(writer)] })).status, 401);
    }
  });
});

test('reads answered early: a revocation, and an expiry, apply to the next read', async () => {
  await withEarlyAnswers(async (get) => {
    const revoked = await team.token('--profile', 'mock-team');
    const expiring = await team.token('--profile', 'mock-team', '--expires', '1d');
    // Time enough for the reads and one CLI run on a loaded machine (checked below).
    const expiresAt = Date.now() + 8_000;
    const db = new Database(join(team.dir, 'team.sqlite'));
    db.prepare('UPDATE tokens SET expires_at = ? WHERE id = ?').run(new Date(expiresAt).toISOString(), expiring.id);
    db.close();
    // From the 4th, these reads are answered early; from the 5th, admitted by the note of the 4th.
    for (let i = 0; i < 6; i++) {
      assert.equal((await get('/api/hardware_profiles', { Authorization: bearer(revoked.token) })).status, 200, `read ${i + 1}`);
      assert.equal((await get('/api/realms', { Authorization: bearer(expiring.token) })).status, 200, `read ${i + 1}`);
    }
    assert.equal((await team.cli('tokens', 'revoke', revoked.id)).code, 0);
    assert.equal((await get('/api/hardware_profiles', { Authorization: bearer(revoked.token) })).status, 401);
    // No store change after the revocation: only the clock ends the other token.
    for (let i = 0; i < 3; i++) assert.equal((await get('/api/realms', { Authorization: bearer(expiring.token) })).status, 200);
    assert.ok(Date.now() < expiresAt, 'the reads took longer than the token lived: the test proves nothing');
    await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 100));
    const res = await get('/api/realms', { Authorization: bearer(expiring.token) });
    assert.equal(res.status, 401);
    assert.equal(res.json().message, 'Invalid, expired or revoked token');
  });
});

/** Every write the API declares, with its path filled in (ids that exist nowhere, so nothing is destroyed). */
function writeRoutes(): Array<{ method: string; path: string }> {
  const ops = [...entryOperations, ...computeOperations, ...storageOperations, ...networkOperations].filter((op) => op.method !== 'GET' && op.method !== 'HEAD');
  assert.ok(ops.length >= 30, `expected the API's write operations, found ${ops.length}`);
  return ops.map((op) => ({ method: op.method, path: '/api' + op.path.replace(/:(\w+)/g, 'no-such-$1') }));
}

test('a read token gets 403 on every write route; a write token passes the scope check on each', async () => {
  for (const { method, path } of writeRoutes()) {
    const refused = await call(method, path, bearer(reader), { body: { name: 'scoped' } });
    assert.equal(refused.status, 403, `${method} ${path}`);
    assert.match(refused.json().message, /scope is read/);
    const allowed = await call(method, path, bearer(writer), { body: { name: 'scoped' } });
    // The back end may refuse (the mock forbids actions on instances that are not the user's), the scope check may not.
    assert.notEqual(allowed.status, 401, `${method} ${path} with a write token`);
    assert.doesNotMatch(allowed.text, /scope is read/, `${method} ${path} with a write token`);
  }
  // Reads stay open to a read token.
  assert.equal((await call('GET', '/api/keys', bearer(reader))).status, 200);
});

test('revocation takes effect on the next request, also for a read the server answers from its render cache', async () => {
  const { id, token } = await team.token('--profile', 'mock-team');
  for (let i = 0; i < 3; i++) assert.equal((await call('GET', '/api/hardware_profiles', bearer(token))).status, 200);
  assert.equal((await team.cli('tokens', 'revoke', id)).code, 0);
  const res = await call('GET', '/api/hardware_profiles', bearer(token));
  assert.equal(res.status, 401);
  assert.equal(res.json().message, 'Invalid, expired or revoked token');
});

test('a used token\'s id with any other secret gets 401, before and after the real one was accepted', async () => {
  const { id, token } = await team.token('--profile', 'mock-team');
  const secret = token.slice(`dct_${id}_`.length);
  // Same id and length, one character changed at the start, in the middle and at the end.
  const forged = [0, 21, secret.length - 1].map((at) => `dct_${id}_${secret.slice(0, at)}${secret[at] === 'A' ? 'B' : 'A'}${secret.slice(at + 1)}`);
  for (const wrong of forged) assert.equal((await call('GET', '/api/realms', bearer(wrong))).status, 401, 'never accepted');
  for (let i = 0; i < 3; i++) assert.equal((await call('GET', '/api/realms', bearer(token))).status, 200);
  for (const wrong of forged) assert.equal((await call('GET', '/api/realms', bearer(wrong))).status, 401, 'after the real secret was accepted');
  assert.equal((await call('GET', '/api/realms', bearer(token))).status, 200);
});

test('tokens created and revoked while the server runs apply to the very next request, every time', async () => {
  for (let round = 0; round < 4; round++) {
    const { id, token } = await team.token('--profile', 'mock-team');
    assert.equal((await call('GET', '/api/realms', bearer(token))).status, 200, `round ${round}: new token accepted at once`);
    assert.equal((await call('GET', '/api/realms', bearer(token))).status, 200);
    assert.equal((await team.cli('tokens', 'revoke', id)).code, 0);
    assert.equal((await call('GET', '/api/realms', bearer(token))).status, 401, `round ${round}: refused right after the revocation`);
  }
});

test('a revocation after a quiet while (the server reads the store again only when it sees it written) applies to the next request', async () => {
  const { id, token } = await team.token('--profile', 'mock-team');
  assert.equal((await call('GET', '/api/realms', bearer(token))).status, 200);
  // Longer than the server reads the store every turn after a write (SETTLE_MS in sqlite-store.ts).
  const quietUntil = Date.now() + 5_500;
  while (Date.now() < quietUntil) {
    assert.equal((await call('GET', '/api/realms', bearer(token))).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.equal((await team.cli('tokens', 'revoke', id)).code, 0);
  assert.equal((await call('GET', '/api/realms', bearer(token))).status, 401);
});

test('an expired token gets 401', async () => {
  const { id, token } = await team.token('--profile', 'mock-team', '--expires', '1d');
  assert.equal((await call('GET', '/api/realms', bearer(token))).status, 200);
  // Another process moves the expiry into the past, as time would.
  const db = new Database(join(team.dir, 'team.sqlite'));
  db.prepare('UPDATE tokens SET expires_at = ? WHERE id = ?').run(new Date(Date.now() - 1000).toISOString(), id);
  db.close();
  assert.equal((await call('GET', '/api/realms', bearer(token))).status, 401);
});

test('a token whose profile was removed gets 401; one whose driver this server does not offer gets 502', async () => {
  assert.equal((await team.cli('profiles', 'add', 'short-lived', '--driver', 'mock', '--user', 'mockuser', '--password-env', 'PROFILE_PASSWORD')).code, 0);
  const orphan = await team.token('--profile', 'short-lived');
  assert.equal((await call('GET', '/api/realms', bearer(orphan.token))).status, 200);
  const removed = await team.cli('profiles', 'remove', 'short-lived');
  assert.equal(removed.code, 0);
  assert.match(removed.out, /its 1 token\(s\) revoked/);
  assert.equal((await call('GET', '/api/realms', bearer(orphan.token))).status, 401);
  // A profile added again under the name does not bring the old token back.
  assert.equal((await team.cli('profiles', 'add', 'short-lived', '--driver', 'mock', '--user', 'mockuser', '--password-env', 'PROFILE_PASSWORD')).code, 0);
  assert.equal((await call('GET', '/api/realms', bearer(orphan.token))).status, 401);

  assert.equal((await team.cli('profiles', 'add', 'lab', '--driver', 'libvirt', '--provider', 'qemu:///system')).code, 0);
  const lab = await team.token('--profile', 'lab');
  const res = await call('GET', '/api/realms', bearer(lab.token));
  assert.equal(res.status, 502);
  assert.match(res.json().message, /driver 'libvirt' of this token's profile is not offered/);
});

test('the profile store is encrypted: no secret byte sequence in its files; the key file is 0600', () => {
  const files = readdirSync(team.dir).filter((f) => f.startsWith('team.sqlite'));
  assert.ok(files.length > 0);
  for (const file of files) {
    const bytes = readFileSync(join(team.dir, file));
    for (const secret of [MOCK_PASSWORD, STORED_ONLY_SECRET, 'AKIAEXAMPLE']) assert.equal(bytes.indexOf(secret), -1, `${secret} in ${file}`);
    assert.equal(bytes.indexOf(writer.slice(21)), -1, 'a token secret in the store');
  }
});

test('no profile secret or token in any response, log line or audit line', async () => {
  const secrets = [MOCK_PASSWORD, STORED_ONLY_SECRET, writer, reader, writer.slice(21), reader.slice(21)];
  assert.ok(seen.length > 60);
  for (const res of seen) {
    const text = JSON.stringify(res.headers) + res.text;
    for (const secret of secrets) assert.ok(!text.includes(secret), `secret #${secrets.indexOf(secret)} in a response: ${text.slice(0, 300)}`);
  }
  const audit = readFileSync(join(team.dir, 'audit.log'), 'utf8');
  const lines = audit.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.caller === 'token' && l.tokenName === 'ci-bot' && l.method === 'POST'));
  assert.ok(lines.some((l) => l.status === 403 && l.tokenName === 'dashboard'));
  assert.ok(lines.some((l) => l.status === 401 && l.caller === 'basic' && typeof l.basicUser === 'string' && l.basicUser !== 'mockuser'));
  for (const [where, text] of [['audit log', audit], ['server log (-V)', server.output()]]) {
    for (const secret of [...secrets, 'mockuser']) assert.ok(!text!.includes(secret), `${secret} in the ${where}`);
  }
});

test('--auth both: Basic passes through to the back end as before, Bearer resolves the profile', async () => {
  const both = await team.start({ args: ['--auth', 'both'] });
  try {
    assert.equal((await req(both, 'GET', '/api/realms', { accept: JSON_TYPE })).status, 200);
    assert.equal((await req(both, 'GET', '/api/realms', { accept: JSON_TYPE, auth: bearer(writer) })).status, 200);
    assert.equal((await req(both, 'GET', '/api/instances', { accept: JSON_TYPE, auth: 'Basic ' + Buffer.from('mockuser:wrong').toString('base64') })).status, 401);
    assert.equal((await req(both, 'GET', '/api/realms', { accept: JSON_TYPE, auth: bearer(writer.slice(0, -2)) })).status, 401);
  } finally {
    await both.stop();
  }
});

/** Starts the server expecting it to refuse; returns what it printed. */
async function refusal(dir: TeamDir, args: string[], env: Record<string, string> = {}): Promise<string> {
  const error = await dir.start({ args, env }).then(async (s) => {
    await s.stop();
    return undefined;
  }, (e: Error) => e);
  assert.ok(error, 'the server started');
  assert.match(error.message, /exited with 1/);
  return error.message;
}

test('refusals at start-up: no key for the profiles, a wrong key, a corrupt store, API_USER with tokens; never a secret', async () => {
  const key = join(team.dir, 'secret.key');
  const keyText = readFileSync(key, 'utf8');
  rmSync(key);
  try {
    const noKey = await refusal(team, ['--auth', 'tokens']);
    assert.match(noKey, /team\.sqlite holds \d+ profile\(s\) with credentials but no secret key is set/);
    const wrong = await refusal(team, ['--auth', 'tokens'], { DELTACLOUD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') });
    assert.match(wrong, /team\.sqlite: the credentials of profile '[\w-]+' cannot be decrypted with the configured secret key/);
    for (const text of [noKey, wrong]) assert.ok(!text.includes(MOCK_PASSWORD) && !text.includes(STORED_ONLY_SECRET) && !text.includes(keyText.trim()));
  } finally {
    writeFileSync(key, keyText, { mode: 0o600 });
  }
  assert.match(await refusal(team, ['--auth', 'tokens'], { API_USER: 'mockuser', API_PASSWORD: MOCK_PASSWORD }), /--auth tokens refuses API_USER\/API_PASSWORD/);
  assert.match(await refusal(team, ['--auth', 'tokens', '--audit-log', join(team.dir, 'no-such-dir', 'audit.log')]), /Cannot open the audit log \S+: ENOENT/);

  const corrupt = await teamDir({}, { store: 'sqlite' });
  try {
    writeFileSync(join(corrupt.dir, 'team.sqlite'), 'this is not a database, just text '.repeat(200));
    assert.match(await refusal(corrupt, ['--auth', 'tokens']), /Team store \S+team\.sqlite cannot be opened: file is not a database/);
  } finally {
    corrupt.remove();
  }
});
