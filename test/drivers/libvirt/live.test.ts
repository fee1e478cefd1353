// The libvirt driver for real: QEMU (software emulation) boots a tiny guest
// (scripts/libvirt/make-tiny-guest.sh) and the whole life of an instance is
// driven through the Deltacloud API of the real server:
//   create from the image → RUNNING and the boot marker on its serial console
//   → stop (graceful: the guest powers itself off) → start → reboot → image
//   from it (bootable: a second instance boots from it) → volume attached and
//   detached (the guest sees it come and go) → snapshot of the volume →
//   metrics non-zero → destroy, leaving no domain and no file behind.
// Needs libvirtd on qemu:///system with the driver's pools (scripts/libvirt/setup.sh).
// Under CI (CI set) a missing libvirt FAILS the suite; elsewhere it is skipped, loudly
// (and LIBVIRT_LIVE=0 skips it on purpose).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { call } from '../../helpers/api.js';
import { ROOT, startServer, type TestServer } from '../../helpers/server.js';

const run = promisify(execFile);
const URI = 'qemu:///system';
const POOL = 'deltacloud';
const IMAGE_POOL = 'deltacloud-images';
const GUEST_DIR = process.env.LIBVIRT_TINY_GUEST_DIR || '/var/tmp/deltacloud-tiny-guest';
const BOOT_MARKER = 'TINYVM BOOTED';
const CI = Boolean(process.env.CI);

function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-q', '-c', URI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

function virshOk(...args: string[]): boolean {
  try {
    virsh(...args);
    return true;
  } catch {
    return false;
  }
}

/** Why the live suite cannot run here, or undefined when it can. */
function unavailable(): string | undefined {
  try {
    execFileSync('virsh', ['--version'], { stdio: 'ignore' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'virsh is not installed';
  }
  if (!virshOk('version')) return `libvirtd does not answer on ${URI}`;
  for (const pool of [POOL, IMAGE_POOL]) if (!virshOk('pool-info', pool)) return `storage pool '${pool}' is missing`;
  return undefined;
}

// Outside CI, LIBVIRT_LIVE=0 skips the suite (it boots VMs for a few minutes).
const reason = !CI && process.env.LIBVIRT_LIVE === '0' ? 'LIBVIRT_LIVE=0' : unavailable();
if (reason && !CI) {
  const hint = reason === 'LIBVIRT_LIVE=0' ? 'Unset LIBVIRT_LIVE to run it.' : 'Run scripts/libvirt/setup.sh (as root) to run it.';
  console.warn(`\n${'*'.repeat(100)}\n*** libvirt live suite SKIPPED: ${reason}.\n*** ${hint}\n${'*'.repeat(100)}\n`);
  test('libvirt live: the life of an instance through the API', { skip: `libvirt live suite skipped: ${reason}` }, () => undefined);
}

const timings: Array<[string, number]> = [];
async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings.push([what, Date.now() - t0]);
  }
}

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 500): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

let server: TestServer | undefined;
let poolDir = '';
let imagePoolDir = '';
const dataDir = mkdtempSync(join(tmpdir(), 'deltacloud-libvirt-live-'));
const imageId = `dctest-${process.pid}-${Date.now().toString(36)}`;
const made = { domains: new Set<string>(), images: new Set<string>([imageId]), volumes: new Set<string>(), snapshots: new Set<string>() };

/** The operator's credentials, which a server offering libvirt requires of every request. */
const OPERATOR = { user: 'operator', password: `live-${process.pid}-${Date.now().toString(36)}` };

