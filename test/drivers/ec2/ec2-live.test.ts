// The ec2 driver's compute side, live: the server talking to itself through
// the real AWS SDK. Server A runs the mock driver with the EC2 Query API
// front end (`-f deltacloud,ec2`, SigV4 with mockuser / mockpassword);
// server B runs `-i ec2` with an operator-listed endpoint pointing at A's
// /ec2. Every action the front end offers is exercised through B's
// Deltacloud API.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { req, type Res } from '../../helpers/api.js';
import { MOCK_AUTH, startServer, type TestServer } from '../../helpers/server.js';
import { startEc2Server, type Ec2Server } from './helpers.js';

let front: TestServer | undefined;
let ec2: Ec2Server;
let A: string;

/** A temporary (STS-style) key of server A: requests must carry its session token. */
const TEMP_KEY = { user: 'ASIALIVEEXAMPLE', password: 'temp-secret', token: 'IQoJb3JpZ2luX2VjEXAMPLE/live+token=' };
const keysDir = mkdtempSync(join(tmpdir(), 'ec2-live-keys-'));

/** Server A's access keys (a 0600 file): the usual mockuser, and the temporary key. */
function frontEndKeys(): string {
  const file = join(keysDir, 'credentials.json');
  const mock = { driver: 'mock', user: 'mockuser', password: 'mockpassword' };
  writeFileSync(file, JSON.stringify({
    credentials: { mockuser: { secret: 'mockpassword', ...mock }, [TEMP_KEY.user]: { secret: TEMP_KEY.password, sessionToken: TEMP_KEY.token, ...mock } },
  }), { mode: 0o600 });
  return file;
}

/** Server A, or undefined (with a loud message; an error in CI) when the EC2 front end is not available. */
async function startFrontEnd(): Promise<TestServer | undefined> {
  try {
    return await startServer({ args: ['-f', 'deltacloud,ec2'], env: { DELTACLOUD_EC2_CREDENTIALS_FILE: frontEndKeys() } });
  } catch (error) {
    const message = `the EC2 Query API front end could not be started (-f deltacloud,ec2): ${(error as Error).message.split('\n')[0]}`;
    if (process.env.CI) throw new Error(`CI: ${message}`);
    console.error(`\n*** SKIPPING the ec2 driver's live EC2 tests: ${message} ***\n`);
    return undefined;
  }
}

front = await startFrontEnd();

const call = (method: string, path: string, opts: Parameters<typeof req>[3] = {}): Promise<Res> => req(ec2.server.port, method, path, { auth: MOCK_AUTH, ...opts });
const json = { accept: 'application/json' };
const xml = { accept: 'application/xml' };

