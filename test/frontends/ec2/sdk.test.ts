// Every EC2 action through the official AWS SDK for JavaScript v3, against the
// real server (`-f deltacloud,ec2`) on the mock driver: success and error paths.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AllocateAddressCommand, AssociateAddressCommand, AttachVolumeCommand, AuthorizeSecurityGroupIngressCommand, CreateImageCommand,
  CreateKeyPairCommand, CreateSecurityGroupCommand, CreateSnapshotCommand, CreateVolumeCommand, DeleteKeyPairCommand,
  DeleteSecurityGroupCommand, DeleteSnapshotCommand, DeleteVolumeCommand, DeregisterImageCommand, DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeInstanceTypesCommand,
  DescribeKeyPairsCommand, DescribeRegionsCommand, DescribeSecurityGroupsCommand, DescribeSnapshotsCommand, DescribeVolumesCommand,
  DetachVolumeCommand, DisassociateAddressCommand, EC2Client, ImportKeyPairCommand, paginateDescribeInstances, RebootInstancesCommand,
  ReleaseAddressCommand, RevokeSecurityGroupIngressCommand, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand,
  TerminateInstancesCommand, type Instance,
} from '@aws-sdk/client-ec2';
import { startApp, type AppServer } from '../../helpers/inject.js';
import { ec2Client, postForm, rejectsWith } from './helpers.js';

let server: AppServer;
let ec2: EC2Client;

before(async () => {
  server = await startApp({ args: ['-f', 'deltacloud,ec2'] });
  ec2 = ec2Client(server.port);
});
after(async () => {
  ec2?.destroy();
  await server?.stop();
});

async function allInstances(): Promise<Instance[]> {
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({}));
  return Reservations.flatMap((r) => r.Instances ?? []);
}

async function instance(id: string): Promise<Instance> {
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return Reservations[0]!.Instances![0]!;
}

test('DescribeRegions: the region the client signed for; unknown region names are refused', async () => {
  const { Regions } = await ec2.send(new DescribeRegionsCommand({}));
  assert.deepEqual(Regions?.map((r) => r.RegionName), ['us-east-1']);
  assert.equal(Regions![0]!.Endpoint, `127.0.0.1:${server.port}`);
  await rejectsWith(ec2.send(new DescribeRegionsCommand({ RegionNames: ['mars-1'] })), 'InvalidParameterValue', 400);
});

test('DescribeAvailabilityZones: realms as zones, by name and filter', async () => {
  const { AvailabilityZones } = await ec2.send(new DescribeAvailabilityZonesCommand({}));
  assert.deepEqual(AvailabilityZones?.map((z) => [z.ZoneName, z.State, z.RegionName]), [['us', 'available', 'us-east-1'], ['eu', 'available', 'us-east-1']]);
  const eu = await ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-name', Values: ['e*'] }] }));
  assert.deepEqual(eu.AvailabilityZones?.map((z) => z.ZoneName), ['eu']);
  await rejectsWith(ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['nowhere'] })), 'InvalidParameterValue', 400);
  await rejectsWith(ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] })), 'InvalidParameterValue', 400);
});

test('DescribeInstanceTypes: hardware profiles as instance types', async () => {
  const { InstanceTypes } = await ec2.send(new DescribeInstanceTypesCommand({}));
  assert.deepEqual(InstanceTypes?.map((t) => t.InstanceType), ['m1-small', 'm1-large', 'm1-xlarge', 'opaque']);
  const small = InstanceTypes![0]!;
  assert.equal(small.VCpuInfo?.DefaultVCpus, 1);
  assert.equal(small.MemoryInfo?.SizeInMiB, 1741);
  assert.deepEqual(small.ProcessorInfo?.SupportedArchitectures, ['i386']);
  const x86 = await ec2.send(new DescribeInstanceTypesCommand({ Filters: [{ Name: 'processor-info.supported-architecture', Values: ['x86_64'] }] }));
  assert.deepEqual(x86.InstanceTypes?.map((t) => t.InstanceType), ['m1-large', 'm1-xlarge']);
  const one = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m1-large' as never] }));
  assert.equal(one.InstanceTypes?.length, 1);
  await rejectsWith(ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t9.huge' as never] })), 'InvalidInstanceType', 400);
});

test('DescribeImages: ids, owners, filters with wildcards', async () => {
  const { Images } = await ec2.send(new DescribeImagesCommand({}));
  assert.deepEqual(Images?.map((i) => i.ImageId).sort(), ['img1', 'img2', 'img3']);
  const img1 = Images!.find((i) => i.ImageId === 'img1')!;
  assert.equal(img1.Architecture, 'x86_64');
  assert.equal(img1.State, 'available');
  assert.equal(img1.OwnerId, 'fedoraproject');
  const own = await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
  assert.deepEqual(own.Images?.map((i) => i.ImageId), ['img3']);
  assert.equal(own.Images![0]!.Public, false);
  const i386 = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'architecture', Values: ['i386'] }, { Name: 'name', Values: ['img?'] }] }));
  assert.deepEqual(i386.Images?.map((i) => i.ImageId).sort(), ['img2', 'img3']);
  const byId = await ec2.send(new DescribeImagesCommand({ ImageIds: ['img2'] }));
  assert.deepEqual(byId.Images?.map((i) => i.ImageId), ['img2']);
  const e = await rejectsWith(ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-nope'] })), 'InvalidAMIID.NotFound', 400);
  assert.match(e.message, /ami-nope/);
});

