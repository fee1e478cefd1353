// Fast tests of the libvirt driver: pure mapping (XML, states, errors,
// profiles, keys, options) without any libvirt, then the driver against
// libvirt's `test:///default` (no daemon: virsh alone) and through the real
// server. No VM is started here; see live.test.ts for that.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RequestContext, type Driver } from '../../../src/core/driver.js';
import {
  DeltacloudError, Forbidden, NotFound, ProviderError, ProviderTimeout,
  ValidationFailure,
} from '../../../src/core/errors.js';
import { LIBVIRT_STATE_MACHINE, libvirtDeclaration } from '../../../src/drivers/libvirt/declaration.js';
import {
  dataDiskXml, domainXml, instanceState, METADATA_NS, parseDomainXml, type InstanceMeta,
} from '../../../src/drivers/libvirt/domain.js';
import { libvirtDriverFactory } from '../../../src/drivers/libvirt/index.js';
import { metricValues } from '../../../src/drivers/libvirt/ops/metrics.js';
import { targetOf } from '../../../src/drivers/libvirt/ops/storage.js';
import { LibvirtConfigError, parseOptions } from '../../../src/drivers/libvirt/options.js';
import { CUSTOM_PROFILE, defaultProfileId, hardwareProfiles, profilesFitting, sizeFrom } from '../../../src/drivers/libvirt/profiles.js';
import { hostnameFrom, metaData } from '../../../src/drivers/libvirt/seed.js';
import { fingerprintOf, generateSshKeyPair, parsePublicKey } from '../../../src/drivers/libvirt/ssh-keys.js';
import { classifyVirshError, mapFailure, VIRSH_MISSING } from '../../../src/drivers/libvirt/virsh.js';
import { call } from '../../helpers/api.js';
import { startServer } from '../../helpers/server.js';

const signal = new AbortController().signal;
const ctx = (provider?: string, credentials?: { user: string; password: string }, s = signal) => new RequestContext(provider, credentials, s);

function failsWith(type: new (...args: never[]) => DeltacloudError, status: number, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    assert.equal(err.status, status);
    if (message) assert.match(err.message, message);
    return true;
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'deltacloud-libvirt-test-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function load(options: Record<string, unknown> = {}): Promise<Required<Driver>> {
  return (await libvirtDriverFactory.load({ options, dataDir: tempDir() })) as Required<Driver>;
}

// ---------------------------------------------------------------- pure mapping

const META: InstanceMeta = {
  v: 1, imageId: 'tiny', imagePool: 'deltacloud-images', hardwareProfileId: 'custom', overrides: { cpu: '2', memory: '256' },
  keyname: 'k1', created: '2024-01-01T00:00:00.000Z', pool: 'deltacloud', rootVolume: 'inst-0000abcd.qcow2',
  seedVolume: 'inst-0000abcd-seed.iso', consoleVolume: 'inst-0000abcd-console.log',
};