describe('ec2 driver: EC2 compute, live through this server\'s EC2 front end on the mock driver', { skip: !front && 'EC2 front end not available' }, () => {
  before(async () => {
    ec2 = await startEc2Server({ endpoints: { private: { ec2: `http://127.0.0.1:${front!.port}/ec2`, region: 'us-east-1' } } }, 'private');
    A = `http://localhost:${ec2.server.port}/api`;
  });
  after(async () => {
    await ec2?.stop();
    await front?.stop();
    rmSync(keysDir, { recursive: true, force: true });
  });

  test('temporary credentials: the X-Deltacloud-Aws-Session-Token header reaches the provider as the signed security token', async () => {
    const auth = 'Basic ' + Buffer.from(`${TEMP_KEY.user}:${TEMP_KEY.password}`).toString('base64');
    const withToken = (token?: string) => call('GET', '/api/realms', { ...json, auth, headers: token === undefined ? {} : { 'X-Deltacloud-Aws-Session-Token': token } });
    const ok = await withToken(TEMP_KEY.token);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json().realms.map((r: { id: string }) => r.id), ['us', 'eu']);
    for (const token of [undefined, 'IQoJb3JpZ2luX2VjEXAMPLE/live+tokeX=']) {
      const refused = await withToken(token);
      assert.equal(refused.status, 401, `token ${token}`);
      assert.doesNotMatch(refused.text, /live\+tok/);
    }
    assert.ok(!ec2.server.output().includes(TEMP_KEY.token) && !front!.output().includes(TEMP_KEY.token), 'the token is never logged');
  });

  test('entry point: EC2 collections (no S3, ELB or CloudWatch endpoint for this provider); credentials checked with DescribeRegions', async () => {
    const entry = await call('GET', '/api', json);
    const rels = entry.json().api.links.map((l: { rel: string }) => l.rel);
    for (const c of ['instances', 'images', 'realms', 'hardware_profiles', 'keys', 'storage_volumes', 'storage_snapshots', 'addresses', 'firewalls', 'instance_states']) {
      assert.ok(rels.includes(c), c);
    }
    for (const c of ['buckets', 'load_balancers', 'metrics']) assert.ok(!rels.includes(c), c);
    assert.equal((await call('GET', '/api?force_auth=1')).status, 200);
    const wrong = 'Basic ' + Buffer.from('mockuser:not-the-secret').toString('base64');
    assert.equal((await call('GET', '/api?force_auth=1', { auth: wrong })).status, 401);
    const denied = await call('GET', '/api/instances/inst0', { ...json, auth: wrong });
    assert.equal(denied.status, 401);
    assert.doesNotMatch(denied.text, /not-the-secret/);
    assert.equal((await call('GET', '/api/load_balancers', json)).status, 501);
  });

  test('realms (DescribeAvailabilityZones) and hardware profiles (DescribeInstanceTypes)', async () => {
    const realms = (await call('GET', '/api/realms', json)).json().realms;
    assert.deepEqual(realms.map((r: { id: string }) => r.id), ['us', 'eu']);
    assert.equal((await call('GET', '/api/realms/us', json)).json().realm.state, 'AVAILABLE');
    assert.equal((await call('GET', '/api/realms/mars', json)).status, 404);
    const profiles = (await call('GET', '/api/hardware_profiles', json)).json().hardware_profiles;
    assert.ok(profiles.some((p: { id: string }) => p.id === 'm1-small'));
    const small = await call('GET', '/api/hardware_profiles/m1-small', xml);
    assert.equal(small.status, 200);
    assert.ok(small.xml().all('property').some((p) => p.attrs.name === 'memory'));
    assert.equal((await call('GET', '/api/hardware_profiles/x9.huge', json)).status, 404);
  });

  test('images: DescribeImages, CreateImage, DeregisterImage', async () => {
    const images = (await call('GET', '/api/images', json)).json().images;
    assert.ok(images.some((i: { id: string }) => i.id === 'img1'));
    const img1 = (await call('GET', '/api/images/img1', json)).json().image;
    assert.equal(img1.architecture, 'x86_64');
    assert.equal((await call('GET', '/api/images/ami-00000000', json)).status, 404);
    const created = await call('POST', '/api/images', { ...json, body: { instance_id: 'inst0', name: 'dc-ec2-image', description: 'made through the SDK' } });
    assert.equal(created.status, 201, created.text);
    const id = created.json().image.id;
    assert.equal(created.json().image.name, 'dc-ec2-image');
    assert.equal(created.headers.location, `${A}/images/${id}`);
    assert.equal((await call('DELETE', `/api/images/${id}`)).status, 204);
    assert.equal((await call('GET', `/api/images/${id}`, json)).status, 404);
  });

  test('instances: RunInstances with every option, then stop, start, reboot, terminate', async () => {
    const created = await call('POST', '/api/instances', {
      ...xml,
      body: { image_id: 'img1', hwp_id: 'm1-small', realm_id: 'us', name: 'dc-web-1', keyname: 'test-key', firewalls1: 'default', user_data: Buffer.from('#!/bin/sh\n').toString('base64') },
    });
    assert.equal(created.status, 201, created.text);
    const inst = created.xml();
    const id = inst.attrs.id!;
    assert.equal(created.headers.location, `${A}/instances/${id}`);
    assert.equal(inst.child('name').text, 'dc-web-1');
    assert.equal(inst.child('realm').attrs.id, 'us');
    assert.equal(inst.child('hardware_profile').attrs.id, 'm1-small');
    assert.equal(inst.child('authentication').child('login').child('keyname').text, 'test-key');
    assert.deepEqual(inst.child('firewalls').all('firewall').map((f) => f.attrs.id), ['default']);

    const listed = (await call('GET', '/api/instances', json)).json().instances;
    assert.ok(listed.some((i: { id: string }) => i.id === id));
    const running = (await call('GET', `/api/instances?state=RUNNING&realm_id=us`, json)).json().instances;
    assert.ok(running.every((i: { state: string }) => i.state === 'RUNNING'));

    const stopped = await call('POST', `/api/instances/${id}/stop`, json);
    assert.equal(stopped.status, 202, stopped.text);
    assert.equal(stopped.json().state, 'STOPPED');
    assert.deepEqual(stopped.json().actions.map((a: { rel: string }) => a.rel).filter((r: string) => r !== 'create_image'), ['start', 'destroy']);
    const started = await call('POST', `/api/instances/${id}/start`, json);
    assert.equal(started.json().state, 'RUNNING');
    assert.equal((await call('POST', `/api/instances/${id}/reboot`, json)).status, 202);
    assert.equal((await call('DELETE', `/api/instances/${id}`, json)).status, 405, 'EC2\'s machine: a running instance is stopped first');
    assert.equal((await call('POST', `/api/instances/${id}/stop`, json)).status, 202);
    assert.equal((await call('DELETE', `/api/instances/${id}`)).status, 204);
    const gone = await call('GET', `/api/instances/${id}`, json);
    assert.ok(gone.status === 404 || gone.json().instance.state === 'FINISH', gone.text);
    assert.equal((await call('POST', '/api/instances/i-nope/start', json)).status, 403);
  });

  test('instance_count launches several; a repeated client_token returns the first launch (no second one)', async () => {
    const many = await call('POST', '/api/instances', { ...json, body: { image_id: 'img2', instance_count: '2' } });
    assert.equal(many.status, 201, many.text);
    assert.equal(many.json().instances.length, 2);
    const count = async () => (await call('GET', '/api/instances', json)).json().instances.length as number;
    const before = await count();
    const body = { image_id: 'img1', client_token: `dc-test-${Date.now()}` };
    const first = await call('POST', '/api/instances', { ...json, body });
    const again = await call('POST', '/api/instances', { ...json, body });
    assert.equal(first.status, 201, first.text);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.json().instance.id, first.json().instance.id);
    assert.equal(await count(), before + 1);
  });

  test('keys: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair', async () => {
    const made = await call('POST', '/api/keys', { ...xml, body: { name: 'dc-ec2-key' } });
    assert.equal(made.status, 201, made.text);
    assert.match(made.xml().child('pem').text, /BEGIN RSA PRIVATE KEY/);
    assert.equal((await call('POST', '/api/keys', { ...json, body: { name: 'dc-ec2-key' } })).status, 409);
    const publicKey = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDVjQXdGJWxkw025GxoDL+OQa18ZDczU44ILCU8qeh/F7NVA709iKXIqzlNk0I2kiEBl5R0JZ2fVIFz0jzwNheK/C+hqYiFgfRkU9kNTn0dD49NJcYbuPoRxqqYikZO6j4/FuBffeAsa04TxtMWC793AoSSQKf5u7njQ5HtEmMvuZSrrj2dibwFwMzyNx2v3jPbZ4F4qhYIOyRqPpD43AbrVRx2zLUV6pzW8XDppz9ULgWe1Xbm7SyZb0mZmbrrtjQ5JS8N6R5cm+TkE0hwpydBFMvKp8LedDjUmxxgObIQkvEVEcj9xmeUAnw9vKR8GYvbNbOKdEaFWYpcJtkYhgV1 test@deltacloud';
    const imported = await call('POST', '/api/keys', { ...json, body: { name: 'dc-ec2-imported', public_key: publicKey } });
    assert.equal(imported.status, 201, imported.text);
    assert.ok(imported.json().key.fingerprint);
    const keys = (await call('GET', '/api/keys', json)).json().keys.map((k: { id: string }) => k.id);
    assert.ok(keys.includes('dc-ec2-key') && keys.includes('dc-ec2-imported'));
    assert.equal((await call('GET', '/api/keys/dc-ec2-key', json)).json().key.state, 'AVAILABLE');
    for (const k of ['dc-ec2-key', 'dc-ec2-imported']) assert.equal((await call('DELETE', `/api/keys/${k}`)).status, 204);
    assert.equal((await call('DELETE', '/api/keys/dc-ec2-key', json)).status, 404);
  });

  test('storage volumes and snapshots: create, attach, detach, snapshot, delete', async () => {
    const vol = await call('POST', '/api/storage_volumes', { ...json, body: { capacity: '2', realm_id: 'us', name: 'dc-data' } });
    assert.equal(vol.status, 201, vol.text);
    const id = vol.json().storage_volume.id;
    assert.equal(vol.json().storage_volume.capacity, 2);
    assert.deepEqual(vol.json().storage_volume.actions.map((a: { rel: string }) => a.rel), ['attach', 'detach', 'destroy']);
    const attached = await call('POST', `/api/storage_volumes/${id}/attach`, { ...json, body: { instance_id: 'inst0', device: '/dev/sdf' } });
    assert.equal(attached.status, 202, attached.text);
    assert.equal(attached.json().storage_volume.state, 'IN-USE');
    assert.equal(attached.json().storage_volume.instance.id, 'inst0');
    assert.equal(attached.json().storage_volume.device, '/dev/sdf');
    const detached = await call('POST', `/api/storage_volumes/${id}/detach`, json);
    assert.equal(detached.status, 202, detached.text);
    assert.equal(detached.json().storage_volume.state, 'AVAILABLE');

    const snap = await call('POST', '/api/storage_snapshots', { ...json, body: { volume_id: id, name: 'dc-snap' } });
    assert.equal(snap.status, 201, snap.text);
    const snapId = snap.json().storage_snapshot.id;
    assert.equal(snap.json().storage_snapshot.storage_volume.id, id);
    assert.ok((await call('GET', '/api/storage_snapshots', json)).json().storage_snapshots.some((s: { id: string }) => s.id === snapId));
    assert.equal((await call('DELETE', `/api/storage_snapshots/${snapId}`)).status, 204);
    assert.equal((await call('GET', `/api/storage_snapshots/${snapId}`, json)).status, 404);
    assert.equal((await call('DELETE', `/api/storage_volumes/${id}`)).status, 204);
    assert.equal((await call('GET', `/api/storage_volumes/${id}`, json)).status, 404);
  });

  test('addresses: allocate, associate, disassociate, release', async () => {
    const made = await call('POST', '/api/addresses', json);
    assert.equal(made.status, 201, made.text);
    const ip = made.json().address.id;
    const assoc = await call('POST', `/api/addresses/${ip}/associate`, { ...json, body: { instance_id: 'inst0' } });
    assert.equal(assoc.status, 202, assoc.text);
    const shown = (await call('GET', `/api/addresses/${ip}`, json)).json().address;
    assert.deepEqual([shown.associated, shown.instance_id], [true, 'inst0']);
    assert.equal((await call('POST', `/api/addresses/${ip}/disassociate`, json)).status, 202);
    assert.equal((await call('GET', `/api/addresses/${ip}`, json)).json().address.associated, false);
    assert.equal((await call('DELETE', `/api/addresses/${ip}`)).status, 204);
    assert.equal((await call('GET', `/api/addresses/${ip}`, json)).status, 404);
  });

  test('firewalls: security groups with ingress rules (add and delete by rule id)', async () => {
    const made = await call('POST', '/api/firewalls', { ...json, body: { name: 'dc-web', description: 'web servers' } });
    assert.equal(made.status, 201, made.text);
    const id = made.json().firewall.id;
    assert.deepEqual(made.json().firewall.rules, []);
    const withRule = await call('POST', `/api/firewalls/${id}/rules`, {
      ...json, body: { protocol: 'tcp', port_from: '80', port_to: '80', ip_address1: '10.0.0.0/8', group1: 'default', group1owner: 'mockuser' },
    });
    assert.equal(withRule.status, 201, withRule.text);
    const [rule] = withRule.json().firewall.rules;
    assert.equal(rule.id, 'mockuser~tcp~80~80~@address,ipv4,10.0.0.0,8,@group,mockuser,default');
    assert.equal((await call('POST', `/api/firewalls/${id}/rules`, { ...json, body: { protocol: 'tcp', port_from: '1', port_to: '2' } })).status, 400);
    assert.equal((await call('DELETE', `/api/firewalls/${id}/${rule.id}`)).status, 204);
    assert.deepEqual((await call('GET', `/api/firewalls/${id}`, json)).json().firewall.rules, []);
    assert.equal((await call('DELETE', `/api/firewalls/${id}/${rule.id}`, json)).status, 404);
    assert.equal((await call('DELETE', `/api/firewalls/${id}`)).status, 204);
    assert.equal((await call('GET', `/api/firewalls/${id}`, json)).status, 404);
  });

  test('actions the EC2 endpoint does not offer → 501', async () => {
    assert.equal((await call('GET', '/api/networks/vpc-1', json)).status, 501);
  });

  test('no secret in either server\'s output', () => {
    for (const out of [ec2.server.output(), front!.output()]) assert.doesNotMatch(out, /mockpassword/);
  });
});
