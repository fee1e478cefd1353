// Unit tests of the mock driver (no HTTP). Each test gets its own data dir.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { RequestContext, type Driver } from '../../../src/core/driver.js';
import {
  AuthenticationFailure, BackendError, Conflict, CredentialsRequired, DeltacloudError, Forbidden, MethodNotAllowed,
  MissingParameter, NotFound, NotSupported, ProviderError, ProviderTimeout, ValidationFailure,
} from '../../../src/core/errors.js';
import type { Instance } from '../../../src/core/model.js';
import { STANDARD_STATE_MACHINE } from '../../../src/core/state-machine.js';
import { mockDriverFactory, resetMockStorage } from '../../../src/drivers/mock/index.js';

type MockDriver = Required<Driver>;

const signal = new AbortController().signal;
const ctx = new RequestContext(undefined, { user: 'mockuser', password: 'mockpassword' }, signal);
const anonymous = new RequestContext(undefined, undefined, signal);
const wrongPassword = new RequestContext(undefined, { user: 'mockuser', password: 'MockPassword' }, signal);
const wrongUser = new RequestContext(undefined, { user: 'someone', password: 'mockpassword' }, signal);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'deltacloud-mock-test-'));
}

async function load(dir: string): Promise<MockDriver> {
  return (await mockDriverFactory.load({ options: {}, dataDir: dir })) as MockDriver;
}