test('domain XML: what the driver writes it reads back (metadata, disks, serial log, sizes), values escaped', () => {
  const xml = domainXml({
    name: 'inst-0000abcd', title: `web <1> & "two"\nlines`, vcpus: 2, memoryMiB: 256,
    rootPath: '/pool/inst-0000abcd.qcow2', seedPath: '/pool/inst-0000abcd-seed.iso', consolePath: '/pool/inst-0000abcd-console.log',
    network: { type: 'user' }, meta: { ...META, keyname: `k'<&>` }, arch: 'x86_64',
  }, { domainType: 'qemu', machine: 'pc', vnc: true });
  assert.match(xml, /^<domain type='qemu'>/);
  assert.match(xml, /<target dev='hdc' bus='ide'\/>/);
  assert.match(xml, /<serial type='file'>\s*<source path='\/pool\/inst-0000abcd-console.log' append='on'\/>/);
  assert.doesNotMatch(xml, /host-passthrough/);
  const info = parseDomainXml(xml);
  assert.equal(info.name, 'inst-0000abcd');
  assert.equal(info.title, 'web <1> & "two" lines');
  assert.equal(info.vcpus, 2);
  assert.equal(info.memoryMiB, 256);
  assert.deepEqual(info.meta, { ...META, keyname: `k'<&>` });
  assert.deepEqual(info.disks.map((d) => [d.device, d.target, d.source, d.format]), [
    ['disk', 'vda', '/pool/inst-0000abcd.qcow2', 'qcow2'],
    ['cdrom', 'hdc', '/pool/inst-0000abcd-seed.iso', 'raw'],
  ]);
  assert.deepEqual(info.interfaces.map((i) => i.type), ['user']);
  assert.equal(info.serialLog, '/pool/inst-0000abcd-console.log');
  assert.deepEqual(info.vnc, { listen: '127.0.0.1', port: undefined });

  const kvm = domainXml({ name: 'x', vcpus: 1, memoryMiB: 128, rootPath: '/p/x', consolePath: '/p/c', network: { type: 'none' }, meta: META, arch: 'x86_64' },
    { domainType: 'kvm', machine: 'q35', vnc: false });
  assert.match(kvm, /<domain type='kvm'>/);
  assert.match(kvm, /host-passthrough/);
  assert.doesNotMatch(kvm, /<interface|<graphics|device='cdrom'/);
  assert.match(dataDiskXml('/p/vol-1.qcow2', 'vdb', 'vol-0123456789abcdefghij'), /<serial>vol-0123456789abcdef<\/serial>/);
});

test('domain XML: other metadata and foreign domains are not taken for the driver\'s', () => {
  const foreign = parseDomainXml(`<domain type='kvm'><name>web</name><memory unit='GiB'>2</memory><vcpu>4</vcpu>
    <metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">{"v":1,"rootVolume":"x"}</nova:instance></metadata>
    <devices><disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='sda' bus='scsi'/></disk>
    <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>
    <graphics type='vnc' port='5901' listen='0.0.0.0'/></devices></domain>`);
  assert.equal(foreign.meta, undefined);
  assert.equal(foreign.memoryMiB, 2048);
  assert.equal(foreign.vcpus, 4);
  assert.deepEqual(foreign.disks[0], { device: 'disk', target: 'sda', bus: 'scsi', source: '/dev/sdb', format: undefined });
  assert.deepEqual(foreign.interfaces[0], { type: 'network', mac: '52:54:00:00:00:01', source: 'default', target: undefined });
  assert.deepEqual(foreign.vnc, { listen: '0.0.0.0', port: 5901 });
  const ours = parseDomainXml(`<domain><name>a</name><metadata><x:instance xmlns:x='${METADATA_NS}'>not json</x:instance></metadata></domain>`);
  assert.equal(ours.meta, undefined);
});

test('states: libvirt domain states onto the declared machine', () => {
  assert.equal(instanceState('running'), 'RUNNING');
  assert.equal(instanceState('blocked'), 'RUNNING');
  assert.equal(instanceState('running', true), 'STOPPING');
  assert.equal(instanceState('shutdown'), 'STOPPING');
  assert.equal(instanceState('shutoff'), 'STOPPED');
  assert.equal(instanceState('paused'), 'STOPPED');
  assert.equal(instanceState('pmsuspended'), 'STOPPED');
  assert.equal(instanceState('crashed'), 'ERROR');
  assert.equal(instanceState('nostate'), 'PENDING');
  const m = LIBVIRT_STATE_MACHINE;
  assert.deepEqual(m.states.map((s) => s.name), ['start', 'pending', 'running', 'stopped', 'stopping', 'finish', 'error']);
  assert.deepEqual(m.actionsFor('RUNNING'), ['reboot', 'stop', 'destroy']);
  assert.deepEqual(m.actionsFor('STOPPING'), ['stop', 'destroy']);
  assert.deepEqual(m.actionsFor('STOPPED'), ['start', 'destroy']);
  assert.deepEqual(m.actionsFor('ERROR'), ['start', 'destroy']);
  assert.deepEqual(m.actionsFor('PENDING'), []);
  const d = libvirtDeclaration();
  assert.equal(d.id, 'libvirt');
  assert.equal(d.name, 'Libvirt');
  assert.deepEqual(d.entrypoints, { libvirt: { 'qemu:///system': 'qemu:///system', 'test:///default': 'test:///default' } });
});

