// The EC2 front end over the podman driver, with the AWS SDK: RunInstances
// starts a container on the Podman service of scripts/podman/setup.sh,
// DescribeInstances shows it, TerminateInstances removes it.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { TestServer } from '../../helpers/server.js';
import { ec2Client } from '../../frontends/ec2/helpers.js';
import { closeEngine, engine, PODMAN_OPERATOR, requirePodman, startPodmanServer, testImageId } from './target.js';

const KEY = { accessKeyId: 'AKIDPODMANTEST', secretAccessKey: 'podman-ec2-test-secret' };

let present = false;
let server: TestServer | undefined;
let scratch: string | undefined;
const started: string[] = [];

before(async () => {
  present = await requirePodman();
  if (!present) return;
  scratch = mkdtempSync(join(tmpdir(), 'deltacloud-ec2-podman-'));
  const file = join(scratch, 'credentials.json');
  // The access key's back end carries the operator's credentials, which the podman driver requires.
  writeFileSync(file, JSON.stringify({ credentials: { [KEY.accessKeyId]: { secret: KEY.secretAccessKey, driver: 'podman', provider: 'local', ...PODMAN_OPERATOR } } }));
  chmodSync(file, 0o600);
  server = await startPodmanServer({}, { args: ['-f', 'deltacloud,ec2'], env: { DELTACLOUD_EC2_CREDENTIALS_FILE: file } });
});

after(async () => {
  await server?.stop();
  for (const id of started) await engine('DELETE', `/containers/${id}?force=true&v=true`);
  await closeEngine();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('RunInstances starts a container with the instance type\'s limits and the user data; TerminateInstances removes it', { timeout: 120_000 }, async (t) => {
  if (!present) return t.skip('podman missing');
  const ec2 = ec2Client(server!.port, { credentials: KEY });
  const userData = '#!/bin/sh\necho from ec2\n';
  const run = await ec2.send(new RunInstancesCommand({
    ImageId: await testImageId(), InstanceType: 'custom' as never, MinCount: 1, MaxCount: 1,
    UserData: Buffer.from(userData).toString('base64'),
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: `ec2-${process.pid}` }] }],
  }));
  const id = run.Instances?.[0]?.InstanceId;
  assert.ok(id, 'an instance id');
  started.push(id);
  const { json: container } = await engine<{ Name: string; State: { Status: string }; HostConfig: { Memory: number }; Config: { Env: string[] } }>('GET', `/containers/${id}/json`);
  assert.equal(container.State.Status, 'running');
  assert.equal(container.Name.replace(/^\//, ''), `ec2-${process.pid}`);
  assert.equal(container.HostConfig.Memory, 256 * 2 ** 20, 'the custom profile\'s default memory');
  assert.ok(container.Config.Env.includes(`DELTACLOUD_USER_DATA=${Buffer.from(userData).toString('base64')}`));

  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const instance = described.Reservations?.[0]?.Instances?.[0];
  assert.equal(instance?.State?.Name, 'running');
  assert.equal(instance?.InstanceType, 'custom');

  const terminated = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  assert.equal(terminated.TerminatingInstances?.[0]?.InstanceId, id);
  assert.equal((await engine('GET', `/containers/${id}/json`)).status, 404);
  started.pop();
});