/** Runs `fn` with a driver on a fresh, seeded data dir, then removes the dir. */
async function withDriver(fn: (driver: MockDriver, dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const driver = await load(dir);
  try {
    await fn(driver, dir);
  } finally {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function createRequest(overrides: Partial<Parameters<MockDriver['create_instance']>[1]> = {}) {
  return { imageId: 'img1', profileOverrides: {}, firewallIds: [], params: {}, ...overrides };
}

async function createOne(driver: MockDriver, overrides: Parameters<typeof createRequest>[0] = {}): Promise<Instance> {
  const created = await driver.create_instance(ctx, createRequest(overrides));
  assert.equal(created.length, 1);
  return created[0]!;
}

/** An error matcher checking class, status and message. */
function failsWith(type: new (...args: never[]) => DeltacloudError, status: number, message?: string) {
  return (err: unknown) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    assert.equal(err.status, status);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stream of `total` random bytes in 64 KiB chunks; also returns their hash. */
function randomStream(total: number): { stream: Readable; digest: string } {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  for (let sent = 0; sent < total; sent += 65536) {
    const chunk = randomBytes(Math.min(65536, total - sent));
    hash.update(chunk);
    chunks.push(chunk);
  }
  return { stream: Readable.from(chunks), digest: hash.digest('hex') };
}

function upload(bucketId: string, blobId: string, data: Readable, extra: { contentType?: string; metadata?: Record<string, string>; contentLength?: number } = {}) {
  return { bucketId, blobId, data, contentType: extra.contentType ?? 'text/plain', metadata: extra.metadata ?? {}, contentLength: extra.contentLength };
}

test('declaration: id, name, features in order, standard state machine, no entry points', () => {
  const d = mockDriverFactory.declaration;
  assert.equal(d.id, 'mock');
  assert.equal(d.name, 'Mock');
  assert.deepEqual(d.features, { instances: ['metrics', 'realm_filter', 'user_name', 'authentication_key'] });
  assert.equal(d.stateMachine, STANDARD_STATE_MACHINE);
  assert.equal(d.entrypoints, undefined);
});

test('seed: instances with their quirks', async () => {
  await withDriver(async (driver) => {
    const instances = await driver.instances(ctx, {});
    assert.deepEqual(instances.map((i) => i.id), ['inst0', 'inst1', 'inst2', 'inst3']);
    const [inst0, inst1, inst2, inst3] = instances as [Instance, Instance, Instance, Instance];
    assert.equal(inst0.name, 'Mock Instance With Profile Change');
    assert.equal(inst0.hardwareProfileId, 'm1-large');
    assert.deepEqual(inst0.profileOverrides, { memory: '12288' });
    assert.deepEqual(inst0.networkInterfaceIds, []);
    assert.deepEqual(inst0.publicAddresses, [{ address: 'img1.inst0.public.com', type: 'hostname' }]);
    assert.equal(inst0.actions, undefined);
    assert.equal(inst0.canCreateImage, true);
    assert.equal(inst1.imageId, 'img3');
    assert.deepEqual(inst1.privateAddresses, [{ address: 'img1.inst1.private.com', type: 'hostname' }]);
    assert.deepEqual(inst1.networkInterfaceIds, ['nic1']);
    assert.deepEqual(inst1.storageVolumes, []);
    assert.equal(inst2.networkInterfaceIds, undefined);
    assert.equal(inst3.name, '');
    assert.equal(inst3.keyname, '');
    assert.equal(inst3.realmId, 'eu');
    assert.equal(inst3.canCreateImage, false);
    assert.deepEqual(inst3.networkInterfaceIds, ['nicinst3']);
    for (const i of instances) {
      assert.equal(i.ownerId, 'mockuser');
      assert.equal(i.state, 'RUNNING');
      assert.equal(i.firewallIds, undefined);
      assert.equal('userData' in i, false);
    }
  });
});

test('seed: images, keys, volumes, snapshots, addresses, networks', async () => {
  await withDriver(async (driver) => {
    const images = await driver.images(ctx, {});
    assert.deepEqual(images.map((i) => [i.id, i.ownerId, i.description, i.architecture]), [
      ['img1', 'fedoraproject', 'Fedora 10', 'x86_64'],
      ['img2', 'fedoraproject', 'Fedora 10', 'i386'],
      ['img3', 'mockuser', 'JBoss', 'i386'],
    ]);
    for (const i of images) {
      assert.deepEqual(i.hardwareProfileIds, ['m1-small', 'm1-large', 'm1-xlarge', 'opaque']);
      assert.equal(i.creationTime, 'Thu Oct 25 14:27:53 CEST 2012');
    }
    assert.deepEqual((await driver.images(ctx, { owner_id: 'self' })).map((i) => i.id), ['img3']);
    assert.deepEqual((await driver.images(ctx, { architecture: 'i386' })).map((i) => i.id), ['img2', 'img3']);

    const key = await driver.key(ctx, 'test-key');
    assert.ok(key);
    assert.equal(key.fingerprint, '5e:ce:b6:dc:59:3b:5c:93:f8:2e:9d:20:ce:60:ca:f5:0b:8a:66:93');
    // sha256 of the PEM as printed in mock-driver.md §4.5.
    assert.equal(sha256(Buffer.from(key.pem ?? '')), 'ee6a44c1c2ac710000e75a5a7bb3ab26ccbd2205c8b7a5318de908a6fde20402');
    assert.equal(key.name, undefined);

    const volumes = await driver.storage_volumes(ctx, {});
    assert.deepEqual(volumes.map((v) => [v.id, v.state, v.capacity, v.instanceId, v.device]), [
      ['vol1', 'AVAILABLE', 1, undefined, undefined],
      ['vol2', 'AVAILABLE', 1, undefined, undefined],
      ['vol3', 'IN-USE', 1, 'inst1', '/dev/sda1'],
    ]);
    assert.deepEqual((await driver.storage_snapshots(ctx, {})).map((s) => [s.id, s.volumeId]), [
      ['snap1', 'vol1'], ['snap2', 'vol2'], ['snap3', 'vol2'],
    ]);
    assert.deepEqual((await driver.addresses(ctx, {})).map((a) => [a.id, a.instanceId]), [
      ['192.168.0.1', undefined], ['192.168.0.2', undefined], ['192.168.0.3', undefined], ['192.168.0.4', undefined],
    ]);
    const net1 = await driver.network(ctx, 'net1');
    assert.deepEqual(net1, { id: 'net1', name: 'network1', addressBlocks: ['192.168.0.0/16'], subnetIds: ['subnet1', 'subnet2'], state: 'UP' });
    assert.deepEqual((await driver.subnets(ctx, { id: 'subnet3' })).map((s) => [s.networkId, s.addressBlock, s.type]), [['net2', '10.1.0.0/16', 'PRIVATE']]);
    assert.deepEqual(await driver.network_interface(ctx, 'nicinst3'), {
      id: 'nicinst3', name: 'nicinst3', ipAddress: '192.168.2.189', networkId: 'net1', instanceId: 'inst3',
    });
  });
});

test('seed: buckets and blobs, content as files', async () => {
  await withDriver(async (driver, dir) => {
    const buckets = await driver.buckets(ctx, {});
    assert.deepEqual(buckets, [
      { id: 'bucket1', name: 'bucket1', size: 3, blobIds: ['blob1', 'blob2', 'blob3'] },
      { id: 'bucket2', name: 'bucket2', size: 2, blobIds: ['blob4', 'blob5'] },
    ]);
    const blob1 = await driver.blob(ctx, 'bucket1', 'blob1');
    assert.deepEqual(blob1, {
      id: 'blob1', bucketId: 'bucket1', contentLength: 17, contentType: 'text/plain',
      lastModified: '2010-09-23 16:44:54 +0100', userMetadata: { SOMENEWKEY: 'NEWVALUE' }, content: 'content of blob 1',
    });
    const blob2 = await driver.blob(ctx, 'bucket1', 'blob2');
    assert.equal(blob2?.contentLength, 56);
    assert.equal(blob2?.content, '<html><head></head><body>content of blob 2</body></html>');
    assert.deepEqual(await driver.blob_metadata(ctx, 'bucket1', 'blob3'), {});
    assert.deepEqual(await driver.blob_metadata(ctx, 'bucket2', 'blob5'), {});
    assert.equal(await driver.blob(ctx, 'bucket2', 'blob1'), undefined, 'blobs are keyed by bucket too');
    const data = await driver.blob_data(ctx, 'bucket2', 'blob4');
    assert.ok(data);
    assert.equal(data.contentType, 'application/octet-stream');
    assert.equal(data.contentLength, 17);
    assert.equal((await readAll(data.stream)).toString(), 'content of blob 4');
    assert.equal(readdirSync(join(dir, 'blobs')).length, 5);
  });
});

test('seed: realms, hardware profiles, firewall and load balancer additions', async () => {
  await withDriver(async (driver) => {
    assert.deepEqual(await driver.realms(ctx, {}), [
      { id: 'us', name: 'United States', state: 'AVAILABLE' },
      { id: 'eu', name: 'Europe', state: 'AVAILABLE' },
    ]);
    assert.deepEqual((await driver.realms(ctx, { id: 'eu' })).map((r) => r.id), ['eu']);
    assert.equal(await driver.realm(ctx, 'nonexist'), undefined);
    const profiles = await driver.hardware_profiles(anonymous, {});
    assert.deepEqual(profiles.map((p) => p.id), ['m1-small', 'm1-large', 'm1-xlarge', 'opaque']);
    const large = await driver.hardware_profile(anonymous, 'm1-large');
    assert.deepEqual(large?.properties.find((p) => p.name === 'memory'), { name: 'memory', kind: 'range', value: 10240, first: 7680, last: 15360 });
    assert.equal((await driver.hardware_profile(anonymous, 'm1-small'))?.properties[1]?.value, 1740.8);
    assert.deepEqual((await driver.hardware_profiles(anonymous, { architecture: 'x86_64' })).map((p) => p.id), ['m1-large', 'm1-xlarge']);
    assert.deepEqual((await driver.hardware_profiles(anonymous, { architecture: 'i386', id: 'm1-small' })).map((p) => p.id), ['m1-small']);

    const firewalls = await driver.firewalls(ctx, {});
    assert.deepEqual(firewalls, [{
      id: 'default', name: 'default', description: 'default group', ownerId: 'mockuser',
      rules: [{
        id: 'mockuser~tcp~22~22~@address,ipv4,0.0.0.0,0', protocol: 'tcp', portFrom: '22', portTo: '22', direction: 'ingress',
        sources: [{ type: 'address', family: 'ipv4', address: '0.0.0.0', prefix: '0' }],
      }],
    }]);
    const lb1 = await driver.load_balancer(ctx, 'lb1');
    assert.deepEqual(lb1, {
      id: 'lb1', realmIds: ['us'], listeners: [{ protocol: 'HTTP', loadBalancerPort: '80', instancePort: '8080' }],
      instances: [], publicAddresses: ['lb1.mock.example.com'], createdAt: 'Thu Oct 25 14:27:53 UTC 2012',
    });
  });
});

test('storage: one SQLite file in WAL mode, data dir created with mode 0750', async () => {
  const parent = tempDir();
  const dir = join(parent, 'nested', 'mock');
  const driver = await load(dir);
  try {
    const db = new Database(join(dir, 'mock.sqlite3'), { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    const { statSync } = await import('node:fs');
    assert.equal(statSync(dir).mode & 0o777, 0o750);
  } finally {
    await driver.close();
    rmSync(parent, { recursive: true, force: true });
  }
});

test('persistence: changes survive close and reopen, the seed is never re-applied', async () => {
  const dir = tempDir();
  try {
    let driver = await load(dir);
    const created = await createOne(driver, { name: 'survivor' });
    await driver.destroy_image(ctx, 'img1');
    await driver.destroy_image(ctx, 'img2');
    await driver.destroy_image(ctx, 'img3');
    await driver.create_blob(ctx, upload('bucket1', 'kept', Readable.from([Buffer.from('kept data')])));
    await driver.close();

    driver = await load(dir);
    assert.equal((await driver.instance(ctx, created.id))?.name, 'survivor');
    assert.deepEqual(await driver.images(ctx, {}), [], 'deleting every image must not bring the seed back');
    assert.equal((await driver.blob(ctx, 'bucket1', 'kept'))?.content, 'kept data');
    await driver.close();

    await resetMockStorage(dir);
    driver = await load(dir);
    assert.equal(await driver.instance(ctx, created.id), undefined);
    assert.deepEqual((await driver.images(ctx, {})).map((i) => i.id), ['img1', 'img2', 'img3']);
    assert.equal(await driver.blob(ctx, 'bucket1', 'kept'), undefined);
    assert.equal(readdirSync(join(dir, 'blobs')).length, 5, 'reset removes the old content files');
    await driver.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('credentials: missing → 401 challenge, wrong → Authentication Failure, static profiles need none', async () => {
  await withDriver(async (driver) => {
    const calls: Array<(c: RequestContext) => Promise<unknown>> = [
      (c) => driver.realms(c, {}), (c) => driver.realm(c, 'us'), (c) => driver.images(c, {}), (c) => driver.instances(c, {}),
      (c) => driver.instance(c, 'inst0'), (c) => driver.keys(c, {}), (c) => driver.storage_volumes(c, {}),
      (c) => driver.storage_snapshots(c, {}), (c) => driver.buckets(c, {}), (c) => driver.blob(c, 'bucket1', 'blob1'),
      (c) => driver.blob_data(c, 'bucket1', 'blob1'), (c) => driver.blob_metadata(c, 'bucket1', 'blob1'),
      (c) => driver.addresses(c, {}), (c) => driver.networks(c, {}), (c) => driver.subnets(c, {}),
      (c) => driver.network_interfaces(c, {}), (c) => driver.metrics(c, {}), (c) => driver.metric(c, 'inst0'),
      (c) => driver.firewalls(c, {}), (c) => driver.load_balancers(c, {}), (c) => driver.stop_instance(c, 'inst0'),
      (c) => driver.run_on_instance(c, { id: 'inst0', cmd: 'ls' }), (c) => driver.verify_credentials(c),
    ];
    for (const call of calls) {
      await assert.rejects(call(anonymous), failsWith(CredentialsRequired, 401));
      await assert.rejects(call(wrongPassword), failsWith(AuthenticationFailure, 401, 'Authentication Failure'));
      await assert.rejects(call(wrongUser), failsWith(AuthenticationFailure, 401, 'Authentication Failure'));
    }
    assert.equal((await driver.instance(ctx, 'inst0'))?.state, 'RUNNING', 'rejected calls changed nothing');
    await driver.verify_credentials(ctx);
    assert.equal((await driver.hardware_profiles(anonymous, {})).length, 4);
  });
});

test('realms: error test hooks in show and filtered list', async () => {
  await withDriver(async (driver) => {
    const hooks: Array<[string, new (...args: never[]) => DeltacloudError, number, string]> = [
      ['500', DeltacloudError, 500, 'DeltacloudErrorMessage'],
      ['501', NotSupported, 501, 'NotImplementedMessage'],
      ['502', ProviderError, 502, 'ProviderErrorMessage'],
      ['504', ProviderTimeout, 504, 'ProviderTimeoutMessage'],
    ];
    for (const [id, type, status, message] of hooks) {
      await assert.rejects(driver.realm(ctx, id), failsWith(type, status, message));
      await assert.rejects(driver.realms(ctx, { id }), failsWith(type, status, message));
    }
    await assert.rejects(driver.realm(anonymous, '500'), failsWith(CredentialsRequired, 401));
  });
});

test('instances: create allocates inst4, inst5, … and never reuses an id, also after a restart', async () => {
  await withDriver(async (driver, dir) => {
    const before = Math.floor(Date.now() / 1000);
    const inst4 = await createOne(driver);
    assert.equal(inst4.id, 'inst4');
    assert.match(inst4.name ?? '', /^i-\d+$/);
    assert.ok(Number(inst4.name?.slice(2)) >= before);
    assert.equal(inst4.state, 'RUNNING');
    assert.equal(inst4.ownerId, 'mockuser');
    assert.equal(inst4.realmId, 'us');
    assert.equal(inst4.hardwareProfileId, 'm1-small');
    assert.deepEqual(inst4.publicAddresses, [{ address: 'img1.inst4.public.com', type: 'hostname' }]);
    assert.deepEqual(inst4.privateAddresses, [{ address: 'img1.inst4.private.com', type: 'hostname' }]);
    assert.deepEqual(inst4.storageVolumes, []);
    assert.equal(inst4.networkInterfaceIds, undefined);
    assert.equal(inst4.canCreateImage, true);
    assert.equal(inst4.actions, undefined);

    assert.equal((await createOne(driver)).id, 'inst5');
    assert.equal((await createOne(driver)).id, 'inst6');
    await driver.stop_instance(ctx, 'inst4');
    await driver.destroy_instance(ctx, 'inst4');
    assert.equal(await driver.instance(ctx, 'inst4'), undefined);
    assert.equal((await createOne(driver)).id, 'inst7');
    // The highest id destroyed, then a restart: still not issued again.
    await driver.stop_instance(ctx, 'inst7');
    await driver.destroy_instance(ctx, 'inst7');
    await driver.close();
    const restarted = await load(dir);
    try {
      assert.equal((await createOne(restarted)).id, 'inst8');
    } finally {
      await restarted.close();
    }
  });
});

test('made-up ids are never reused after a delete: volumes, snapshots, networks, interfaces (same second, clock going back), addresses', async (t) => {
  let now = 1_700_000_000_000;
  t.mock.method(Date, 'now', () => now);
  await withDriver(async (driver) => {
    const volume = await driver.create_storage_volume(ctx, {});
    assert.equal(volume.id, 'volume_1700000000');
    await driver.destroy_storage_volume(ctx, volume.id);
    assert.equal((await driver.create_storage_volume(ctx, {})).id, 'volume_1700000000_2');
    now -= 10_000;
    assert.equal((await driver.create_storage_volume(ctx, {})).id, 'volume_1700000000_3', 'the clock went back');
    now += 20_000;
    assert.equal((await driver.create_storage_volume(ctx, {})).id, 'volume_1700000010');

    const snapshot = await driver.create_storage_snapshot(ctx, { volumeId: 'vol1' });
    await driver.destroy_storage_snapshot(ctx, snapshot.id);
    assert.notEqual((await driver.create_storage_snapshot(ctx, { volumeId: 'vol1' })).id, snapshot.id);

    const network = await driver.create_network(ctx, { addressBlock: '10.5.0.0/16' });
    await driver.destroy_network(ctx, network.id);
    assert.notEqual((await driver.create_network(ctx, { addressBlock: '10.5.0.0/16' })).id, network.id);

    const nic = await driver.create_network_interface(ctx, { instanceId: 'inst0', networkId: 'net1', params: { subnet: 'subnet1' } });
    await driver.destroy_network_interface(ctx, nic.id);
    assert.notEqual((await driver.create_network_interface(ctx, { instanceId: 'inst0', networkId: 'net1', params: { subnet: 'subnet1' } })).id, nic.id);

    const address = await driver.create_address(ctx);
    assert.equal(address.id, '192.168.0.5');
    await driver.destroy_address(ctx, address.id);
    assert.equal((await driver.create_address(ctx)).id, '192.168.0.6');
  });
});

test('instances: create parameters, overrides, initial_state, user_data never shown, bad profile', async () => {
  await withDriver(async (driver) => {
    const inst = await createOne(driver, {
      imageId: 'unknown-image', realmId: 'eu', hardwareProfileId: 'm1-large', name: 'web', keyname: 'test-key',
      profileOverrides: { memory: '999999', cpu: '2' }, userData: Buffer.from('secret'),
      params: { image_id: 'unknown-image', hwp_storage: '1024', initial_state: 'STOPPED', user_data: 'c2VjcmV0' },
    });
    assert.equal(inst.name, 'web');
    assert.equal(inst.imageId, 'unknown-image');
    assert.equal(inst.realmId, 'eu');
    assert.equal(inst.keyname, 'test-key');
    assert.equal(inst.state, 'STOPPED');
    assert.deepEqual(inst.profileOverrides, { memory: '999999', storage: '1024', cpu: '2' });
    assert.deepEqual(Object.keys(inst.profileOverrides ?? {}), ['memory', 'storage', 'cpu']);
    const shown = JSON.stringify(await driver.instance(ctx, inst.id));
    assert.equal(shown.includes('secret') || shown.includes('c2VjcmV0'), false);

    assert.equal((await createOne(driver, { params: { initial_state: 'STARTED' } })).state, 'RUNNING');
    await assert.rejects(
      driver.create_instance(ctx, createRequest({ hardwareProfileId: 'bogus' })),
      failsWith(ValidationFailure, 400, "Hardware profile 'bogus' does not exists."),
    );
  });
});

test('instances: list filters by id, state and realm', async () => {
  await withDriver(async (driver) => {
    await driver.stop_instance(ctx, 'inst2');
    assert.deepEqual((await driver.instances(ctx, { state: 'STOPPED' })).map((i) => i.id), ['inst2']);
    assert.deepEqual((await driver.instances(ctx, { realm_id: 'eu' })).map((i) => i.id), ['inst3']);
    assert.deepEqual((await driver.instances(ctx, { id: 'inst1', state: 'RUNNING' })).map((i) => i.id), ['inst1']);
    assert.deepEqual(await driver.instances(ctx, { id: 'inst1', state: 'STOPPED' }), []);
  });
});

test('instances: stop, start, reboot change the state; destroy removes network interfaces', async () => {
  await withDriver(async (driver) => {
    assert.equal((await driver.stop_instance(ctx, 'inst1')).state, 'STOPPED');
    assert.equal((await driver.instance(ctx, 'inst1'))?.state, 'STOPPED');
    assert.equal((await driver.start_instance(ctx, 'inst1')).state, 'RUNNING');
    assert.equal((await driver.reboot_instance(ctx, 'inst1')).state, 'RUNNING');
    await driver.stop_instance(ctx, 'inst1');
    await driver.destroy_instance(ctx, 'inst1');
    assert.equal(await driver.instance(ctx, 'inst1'), undefined);
    assert.equal(await driver.network_interface(ctx, 'nic1'), undefined);
    assert.deepEqual((await driver.network_interfaces(ctx, {})).map((n) => n.id), ['nicinst3']);
    // Volumes keep pointing at the destroyed instance (original behaviour).
    assert.equal((await driver.storage_volume(ctx, 'vol3'))?.instanceId, 'inst1');
    await assert.rejects(driver.start_instance(ctx, 'inst1'), failsWith(NotFound, 404));
    await assert.rejects(driver.destroy_instance(ctx, 'nope'), failsWith(NotFound, 404));
  });
});

test('instances: run returns the mock output with the first public address or ip', async () => {
  await withDriver(async (driver) => {
    assert.deepEqual(await driver.run_on_instance(ctx, { id: 'inst1', cmd: 'uname -a' }), {
      instanceId: 'inst1',
      publicAddress: 'img1.inst1.public.com',
      command: 'uname -a',
      output: "This is where the output from 'uname -a' would appear if this were not a mock provider",
    });
    assert.equal((await driver.run_on_instance(ctx, { id: 'inst1', cmd: 'ls', ip: '10.0.0.9' })).publicAddress, '10.0.0.9');
    await assert.rejects(driver.run_on_instance(ctx, { id: 'nope', cmd: 'ls' }), failsWith(NotFound, 404));
  });
});

test('images: create from an instance, errors, destroy', async () => {
  await withDriver(async (driver) => {
    const image = await driver.create_image(ctx, { instanceId: 'inst1', name: 'myimg', description: 'my image' });
    assert.deepEqual(image, {
      id: 'myimg', name: 'myimg', ownerId: 'root', state: 'AVAILABLE', architecture: 'i386', description: 'my image',
      hardwareProfileIds: ['m1-small', 'm1-large', 'm1-xlarge', 'opaque'],
    });
    assert.deepEqual((await driver.images(ctx, {})).map((i) => i.id), ['img1', 'img2', 'img3', 'myimg']);
    await assert.rejects(driver.create_image(ctx, { instanceId: 'nope', name: 'x' }), failsWith(NotFound, 404, 'NotFound'));
    await assert.rejects(driver.create_image(ctx, { instanceId: 'inst3', name: 'x' }), failsWith(BackendError, 500, 'CreateImageNotSupported'));
    await assert.rejects(driver.create_image(ctx, { instanceId: 'inst1' }), failsWith(MissingParameter, 400));
    await driver.destroy_image(ctx, 'myimg');
    assert.equal(await driver.image(ctx, 'myimg'), undefined);
    await driver.destroy_image(ctx, 'never-existed'); // 204 for unknown ids (original)
  });
});

test('keys: create with fake material, duplicate forbidden, destroy unknown → 404', async () => {
  await withDriver(async (driver) => {
    const key = await driver.create_key(ctx, { name: 'mine' });
    assert.equal(key.id, 'mine');
    assert.equal(key.credentialType, 'key');
    assert.match(key.fingerprint ?? '', /^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/);
    const lines = (key.pem ?? '').split('\n');
    assert.equal(lines.length, 23);
    assert.equal(lines[0], '-----BEGIN RSA PRIVATE KEY-----');
    for (const line of lines.slice(1, 22)) assert.match(line, /^[a-zA-Z0-9=/+]{75}$/);
    assert.match(lines[22] ?? '', /^[a-zA-Z0-9=/+]{68}-----END RSA PRIVATE KEY-----$/);
    assert.deepEqual(await driver.key(ctx, 'mine'), key);
    await assert.rejects(driver.create_key(ctx, { name: 'test-key' }), failsWith(Forbidden, 403, 'Key with same name already exists'));
    await driver.destroy_key(ctx, 'mine');
    assert.deepEqual((await driver.keys(ctx, {})).map((k) => k.id), ['test-key']);
    await assert.rejects(driver.destroy_key(ctx, 'mine'), failsWith(NotFound, 404));
  });
});

test('volumes: unique time-based ids, attach and detach update volume and instance', async () => {
  await withDriver(async (driver) => {
    const volumes = await Promise.all([1, 2, 3].map(() => driver.create_storage_volume(ctx, {})));
    const ids = volumes.map((v) => v.id);
    assert.equal(new Set(ids).size, 3);
    for (const v of volumes) {
      assert.match(v.id, /^volume_\d+(_\d+)?$/);
      assert.equal(v.name, `Volume${v.id}`);
      assert.equal(v.capacity, '1');
      assert.equal(v.state, 'AVAILABLE');
      assert.match(v.created ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/);
      assert.equal(v.realmId, undefined);
    }
    assert.equal((await driver.create_storage_volume(ctx, { capacity: '10', name: 'data' })).name, 'data');

    const attached = await driver.attach_storage_volume(ctx, { id: 'vol1', instanceId: 'inst2', device: '/dev/sdb' });
    assert.deepEqual([attached.state, attached.instanceId, attached.device], ['IN-USE', 'inst2', '/dev/sdb']);
    assert.deepEqual((await driver.instance(ctx, 'inst2'))?.storageVolumes, [{ id: 'vol1', device: '/dev/sdb' }]);

    const detached = await driver.detach_storage_volume(ctx, { id: 'vol1' });
    assert.deepEqual([detached.state, detached.instanceId, detached.device], ['AVAILABLE', undefined, undefined]);
    assert.deepEqual((await driver.instance(ctx, 'inst2'))?.storageVolumes, []);
    await assert.rejects(driver.detach_storage_volume(ctx, { id: 'vol1' }), failsWith(MethodNotAllowed, 405));
    await assert.rejects(driver.attach_storage_volume(ctx, { id: 'nope', instanceId: 'inst2', device: '/dev/sdc' }), failsWith(NotFound, 404));
    await assert.rejects(driver.attach_storage_volume(ctx, { id: 'vol2', instanceId: 'nope', device: '/dev/sdc' }), failsWith(NotFound, 404));
    assert.equal((await driver.storage_volume(ctx, 'vol2'))?.state, 'AVAILABLE', 'failed attach changed nothing');

    await driver.destroy_storage_volume(ctx, ids[0]!);
    assert.equal(await driver.storage_volume(ctx, ids[0]!), undefined);
  });
});

test('snapshots: create hides name and description, destroy', async () => {
  await withDriver(async (driver) => {
    const snapshot = await driver.create_storage_snapshot(ctx, { volumeId: 'vol1', name: 'n', description: 'd' });
    assert.match(snapshot.id, /^store_snapshot_\d+$/);
    assert.equal(snapshot.state, 'COMPLETED');
    assert.equal(snapshot.volumeId, 'vol1');
    assert.equal(snapshot.name, undefined);
    assert.equal((await driver.storage_snapshot(ctx, snapshot.id))?.description, undefined);
    const second = await driver.create_storage_snapshot(ctx, { volumeId: 'vol2' });
    assert.notEqual(second.id, snapshot.id);
    await driver.destroy_storage_snapshot(ctx, snapshot.id);
    assert.equal(await driver.storage_snapshot(ctx, snapshot.id), undefined);
  });
});

test('addresses: allocate, associate, disassociate and their errors', async () => {
  await withDriver(async (driver) => {
    assert.deepEqual(await driver.create_address(ctx), { id: '192.168.0.5' });
    assert.deepEqual(await driver.create_address(ctx), { id: '192.168.0.6' });

    await driver.associate_address(ctx, { id: '192.168.0.1', instanceId: 'inst1' });
    assert.equal((await driver.address(ctx, '192.168.0.1'))?.instanceId, 'inst1');
    assert.deepEqual((await driver.instance(ctx, 'inst1'))?.publicAddresses, [{ address: '192.168.0.1', type: 'ipv4' }]);
    await assert.rejects(driver.associate_address(ctx, { id: '192.168.0.1', instanceId: 'inst2' }), failsWith(Forbidden, 403, 'AddressInUse'));
    await assert.rejects(driver.destroy_address(ctx, '192.168.0.1'), failsWith(Forbidden, 403, 'AddressInUse'));
    await assert.rejects(driver.associate_address(ctx, { id: '192.168.0.2', instanceId: 'nope' }), failsWith(NotFound, 404));
    await assert.rejects(driver.associate_address(ctx, { id: '10.9.9.9', instanceId: 'inst1' }), failsWith(NotFound, 404));

    await driver.disassociate_address(ctx, '192.168.0.1');
    assert.equal((await driver.address(ctx, '192.168.0.1'))?.instanceId, undefined);
    // Reset from the instance's image id (img3), not the seed's quirky img1.
    assert.deepEqual((await driver.instance(ctx, 'inst1'))?.publicAddresses, [{ address: 'img3.inst1.public.com', type: 'hostname' }]);
    await assert.rejects(driver.disassociate_address(ctx, '192.168.0.1'), failsWith(Forbidden, 403, 'AddressNotInUse'));

    await driver.destroy_address(ctx, '192.168.0.6');
    await assert.rejects(driver.destroy_address(ctx, '192.168.0.6'), failsWith(NotFound, 404));
    assert.equal((await driver.create_address(ctx)).id, '192.168.0.7', 'a released address is not allocated again');
  });
});

test('buckets: create, delete errors, size bookkeeping', async () => {
  await withDriver(async (driver) => {
    assert.deepEqual(await driver.create_bucket(ctx, { name: 'newb' }), { id: 'newb', name: 'newb', size: '0', blobIds: [] });
    await assert.rejects(driver.delete_bucket(ctx, 'nope'), failsWith(NotFound, 404, 'BucketNotExist'));
    await assert.rejects(driver.delete_bucket(ctx, 'bucket1'), failsWith(Forbidden, 403, 'Delete operation not valid for non-empty bucket'));
    await assert.rejects(
      driver.create_blob(ctx, upload('nope', 'b', Readable.from([Buffer.from('x')]))),
      failsWith(NotFound, 404, 'BucketNotExist'),
    );
    await assert.rejects(driver.delete_blob(ctx, 'bucket1', 'nope'), failsWith(NotFound, 404, 'Could not delete a non existent blob'));

    const blob = await driver.create_blob(ctx, upload('newb', 'hello', Readable.from([Buffer.from('hello '), Buffer.from('world')]), {
      contentType: 'text/plain', metadata: { author: 'me' },
    }));
    assert.equal(blob.contentLength, 11);
    assert.equal(blob.content, 'hello world');
    assert.deepEqual(blob.userMetadata, { author: 'me' });
    assert.match(blob.lastModified ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/);
    assert.deepEqual(await driver.bucket(ctx, 'newb'), { id: 'newb', name: 'newb', size: 1, blobIds: ['hello'] });
    // Overwriting counts again (original quirk).
    await driver.create_blob(ctx, upload('newb', 'hello', Readable.from([Buffer.from('again')])));
    assert.equal((await driver.bucket(ctx, 'newb'))?.size, 2);
    assert.equal((await driver.blob(ctx, 'newb', 'hello'))?.content, 'again');

    assert.equal(await driver.update_blob_metadata(ctx, 'newb', 'hello', { version: '2' }), true);
    assert.deepEqual(await driver.blob_metadata(ctx, 'newb', 'hello'), { version: '2' });
    assert.equal(await driver.update_blob_metadata(ctx, 'newb', 'nope', { version: '2' }), false);
    assert.equal(await driver.blob_metadata(ctx, 'newb', 'nope'), undefined);
    assert.equal(await driver.blob_data(ctx, 'newb', 'nope'), undefined);

    await driver.delete_blob(ctx, 'newb', 'hello');
    assert.equal((await driver.bucket(ctx, 'newb'))?.size, 1);
    await driver.delete_bucket(ctx, 'newb');
    assert.equal(await driver.bucket(ctx, 'newb'), undefined);
  });
});

test('blobs: a multi-MiB upload streams to disk byte-exact and streams back', async () => {
  await withDriver(async (driver, dir) => {
    const size = 12 * 1024 * 1024 + 12345;
    const { stream, digest } = randomStream(size);
    const blob = await driver.create_blob(ctx, upload('bucket2', 'big.bin', stream, { contentType: 'application/x-big', contentLength: size }));
    assert.equal(blob.contentLength, size);
    assert.equal(blob.content, null, 'large blobs are not inlined');
    assert.equal((await driver.bucket(ctx, 'bucket2'))?.size, 3);
    const data = await driver.blob_data(ctx, 'bucket2', 'big.bin');
    assert.ok(data);
    assert.equal(data.contentLength, size);
    assert.equal(data.contentType, 'application/x-big');
    assert.equal(sha256(await readAll(data.stream)), digest);
    const names = readdirSync(join(dir, 'blobs'));
    assert.equal(names.length, 6);
    assert.ok(names.every((n) => /^[0-9a-f]{64}\.[0-9a-f]{12}$/.test(n)), 'content files never use client-supplied names');
  });
});

test('blobs: a failed upload leaves the old blob intact and no temp file', async () => {
  await withDriver(async (driver, dir) => {
    await driver.create_blob(ctx, upload('bucket1', 'doc', Readable.from([Buffer.from('old content')])));
    const sizeBefore = (await driver.bucket(ctx, 'bucket1'))?.size;

    async function* failing() {
      yield randomBytes(256 * 1024);
      throw new Error('client went away');
    }
    await assert.rejects(driver.create_blob(ctx, upload('bucket1', 'doc', Readable.from(failing()))), /client went away/);
    // A body shorter than its Content-Length is a failed upload too.
    await assert.rejects(
      driver.create_blob(ctx, upload('bucket1', 'doc', Readable.from([Buffer.from('short')]), { contentLength: 100 })),
      failsWith(ValidationFailure, 400),
    );
    const aborted = new AbortController();
    aborted.abort();
    const abortedCtx = new RequestContext(undefined, ctx.credentials, aborted.signal);
    await assert.rejects(driver.create_blob(abortedCtx, upload('bucket1', 'doc', Readable.from([Buffer.from('new')]))));

    assert.equal((await driver.blob(ctx, 'bucket1', 'doc'))?.content, 'old content');
    assert.equal((await readAll((await driver.blob_data(ctx, 'bucket1', 'doc'))!.stream)).toString(), 'old content');
    assert.equal((await driver.bucket(ctx, 'bucket1'))?.size, sizeBefore);
    const names = readdirSync(join(dir, 'blobs'));
    assert.equal(names.filter((n) => n.endsWith('.tmp')).length, 0);
    assert.equal(names.length, 6);
  });
});

test('networks, subnets and network interfaces', async () => {
  await withDriver(async (driver) => {
    const net = await driver.create_network(ctx, { addressBlock: '172.16.0.0/12' });
    assert.match(net.id, /^net_\d+$/);
    assert.deepEqual(net, { id: net.id, name: net.id, addressBlocks: ['172.16.0.0/12'], subnetIds: [], state: 'UP' });
    assert.deepEqual((await driver.create_network(ctx, { name: 'plain' })).addressBlocks, [null]);

    const subnet = await driver.create_subnet(ctx, { networkId: net.id, addressBlock: '172.16.5.0/24', name: 'sub-a' });
    assert.deepEqual(subnet, { id: 'sub-a', name: 'sub-a', networkId: net.id, addressBlock: '172.16.5.0/24', state: 'UP', type: null });
    assert.deepEqual((await driver.network(ctx, net.id))?.subnetIds, ['sub-a']);
    await assert.rejects(driver.create_subnet(ctx, { networkId: 'nope', addressBlock: '1.2.3.0/24' }), failsWith(NotFound, 404));

    const nic = await driver.create_network_interface(ctx, { instanceId: 'inst2', networkId: 'sub-a', name: '', params: { subnet: 'sub-a' } });
    assert.match(nic.id, /^nic_\d+$/);
    assert.match(nic.ipAddress ?? '', /^172\.16\.5\.\d{1,3}$/);
    assert.deepEqual((await driver.instance(ctx, 'inst2'))?.networkInterfaceIds, [nic.id]);
    await assert.rejects(
      driver.create_network_interface(ctx, { instanceId: 'inst2', networkId: 'sub-a', params: {} }),
      failsWith(MissingParameter, 400),
    );
    await assert.rejects(driver.create_network_interface(ctx, { instanceId: 'inst2', networkId: 'x', params: { subnet: 'nope' } }), failsWith(NotFound, 404));
    await assert.rejects(driver.create_network_interface(ctx, { instanceId: 'nope', networkId: 'x', params: { subnet: 'sub-a' } }), failsWith(NotFound, 404));

    await driver.destroy_network_interface(ctx, nic.id);
    assert.deepEqual((await driver.instance(ctx, 'inst2'))?.networkInterfaceIds, []);
    await assert.rejects(driver.destroy_network_interface(ctx, nic.id), failsWith(NotFound, 404));

    await driver.destroy_subnet(ctx, 'subnet1');
    assert.deepEqual((await driver.network(ctx, 'net1'))?.subnetIds, ['subnet2']);
    await driver.destroy_network(ctx, 'net2');
    assert.deepEqual((await driver.subnets(ctx, {})).map((s) => s.id), ['sub-a', 'subnet2']);
    await assert.rejects(driver.destroy_network(ctx, 'net2'), failsWith(NotFound, 404));
  });
});

test('firewalls: create, rules with encoded ids, instance membership, delete', async () => {
  await withDriver(async (driver) => {
    const created = await driver.create_firewall(ctx, { name: 'web', description: 'web servers' });
    assert.deepEqual(created, { id: 'web', name: 'web', description: 'web servers', ownerId: 'mockuser', rules: [] });
    await assert.rejects(driver.create_firewall(ctx, { name: 'web', description: 'again' }), failsWith(Forbidden, 403, 'Firewall with same name already exists'));

    const updated = await driver.create_firewall_rule(ctx, {
      firewallId: 'web', protocol: 'tcp', portFrom: '80', portTo: '443', addresses: ['10.0.0.0/8'], groups: { default: 'mockuser' },
    });
    const rule = updated.rules[0]!;
    assert.equal(rule.id, 'mockuser~tcp~80~443~@address,ipv4,10.0.0.0,8,@group,mockuser,default');
    assert.deepEqual(rule.sources, [
      { type: 'address', family: 'ipv4', address: '10.0.0.0', prefix: '8' },
      { type: 'group', name: 'default', owner: 'mockuser' },
    ]);
    assert.equal(rule.direction, 'ingress');
    await assert.rejects(
      driver.create_firewall_rule(ctx, { firewallId: 'web', protocol: 'tcp', portFrom: '80', portTo: '443', addresses: ['10.0.0.0/8'], groups: { default: 'mockuser' } }),
      failsWith(Conflict, 409),
    );
    await assert.rejects(
      driver.create_firewall_rule(ctx, { firewallId: 'web', protocol: 'udp', portFrom: '53', portTo: '53', addresses: [], groups: {} }),
      failsWith(ValidationFailure, 400, 'No sources. Specify at least one source ip address or group.'),
    );
    await assert.rejects(
      driver.create_firewall_rule(ctx, { firewallId: 'nope', protocol: 'tcp', portFrom: '1', portTo: '1', addresses: ['1.1.1.1/32'], groups: {} }),
      failsWith(NotFound, 404),
    );

    const inst = await createOne(driver, { firewallIds: ['web', 'default'] });
    assert.deepEqual(inst.firewallIds, ['web', 'default']);
    await assert.rejects(
      driver.create_instance(ctx, createRequest({ firewallIds: ['nope'] })),
      failsWith(ValidationFailure, 400, "Firewall 'nope' does not exist"),
    );

    await driver.delete_firewall_rule(ctx, { firewallId: 'web', ruleId: rule.id });
    assert.deepEqual((await driver.firewall(ctx, 'web'))?.rules, []);
    await assert.rejects(driver.delete_firewall_rule(ctx, { firewallId: 'web', ruleId: rule.id }), failsWith(NotFound, 404));

    await driver.delete_firewall(ctx, 'web');
    assert.equal(await driver.firewall(ctx, 'web'), undefined);
    assert.deepEqual((await driver.instance(ctx, inst.id))?.firewallIds, ['default']);
    await assert.rejects(driver.delete_firewall(ctx, 'web'), failsWith(NotFound, 404));
  });
});

test('load balancers: create, register and unregister instances, destroy', async () => {
  await withDriver(async (driver) => {
    const registered = await driver.lb_register_instance(ctx, { id: 'lb1', instanceId: 'inst1' });
    assert.equal(registered.instances.length, 1);
    assert.equal(registered.instances[0]?.id, 'inst1');
    assert.equal(registered.instances[0]?.name, 'MockUserInstance', 'instances are full objects');
    assert.equal((await driver.lb_register_instance(ctx, { id: 'lb1', instanceId: 'inst1' })).instances.length, 1);
    await assert.rejects(driver.lb_register_instance(ctx, { id: 'lb1', instanceId: 'nope' }), failsWith(NotFound, 404));
    await assert.rejects(driver.lb_register_instance(ctx, { id: 'nope', instanceId: 'inst1' }), failsWith(NotFound, 404));
    await assert.rejects(driver.lb_unregister_instance(ctx, { id: 'lb1', instanceId: 'inst2' }), failsWith(NotFound, 404));
    assert.deepEqual((await driver.lb_unregister_instance(ctx, { id: 'lb1', instanceId: 'inst1' })).instances, []);

    const lb2 = await driver.create_load_balancer(ctx, {
      name: 'lb2', realmId: 'eu', listenerProtocol: 'TCP', listenerBalancerPort: '443', listenerInstancePort: '8443',
    });
    assert.deepEqual([lb2.id, lb2.realmIds, lb2.publicAddresses], ['lb2', ['eu'], ['lb2.mock.example.com']]);
    assert.deepEqual(lb2.listeners, [{ protocol: 'TCP', loadBalancerPort: '443', instancePort: '8443' }]);
    await assert.rejects(
      driver.create_load_balancer(ctx, { name: 'lb2', realmId: 'eu', listenerProtocol: 'TCP', listenerBalancerPort: '1', listenerInstancePort: '1' }),
      failsWith(Forbidden, 403),
    );

    const inst = await createOne(driver, { loadBalancerId: 'lb2' });
    assert.deepEqual((await driver.load_balancer(ctx, 'lb2'))?.instances.map((i) => i.id), [inst.id]);
    await driver.stop_instance(ctx, inst.id);
    await driver.destroy_instance(ctx, inst.id);
    assert.deepEqual((await driver.load_balancer(ctx, 'lb2'))?.instances, []);

    await driver.destroy_load_balancer(ctx, 'lb2');
    assert.deepEqual((await driver.load_balancers(ctx, {})).map((l) => l.id), ['lb1']);
    await assert.rejects(driver.destroy_load_balancer(ctx, 'lb2'), failsWith(NotFound, 404));
  });
});

test('metrics: one per instance with names only; show fills six samples for the requested id', async () => {
  await withDriver(async (driver) => {
    const names = [
      'cpuUtilization', 'diskReadRequestCount', 'diskReadSector', 'diskWriteRequestCount', 'diskWriteSector',
      'nicInputByte', 'nicInputPacket', 'nicOutputByte', 'nicOutputPacket',
    ];
    const metrics = await driver.metrics(ctx, {});
    assert.deepEqual(metrics.map((m) => [m.id, m.entity]), [
      ['inst0', 'Mock Instance With Profile Change'], ['inst1', 'MockUserInstance'], ['inst2', 'AnotherInstance'], ['inst3', ''],
    ]);
    for (const m of metrics) {
      assert.deepEqual(m.properties.map((p) => p.name), names);
      assert.ok(m.properties.every((p) => p.values === null));
    }

    const before = Math.floor(Date.now() / 1000);
    const metric = await driver.metric(ctx, 'inst2');
    assert.ok(metric);
    assert.equal(metric.id, 'inst2');
    assert.equal(metric.entity, 'AnotherInstance');
    const units: Record<string, string> = {
      cpuUtilization: 'Percent', nicInputByte: 'Bytes', nicOutputByte: 'Bytes', diskReadSector: 'Count', nicInputPacket: 'Count', diskReadRequestCount: 'Count',
    };
    for (const property of metric.properties) {
      const samples = property.values ?? [];
      assert.equal(samples.length, 6);
      const newest = samples[0]!.timestamp;
      assert.ok(newest >= before);
      samples.forEach((s, k) => {
        assert.equal(s.timestamp, newest - k);
        if (units[property.name]) assert.equal(s.unit, units[property.name]);
        if (property.name === 'cpuUtilization') {
          assert.ok(s.minimum >= 0.01 && s.minimum <= 0.49 && s.maximum >= 0.5 && s.maximum <= 0.99);
          assert.equal(s.average, (s.minimum + s.maximum) / 2);
        } else {
          assert.ok(Number.isInteger(s.minimum) && s.minimum >= 1 && s.minimum <= 49);
          assert.ok(Number.isInteger(s.maximum) && s.maximum >= 50 && s.maximum <= 99);
          assert.equal(s.average, Math.floor((s.minimum + s.maximum) / 2));
        }
      });
    }
    assert.equal(await driver.metric(ctx, 'nope'), undefined);
    assert.deepEqual((await driver.metrics(ctx, { id: 'inst3' })).map((m) => m.id), ['inst3']);
  });
});