test('CreateImage and DeregisterImage', async () => {
  const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: 'inst0', Name: 'sdk-image', Description: 'made by the SDK test' }));
  assert.equal(ImageId, 'sdk-image');
  const { Images } = await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }));
  assert.equal(Images![0]!.Description, 'made by the SDK test');
  await ec2.send(new DeregisterImageCommand({ ImageId }));
  await rejectsWith(ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] })), 'InvalidAMIID.NotFound');
  await rejectsWith(ec2.send(new DeregisterImageCommand({ ImageId })), 'InvalidAMIID.NotFound', 400);
  await rejectsWith(ec2.send(new CreateImageCommand({ InstanceId: 'i-nope', Name: 'x' })), 'InvalidInstanceID.NotFound', 400);
  await rejectsWith(ec2.send(new CreateImageCommand({ InstanceId: 'inst0' } as never)), 'MissingParameter', 400);
});

test('RunInstances: count, Name tag, zone, type, groups, user data; the reservation groups them', async () => {
  const { ReservationId, Instances = [] } = await ec2.send(new RunInstancesCommand({
    ImageId: 'img1', MinCount: 2, MaxCount: 2, InstanceType: 'm1-large' as never, KeyName: 'test-key',
    Placement: { AvailabilityZone: 'eu' }, SecurityGroupIds: ['default'], UserData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'sdk-web' }] }],
  }));
  assert.match(ReservationId!, /^r-[0-9a-f]{17}$/);
  assert.equal(Instances.length, 2);
  for (const [n, i] of Instances.entries()) {
    assert.equal(i.AmiLaunchIndex, n);
    assert.equal(i.ImageId, 'img1');
    assert.equal(i.InstanceType, 'm1-large');
    assert.equal(i.Placement?.AvailabilityZone, 'eu');
    assert.equal(i.KeyName, 'test-key');
    assert.equal(i.State?.Name, 'running');
    assert.equal(i.State?.Code, 16);
    assert.deepEqual(i.Tags, [{ Key: 'Name', Value: 'sdk-web' }]);
    assert.deepEqual(i.SecurityGroups, [{ GroupId: 'default', GroupName: 'default' }]);
  }
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: Instances.map((i) => i.InstanceId!) }));
  assert.equal(Reservations.length, 1, 'one reservation for instances launched together');
  assert.equal(Reservations[0]!.ReservationId, ReservationId);
});

test('RunInstances: the same ClientToken gives the same reservation and launches nothing more', async () => {
  const params = { ImageId: 'img2', MinCount: 1, MaxCount: 1, ClientToken: 'sdk-token-1' };
  const first = await ec2.send(new RunInstancesCommand(params));
  const count = (await allInstances()).length;
  const again = await ec2.send(new RunInstancesCommand(params));
  assert.equal(again.ReservationId, first.ReservationId);
  assert.deepEqual(again.Instances?.map((i) => i.InstanceId), first.Instances?.map((i) => i.InstanceId));
  assert.equal(again.Instances![0]!.ClientToken, 'sdk-token-1');
  assert.equal((await allInstances()).length, count, 'no second launch');
  await rejectsWith(ec2.send(new RunInstancesCommand({ ...params, ImageId: 'img1' })), 'IdempotentParameterMismatch', 400);
  const described = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: ['sdk-token-1'] }] }));
  assert.deepEqual(described.Reservations?.map((r) => r.ReservationId), [first.ReservationId]);
});

