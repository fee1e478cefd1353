// Terminated instances stay visible (state `terminated`) for a configurable
// time after the back end forgot them, as on AWS, so the SDK's
// waitUntilInstanceTerminated succeeds; then they are gone. The memory of
// them is bounded. Server tests use `ec2.terminatedVisibleSeconds: 2`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  DescribeInstancesCommand, RunInstancesCommand, StartInstancesCommand, TerminateInstancesCommand, waitUntilInstanceTerminated,
  type EC2Client, type Instance,
} from '@aws-sdk/client-ec2';
import type { Instance as ModelInstance } from '../../../src/core/model.js';
import { MemoryReservations, MemoryTerminatedInstances } from '../../../src/frontends/ec2/memory.js';
import { startApp, type AppServer } from '../../helpers/inject.js';
import { ec2Client, rejectsWith } from './helpers.js';

const VISIBLE_SECONDS = 2;
let dir: string;
let server: AppServer;
let ec2: EC2Client;

function writeConfig(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deltacloud-test-ec2-terminated-'));
  server = await startApp({ args: ['-f', 'deltacloud,ec2', '-c', writeConfig('config.json', { ec2: { terminatedVisibleSeconds: VISIBLE_SECONDS } })] });
  ec2 = ec2Client(server.port);
});
after(async () => {
  ec2?.destroy();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function listed(): Promise<Instance[]> {
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({}));
  return Reservations.flatMap((r) => r.Instances ?? []);
}

test('a terminated instance is listed as terminated in its reservation; waitUntilInstanceTerminated succeeds; then it is gone', async () => {
  const launched = await ec2.send(new RunInstancesCommand({ ImageId: 'img1', MinCount: 1, MaxCount: 1,
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'short-lived' }] }] }));
  const id = launched.Instances![0]!.InstanceId!;
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));

  const waited = await waitUntilInstanceTerminated({ client: ec2, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { InstanceIds: [id] });
  assert.equal(waited.state, 'SUCCESS');

  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['terminated'] }] }));
  assert.deepEqual(Reservations.map((r) => [r.ReservationId, r.Instances?.map((i) => i.InstanceId)]), [[launched.ReservationId, [id]]]);
  const shown = Reservations[0]!.Instances![0]!;
  assert.deepEqual(shown.State, { Code: 48, Name: 'terminated' });
  assert.equal(shown.ImageId, 'img1');
  assert.deepEqual(shown.Tags, [{ Key: 'Name', Value: 'short-lived' }]);
  assert.equal(shown.PublicDnsName, '', 'a terminated instance has no address');

  // Nothing but terminating it again is allowed.
  await rejectsWith(ec2.send(new StartInstancesCommand({ InstanceIds: [id] })), 'IncorrectInstanceState', 400);
  const again = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  assert.deepEqual(again.TerminatingInstances?.[0]?.CurrentState, { Code: 48, Name: 'terminated' });

  await new Promise((r) => setTimeout(r, VISIBLE_SECONDS * 1000 + 500));
  await rejectsWith(ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })), 'InvalidInstanceID.NotFound', 400);
  assert.ok(!(await listed()).some((i) => i.InstanceId === id));
  await rejectsWith(ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })), 'InvalidInstanceID.NotFound', 400);
});

test('ec2.terminatedVisibleSeconds must be a whole number of seconds: a bad one stops start-up', async () => {
  for (const bad of [-1, 1.5, '60']) {
    const config = writeConfig(`bad-${String(bad)}.json`, { ec2: { terminatedVisibleSeconds: bad } });
    await assert.rejects(startApp({ args: ['-f', 'deltacloud,ec2', '-c', config] }), /terminatedVisibleSeconds/);
  }
});

const instance = (id: string): ModelInstance => ({
  id, state: 'RUNNING', imageId: 'img1', ownerId: 'u', publicAddresses: [{ address: 'a', type: 'hostname' }], privateAddresses: [], storageVolumes: [], canCreateImage: false,
});
const placement = { reservationId: 'r-1', launchIndex: 0 };

test('the memory of terminated instances is per back-end account, expires, and holds at most its capacity', async () => {
  let now = 0;
  const memory = new MemoryTerminatedInstances(1000, () => now, new MemoryReservations(), 3);
  await memory.record('alice', instance('i1'), placement);
  await memory.record('bob', instance('i2'), placement);
  assert.deepEqual((await memory.list('alice')).map((t) => [t.instance.id, t.instance.state, t.instance.publicAddresses]), [['i1', 'FINISH', []]]);
  assert.equal(await memory.get('alice', 'i2'), undefined, 'another account’s instance is not shown');
  now = 500;
  await memory.record('alice', instance('i3'), placement);
  now = 1000;
  assert.deepEqual((await memory.list('alice')).map((t) => t.instance.id), ['i3'], 'i1 expired');
  for (const id of ['i4', 'i5', 'i6']) await memory.record('alice', instance(id), placement);
  assert.deepEqual((await memory.list('alice')).map((t) => t.instance.id), ['i4', 'i5', 'i6'], 'the oldest go beyond the capacity');
  const off = new MemoryTerminatedInstances(0, () => now, new MemoryReservations());
  await off.record('alice', instance('i1'), placement);
  assert.deepEqual(await off.list('alice'), [], '0 seconds keeps nothing');
});
