// EC2 filters pushed down to the driver (src/frontends/ec2/pushdown.ts): a
// filter with one plain value and a core equivalent reaches the driver as a
// core filter, and the answer is the same as from a driver that filters
// nothing (the EC2 front end still applies every filter). In-process Fastify
// over the real mock driver, the AWS SDK as client.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  DescribeAvailabilityZonesCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeSnapshotsCommand, DescribeVolumesCommand,
  EC2Client, StopInstancesCommand, type DescribeInstancesCommandInput, type Filter as Ec2Filter,
} from '@aws-sdk/client-ec2';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Driver, Filter } from '../../../src/core/driver.js';
import { openBackend } from '../../../src/drivers/mock/backend.js';
import { createMockDriver } from '../../../src/drivers/mock/driver.js';
import { loadCredentialStore } from '../../../src/frontends/ec2/credentials.js';
import { registerEc2 } from '../../../src/frontends/ec2/plugin.js';
import { ec2Client } from './helpers.js';

const storage = mkdtempSync(join(tmpdir(), 'deltacloud-test-'));
const mock = createMockDriver(await openBackend({ kind: 'sqlite', path: storage }));
/** The filters each listing received, in order. */
const seen: Array<[string, Filter]> = [];

/** The mock, recording the filters of its listings; `blind` drops them (a driver that pushes nothing down). */
function recording(id: string, blind: boolean): Driver {
  const pass = (collection: string, filter: Filter): Filter => {
    if (!blind) seen.push([collection, filter]);
    return blind ? {} : filter;
  };
  return {
    ...mock,
    declaration: { ...mock.declaration, id },
    instances: (ctx, filter) => mock.instances!(ctx, pass('instances', filter)),
    images: (ctx, filter) => mock.images!(ctx, pass('images', filter)),
    realms: (ctx, filter) => mock.realms!(ctx, pass('realms', filter)),
    storage_volumes: (ctx, filter) => mock.storage_volumes!(ctx, pass('storage_volumes', filter)),
    storage_snapshots: (ctx, filter) => mock.storage_snapshots!(ctx, pass('storage_snapshots', filter)),
  };
}

const drivers: Record<string, Driver> = { pushing: recording('pushing', false), blind: recording('blind', true) };
let app: FastifyInstance;
let pushing: EC2Client;
let blind: EC2Client;