test('RunInstances: errors name what is wrong and launch nothing', async () => {
  const count = (await allInstances()).length;
  await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: 'ami-nope', MinCount: 1, MaxCount: 1 })), 'InvalidAMIID.NotFound', 400);
  await rejectsWith(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1 } as never)), 'MissingParameter', 400);
  await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: 'img1', MinCount: 1, MaxCount: 1, KeyName: 'nokey' })), 'InvalidKeyPair.NotFound', 400);
  await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: 'img1', MinCount: 1, MaxCount: 1, InstanceType: 't9.huge' as never })), 'InvalidParameterValue', 400);
  await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: 'img1', MinCount: 1, MaxCount: 1, SecurityGroupIds: ['sg-nope'] })), 'InvalidGroup.NotFound', 400);
  await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: 'img1', MinCount: 3, MaxCount: 2 })), 'InvalidParameterValue', 400);
  assert.equal((await allInstances()).length, count);
});

test('DescribeInstances: ids, filters, tags, errors', async () => {
  const inst0 = await instance('inst0');
  assert.equal(inst0.PublicDnsName, 'img1.inst0.public.com');
  assert.equal(inst0.PrivateDnsName, 'img1.inst0.private.com');
  assert.deepEqual(inst0.Tags, [{ Key: 'Name', Value: 'Mock Instance With Profile Change' }]);
  const tagged = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['sdk-*'] }] }));
  assert.equal(tagged.Reservations?.flatMap((r) => r.Instances ?? []).length, 2);
  const inEu = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'availability-zone', Values: ['eu'] }, { Name: 'instance-state-name', Values: ['running'] }] }));
  assert.ok(inEu.Reservations!.flatMap((r) => r.Instances ?? []).every((i) => i.Placement?.AvailabilityZone === 'eu'));
  await rejectsWith(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-nope'] })), 'InvalidInstanceID.NotFound', 400);
  await rejectsWith(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })), 'InvalidParameterValue', 400);
});

test('DescribeInstances: MaxResults/NextToken paging covers every instance once', async () => {
  const everything = (await allInstances()).map((i) => i.InstanceId).sort();
  assert.ok(everything.length > 5, 'enough instances for two pages');
  const seen: string[] = [];
  let pages = 0;
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, {})) {
    pages++;
    seen.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!));
  }
  assert.ok(pages >= 2);
  assert.deepEqual(seen.sort(), everything);
  await rejectsWith(ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: 'not-a-token' })), 'InvalidPaginationToken', 400);
  await rejectsWith(ec2.send(new DescribeInstancesCommand({ MaxResults: 3 })), 'InvalidParameterValue', 400);
  const first = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
  // A token belongs to its query: reused with other filters it is refused.
  await rejectsWith(ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: first.NextToken, Filters: [{ Name: 'image-id', Values: ['img1'] }] })),
    'InvalidPaginationToken', 400);
  await rejectsWith(ec2.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: ['inst0'] })), 'InvalidParameterCombination', 400);
});

test('StopInstances, StartInstances, RebootInstances: state changes and state errors', async () => {
  const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: ['inst2'] }));
  assert.deepEqual(stop.StoppingInstances, [{ InstanceId: 'inst2', PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 80, Name: 'stopped' } }]);
  assert.equal((await instance('inst2')).State?.Name, 'stopped');
  const again = await ec2.send(new StopInstancesCommand({ InstanceIds: ['inst2'] }));
  assert.equal(again.StoppingInstances![0]!.CurrentState?.Name, 'stopped', 'stopping a stopped instance is a no-op, as on AWS');
  await rejectsWith(ec2.send(new RebootInstancesCommand({ InstanceIds: ['inst2'] })), 'IncorrectInstanceState', 400);
  const start = await ec2.send(new StartInstancesCommand({ InstanceIds: ['inst2'] }));
  assert.deepEqual(start.StartingInstances![0]!.CurrentState, { Code: 16, Name: 'running' });
  assert.deepEqual(start.StartingInstances![0]!.PreviousState, { Code: 80, Name: 'stopped' });
  await ec2.send(new RebootInstancesCommand({ InstanceIds: ['inst2'] }));
  assert.equal((await instance('inst2')).State?.Name, 'running');
});

test('state changes check every id first: one unknown id and nothing changes', async () => {
  await rejectsWith(ec2.send(new StopInstancesCommand({ InstanceIds: ['inst3', 'i-nope'] })), 'InvalidInstanceID.NotFound', 400);
  assert.equal((await instance('inst3')).State?.Name, 'running');
  await rejectsWith(ec2.send(new StartInstancesCommand({ InstanceIds: [] })), 'MissingParameter', 400);
});

