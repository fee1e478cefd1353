// SigV4 verification on the real server: wrong secret, altered body, stale or
// future dates, unknown keys, unsigned requests, presigned URLs; after every
// refusal, no action ran. Also the credential store's configuration.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DescribeInstancesCommand, DescribeRegionsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { startServer, type TestServer } from '../../helpers/server.js';
import { ec2Client, get, MOCK_KEYS, postForm, presignedUrl, rejectsWith } from './helpers.js';

let server: TestServer;
const tmp = mkdtempSync(join(tmpdir(), 'ec2-signature-'));

before(async () => {
  server = await startServer({ args: ['-f', 'deltacloud,ec2'] });
});
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function instanceCount(port = server.port): Promise<number> {
  const client = ec2Client(port);
  const { Reservations = [] } = await client.send(new DescribeInstancesCommand({}));
  client.destroy();
  return Reservations.flatMap((r) => r.Instances ?? []).length;
}

const RUN = { ImageId: 'img1', MinCount: 1, MaxCount: 1 };
const RUN_FORM = { Action: 'RunInstances', ImageId: 'img1', MinCount: '1', MaxCount: '1' };

test('a correctly signed request runs (the baseline for the refusals below)', async () => {
  const before = await instanceCount();
  const ok = await postForm(server.port, RUN_FORM);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(await instanceCount(), before + 1);
});

test('wrong secret → SignatureDoesNotMatch (403), nothing launched', async () => {
  const before = await instanceCount();
  const client = ec2Client(server.port, { credentials: { accessKeyId: 'mockuser', secretAccessKey: 'not-the-secret' } });
  await rejectsWith(client.send(new RunInstancesCommand(RUN)), 'SignatureDoesNotMatch', 403);
  assert.equal(await instanceCount(), before);
});

test('altered body → SignatureDoesNotMatch (403), nothing launched', async () => {
  const before = await instanceCount();
  // Signed for one instance, sent asking for three: the payload hash no longer matches.
  const altered = await postForm(server.port, RUN_FORM, { alter: (body) => body.replace('MaxCount=1', 'MaxCount=3') });
  assert.equal(altered.status, 403);
  assert.equal(altered.code, 'SignatureDoesNotMatch');
  // Same body length and same declared hash, other content: still refused.
  const swapped = await postForm(server.port, RUN_FORM, { alter: (body) => body.replace('ImageId=img1', 'ImageId=img2') });
  assert.equal(swapped.code, 'SignatureDoesNotMatch');
  assert.equal(await instanceCount(), before);
});

test('expired date → RequestExpired (400); a date from the future → SignatureDoesNotMatch; nothing launched', async () => {
  const before = await instanceCount();
  const stale = ec2Client(server.port, { systemClockOffset: -20 * 60 * 1000 });
  await rejectsWith(stale.send(new RunInstancesCommand(RUN)), 'RequestExpired', 400);
  const early = await postForm(server.port, RUN_FORM, { signingDate: new Date(Date.now() + 20 * 60 * 1000) });
  assert.equal(early.status, 403);
  assert.equal(early.code, 'SignatureDoesNotMatch');
  // Within the 15 minutes AWS allows, a skewed clock is fine.
  const skewed = ec2Client(server.port, { systemClockOffset: -10 * 60 * 1000 });
  await skewed.send(new DescribeRegionsCommand({}));
  assert.equal(await instanceCount(), before);
});

test('unknown access key → AuthFailure (401), nothing launched', async () => {
  const before = await instanceCount();
  const stranger = ec2Client(server.port, { credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'whatever' } });
  await rejectsWith(stranger.send(new RunInstancesCommand(RUN)), 'AuthFailure', 401);
  assert.equal(await instanceCount(), before);
});

test('unsigned and non-SigV4 requests → AuthFailure (401)', async () => {
  const before = await instanceCount();
  const unsigned = await postForm(server.port, RUN_FORM, { sign: false });
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.code, 'AuthFailure');
  const get1 = await get(`http://127.0.0.1:${server.port}/ec2?Action=RunInstances&ImageId=img1&MinCount=1&MaxCount=1`);
  assert.equal(get1.code, 'AuthFailure');
  const v2 = await fetch(`http://127.0.0.1:${server.port}/ec2/`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS mockuser:c2lnbmF0dXJl' },
    body: new URLSearchParams(RUN_FORM).toString(),
  });
  assert.equal(v2.status, 401);
  assert.match(await v2.text(), /<Code>AuthFailure<\/Code>/);
  const incomplete = await fetch(`http://127.0.0.1:${server.port}/ec2/`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=mockuser/20260101/us-east-1/ec2/aws4_request' },
    body: new URLSearchParams(RUN_FORM).toString(),
  });
  assert.match(await incomplete.text(), /<Code>IncompleteSignature<\/Code>/);
  assert.equal(await instanceCount(), before);
});