before(async () => {
  app = Fastify({ logger: false });
  const account = (driver: string) => ({ secret: `${driver}-secret`, driver, user: 'mockuser', password: 'mockpassword' });
  await registerEc2(app, {
    drivers: { declarations: () => Object.values(drivers).map((d) => d.declaration), get: async (id) => drivers[id] },
    defaultDriver: 'pushing',
    timeoutMs: 10_000,
    credentials: loadCredentialStore({ credentials: { AKIDPUSH: account('pushing'), AKIDBLIND: account('blind') } }, {}, 'pushing', Object.keys(drivers)),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  pushing = ec2Client(address.port, { credentials: { accessKeyId: 'AKIDPUSH', secretAccessKey: 'pushing-secret' } });
  blind = ec2Client(address.port, { credentials: { accessKeyId: 'AKIDBLIND', secretAccessKey: 'blind-secret' } });
  // One stopped instance among running ones, so that state filters select something.
  await pushing.send(new StopInstancesCommand({ InstanceIds: ['inst2'] }));
});
after(async () => {
  pushing?.destroy();
  blind?.destroy();
  await app?.close();
  await mock.close?.();
  rmSync(storage, { recursive: true, force: true });
});

const f = (Name: string, ...Values: string[]): Ec2Filter => ({ Name, Values });

/** The instances a DescribeInstances answers: id, state and zone, sorted. */
async function instances(client: EC2Client, input: DescribeInstancesCommandInput): Promise<string[]> {
  const out = await client.send(new DescribeInstancesCommand(input));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => `${i.InstanceId} ${i.State?.Name} ${i.Placement?.AvailabilityZone}`).sort();
}

/** The last filter the pushing driver's `collection` listing received. */
function lastFilter(collection: string): Filter | undefined {
  return seen.filter(([c]) => c === collection).at(-1)?.[1];
}

test('DescribeInstances: instance-id, instance-state-name and availability-zone reach the driver; answers as without pushdown', async () => {
  const cases: Array<[DescribeInstancesCommandInput, Filter, string[]]> = [
    [{ Filters: [f('instance-state-name', 'running')] }, { state: 'RUNNING' }, ['inst0 running us', 'inst1 running us', 'inst3 running eu']],
    [{ Filters: [f('instance-id', 'inst1')] }, { id: 'inst1' }, ['inst1 running us']],
    [{ Filters: [f('availability-zone', 'eu')] }, { realm_id: 'eu' }, ['inst3 running eu']],
    [{ Filters: [f('availability-zone', 'us'), f('instance-state-name', 'running')] }, { realm_id: 'us', state: 'RUNNING' }, ['inst0 running us', 'inst1 running us']],
    // Not expressible as a core filter: several values, a wildcard, `stopped` (it also stands for ERROR), an EC2-only name.
    [{ Filters: [f('instance-id', 'inst1', 'inst3')] }, {}, ['inst1 running us', 'inst3 running eu']],
    [{ Filters: [f('instance-id', 'inst?')] }, {}, ['inst0 running us', 'inst1 running us', 'inst2 stopped us', 'inst3 running eu']],
    [{ Filters: [f('instance-state-name', 'stopped')] }, {}, ['inst2 stopped us']],
    [{ Filters: [f('instance-type', 'm1-small')] }, {}, ['inst1 running us', 'inst3 running eu']],
    // Requested ids: only a single id is passed, and no filter (an id must be reported missing only when it does not exist).
    [{ InstanceIds: ['inst2'], Filters: [f('instance-state-name', 'running')] }, { id: 'inst2' }, []],
    [{ InstanceIds: ['inst0', 'inst3'], Filters: [f('availability-zone', 'eu')] }, {}, ['inst3 running eu']],
  ];
  for (const [input, pushed, expected] of cases) {
    const answer = await instances(pushing, input);
    assert.deepEqual(lastFilter('instances'), pushed, JSON.stringify(input));
    assert.deepEqual(answer, expected, JSON.stringify(input));
    assert.deepEqual(await instances(blind, input), answer, `same answer without pushdown: ${JSON.stringify(input)}`);
  }
});

test('DescribeImages, DescribeAvailabilityZones, DescribeVolumes and DescribeSnapshots push their id filters down', async () => {
  const imageIds = async (client: EC2Client, Filters: Ec2Filter[]) =>
    ((await client.send(new DescribeImagesCommand({ Filters }))).Images ?? []).map((i) => i.ImageId).sort();
  for (const [filters, pushed, expected] of [
    [[f('architecture', 'i386')], { architecture: 'i386' }, ['img2', 'img3']],
    [[f('owner-id', 'fedoraproject'), f('image-id', 'img1')], { owner_id: 'fedoraproject', id: 'img1' }, ['img1']],
    [[f('owner-id', 'self')], {}, []],
  ] as const) {
    const answer = await imageIds(pushing, [...filters]);
    assert.deepEqual(lastFilter('images'), pushed);
    assert.deepEqual(answer, expected);
    assert.deepEqual(await imageIds(blind, [...filters]), answer);
  }

  const zones = async (client: EC2Client) =>
    ((await client.send(new DescribeAvailabilityZonesCommand({ Filters: [f('zone-name', 'eu')] }))).AvailabilityZones ?? []).map((z) => z.ZoneName);
  assert.deepEqual(await zones(pushing), ['eu']);
  assert.deepEqual(lastFilter('realms'), { id: 'eu' });
  assert.deepEqual(await zones(blind), ['eu']);

  const volumes = async (client: EC2Client) =>
    ((await client.send(new DescribeVolumesCommand({ Filters: [f('volume-id', 'vol3')] }))).Volumes ?? []).map((v) => `${v.VolumeId} ${v.State}`);
  assert.deepEqual(await volumes(pushing), ['vol3 in-use']);
  assert.deepEqual(lastFilter('storage_volumes'), { id: 'vol3' });
  assert.deepEqual(await volumes(blind), ['vol3 in-use']);

  const snapshots = async (client: EC2Client) =>
    ((await client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap2'] }))).Snapshots ?? []).map((s) => `${s.SnapshotId} ${s.VolumeId}`);
  assert.deepEqual(await snapshots(pushing), ['snap2 vol2']);
  assert.deepEqual(lastFilter('storage_snapshots'), { id: 'snap2' });
  assert.deepEqual(await snapshots(blind), ['snap2 vol2']);
});