test('TerminateInstances: a running instance is stopped and destroyed, then shown terminated (for an hour by default); unknown ids are refused', async () => {
  const { Instances = [] } = await ec2.send(new RunInstancesCommand({ ImageId: 'img1', MinCount: 1, MaxCount: 1 }));
  const id = Instances[0]!.InstanceId!;
  const { TerminatingInstances } = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  assert.deepEqual(TerminatingInstances, [{ InstanceId: id, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 48, Name: 'terminated' } }]);
  const listed = (await allInstances()).find((i) => i.InstanceId === id);
  assert.deepEqual(listed?.State, { Code: 48, Name: 'terminated' });
  assert.equal((await instance(id)).State?.Name, 'terminated');
  // Terminating it again is no error, as on AWS.
  const again = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  assert.deepEqual(again.TerminatingInstances, [{ InstanceId: id, PreviousState: { Code: 48, Name: 'terminated' }, CurrentState: { Code: 48, Name: 'terminated' } }]);
  await rejectsWith(ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-nope'] })), 'InvalidInstanceID.NotFound', 400);
});

test('key pairs: create, import, describe, delete, and their errors', async () => {
  const created = await ec2.send(new CreateKeyPairCommand({ KeyName: 'sdk-key' }));
  assert.equal(created.KeyName, 'sdk-key');
  assert.match(created.KeyMaterial!, /^-----BEGIN RSA PRIVATE KEY-----/);
  assert.match(created.KeyFingerprint!, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  await rejectsWith(ec2.send(new CreateKeyPairCommand({ KeyName: 'sdk-key' })), 'InvalidKeyPair.Duplicate', 400);

  const publicKey = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDVjQXdGJWxkw025GxoDL+OQa18ZDczU44ILCU8qeh deltacloud-test';
  const imported = await ec2.send(new ImportKeyPairCommand({ KeyName: 'sdk-imported', PublicKeyMaterial: Buffer.from(publicKey) }));
  assert.equal(imported.KeyName, 'sdk-imported');
  assert.ok(imported.KeyFingerprint);
  await rejectsWith(ec2.send(new ImportKeyPairCommand({ KeyName: 'sdk-bad', PublicKeyMaterial: Buffer.from('not a key') })), 'InvalidParameterValue', 400);

  const { KeyPairs } = await ec2.send(new DescribeKeyPairsCommand({}));
  assert.deepEqual(KeyPairs?.map((k) => k.KeyName).sort(), ['sdk-imported', 'sdk-key', 'test-key']);
  const one = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['sdk-key'] }));
  assert.equal(one.KeyPairs![0]!.KeyFingerprint, created.KeyFingerprint);
  const filtered = await ec2.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: ['sdk-*'] }] }));
  assert.equal(filtered.KeyPairs?.length, 2);
  await rejectsWith(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['nokey'] })), 'InvalidKeyPair.NotFound', 400);

  await ec2.send(new DeleteKeyPairCommand({ KeyName: 'sdk-key' }));
  await ec2.send(new DeleteKeyPairCommand({ KeyPairId: 'sdk-imported' }));
  await rejectsWith(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['sdk-key'] })), 'InvalidKeyPair.NotFound');
  // As on AWS, deleting a key pair that does not exist succeeds.
  await ec2.send(new DeleteKeyPairCommand({ KeyName: 'sdk-key' }));
  await rejectsWith(ec2.send(new DeleteKeyPairCommand({})), 'MissingParameter', 400);
});