test('errors: virsh messages → statuses (404, 409, 400, 502, 504)', () => {
  const uri = 'qemu:///system';
  const cases: Array<[string, number, RegExp]> = [
    ["error: failed to get domain 'nope'\n", 404, /failed to get domain 'nope'/],
    ["error: failed to get domain 'x'\nerror: Domain not found: no domain with matching name 'x'\n", 404, /Domain not found/],
    ["error: failed to get vol 'v'\nerror: Storage volume not found: no storage vol with matching path 'v'\n", 404, /Storage volume not found/],
    ["error: failed to get pool 'p'\nerror: Storage pool not found: no storage pool with matching name 'p'\n", 502, /setup\.sh/],
    ["error: Failed to start domain 'a'\nerror: Requested operation is not valid: domain is already running\n", 409, /already running/],
    ["error: Failed to shutdown domain 'a'\nerror: Requested operation is not valid: domain is not running\n", 409, /not running/],
    ["error: Failed to define domain\nerror: operation failed: domain 'a' already exists with uuid 1\n", 409, /already exists/],
    ['error: failed to connect to the hypervisor\nerror: Failed to connect socket to \'/run/libvirt/libvirt-sock\': No such file or directory\n', 502, /Cannot connect to libvirt at qemu:\/\/\/system.*libvirtd running/],
    ['error: Timed out during operation: cannot acquire state change lock\n', 504, /did not answer in time/],
    ['error: invalid argument: could not find capabilities for arch=sparc\n', 400, /invalid argument/],
    ['error: internal error: process exited while connecting to monitor\n', 502, /internal error/],
  ];
  for (const [stderr, status, message] of cases) {
    const err = mapFailure(classifyVirshError(stderr), uri);
    assert.equal(err.status, status, stderr);
    assert.match(err.message, message);
  }
});

test('hardware profiles: fixed sizes that fit the host plus custom ranges spanning it', () => {
  const profiles = hardwareProfiles({ cpus: 2, memoryMiB: 4000, arch: 'x86_64', storageGB: 50 });
  assert.deepEqual(profiles.map((p) => p.id), ['small', 'medium', 'custom']);
  assert.equal(defaultProfileId(profiles), 'small');
  const custom = profiles.find((p) => p.id === CUSTOM_PROFILE)!;
  assert.deepEqual(custom.properties, [
    { name: 'cpu', kind: 'range', value: 1, first: 1, last: 2 },
    { name: 'memory', kind: 'range', value: 512, first: 128, last: 4000 },
    { name: 'storage', kind: 'range', value: 10, first: 1, last: 50 },
    { name: 'architecture', kind: 'fixed', value: 'x86_64' },
  ]);
  const medium = profiles.find((p) => p.id === 'medium')!;
  assert.deepEqual(medium.properties[2], { name: 'storage', kind: 'enum', value: 20, values: [20, 40] });
  assert.deepEqual(sizeFrom(custom, { cpu: '2', memory: '128', storage: '1' }), { cpu: 2, memoryMiB: 128, storageGB: 1, overrides: { cpu: '2', memory: '128', storage: '1' } });
  assert.deepEqual(sizeFrom(custom, {}), { cpu: 1, memoryMiB: 512, storageGB: 10, overrides: { cpu: '1', memory: '512', storage: '10' } });
  assert.deepEqual(sizeFrom(medium, { storage: '40' }), { cpu: 2, memoryMiB: 2048, storageGB: 40, overrides: { storage: '40' } });
  assert.throws(() => sizeFrom(custom, { cpu: '3' }), failsWith(ValidationFailure, 400, /hwp_cpu must be from 1 to 2/));
  assert.throws(() => sizeFrom(custom, { memory: '64' }), failsWith(ValidationFailure, 400, /hwp_memory/));
  assert.throws(() => sizeFrom(custom, { memory: '1.5' }), failsWith(ValidationFailure, 400, /whole number/));
  assert.throws(() => sizeFrom(medium, { storage: '30' }), failsWith(ValidationFailure, 400, /one of 20, 40/));
  assert.throws(() => sizeFrom(medium, { cpu: '1' }), failsWith(ValidationFailure, 400, /fixed at 2/));
  assert.throws(() => sizeFrom(custom, { architecture: 'arm' }), failsWith(ValidationFailure, 400, /x86_64/));
  // A host too small for any fixed size still has custom; images list the profiles they fit.
  const tiny = hardwareProfiles({ cpus: 1, memoryMiB: 256, arch: 'aarch64', storageGB: 5 });
  assert.deepEqual(tiny.map((p) => p.id), ['custom']);
  assert.equal(defaultProfileId(tiny), 'custom');
  assert.deepEqual(profilesFitting(profiles, 45 * 1024 ** 3), ['custom']);
  assert.deepEqual(profilesFitting(profiles, 64 * 1024 ** 2), ['small', 'medium', 'custom']);
});