interface Reply { status: number; body: any; text: string }
async function api(method: string, path: string, params?: Record<string, string>): Promise<Reply> {
  const r = await call(server!, method, path, {
    accept: 'application/json', auth: 'Basic ' + Buffer.from(`${OPERATOR.user}:${OPERATOR.password}`).toString('base64'),
    body: params ? new URLSearchParams(params) : undefined,
  });
  let body: unknown;
  try {
    body = r.text ? JSON.parse(r.text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: r.status, body, text: r.text };
}

function expectStatus(r: Reply, status: number, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text.slice(0, 500)}`);
}

/** The serial log of an instance, found through its domain XML as configured by the driver. */
function consoleLog(id: string): string {
  const path = /<serial type='file'>\s*<source path='([^']+)'/.exec(virsh('dumpxml', id))?.[1];
  assert.ok(path, `domain ${id} has a serial log file`);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
const logPaths = new Map<string, string>();
function rememberLog(id: string): string {
  const path = /<serial type='file'>\s*<source path='([^']+)'/.exec(virsh('dumpxml', id))?.[1]!;
  logPaths.set(id, path);
  return path;
}
const count = (text: string, needle: string) => text.split(needle).length - 1;
// (The serial console ends lines with \r\n.)

function filesOf(dir: string, needle: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.includes(needle)) : [];
}

if (reason && CI) {
  test('libvirt live suite prerequisites', () => {
    assert.fail(`libvirt live suite cannot run under CI: ${reason}. .ci/run must run scripts/libvirt/setup.sh first.`);
  });
} else if (!reason) {
  before(async () => {
    poolDir = /<path>([^<]+)<\/path>/.exec(virsh('pool-dumpxml', POOL))![1]!;
    imagePoolDir = /<path>([^<]+)<\/path>/.exec(virsh('pool-dumpxml', IMAGE_POOL))![1]!;
    const guest = join(GUEST_DIR, 'tiny.qcow2');
    if (!existsSync(guest)) {
      console.log(`building the tiny guest in ${GUEST_DIR} ...`);
      await timed('build tiny guest', () => run('bash', [join(ROOT, 'scripts', 'libvirt', 'make-tiny-guest.sh'), GUEST_DIR], { timeout: 600_000 }));
    }
    // The image: the tiny guest's disk dropped into the image pool, as an operator would.
    copyFileSync(guest, join(imagePoolDir, `${imageId}.qcow2`));
    virsh('pool-refresh', IMAGE_POOL);
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({
      drivers: { libvirt: { allowedUris: [URI], network: 'user', waitMs: 90_000, shutdownTimeoutMs: 90_000, ...OPERATOR } },
    }), { mode: 0o600 });
    server = await startServer({ args: ['-i', 'libvirt', '-c', config, '-t', '150'], env: { DELTACLOUD_DATA_DIR: join(dataDir, 'data') } });
  });

  after(async () => {
    // Whatever a failed run left: domains, then volumes of the pools, then the server.
    for (const id of made.domains) {
      virshOk('destroy', id);
      virshOk('undefine', id, '--nvram');
    }
    virshOk('pool-refresh', POOL);
    for (const id of [...made.domains, ...made.volumes, ...made.snapshots]) {
      for (const f of filesOf(poolDir, id)) virshOk('vol-delete', '--pool', POOL, f) || rmSync(join(poolDir, f), { force: true });
    }
    virshOk('pool-refresh', IMAGE_POOL);
    for (const id of made.images) {
      for (const f of filesOf(imagePoolDir, id)) virshOk('vol-delete', '--pool', IMAGE_POOL, f) || rmSync(join(imagePoolDir, f), { force: true });
    }
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (timings.length > 0) {
      console.log('libvirt live suite timings:\n' + timings.map(([w, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${w}`).join('\n'));
    }
  });

  test('libvirt live: the life of an instance through the API', { timeout: 15 * 60_000 }, async (t) => {
    let id = '';
    let key = '';
    let copyId = '';
    let volumeId = '';

    await t.test('entry point, realm, profiles and the image', async () => {
      const entry = await api('GET', '/api');
      expectStatus(entry, 200, 'GET /api');
      assert.equal(entry.body.api.driver, 'libvirt');
      const realms = await api('GET', '/api/realms');
      assert.equal(realms.body.realms.length, 1);
      const image = await api('GET', `/api/images/${imageId}`);
      expectStatus(image, 200, 'GET image');
      assert.equal(image.body.image.state, 'AVAILABLE');
      assert.ok(image.body.image.hardware_profiles.some((p: { id: string }) => p.id === 'custom'));
    });

    await t.test('create from the image (with a key and user_data) → RUNNING, boot marker and seed on the serial console', async () => {
      const k = await api('POST', '/api/keys', { name: `dctest-${process.pid}` });
      expectStatus(k, 201, 'create key');
      key = k.body.key.id;
      assert.match(k.body.key.pem_rsa_key, /BEGIN RSA PRIVATE KEY/);
      const created = await timed('create instance', () => api('POST', '/api/instances', {
        image_id: imageId, hwp_id: 'custom', hwp_cpu: '1', hwp_memory: '128', hwp_storage: '1', name: 'live test',
        keyname: key, user_data: Buffer.from('#cloud-config\nlive: test\n').toString('base64'),
      }));
      expectStatus(created, 201, 'create instance');
      const inst = created.body.instance;
      id = inst.id;
      made.domains.add(id);
      assert.match(id, /^inst-[0-9a-f]{8}$/);
      assert.equal(inst.state, 'RUNNING');
      assert.equal(inst.name, 'live test');
      assert.deepEqual(inst.hardware_profile.properties, { memory: '128', storage: '1', cpu: '1' });
      assert.equal(inst.authentication.keyname, key);
      assert.deepEqual(inst.actions.map((a: { rel: string }) => a.rel), ['reboot', 'stop', 'destroy', 'create_image']);
      const xml = virsh('dumpxml', id);
      assert.match(xml, /<domain type='qemu'/);
      assert.match(xml, /<memory unit='KiB'>131072<\/memory>/);
      rememberLog(id);
      const log = await timed('boot to marker', () => waitFor('the boot marker', () => {
        const l = consoleLog(id);
        return count(l, BOOT_MARKER) >= 1 && /TINYVM DISKS/.test(l) && l;
      }));
      assert.match(log, new RegExp(`TINYVM SEED instance-id=${id} keys=1`));
      assert.match(log, /TINYVM USERDATA: live: test/);
    });

    await t.test('stop is graceful (the guest powers itself off) → STOPPED', async () => {
      const stopped = await timed('graceful stop', () => api('POST', `/api/instances/${id}/stop`));
      expectStatus(stopped, 202, 'stop');
      assert.equal(stopped.body.state, 'STOPPED');
      assert.deepEqual(stopped.body.actions.map((a: { rel: string }) => a.rel), ['start', 'destroy', 'create_image']);
      assert.match(consoleLog(id), /TINYVM poweroff/, 'the guest handled the ACPI power button');
      assert.match(virsh('domstate', id), /shut off/);
      expectStatus(await api('POST', `/api/instances/${id}/stop`), 405, 'stop when stopped');
    });

    await t.test('start → RUNNING, boots again', async () => {
      const started = await timed('start', () => api('POST', `/api/instances/${id}/start`));
      expectStatus(started, 202, 'start');
      assert.equal(started.body.state, 'RUNNING');
      await timed('boot to marker (2)', () => waitFor('the second boot', () => count(consoleLog(id), BOOT_MARKER) >= 2));
    });

    await t.test('reboot → RUNNING, boots a third time', async () => {
      await waitFor('the guest to settle', () => /TINYVM DISKS/.test(consoleLog(id).split(BOOT_MARKER).pop()!));
      const rebooted = await timed('reboot', () => api('POST', `/api/instances/${id}/reboot`));
      expectStatus(rebooted, 202, 'reboot');
      assert.equal(rebooted.body.state, 'RUNNING');
      await timed('boot to marker (3)', () => waitFor('the third boot', () => count(consoleLog(id), BOOT_MARKER) >= 3));
    });

    await t.test('an image made from the running instance boots a second instance', async () => {
      const image = await timed('create image (live copy)', () => api('POST', '/api/images', {
        instance_id: id, name: `${imageId}-copy`, description: 'made by the live test',
      }));
      expectStatus(image, 201, 'create image');
      copyId = image.body.image.id;
      made.images.add(copyId);
      assert.equal(copyId, `${imageId}-copy`);
      assert.equal(image.body.image.state, 'AVAILABLE');
      assert.equal(image.body.image.description, 'made by the live test');
      assert.deepEqual(filesOf(imagePoolDir, copyId), [`${copyId}.qcow2`]);
      // The copy stands alone: no backing file.
      assert.doesNotMatch(virsh('vol-dumpxml', '--pool', IMAGE_POOL, `${copyId}.qcow2`), /<backingStore>\s*<path>/);

      const second = await timed('create instance from the copy', () => api('POST', '/api/instances', {
        image_id: copyId, hwp_id: 'custom', hwp_memory: '128', hwp_storage: '1',
      }));
      expectStatus(second, 201, 'create from copy');
      const secondId: string = second.body.instance.id;
      made.domains.add(secondId);
      rememberLog(secondId);
      await timed('boot from the copy', () => waitFor('the copy to boot', () => count(consoleLog(secondId), BOOT_MARKER) >= 1));
      const inUse = await api('DELETE', `/api/images/${copyId}`);
      expectStatus(inUse, 409, 'destroy an image in use');
      assert.match(inUse.body.message, new RegExp(secondId));
      expectStatus(await timed('destroy instance (running)', () => api('DELETE', `/api/instances/${secondId}`)), 204, 'destroy second');
      assert.ok(!virshOk('dominfo', secondId), 'the domain is gone');
      assert.deepEqual(filesOf(poolDir, secondId), []);
      made.domains.delete(secondId);
      expectStatus(await api('DELETE', `/api/images/${copyId}`), 204, 'destroy image');
      assert.deepEqual(filesOf(imagePoolDir, copyId), []);
      expectStatus(await api('GET', `/api/images/${copyId}`), 404, 'image gone');
      made.images.delete(copyId);
    });

    await t.test('a volume is hot-attached (the guest sees vdb) and detached', async () => {
      const vol = await api('POST', '/api/storage_volumes', { capacity: '1', name: 'data', description: 'live test volume' });
      expectStatus(vol, 201, 'create volume');
      volumeId = vol.body.storage_volume.id;
      made.volumes.add(volumeId);
      assert.equal(vol.body.storage_volume.state, 'AVAILABLE');
      assert.equal(vol.body.storage_volume.capacity, 1);
      const attached = await timed('attach', () => api('POST', `/api/storage_volumes/${volumeId}/attach`, { instance_id: id, device: '/dev/vdb' }));
      expectStatus(attached, 202, 'attach');
      assert.equal(attached.body.storage_volume.state, 'IN-USE');
      assert.equal(attached.body.storage_volume.device, '/dev/vdb');
      assert.equal(attached.body.storage_volume.instance.id, id);
      await waitFor('the guest to see vdb', () => /TINYVM DISKS vda vdb/.test(consoleLog(id)), 60_000);
      const inst = await api('GET', `/api/instances/${id}`);
      assert.deepEqual(inst.body.instance.storage_volumes.map((v: { id: string }) => v.id), [volumeId]);
      expectStatus(await api('DELETE', `/api/storage_volumes/${volumeId}`), 409, 'destroy an attached volume');
      const detached = await timed('detach', () => api('POST', `/api/storage_volumes/${volumeId}/detach`));
      expectStatus(detached, 202, 'detach');
      assert.equal(detached.body.storage_volume.state, 'AVAILABLE');
      await waitFor('the guest to lose vdb', () => {
        const lines = consoleLog(id).split('\n').map((l) => l.trim());
        const seen = lines.lastIndexOf('TINYVM DISKS vda vdb');
        return seen >= 0 && lines.slice(seen + 1).includes('TINYVM DISKS vda');
      }, 60_000);
      assert.doesNotMatch(virsh('dumpxml', id), new RegExp(volumeId));
      assert.doesNotMatch(virsh('dumpxml', '--inactive', id), new RegExp(volumeId));
    });

    await t.test('a snapshot of the volume, and a volume made from it', async () => {
      const snap = await timed('snapshot', () => api('POST', '/api/storage_snapshots', { volume_id: volumeId }));
      expectStatus(snap, 201, 'snapshot');
      const snapId: string = snap.body.storage_snapshot.id;
      made.snapshots.add(snapId);
      assert.equal(snap.body.storage_snapshot.state, 'COMPLETED');
      assert.equal(snap.body.storage_snapshot.storage_volume.id, volumeId);
      const list = await api('GET', '/api/storage_snapshots');
      assert.ok(list.body.storage_snapshots.some((s: { id: string }) => s.id === snapId));
      const restored = await api('POST', '/api/storage_volumes', { snapshot_id: snapId });
      expectStatus(restored, 201, 'volume from snapshot');
      const restoredId: string = restored.body.storage_volume.id;
      made.volumes.add(restoredId);
      assert.equal(restored.body.storage_volume.capacity, 1);
      for (const v of [restoredId, volumeId]) {
        expectStatus(await api('DELETE', `/api/storage_volumes/${v}`), 204, `destroy volume ${v}`);
        assert.deepEqual(filesOf(poolDir, v).filter((f) => !f.startsWith('snap-')), []);
      }
      expectStatus(await api('DELETE', `/api/storage_snapshots/${snapId}`), 204, 'destroy snapshot');
      assert.deepEqual(filesOf(poolDir, snapId), []);
      made.volumes.clear();
      made.snapshots.clear();
    });

    await t.test('metrics: CPU time, memory and disk reads are non-zero', async () => {
      const list = await api('GET', '/api/metrics');
      assert.ok(list.body.metrics.some((m: { id: string }) => m.id === id));
      const metric = await timed('metrics', () => api('GET', `/api/metrics/${id}`));
      expectStatus(metric, 200, 'metric');
      const value = (name: string) => metric.body.metric.properties.find((p: { name: string }) => p.name === name)?.values?.[0]?.average as number;
      assert.ok(value('cpuTime') > 0, 'cpuTime');
      assert.ok(value('cpuUtilization') >= 0, 'cpuUtilization');
      assert.ok(value('diskReadByte') > 0, 'diskReadByte');
      assert.ok(value('diskReadRequestCount') > 0, 'diskReadRequestCount');
      assert.equal(value('memoryAllocated'), 128 * 1024 * 1024);
      assert.ok(value('memoryRss') > 0, 'memoryRss');
    });

    await t.test('destroy (running) leaves no domain and no file behind', async () => {
      const log = logPaths.get(id)!;
      expectStatus(await timed('destroy instance', () => api('DELETE', `/api/instances/${id}`)), 204, 'destroy');
      assert.ok(!virshOk('dominfo', id), 'the domain is gone');
      assert.deepEqual(filesOf(poolDir, id), [], 'overlay, seed and serial log deleted');
      assert.ok(!existsSync(log));
      expectStatus(await api('GET', `/api/instances/${id}`), 404, 'instance gone');
      made.domains.delete(id);
      expectStatus(await api('DELETE', `/api/keys/${key}`), 204, 'destroy key');
      expectStatus(await api('DELETE', `/api/images/${imageId}`), 204, 'destroy the test image');
      assert.deepEqual(filesOf(imagePoolDir, imageId), []);
      made.images.clear();
    });
  });
}