test('volumes: create, describe, attach, detach, delete, and their errors', async () => {
  const created = await ec2.send(new CreateVolumeCommand({
    Size: 10, AvailabilityZone: 'us', TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'sdk-data' }] }],
  }));
  const id = created.VolumeId!;
  assert.equal(created.Size, 10);
  assert.equal(created.State, 'available');
  assert.deepEqual(created.Tags, [{ Key: 'Name', Value: 'sdk-data' }]);
  const byTag = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:Name', Values: ['sdk-data'] }] }));
  assert.deepEqual(byTag.Volumes?.map((v) => v.VolumeId), [id]);

  const attached = await ec2.send(new AttachVolumeCommand({ VolumeId: id, InstanceId: 'inst0', Device: '/dev/sdf' }));
  assert.deepEqual([attached.VolumeId, attached.InstanceId, attached.Device, attached.State], [id, 'inst0', '/dev/sdf', 'attached']);
  const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }));
  assert.equal(Volumes![0]!.State, 'in-use');
  assert.deepEqual(Volumes![0]!.Attachments?.map((a) => [a.InstanceId, a.Device, a.State]), [['inst0', '/dev/sdf', 'attached']]);
  const onInstance = await instance('inst0');
  assert.deepEqual(onInstance.BlockDeviceMappings?.map((b) => [b.DeviceName, b.Ebs?.VolumeId]), [['/dev/sdf', id]]);
  const inUse = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: ['inst0'] }] }));
  assert.deepEqual(inUse.Volumes?.map((v) => v.VolumeId), [id]);

  await rejectsWith(ec2.send(new AttachVolumeCommand({ VolumeId: id, InstanceId: 'inst2', Device: '/dev/sdg' })), 'VolumeInUse', 400);
  await rejectsWith(ec2.send(new DeleteVolumeCommand({ VolumeId: id })), 'VolumeInUse', 400);
  await rejectsWith(ec2.send(new AttachVolumeCommand({ VolumeId: 'vol2', InstanceId: 'i-nope', Device: '/dev/sdg' })), 'InvalidInstanceID.NotFound', 400);
  await rejectsWith(ec2.send(new AttachVolumeCommand({ VolumeId: 'vol-nope', InstanceId: 'inst0', Device: '/dev/sdg' })), 'InvalidVolume.NotFound', 400);

  const detached = await ec2.send(new DetachVolumeCommand({ VolumeId: id }));
  assert.deepEqual([detached.InstanceId, detached.State], ['inst0', 'detached']);
  await rejectsWith(ec2.send(new DetachVolumeCommand({ VolumeId: id })), 'IncorrectState', 400);
  await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
  await rejectsWith(ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] })), 'InvalidVolume.NotFound', 400);
  await rejectsWith(ec2.send(new DeleteVolumeCommand({ VolumeId: id })), 'InvalidVolume.NotFound', 400);
  await rejectsWith(ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us' })), 'MissingParameter', 400);
});

test('snapshots: create, describe, delete, and their errors', async () => {
  const created = await ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol1', Description: 'sdk backup' }));
  const id = created.SnapshotId!;
  assert.equal(created.VolumeId, 'vol1');
  assert.equal(created.State, 'completed');
  assert.equal(created.Description, 'sdk backup');
  assert.equal(created.VolumeSize, 1);
  const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
  assert.equal(Snapshots![0]!.Progress, '100%');
  const ofVol2 = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'volume-id', Values: ['vol2'] }] }));
  assert.deepEqual(ofVol2.Snapshots?.map((s) => s.SnapshotId).sort(), ['snap2', 'snap3']);
  await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
  await rejectsWith(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] })), 'InvalidSnapshot.NotFound', 400);
  await rejectsWith(ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })), 'InvalidSnapshot.NotFound', 400);
  await rejectsWith(ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol-nope' })), 'InvalidVolume.NotFound', 400);
});

test('addresses: allocate, associate, describe, disassociate, release, and their errors', async () => {
  const { PublicIp, AllocationId, Domain } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  assert.equal(PublicIp, '192.168.0.5');
  assert.equal(Domain, 'vpc');
  const { AssociationId } = await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: 'inst3' }));
  assert.ok(AssociationId);
  const { Addresses } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [AllocationId!] }));
  assert.deepEqual([Addresses![0]!.PublicIp, Addresses![0]!.InstanceId, Addresses![0]!.AssociationId], [PublicIp, 'inst3', AssociationId]);
  assert.equal((await instance('inst3')).PublicIpAddress, PublicIp);
  const byInstance = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: ['inst3'] }] }));
  assert.deepEqual(byInstance.Addresses?.map((a) => a.PublicIp), [PublicIp]);

  await rejectsWith(ec2.send(new ReleaseAddressCommand({ AllocationId })), 'InvalidIPAddress.InUse', 400);
  await rejectsWith(ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: 'inst0' })), 'Resource.AlreadyAssociated', 400);
  await rejectsWith(ec2.send(new AssociateAddressCommand({ AllocationId: 'eipalloc-nope', InstanceId: 'inst0' })), 'InvalidAllocationID.NotFound', 400);
  await rejectsWith(ec2.send(new AssociateAddressCommand({ PublicIp: '192.168.0.1', InstanceId: 'i-nope' })), 'InvalidInstanceID.NotFound', 400);

  await ec2.send(new DisassociateAddressCommand({ AssociationId }));
  await rejectsWith(ec2.send(new DisassociateAddressCommand({ AssociationId })), 'InvalidAssociationID.NotFound', 400);
  await ec2.send(new ReleaseAddressCommand({ AllocationId }));
  await rejectsWith(ec2.send(new DescribeAddressesCommand({ PublicIps: [PublicIp!] })), 'InvalidAddress.NotFound', 400);
  await rejectsWith(ec2.send(new ReleaseAddressCommand({ AllocationId })), 'InvalidAllocationID.NotFound', 400);
});

