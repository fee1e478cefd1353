// The client against the other live back ends CI runs: the openstack driver on
// Keystone v3 + Swift (scripts/openstack/setup.sh) and the libvirt driver on
// qemu:///system (scripts/libvirt/setup.sh). Each suite checks that the client
// learns from the entry point what the provider offers (and refuses the rest
// before sending), and uses what is there. Skips loudly without the back end;
// fails in CI.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CapabilityMissing, DeltacloudClient } from '../../packages/client/src/index.js';
import { LIBVIRT_OPERATOR, startLibvirtServer, virshUnavailable } from '../drivers/conformance/libvirt-target.js';
import { getJson } from '../helpers/api.js';
import { startDriverServer, type TestServer } from '../helpers/server.js';

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
const KEYSTONE = (process.env.OS_TEST_AUTH_URL ?? 'http://127.0.0.1:5001/v3').replace(/\/+$/, '');

async function keystoneMissing(): Promise<string | undefined> {
  try {
    const root = await fetch(KEYSTONE, { signal: AbortSignal.timeout(5_000) });
    return root.ok ? undefined : `Keystone at ${KEYSTONE} answered ${root.status}`;
  } catch {
    return `Keystone at ${KEYSTONE} is unreachable (scripts/openstack/setup.sh)`;
  }
}

/** Skip with a loud line, or fail when CI must have the back end. */
function availability(missing: string | undefined, suite: string): string | false {
  if (!missing) return false;
  if (process.env.CI) throw new Error(`CI: ${suite} needs its back end: ${missing}`);
  console.warn(`\n*** SKIPPED ${suite}: ${missing} ***\n`);
  return missing;
}

const openstackSkip = availability(await keystoneMissing(), 'client on openstack');

describe('client: openstack driver live against Keystone + Swift', { skip: openstackSkip }, () => {
  let server: TestServer;
  let client: DeltacloudClient;
  const bucket = `dc-client-os-${Date.now().toString(36)}`;
  before(async () => {
    server = await startDriverServer('openstack', { providers: { live: { authUrl: KEYSTONE, region: 'RegionOne' } }, defaultProvider: 'live' }, { args: ['-P', 'live'] });
    client = new DeltacloudClient({ url: `http://127.0.0.1:${server.port}/api`, user: 'demo@demo', password: 'demopass', driver: 'openstack', provider: 'live' });
  });
  after(async () => {
    await client?.blobs.destroy(bucket, 'data.bin').catch(() => undefined);
    await client?.buckets.destroy(bucket).catch(() => undefined);
    await server?.stop();
  });

  it('learns that this catalogue offers object storage only, and refuses instances before sending', async () => {
    // The entry point as the server renders it is the reference, not a list written here.
    const entry = (await getJson(server, '/api', { auth: basic('demo@demo', 'demopass') })).json().api.links.map((l: { rel: string }) => l.rel);
    assert.deepEqual((await client.collections()).sort(), [...entry].sort());
    assert.ok(entry.includes('buckets'));
    await assert.rejects(client.instances.list(), (e: unknown) => e instanceof CapabilityMissing);
  });

  it('creates a container and round-trips an object with its metadata through Swift', async () => {
    assert.equal((await client.buckets.create({ name: bucket })).id, bucket);
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const blob = await client.blobs.put(bucket, 'data.bin', new Blob([bytes]).stream(), { metadata: { origin: 'client' } });
    assert.equal(Number(blob.content_length), bytes.length);
    assert.equal((await client.blobs.get(bucket, 'data.bin')).user_metadata.origin, 'client');
    assert.ok((await client.buckets.list()).some((b) => b.id === bucket));
    const hash = createHash('sha256');
    const reader = (await client.blobs.download(bucket, 'data.bin')).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) hash.update(r.value);
    assert.equal(hash.digest('hex'), createHash('sha256').update(bytes).digest('hex'));
    await client.blobs.destroy(bucket, 'data.bin');
    await client.buckets.destroy(bucket);
    assert.ok(!(await client.buckets.list()).some((b) => b.id === bucket));
  });
});

const LIBVIRT_URI = 'qemu:///system';
const libvirtSkip = availability(!process.env.CI && process.env.LIBVIRT_LIVE === '0' ? 'LIBVIRT_LIVE=0' : virshUnavailable(LIBVIRT_URI), 'client on libvirt');

describe(`client: libvirt driver live on ${LIBVIRT_URI}`, { skip: libvirtSkip }, () => {
  let server: TestServer;
  let client: DeltacloudClient;
  const auth = basic(LIBVIRT_OPERATOR.user, LIBVIRT_OPERATOR.password);
  before(async () => {
    server = await startLibvirtServer(LIBVIRT_URI);
    client = new DeltacloudClient({ url: `http://127.0.0.1:${server.port}/api`, ...LIBVIRT_OPERATOR, driver: 'libvirt', provider: LIBVIRT_URI });
  });
  after(async () => server?.stop());

  it('lists what the host offers exactly as the API renders it, and refuses buckets before sending', async () => {
    const api = async (path: string) => (await getJson(server, path, { auth })).json();
    assert.deepEqual((await client.collections()).sort(), (await api('/api')).api.links.map((l: { rel: string }) => l.rel).sort());
    const ids = (list: Array<{ id: string }>) => list.map((x) => x.id).sort();
    assert.deepEqual(ids(await client.realms.list()), ids((await api('/api/realms')).realms));
    assert.deepEqual(ids(await client.hardwareProfiles.list()), ids((await api('/api/hardware_profiles')).hardware_profiles));
    assert.deepEqual(ids(await client.images.list()), ids((await api('/api/images')).images));
    assert.deepEqual(ids(await client.instances.list()), ids((await api('/api/instances')).instances));
    assert.ok((await client.realms.list()).length > 0, 'the host is a realm');
    await assert.rejects(client.buckets.list(), (e: unknown) => e instanceof CapabilityMissing);
  });
});
