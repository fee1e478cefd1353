// The other two ways in with a token, against the real server: the HTML
// interface's login form (cookie flags, CSRF refusal, security headers) and
// the EC2 front end, through the AWS SDK, with the access key pair a token
// stands for.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateKeyPairCommand, DeleteKeyPairCommand, DescribeInstancesCommand, DescribeKeyPairsCommand } from '@aws-sdk/client-ec2';
import { req } from '../../helpers/api.js';
import type { TestServer } from '../../helpers/server.js';
import { ec2Client, rejectsWith } from '../../frontends/ec2/helpers.js';
import { teamDir, type TeamDir } from './helpers.js';

const HTML = 'text/html';
let team: TeamDir;
let server: TestServer;
let writer: Awaited<ReturnType<TeamDir['token']>>;
let reader: Awaited<ReturnType<TeamDir['token']>>;

before(async () => {
  team = await teamDir();
  assert.equal((await team.cli('profiles', 'add', 'mock-team', '--driver', 'mock', '--user', 'mockuser', '--password-env', 'PROFILE_PASSWORD')).code, 0);
  writer = await team.token('--profile', 'mock-team', '--scope', 'write', '--name', 'browser');
  reader = await team.token('--profile', 'mock-team', '--name', 'sdk-reader');
  server = await team.start({ args: ['--auth', 'tokens', '-f', 'deltacloud,ec2'] });
});

after(async () => {
  await server?.stop();
  team?.remove();
});

const form = (body: Record<string, string>, headers: Record<string, string> = {}) =>
  ({ auth: false as const, body, headers, accept: HTML });

test('HTML login: a browser without a token is sent to the form; a valid token becomes an HttpOnly, SameSite=Strict cookie', async () => {
  const entry = await req(server, 'GET', '/api', { auth: false, accept: HTML });
  assert.equal(entry.status, 303);
  assert.equal(entry.headers.location, '/login');

  const page = await req(server, 'GET', '/login', { auth: false, accept: HTML });
  assert.equal(page.status, 200);
  assert.match(page.text, /<form method="post" action="\/login">/);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');

  const wrong = await req(server, 'POST', '/login', form({ token: writer.token.slice(0, -1) + 'x' }));
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers['set-cookie'], undefined);

  const login = await req(server, 'POST', '/login', form({ token: writer.token }));
  assert.equal(login.status, 303);
  assert.equal(login.headers.location, '/api');
  const cookie = login.headers['set-cookie']?.[0] ?? '';
  const attributes = cookie.split(';').map((a) => a.trim());
  assert.equal(attributes[0], `deltacloud_token=${writer.token}`);
  for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(attributes.includes(flag), `${flag} in ${cookie}`);

  const listing = await req(server, 'GET', '/api/instances', { auth: false, accept: HTML, headers: { Cookie: attributes[0]! } });
  assert.equal(listing.status, 200);
  assert.match(listing.text, /inst0/);
});

test('cookie-authenticated form posts from another site are refused (CSRF); from the server\'s own pages they work', async () => {
  const cookie = `deltacloud_token=${writer.token}`;
  const origin = `http://localhost:${server.port}`;
  const foreign = await req(server, 'POST', '/api/keys', form({ name: 'csrf-key' }, { Cookie: cookie, Origin: 'http://evil.example' }));
  assert.equal(foreign.status, 403);
  assert.match(foreign.text, /Cross-origin request refused/);
  const crossSite = await req(server, 'POST', '/api/keys', form({ name: 'csrf-key' }, { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' }));
  assert.equal(crossSite.status, 403);
  // Login CSRF: another site cannot sign a browser in with its own token either.
  const forcedLogin = await req(server, 'POST', '/login', form({ token: writer.token }, { Origin: 'http://evil.example' }));
  assert.equal(forcedLogin.status, 403);
  assert.equal(forcedLogin.headers['set-cookie'], undefined);

  const own = await req(server, 'POST', '/api/keys', form({ name: 'own-key' }, { Cookie: cookie, Origin: origin }));
  assert.ok(own.status === 201 || own.status === 303, String(own.status));
  // A read token's cookie is held to its scope as well.
  const readOnly = await req(server, 'POST', '/api/keys', form({ name: 'nope' }, { Cookie: `deltacloud_token=${reader.token}`, Origin: origin }));
  assert.equal(readOnly.status, 403);

  const logout = await req(server, 'POST', '/logout', form({}, { Origin: origin }));
  assert.equal(logout.status, 303);
  assert.match(logout.headers['set-cookie']?.[0] ?? '', /^deltacloud_token=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/);
});

test('EC2 front end: the token\'s access key pair signs SDK requests (SigV4); a read token cannot write; revocation applies at once', async () => {
  const sdk = ec2Client(server.port, { credentials: { accessKeyId: writer.accessKeyId, secretAccessKey: writer.secretAccessKey } });
  const readSdk = ec2Client(server.port, { credentials: { accessKeyId: reader.accessKeyId, secretAccessKey: reader.secretAccessKey } });
  const forged = ec2Client(server.port, { credentials: { accessKeyId: writer.accessKeyId, secretAccessKey: reader.secretAccessKey } });
  try {
    const { Reservations = [] } = await sdk.send(new DescribeInstancesCommand({}));
    assert.ok(Reservations.flatMap((r) => r.Instances ?? []).some((i) => i.InstanceId === 'inst0'));
    const created = await sdk.send(new CreateKeyPairCommand({ KeyName: 'token-sdk-key' }));
    assert.equal(created.KeyName, 'token-sdk-key');

    const { KeyPairs = [] } = await readSdk.send(new DescribeKeyPairsCommand({}));
    assert.ok(KeyPairs.some((k) => k.KeyName === 'token-sdk-key'));
    await rejectsWith(readSdk.send(new DeleteKeyPairCommand({ KeyName: 'token-sdk-key' })), 'UnauthorizedOperation', 403);
    await rejectsWith(forged.send(new DescribeInstancesCommand({})), 'SignatureDoesNotMatch', 403);

    assert.equal((await team.cli('tokens', 'revoke', reader.id)).code, 0);
    await rejectsWith(readSdk.send(new DescribeKeyPairsCommand({})), 'AuthFailure', 401);
    await sdk.send(new DeleteKeyPairCommand({ KeyName: 'token-sdk-key' }));
  } finally {
    sdk.destroy();
    readSdk.destroy();
    forged.destroy();
  }
});