test('security groups: create, authorize, describe, revoke, delete, and their errors', async () => {
  const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'sdk-web', Description: 'web servers' }));
  assert.equal(GroupId, 'sdk-web');
  await rejectsWith(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'sdk-web', Description: 'again' })), 'InvalidGroup.Duplicate', 400);
  await rejectsWith(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'sdk-nodesc' } as never)), 'MissingParameter', 400);

  await ec2.send(new AuthorizeSecurityGroupIngressCommand({
    GroupId,
    IpPermissions: [
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8' }] },
      { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: 'default' }] },
    ],
  }));
  await rejectsWith(ec2.send(new AuthorizeSecurityGroupIngressCommand({
    GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
  })), 'InvalidPermission.Duplicate', 400);
  await rejectsWith(ec2.send(new AuthorizeSecurityGroupIngressCommand({
    GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 99, ToPort: 1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
  })), 'InvalidParameterValue', 400);

  const permissions = async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] }))).SecurityGroups![0]!.IpPermissions!
    .map((p) => [p.IpProtocol, p.FromPort, p.ToPort, (p.IpRanges ?? []).map((r) => r.CidrIp).sort(), (p.UserIdGroupPairs ?? []).map((g) => g.GroupName)]);
  assert.deepEqual(await permissions(), [
    ['tcp', 22, 22, ['0.0.0.0/0'], []],
    ['tcp', 80, 80, ['0.0.0.0/0', '10.0.0.0/8'], []],
    ['tcp', 8080, 8080, [], ['default']],
  ]);

  await ec2.send(new RevokeSecurityGroupIngressCommand({
    GroupName: 'sdk-web', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
  }));
  assert.deepEqual((await permissions())[1], ['tcp', 80, 80, ['0.0.0.0/0'], []]);
  await rejectsWith(ec2.send(new RevokeSecurityGroupIngressCommand({
    GroupId, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
  })), 'InvalidPermission.NotFound', 400);

  const byPort = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'ip-permission.from-port', Values: ['8080'] }] }));
  assert.deepEqual(byPort.SecurityGroups?.map((g) => g.GroupName), ['sdk-web']);
  await rejectsWith(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-nope'] })), 'InvalidGroup.NotFound', 400);

  await ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
  await rejectsWith(ec2.send(new DeleteSecurityGroupCommand({ GroupId })), 'InvalidGroup.NotFound', 400);
});

test('protocol errors: unknown or missing Action, DryRun', async () => {
  const unknown = await postForm(server.port, { Action: 'LaunchRockets' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.code, 'InvalidAction');
  assert.match(unknown.text, /^<\?xml[^>]*>\n<Response>\n {2}<Errors>\n {4}<Error>\n {6}<Code>InvalidAction<\/Code>\n {6}<Message>[^<]+<\/Message>/);
  assert.match(unknown.text, /<RequestID>[0-9a-f-]{36}<\/RequestID>/);
  const missing = await postForm(server.port, {});
  assert.equal(missing.code, 'MissingParameter');
  const count = (await allInstances()).length;
  await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: 'img1', MinCount: 1, MaxCount: 1, DryRun: true })), 'DryRunOperation', 412);
  assert.equal((await allInstances()).length, count, 'a dry run launches nothing');
});

test('responses: EC2 namespace, requestId first, text/xml, x-amzn-requestid', async () => {
  const res = await postForm(server.port, { Action: 'DescribeRegions' });
  assert.equal(res.status, 200);
  assert.match(res.text, /<DescribeRegionsResponse xmlns='http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/'>\n {2}<requestId>[0-9a-f-]{36}<\/requestId>\n {2}<regionInfo>/);
});

test('the Deltacloud API still answers beside /ec2', async () => {
  const res = await fetch(`${server.origin}/api/instances/inst0`, { headers: { Accept: 'application/json', Authorization: 'Basic ' + Buffer.from('mockuser:mockpassword').toString('base64') } });
  assert.equal(res.status, 200);
});