test('options: defaults, allow-list, validation', () => {
  const o = parseOptions({});
  assert.deepEqual(o.allowedUris, ['qemu:///system', 'test:///default']);
  assert.equal(o.defaultUri, 'qemu:///system');
  assert.equal(o.pool, 'deltacloud');
  assert.equal(o.imagePool, 'deltacloud-images');
  assert.equal(o.domainType, 'qemu');
  assert.deepEqual(o.network, { kind: 'auto' });
  assert.deepEqual(parseOptions({ network: 'bridge:br0' }).network, { kind: 'bridge', name: 'br0' });
  assert.equal(parseOptions({ allowedUris: ['test:///default'] }).defaultUri, 'test:///default');
  for (const bad of [
    { allowedUris: [] }, { allowedUris: ['not a uri'] }, { defaultUri: 'qemu+ssh://other/system' }, { network: 'bridge:' },
    { domainType: 'xen' }, { pool: 'a/b' }, { pool: 'same', imagePool: 'same' }, { waitMs: -1 }, { listAllDomains: 'yes' },
  ]) {
    assert.throws(() => parseOptions(bad), LibvirtConfigError, JSON.stringify(bad));
  }
});

test('ssh keys: generated pairs in OpenSSH format with a matching private key; imports validated', async () => {
  const pair = await generateSshKeyPair('k1');
  assert.match(pair.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
  const [type, data, comment] = pair.publicKey.split(' ');
  assert.equal(type, 'ssh-rsa');
  assert.equal(comment, 'k1');
  const blob = Buffer.from(data!, 'base64');
  assert.equal(blob.subarray(4, 11).toString(), 'ssh-rsa');
  assert.equal(pair.fingerprint, fingerprintOf(blob));
  assert.match(pair.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  // The public key's modulus is the private key's.
  const n = Buffer.from((createPublicKey(pair.privateKeyPem).export({ format: 'jwk' }) as { n: string }).n, 'base64url');
  assert.ok(blob.includes(n));
  // ssh-keygen agrees on the fingerprint when it is installed.
  try {
    const dir = tempDir();
    writeFileSync(join(dir, 'k.pub'), pair.publicKey + '\n');
    const out = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
    assert.ok(out.includes(pair.fingerprint), out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const imported = parsePublicKey(`  ${pair.publicKey.split(' ').slice(0, 2).join(' ')}  `, 'fallback');
  assert.equal(imported.publicKey, `${type} ${data} fallback`);
  assert.equal(imported.fingerprint, pair.fingerprint);
  assert.throws(() => parsePublicKey('hello world', 'x'), failsWith(ValidationFailure, 400));
  assert.throws(() => parsePublicKey(`ssh-ed25519 ${data}`, 'x'), failsWith(ValidationFailure, 400, /does not hold a ssh-ed25519 key/));
});

test('cloud-init seed, metrics, devices: small mappings', () => {
  assert.deepEqual(JSON.parse(metaData({ instanceId: 'inst-1', hostname: 'web', publicKeys: ['ssh-rsa AAAA k'] })), {
    'instance-id': 'inst-1', 'local-hostname': 'web', 'public-keys': ['ssh-rsa AAAA k'],
  });
  assert.equal(hostnameFrom('My Web_Server #1!', 'x'), 'my-web-server-1');
  assert.equal(hostnameFrom('***', 'inst-1'), 'inst-1');
  assert.equal(targetOf('/dev/vdb'), 'vdb');
  assert.equal(targetOf('sdc'), 'vdc');
  assert.equal(targetOf('/dev/xvdz'), 'vdz');
  for (const bad of ['/dev/vda', 'vdb1', '/etc/passwd', 'vd']) assert.throws(() => targetOf(bad), failsWith(ValidationFailure, 400));
  const values = metricValues({
    'cpu.time': '2500000000', 'balloon.current': '131072', 'balloon.rss': '200000', 'balloon.available': '100000', 'balloon.usable': '60000',
    'block.count': '2', 'block.0.rd.bytes': '1000', 'block.0.rd.reqs': '10', 'block.1.rd.bytes': '24', 'block.1.rd.reqs': '2',
    'block.0.wr.bytes': '5', 'block.0.wr.reqs': '1', 'net.count': '1', 'net.0.rx.bytes': '77', 'net.0.tx.pkts': '3',
  }, 12.5);
  assert.deepEqual(values, {
    cpuTime: 2.5, cpuUtilization: 12.5, diskReadByte: 1024, diskReadRequestCount: 12, diskWriteByte: 5, diskWriteRequestCount: 1,
    memoryAllocated: 134217728, memoryRss: 204800000, memoryUsed: 40960000, nicInputByte: 77, nicInputPacket: undefined,
    nicOutputByte: undefined, nicOutputPacket: 3,
  });
  assert.equal(metricValues({ 'state.state': '5' }).cpuTime, undefined);
});

// ---------------------------------------------------------------- without libvirt

test('without virsh: the driver loads, and its requests answer 502 "libvirt is not installed (virsh not found)"', async () => {
  const driver = await load({ virsh: '/nonexistent/bin/virsh' });
  try {
    await assert.rejects(driver.realms(ctx(), {}), failsWith(ProviderError, 502, new RegExp(VIRSH_MISSING.replace(/[()]/g, '\\$&'))));
    await assert.rejects(driver.instances(ctx(), {}), failsWith(ProviderError, 502, /virsh not found/));
    // Keys need no libvirt.
    assert.deepEqual(await driver.keys(ctx(), {}), []);
  } finally {
    await driver.close();
  }
});

test('virsh calls: time limit → 504, cancelled request → 504, unreachable daemon → 502', async () => {
  const dir = tempDir();
  const slow = join(dir, 'slow-virsh');
  writeFileSync(slow, '#!/bin/sh\nsleep 5\n');
  chmodSync(slow, 0o755);
  const driver = await load({ virsh: slow, commandTimeoutMs: 300 });
  try {
    await assert.rejects(driver.realms(ctx(), {}), failsWith(ProviderTimeout, 504, /took longer/));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(driver.instances(ctx(undefined, undefined, controller.signal), {}), failsWith(ProviderTimeout, 504));
  } finally {
    await driver.close();
  }
});

// ---------------------------------------------------------------- test:///default

let virshMissing: string | false = false;
try {
  execFileSync('virsh', ['--version'], { stdio: 'ignore' });
} catch {
  virshMissing = 'virsh is not installed: skipping the test:///default tests (run scripts/libvirt/setup.sh)';
  console.warn(`\n*** libvirt mapping tests: ${virshMissing} ***\n`);
}

const TEST_OPTIONS = { allowedUris: ['test:///default', 'qemu+unix:///system?socket=/nonexistent/libvirt-sock'], listAllDomains: true };

test('test:///default: realm, profiles from the host, foreign domain listed without destroy', { skip: virshMissing }, async () => {
  const driver = await load(TEST_OPTIONS);
  try {
    assert.equal(driver.declaration.stateMachine, LIBVIRT_STATE_MACHINE);
    assert.deepEqual(Object.keys(driver.declaration.entrypoints!.libvirt!), TEST_OPTIONS.allowedUris);
    // (Filters are the core's, applied after every listing: test/core/filters.test.ts and the conformance suite.)
    const [realm] = await driver.realms(ctx(), {});
    assert.ok(realm && realm.state === 'AVAILABLE' && realm.id.length > 0);
    assert.match(realm.name!, /test:\/\/\/default, 16 CPUs, 3072 MiB/);
    const custom = await driver.hardware_profile(ctx(), 'custom');
    assert.deepEqual(custom?.properties.slice(0, 2), [
      { name: 'cpu', kind: 'range', value: 1, first: 1, last: 16 },
      { name: 'memory', kind: 'range', value: 512, first: 128, last: 3072 },
    ]);
    assert.deepEqual((await driver.hardware_profiles(ctx(), {})).map((p) => p.id), ['small', 'medium', 'custom']); // 3 GiB: no large

    const instances = await driver.instances(ctx(), {});
    assert.deepEqual(instances.map((i) => [i.id, i.state, i.realmId, i.imageId, i.canCreateImage]), [['test', 'RUNNING', realm.id, undefined, false]]);
    assert.deepEqual(instances[0]!.actions, ['reboot', 'stop']);
    assert.equal((await driver.instance(ctx(), 'test'))?.state, 'RUNNING');
    assert.equal(await driver.instance(ctx(), 'nope'), undefined);
    assert.equal(await driver.instance(ctx(), '../etc'), undefined);
    await assert.rejects(driver.destroy_instance(ctx(), 'test'), failsWith(DeltacloudError, 405));
    await assert.rejects(driver.destroy_instance(ctx(), 'nope'), failsWith(NotFound, 404));

    // The test driver has no storage pools of the driver's: empty listings, a clear 400/502 on use.
    assert.deepEqual(await driver.images(ctx(), {}), []);
    assert.deepEqual(await driver.storage_volumes(ctx(), {}), []);
    assert.deepEqual(await driver.storage_snapshots(ctx(), {}), []);
    await assert.rejects(driver.create_instance(ctx(), { imageId: 'none', profileOverrides: {}, firewallIds: [], params: {} }),
      failsWith(ValidationFailure, 400, /Image 'none' does not exist/));
    await assert.rejects(driver.create_instance(ctx(), { imageId: 'none', hardwareProfileId: 'huge', profileOverrides: {}, firewallIds: [], params: {} }),
      failsWith(ValidationFailure, 400, /Hardware profile 'huge' does not exists\./));
    await assert.rejects(driver.create_instance(ctx(), { imageId: 'none', realmId: 'mars', profileOverrides: {}, firewallIds: [], params: {} }),
      failsWith(ValidationFailure, 400, /Realm 'mars'/));
    await assert.rejects(driver.create_storage_volume(ctx(), { capacity: '1' }), failsWith(ProviderError, 502, /pool 'deltacloud'.*setup\.sh/));

    const metrics = await driver.metrics(ctx(), {});
    assert.deepEqual(metrics.map((m) => m.id), ['test']);
    const metric = await driver.metric(ctx(), 'test');
    assert.ok(metric && metric.properties.length === 13);
    assert.equal(await driver.metric(ctx(), 'nope'), undefined);
  } finally {
    await driver.close();
  }
});

test('test:///default: every instance has an owner — the operator\'s drivers.libvirt.owner, else the Basic user', { skip: virshMissing }, async () => {
  const open = await load(TEST_OPTIONS);
  const named = await load({ ...TEST_OPTIONS, owner: 'ops-team' });
  try {
    const alice = { user: 'alice', password: 'pw' };
    assert.deepEqual((await open.instances(ctx(undefined, alice), {})).map((i) => [i.id, i.ownerId]), [['test', 'alice']]);
    assert.equal((await open.instance(ctx(undefined, alice), 'test'))?.ownerId, 'alice');
    assert.equal((await open.instances(ctx(), {}))[0]?.ownerId, 'libvirt', 'no credentials, no configured owner: still an owner');
    assert.equal((await named.instances(ctx(undefined, alice), {}))[0]?.ownerId, 'ops-team');
    assert.equal((await named.instance(ctx(), 'test'))?.ownerId, 'ops-team');
    assert.equal((await named.start_instance(ctx(), 'test')).ownerId, 'ops-team', 'action answers carry the owner too');
    // Empty means absent (as for every option): no configured owner.
    assert.equal(parseOptions({ owner: '' }).owner, undefined);
    assert.throws(() => parseOptions({ owner: 7 }), /drivers\.libvirt\.owner must be a non-empty string/);
  } finally {
    await open.close();
    await named.close();
  }
});

test('test:///default: providers only from the allow-list; an unreachable daemon is a 502', { skip: virshMissing }, async () => {
  const driver = await load(TEST_OPTIONS);
  try {
    await assert.rejects(driver.realms(ctx('qemu:///system'), {}), failsWith(ValidationFailure, 400, /not allowed/));
    await assert.rejects(driver.instances(ctx('qemu+ssh://attacker/system'), {}), failsWith(ValidationFailure, 400));
    assert.equal((await driver.realms(ctx('default'), {})).length, 1);
    await assert.rejects(driver.realms(ctx(TEST_OPTIONS.allowedUris[1]), {}), failsWith(ProviderError, 502, /Cannot connect to libvirt/));
  } finally {
    await driver.close();
  }
});

test('keys: generated (private key returned once), imported, duplicates refused, kept across restarts', async () => {
  const dataDir = tempDir();
  let driver = (await libvirtDriverFactory.load({ options: {}, dataDir })) as Required<Driver>;
  try {
    const made = await driver.create_key(ctx(), { name: 'k1' });
    assert.equal(made.id, 'k1');
    assert.match(made.pem!, /BEGIN RSA PRIVATE KEY/);
    assert.match(made.fingerprint!, /^SHA256:/);
    await assert.rejects(driver.create_key(ctx(), { name: 'k1' }), failsWith(Forbidden, 403, /same name/));
    await assert.rejects(driver.create_key(ctx(), { name: 'bad name' }), failsWith(ValidationFailure, 400));
    const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@host';
    const imported = await driver.create_key(ctx(), { name: 'k2', publicKey: pub });
    assert.equal(imported.pem, undefined);
    await assert.rejects(driver.create_key(ctx(), { name: 'k3', publicKey: 'garbage' }), failsWith(ValidationFailure, 400));
    await driver.close();
    driver = (await libvirtDriverFactory.load({ options: {}, dataDir })) as Required<Driver>;
    const keys = await driver.keys(ctx(), {});
    assert.deepEqual(keys.map((k) => [k.id, k.credentialType, k.state, k.pem]), [['k1', 'key', 'AVAILABLE', undefined], ['k2', 'key', 'AVAILABLE', undefined]]);
    assert.equal((await driver.key(ctx(), 'k2'))?.fingerprint, imported.fingerprint);
    await driver.destroy_key(ctx(), 'k1');
    await assert.rejects(driver.destroy_key(ctx(), 'k1'), failsWith(NotFound, 404));
  } finally {
    await driver.close();
  }
});

// Who may use the driver (the operator's credentials) is checked by the server
// for every host-reaching driver: see test/server/offered-drivers.test.ts.

// ---------------------------------------------------------------- through the server

/** The operator's credentials: a server offering libvirt requires them of every request. */
const OPERATOR = { user: 'operator', password: 'libvirt-mapping-secret' };
const OPERATOR_AUTH = 'Basic ' + Buffer.from(`${OPERATOR.user}:${OPERATOR.password}`).toString('base64');

function writeConfig(options: Record<string, unknown>): string {
  const path = join(tempDir(), 'config.json');
  writeFileSync(path, JSON.stringify({ drivers: { libvirt: { ...options, ...OPERATOR } } }), { mode: 0o600 });
  return path;
}

test('server: -i libvirt on test:///default serves the API to the operator\'s credentials', { skip: virshMissing }, async () => {
  const server = await startServer({
    args: ['-i', 'libvirt', '-P', 'test:///default', '-c', writeConfig({ listAllDomains: true })],
    env: { DELTACLOUD_DATA_DIR: tempDir() },
  });
  try {
    const json = { accept: 'application/json', auth: OPERATOR_AUTH };
    const entry = await call(server, 'GET', '/api', json);
    assert.equal(entry.status, 200);
    assert.equal(entry.json().api.driver, 'libvirt');
    assert.equal(entry.json().api.provider, 'test:///default');
    const rels = entry.json().api.links.map((l: { rel: string }) => l.rel);
    for (const rel of ['hardware_profiles', 'images', 'instance_states', 'instances', 'keys', 'metrics', 'realms', 'storage_snapshots', 'storage_volumes']) {
      assert.ok(rels.includes(rel), rel);
    }
    const drivers = await call(server, 'GET', '/api/drivers/libvirt', { accept: 'application/xml', auth: OPERATOR_AUTH });
    assert.match(drivers.text, /<provider id='qemu:\/\/\/system'>/);
    const instances = await call(server, 'GET', '/api/instances', json);
    assert.equal(instances.status, 200);
    // No operator-configured owner: the instance belongs to the Basic user who asked.
    assert.deepEqual(instances.json().instances.map((i: { id: string; state: string; owner: string }) => [i.id, i.state, i.owner]), [['test', 'RUNNING', OPERATOR.user]]);
    const profile = await call(server, 'GET', '/api/hardware_profiles/custom', { accept: 'application/xml', auth: OPERATOR_AUTH });
    assert.match(profile.text, /<property kind='range' name='cpu' unit='count' value='1'>/);
    assert.match(profile.text, /<range first='1' last='16' \/>/);
    assert.match(profile.text, /name='hwp_memory'/);
    const states = await call(server, 'GET', '/api/instance_states', json);
    assert.equal(states.json()[0].name, 'start');
    assert.equal((await call(server, 'DELETE', '/api/instances/test', json)).status, 405);
    assert.equal((await call(server, 'POST', '/api/instances/nope/start', json)).status, 403);
    assert.equal((await call(server, 'GET', '/api/instances/nope', json)).status, 404);
    const other = await call(server, 'GET', '/api/realms/x', { ...json, headers: { 'X-Deltacloud-Provider': 'qemu+ssh://elsewhere/system' } });
    assert.equal(other.status, 400);
    assert.match(other.json().message, /not allowed/);
    const created = await call(server, 'POST', '/api/keys', { ...json, body: new URLSearchParams({ name: 'web' }) });
    assert.equal(created.status, 201);
    assert.match(created.json().key.pem_rsa_key, /PRIVATE KEY/);
  } finally {
    await server.stop();
  }
});

test('server: without virsh it starts, and libvirt requests answer 502 with what is missing', async () => {
  const server = await startServer({
    args: ['-i', 'libvirt', '-c', writeConfig({ virsh: '/nonexistent/virsh' })],
    env: { DELTACLOUD_DATA_DIR: tempDir() },
  });
  try {
    assert.match(server.output(), /libvirt is not installed \(virsh not found\)/);
    const json = { accept: 'application/json', auth: OPERATOR_AUTH };
    assert.equal((await call(server, 'GET', '/api', json)).status, 200);
    const realm = await call(server, 'GET', '/api/realms/any', json);
    assert.equal(realm.status, 502);
    assert.equal(realm.json().message, 'libvirt is not installed (virsh not found)');
    assert.equal((await call(server, 'GET', '/api/instances', json)).status, 502);
  } finally {
    await server.stop();
  }
});