test('a signature scoped to another service is refused', async () => {
  const res = await postForm(server.port, { Action: 'DescribeRegions' }, { credentials: MOCK_KEYS });
  assert.equal(res.status, 200);
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-amz-date': '20260101T000000Z',
    authorization: 'AWS4-HMAC-SHA256 Credential=mockuser/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' };
  const other = await fetch(`http://127.0.0.1:${server.port}/ec2/`, { method: 'POST', headers, body: 'Action=DescribeRegions' });
  assert.match(await other.text(), /<Code>SignatureDoesNotMatch<\/Code>\s*<Message>Credential should be scoped to correct service: (?:'|&apos;)ec2(?:'|&apos;)/);
});

test('presigned GET URLs: valid ones run; tampered or expired ones are refused', async () => {
  const before = await instanceCount();
  const regions = await get(await presignedUrl(server.port, { Action: 'DescribeRegions' }));
  assert.equal(regions.status, 200, regions.text);
  assert.match(regions.text, /<regionName>us-east-1<\/regionName>/);

  const runUrl = await presignedUrl(server.port, RUN_FORM);
  const tampered = await get(runUrl.replace('ImageId=img1', 'ImageId=img2'));
  assert.equal(tampered.code, 'SignatureDoesNotMatch');
  const expired = await get(await presignedUrl(server.port, RUN_FORM, { expiresIn: 60, signingDate: new Date(Date.now() - 5 * 60 * 1000) }));
  assert.equal(expired.code, 'RequestExpired');
  assert.equal(await instanceCount(), before, 'no refused presigned request ran');

  const run = await get(runUrl);
  assert.equal(run.status, 200, run.text);
  assert.equal(await instanceCount(), before + 1);
});

test('no secret and no signature reaches the log', async () => {
  const url = await presignedUrl(server.port, { Action: 'DescribeRegions' });
  const signature = new URL(url).searchParams.get('X-Amz-Signature')!;
  const verbose = await startServer({ args: ['-f', 'deltacloud,ec2', '-V'] });
  try {
    const res = await get(url.replace(`:${server.port}/`, `:${verbose.port}/`));
    assert.equal(res.code, 'SignatureDoesNotMatch', 'a URL signed for another host does not verify');
    const client = ec2Client(verbose.port);
    await client.send(new DescribeRegionsCommand({}));
    client.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const log = verbose.output();
    assert.match(log, /incoming request/);
    assert.ok(!log.includes('mockpassword'), 'the secret is never logged');
    assert.ok(!log.includes(signature), 'presigned signatures are redacted');
  } finally {
    await verbose.stop();
  }
});

// --- the credential store ----------------------------------------------------------

function writeJson(name: string, value: unknown, mode: number): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(value));
  chmodSync(path, mode);
  return path;
}

const TEAM_KEY = { accessKeyId: 'AKIDTEAMEXAMPLE', secretAccessKey: 'team/secret+key' };
const credentials = (backendPassword = 'mockpassword') => ({
  [TEAM_KEY.accessKeyId]: { secret: TEAM_KEY.secretAccessKey, driver: 'mock', user: 'mockuser', password: backendPassword },
  AKIDWRONGBACKEND: { secret: 'x', driver: 'mock', user: 'mockuser', password: 'wrong' },
});

test('DELTACLOUD_EC2_CREDENTIALS_FILE (0600) maps access keys; the default mockuser key is then gone', async () => {
  const file = writeJson('ec2-credentials.json', { credentials: credentials() }, 0o600);
  const configured = await startServer({ args: ['-f', 'deltacloud,ec2'], env: { DELTACLOUD_EC2_CREDENTIALS_FILE: file } });
  try {
    const team = ec2Client(configured.port, { credentials: TEAM_KEY });
    const { Regions } = await team.send(new DescribeRegionsCommand({}));
    assert.equal(Regions?.length, 1);
    await rejectsWith(ec2Client(configured.port).send(new DescribeRegionsCommand({})), 'AuthFailure', 401);
    // The back end refuses the configured password: EC2's AuthFailure, not a crash.
    const wrong = ec2Client(configured.port, { credentials: { accessKeyId: 'AKIDWRONGBACKEND', secretAccessKey: 'x' } });
    await rejectsWith(wrong.send(new DescribeInstancesCommand({})), 'AuthFailure', 401);
    assert.ok(!configured.output().includes(TEAM_KEY.secretAccessKey));
  } finally {
    await configured.stop();
  }
});

