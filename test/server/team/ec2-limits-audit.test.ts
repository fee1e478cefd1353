// The EC2 front end under the team features, against the real server through
// the AWS SDK: rate limits per token (its key pair and its Bearer requests
// share one window) and per access key, answered with EC2's throttling error
// (RequestLimitExceeded, 503); one audit line per write action (RunInstances,
// TerminateInstances, CreateKeyPair, …) and per refused one, with the
// Deltacloud audit's fields plus the action; none for reads; no secret.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateKeyPairCommand, DeleteKeyPairCommand, DescribeKeyPairsCommand, DescribeRegionsCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { JSON_TYPE, req } from '../../helpers/api.js';
import type { TestServer } from '../../helpers/server.js';
import { ec2Client, MOCK_KEYS, rejectsWith } from '../../frontends/ec2/helpers.js';
import { bearer, MOCK_PASSWORD, teamDir, type TeamDir } from './helpers.js';

const WRITES_PER_MINUTE = 4;
const READS_PER_MINUTE = 6;
let team: TeamDir;
let server: TestServer;
let auditFile: string;
let writer: Awaited<ReturnType<TeamDir['token']>>;
let reader: Awaited<ReturnType<TeamDir['token']>>;

before(async () => {
  team = await teamDir();
  assert.equal((await team.cli('profiles', 'add', 'mock-team', '--driver', 'mock', '--user', 'mockuser', '--password-env', 'PROFILE_PASSWORD')).code, 0);
  writer = await team.token('--profile', 'mock-team', '--scope', 'write', '--name', 'ec2-writer');
  reader = await team.token('--profile', 'mock-team', '--name', 'ec2-reader');
  auditFile = join(team.dir, 'audit.log');
  server = await team.start({
    args: ['--auth', 'both', '-f', 'deltacloud,ec2', '--audit-log', auditFile,
      '--rate-limit-writes', String(WRITES_PER_MINUTE), '--rate-limit-reads', String(READS_PER_MINUTE)],
  });
});

after(async () => {
  await server?.stop();
  team?.remove();
});

interface AuditLine { [field: string]: unknown }
const readAudit = (): AuditLine[] => readFileSync(auditFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** The audit lines once `ready` holds of them (lines are appended after the answer is sent). */
async function auditLines(ready: (lines: AuditLine[]) => boolean): Promise<AuditLine[]> {
  for (let i = 0; i < 50; i++) {
    const lines = readAudit();
    if (ready(lines)) return lines;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return readAudit();
}

test('EC2 actions: audit lines for writes (RunInstances, TerminateInstances, CreateKeyPair) and refusals, none for reads; per-token write limit shared with Bearer, RequestLimitExceeded 503', async () => {
  const sdk = ec2Client(server.port, { credentials: { accessKeyId: writer.accessKeyId, secretAccessKey: writer.secretAccessKey } });
  const readSdk = ec2Client(server.port, { credentials: { accessKeyId: reader.accessKeyId, secretAccessKey: reader.secretAccessKey } });
  try {
    // Writes 1–3 through the SDK, the 4th as a Bearer request: one window for the token.
    const run = await sdk.send(new RunInstancesCommand({ ImageId: 'img1', MinCount: 1, MaxCount: 1 }));
    const instanceId = run.Instances?.[0]?.InstanceId;
    assert.ok(instanceId);
    await sdk.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await sdk.send(new CreateKeyPairCommand({ KeyName: 'audited-key' }));
    assert.equal((await req(server, 'POST', '/api/keys', { accept: JSON_TYPE, auth: bearer(writer.token), body: { name: 'bearer-key' } })).status, 201);
    // Reads are counted apart and not audited.
    const { KeyPairs = [] } = await sdk.send(new DescribeKeyPairsCommand({}));
    assert.ok(KeyPairs.some((k) => k.KeyName === 'audited-key'));
    // The 5th write of the minute, by either way in, is throttled.
    const throttled = await rejectsWith(sdk.send(new DeleteKeyPairCommand({ KeyName: 'audited-key' })), 'RequestLimitExceeded', 503);
    assert.ok(!throttled.message.includes(MOCK_PASSWORD));
    const bearerThrottled = await req(server, 'DELETE', '/api/keys/bearer-key', { accept: JSON_TYPE, auth: bearer(writer.token) });
    assert.equal(bearerThrottled.status, 429);
    assert.ok(Number(bearerThrottled.headers['retry-after']) >= 1);
    // Another token has its own window; its scope still applies (audited as refused).
    await rejectsWith(readSdk.send(new CreateKeyPairCommand({ KeyName: 'not-allowed' })), 'UnauthorizedOperation', 403);

    const lines = await auditLines((all) => all.some((l) => l.action === 'CreateKeyPair' && l.status === 403));
    const ec2 = lines.filter((l) => l.route === '/ec2');
    const byAction = (action: string) => ec2.filter((l) => l.action === action);
    const runLine = byAction('RunInstances');
    assert.equal(runLine.length, 1, JSON.stringify(ec2));
    assert.deepEqual(
      { caller: runLine[0]!.caller, tokenId: runLine[0]!.tokenId, tokenName: runLine[0]!.tokenName, driver: runLine[0]!.driver, method: runLine[0]!.method, status: runLine[0]!.status },
      { caller: 'token', tokenId: writer.id, tokenName: 'ec2-writer', driver: 'mock', method: 'POST', status: 200 });
    assert.ok(typeof runLine[0]!.durationMs === 'number' && typeof runLine[0]!.time === 'string');
    assert.equal(byAction('TerminateInstances')[0]?.resource, instanceId);
    assert.equal(byAction('CreateKeyPair').find((l) => l.tokenId === writer.id)?.resource, 'audited-key');
    assert.equal(byAction('DeleteKeyPair')[0]?.status, 503);
    assert.deepEqual(byAction('CreateKeyPair').filter((l) => l.tokenId === reader.id).map((l) => l.status), [403]);
    assert.deepEqual(byAction('DescribeKeyPairs'), [], 'reads are not audited');
    // The Bearer write sits beside them with the same fields.
    assert.ok(lines.some((l) => l.route === '/api/keys' && l.method === 'POST' && l.tokenId === writer.id && l.status === 201));
    const text = readFileSync(auditFile, 'utf8');
    for (const secret of [MOCK_PASSWORD, writer.secretAccessKey, writer.token, reader.secretAccessKey]) assert.ok(!text.includes(secret), 'a secret in the audit log');
  } finally {
    sdk.destroy();
    readSdk.destroy();
  }
});

test('EC2 actions by a configured access key: limited per key (reads apart from writes), audited with the key id', async () => {
  const sdk = ec2Client(server.port, { credentials: MOCK_KEYS });
  try {
    for (let i = 0; i < READS_PER_MINUTE; i++) await sdk.send(new DescribeRegionsCommand({}));
    await rejectsWith(sdk.send(new DescribeRegionsCommand({})), 'RequestLimitExceeded', 503);
    // Writes have their own window.
    await sdk.send(new CreateKeyPairCommand({ KeyName: 'static-key' }));
    const line = (await auditLines((all) => all.some((l) => l.resource === 'static-key'))).find((l) => l.action === 'CreateKeyPair' && l.resource === 'static-key');
    assert.ok(line, 'an audit line for the static key\'s write');
    assert.equal(line.caller, 'ec2-key');
    assert.equal(line.accessKeyId, MOCK_KEYS.accessKeyId);
    assert.equal(line.tokenId, undefined);
    assert.ok(!readFileSync(auditFile, 'utf8').includes(MOCK_KEYS.secretAccessKey));
  } finally {
    sdk.destroy();
  }
});