test('temporary keys: a key configured with a session token needs it, signed; other keys must not send one', async () => {
  const TEMP_KEY = { accessKeyId: 'ASIATEMPEXAMPLE', secretAccessKey: 'temp-secret', sessionToken: 'FQoGZXIvYXdzEXAMPLE//token+value=' };
  const file = writeJson('ec2-credentials-sts.json', {
    credentials: {
      ...credentials(),
      [TEMP_KEY.accessKeyId]: { secret: TEMP_KEY.secretAccessKey, driver: 'mock', user: 'mockuser', password: 'mockpassword', sessionToken: TEMP_KEY.sessionToken },
    },
  }, 0o600);
  const configured = await startServer({ args: ['-f', 'deltacloud,ec2', '-V'], env: { DELTACLOUD_EC2_CREDENTIALS_FILE: file } });
  try {
    const { Regions } = await ec2Client(configured.port, { credentials: TEMP_KEY }).send(new DescribeRegionsCommand({}));
    assert.equal(Regions?.length, 1);
    const withToken = (sessionToken?: string) => ec2Client(configured.port, { credentials: { ...TEMP_KEY, sessionToken } });
    const wrong = await rejectsWith(withToken('FQoGZXIvYXdzEXAMPLE//token+valuX=').send(new DescribeRegionsCommand({})), 'AuthFailure', 401);
    assert.match(wrong.message, /security token included in the request is invalid/);
    await rejectsWith(withToken(undefined).send(new DescribeRegionsCommand({})), 'AuthFailure', 401);
    // A long-term key presenting a token is refused, as AWS does.
    await rejectsWith(ec2Client(configured.port, { credentials: { ...TEAM_KEY, sessionToken: 'anything' } }).send(new DescribeRegionsCommand({})), 'AuthFailure', 401);
    // Nothing ran for the refused requests; the token never reaches the log.
    const before = await (async () => {
      const { Reservations = [] } = await ec2Client(configured.port, { credentials: TEMP_KEY }).send(new DescribeInstancesCommand({}));
      return Reservations.flatMap((r) => r.Instances ?? []).length;
    })();
    await rejectsWith(withToken('not-it').send(new RunInstancesCommand(RUN)), 'AuthFailure', 401);
    const { Reservations = [] } = await ec2Client(configured.port, { credentials: TEMP_KEY }).send(new DescribeInstancesCommand({}));
    assert.equal(Reservations.flatMap((r) => r.Instances ?? []).length, before);
    // A presigned URL carries the token in its (signed) query.
    const presigned = await presignedUrl(configured.port, { Action: 'DescribeRegions' }, { credentials: TEMP_KEY });
    assert.equal((await get(presigned)).status, 200);
    assert.ok(!configured.output().includes(TEMP_KEY.sessionToken), 'the session token is not logged');
    assert.ok(!configured.output().includes('token+value'), 'not even partly');
  } finally {
    await configured.stop();
  }
});

test('a credentials file others can read is refused at start-up', async () => {
  const file = writeJson('ec2-credentials-open.json', { credentials: credentials() }, 0o644);
  await assert.rejects(startServer({ args: ['-f', 'deltacloud,ec2'], env: { DELTACLOUD_EC2_CREDENTIALS_FILE: file } }), /readable by others/);
});

test('`ec2.credentials` in the -c configuration file (0600) maps access keys; a bad entry stops start-up', async () => {
  const config = writeJson('config.json', { ec2: { credentials: credentials() } }, 0o600);
  const configured = await startServer({ args: ['-f', 'deltacloud,ec2', '-c', config] });
  try {
    const team = ec2Client(configured.port, { credentials: TEAM_KEY });
    await team.send(new DescribeRegionsCommand({}));
  } finally {
    await configured.stop();
  }
  const open = writeJson('config-open.json', { ec2: { credentials: credentials() } }, 0o644);
  await assert.rejects(startServer({ args: ['-f', 'deltacloud,ec2', '-c', open] }), /readable by others/);
  const bad = writeJson('config-bad.json', { ec2: { credentials: { AKIDX: { secret: 's', driver: 'nosuchdriver' } } } }, 0o600);
  await assert.rejects(startServer({ args: ['-f', 'deltacloud,ec2', '-c', bad] }), /driver 'nosuchdriver' is not offered/);
});

test('without -f ec2 there is no /ec2', async () => {
  const plain = await startServer();
  try {
    const res = await fetch(`http://127.0.0.1:${plain.port}/ec2/`, { method: 'POST', body: 'Action=DescribeRegions' });
    assert.equal(res.status, 404);
  } finally {
    await plain.stop();
  }
});
