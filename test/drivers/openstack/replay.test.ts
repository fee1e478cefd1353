// The openstack driver through the Deltacloud API against a replay stub of
// Nova, Glance, Cinder, Neutron and Keystone (recorded response bodies in
// test/fixtures/openstack/). Each test checks what the API answers and what
// the driver sent to the cloud (method, path, query, body fields, headers).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { call } from '../../helpers/api.js';
import { freePort, startServer, type TestServer } from '../../helpers/server.js';
import { PASSWORD, PROJECT, ReplayStub, type Recorded } from './replay-stub.js';

const AUTH = 'Basic ' + Buffer.from(`admin@admin:${PASSWORD}`).toString('base64');
const JSON_ACCEPT = 'application/json';
const P = `/v2/${PROJECT}`;

let stub: ReplayStub;
let server: TestServer;
let configDir: string;
let silent: Server;
let silentPort: number;
let closedPort: number;

before(async () => {
  stub = new ReplayStub();
  await stub.start();
  // A port that accepts connections and never answers (timeouts), and one where nothing listens.
  silent = createServer(() => {});
  await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
  silentPort = (silent.address() as AddressInfo).port;
  closedPort = await freePort();
  configDir = mkdtempSync(join(tmpdir(), 'openstack-replay-'));
  const config = join(configDir, 'config.json');
  writeFileSync(config, JSON.stringify({
    drivers: {
      openstack: {
        providers: { replay: { authUrl: stub.authUrl, region: 'regionOne' } },
        defaultProvider: 'replay',
        requestTimeoutSeconds: 2,
      },
    },
  }));
  chmodSync(config, 0o600);
  server = await startServer({ args: ['-i', 'openstack', '-c', config] });
});

after(async () => {
  await server?.stop();
  await stub?.stop();
  silent?.closeAllConnections();
  await new Promise((ok) => silent?.close(ok));
  rmSync(configDir, { recursive: true, force: true });
});

beforeEach(() => stub.reset());

/** An API call as admin@admin, JSON unless told otherwise. */
async function api(method: string, path: string, opts: { body?: URLSearchParams | string; accept?: string; auth?: string | false; headers?: Record<string, string> } = {}) {
  return call(server, method, path, { accept: opts.accept ?? JSON_ACCEPT, auth: opts.auth ?? AUTH, body: opts.body, headers: opts.headers });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

/** The one recorded request matching, failing with the list of what was sent otherwise. */
function sent(service: Recorded['service'], method: string, path: string | RegExp): Recorded {
  const r = stub.find(service, method, path);
  assert.ok(r, `expected ${method} ${String(path)} to ${service}; got:\n${stub.requests.map((x) => `${x.service} ${x.method} ${x.path}?${x.query}`).join('\n')}`);
  return r;
}

function notSent(service: Recorded['service'], method: string, path: string | RegExp): void {
  assert.equal(stub.find(service, method, path), undefined, `${method} ${String(path)} must not reach ${service}`);
}

describe('authentication, provider allow-list and catalogue', () => {
  test('Keystone v3 password auth with project scope; the collections follow the catalogue', async () => {
    const res = await api('GET', '/api');
    assert.equal(res.status, 200);
    const rels = res.json().api.links.map((l: { rel: string }) => l.rel).sort();
    // The recorded catalogue has compute, image, volume(v2), network and identity, but no object-store.
    assert.deepEqual(rels, [
      'addresses', 'drivers', 'firewalls', 'hardware_profiles', 'images', 'instance_states', 'instances', 'keys',
      'network_interfaces', 'networks', 'realms', 'storage_snapshots', 'storage_volumes', 'subnets',
    ]);
    const auth = sent('identity', 'POST', '/v3/auth/tokens');
    assert.deepEqual(auth.body.auth.identity.methods, ['password']);
    assert.deepEqual(auth.body.auth.identity.password.user, { name: 'admin', domain: { name: 'Default' }, password: PASSWORD });
    assert.deepEqual(auth.body.auth.scope, { project: { name: 'admin', domain: { name: 'Default' } } });
  });

  test('user@project@domain scopes user and project to that domain', async () => {
    const res = await api('GET', '/api/hardware_profiles', { auth: 'Basic ' + Buffer.from(`admin@admin@corp:${PASSWORD}`).toString('base64') });
    assert.equal(res.status, 200);
    const auth = sent('identity', 'POST', '/v3/auth/tokens');
    assert.deepEqual(auth.body.auth.identity.password.user.domain, { name: 'corp' });
    assert.deepEqual(auth.body.auth.scope.project.domain, { name: 'corp' });
  });

  test('no credentials: 401 with a challenge; wrong password: 401 from Keystone', async () => {
    const none = await api('GET', '/api/realms', { auth: false });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm="openstack-deltacloud@/);
    const wrong = await api('GET', '/api/instances/12064', { auth: 'Basic ' + Buffer.from('admin@admin:nope').toString('base64') });
    assert.equal(wrong.status, 401);
    assert.equal(stub.calls('identity', 'POST').length, 1);
    assert.equal(stub.calls('compute').length, 0);
    const forced = await api('GET', '/api?force_auth=1', { auth: 'Basic ' + Buffer.from('admin@admin:nope').toString('base64') });
    assert.equal(forced.status, 401);
    assert.equal(forced.text, 'Authentication failed');
  });

  test('a user name without a project is refused before Keystone is asked', async () => {
    const res = await api('GET', '/api/realms', { auth: 'Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64') });
    assert.equal(res.status, 401);
    assert.equal(stub.requests.length, 0);
  });

  test('an unlisted Keystone URL is refused (400) and never contacted', async () => {
    const rogue = `http://127.0.0.1:${stub.ports.rogue}/v3`;
    for (const provider of [rogue, `${rogue};regionOne`, 'elsewhere']) {
      const res = await api('GET', '/api/realms', { headers: { 'X-Deltacloud-Provider': provider } });
      assert.equal(res.status, 400, provider);
    }
    const matrix = await api('GET', `/api;provider=${encodeURIComponent(rogue)}/realms`);
    assert.equal(matrix.status, 400);
    assert.equal(stub.requests.length, 0, 'nothing may be contacted for a refused provider');
  });

  test('the allow-listed URL itself, and a region override, are accepted', async () => {
    const byUrl = await api('GET', '/api/hardware_profiles', { headers: { 'X-Deltacloud-Provider': `${stub.authUrl}/` } });
    assert.equal(byUrl.status, 200);
    const otherRegion = await api('GET', '/api/hardware_profiles', { headers: { 'X-Deltacloud-Provider': 'replay;RegionTwo' } });
    // No endpoint of the recorded catalogue is in RegionTwo: the service is not offered there.
    assert.equal(otherRegion.status, 501);
  });

  test('a service refusing the token once: one re-authentication, then success', async () => {
    stub.rejectNextCompute = 1;
    const res = await api('GET', '/api/hardware_profiles');
    assert.equal(res.status, 200);
    assert.equal(stub.calls('identity', 'POST').length, 2);
    assert.equal(stub.calls('compute', 'GET').length, 2);
    const [first, second] = stub.calls('compute', 'GET');
    assert.notEqual(first!.headers['x-auth-token'], second!.headers['x-auth-token']);
  });

  test('a service refusing fresh tokens too: 401, after exactly one retry', async () => {
    stub.rejectNextCompute = 5;
    const res = await api('GET', '/api/hardware_profiles/7');
    assert.equal(res.status, 401);
    assert.equal(stub.calls('compute', 'GET').length, 2);
  });
});

describe('realms and hardware profiles (Nova)', () => {
  test('realms: availability zones, with the default realm when Nova lists none', async () => {
    const res = await api('GET', '/api/realms');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json().realms.map((r: { id: string; state: string }) => [r.id, r.state]), [['default', 'AVAILABLE']]);
    const req = sent('compute', 'GET', `${P}/os-availability-zone`);
    assert.equal(req.headers['openstack-api-version'], 'compute 2.45');
    assert.equal(req.headers['x-openstack-nova-api-version'], '2.45');
    assert.ok(String(req.headers['x-auth-token']).startsWith('replay-token-'));
  });

  test('hardware profiles are flavors with fixed cpu, memory and storage', async () => {
    const res = await api('GET', '/api/hardware_profiles');
    assert.equal(res.status, 200);
    const profiles = res.json().hardware_profiles;
    assert.equal(profiles.length, 8);
    const seven = profiles.find((p: { id: string }) => p.id === '7');
    assert.equal(seven.name, '15.5GB slice');
    assert.deepEqual(seven.properties, { cpu: '8', memory: '16384', storage: '620' });
    const req = sent('compute', 'GET', `${P}/flavors/detail`);
    assert.equal(req.query.get('limit'), '1000');
    const xml = await api('GET', '/api/hardware_profiles/7', { accept: 'application/xml' });
    assert.equal(xml.status, 200);
    assert.match(xml.text, /<property kind='fixed' name='memory' unit='MB' value='16384' \/>/);
    sent('compute', 'GET', `${P}/flavors/7`);
    const missing = await api('GET', '/api/hardware_profiles/99');
    assert.equal(missing.status, 404);
  });
});

describe('images (Glance v2)', () => {
  test('listing follows the next link (marker) to the last page', async () => {
    const res = await api('GET', '/api/images');
    assert.equal(res.status, 200);
    const images = res.json().images;
    assert.deepEqual(images.map((i: { id: string }) => i.id), [
      'f24a3c1b-d52a-4116-91da-25b3eee8f55e', '4bd743f8-7e7d-4568-8f31-b3f06b90e70a', 'f24a3c1b-d52a-4116-91da-25b3eee8f55c',
    ]);
    assert.equal(images[0].name, 'hypernode');
    assert.equal(images[0].owner, 'd85e344900774f5aad27e4e8e91205d6');
    assert.equal(images[0].state, 'AVAILABLE');
    const pages = stub.calls('image', 'GET');
    assert.equal(pages.length, 2);
    assert.equal(pages[0]!.query.get('marker'), null);
    assert.equal(pages[1]!.query.get('marker'), 'e7a40226-3523-4f0f-87d8-d8dc91bbf4a3');
  });

  test('each image lists the flavors it fits: min_disk (40 GB here) and the image size within the flavor\'s disk', async () => {
    const res = await api('GET', '/api/images');
    assert.equal(res.status, 200);
    // Recorded flavors, in Nova's order: 7 (620 GB), 3 (40), 1 (10), 4 (80), 8 (1200), 5 (160), 2 (20), 6 (320).
    for (const image of res.json().images) {
      assert.deepEqual(image.hardware_profiles.map((p: { id: string }) => p.id), ['7', '3', '4', '8', '5', '6'], image.id);
    }
    sent('compute', 'GET', `${P}/flavors/detail`);
    const one = await api('GET', '/api/images/4949f9ee-2421-4c81-8b49-13119446008b', { accept: 'application/xml' });
    assert.equal(one.status, 200);
    assert.match(one.text, /<hardware_profiles>\s*<hardware_profile href='[^']*\/api\/hardware_profiles\/7' id='7' rel='hardware_profile' \/>/);
  });

  test('a next link without a marker ends the listing (no endless loop)', async () => {
    stub.imagesVariant = 'invalid-next';
    const res = await api('GET', '/api/images');
    assert.equal(res.json().images.length, 2);
    assert.equal(stub.calls('image', 'GET').length, 1);
  });

  test('show, owner filter, destroy', async () => {
    const one = await api('GET', '/api/images/4949f9ee-2421-4c81-8b49-13119446008b');
    assert.equal(one.status, 200);
    assert.equal(one.json().image.name, 'new_image');
    assert.equal(one.json().image.state, 'SAVING');
    const mine = await api('GET', '/api/images?owner_id=d85e344900774f5aad27e4e8e91205d6');
    assert.equal(mine.json().images.length, 3);
    assert.equal(sent('image', 'GET', '/v2/images').query.get('owner'), 'd85e344900774f5aad27e4e8e91205d6');
    const gone = await api('DELETE', '/api/images/4949f9ee-2421-4c81-8b49-13119446008b');
    assert.equal(gone.status, 204);
    sent('image', 'DELETE', '/v2/images/4949f9ee-2421-4c81-8b49-13119446008b');
  });

  test('create from an instance = Nova createImage, then the Glance image', async () => {
    const res = await api('POST', '/api/images', { body: form({ instance_id: '12064', name: 'new_image', description: 'nightly' }) });
    assert.equal(res.status, 201);
    assert.equal(res.json().image.id, '4949f9ee-2421-4c81-8b49-13119446008b');
    assert.match(res.headers.get('location') ?? '', /\/api\/images\/4949f9ee-2421-4c81-8b49-13119446008b$/);
    const action = sent('compute', 'POST', `${P}/servers/12064/action`);
    assert.deepEqual(action.body, { createImage: { name: 'new_image', metadata: { description: 'nightly' } } });
    sent('image', 'GET', '/v2/images/4949f9ee-2421-4c81-8b49-13119446008b');
  });
});

describe('instances (Nova servers)', () => {
  test('list: states from status and task state, addresses, profile, image', async () => {
    const res = await api('GET', '/api/instances');
    assert.equal(res.status, 200);
    const [building, active] = res.json().instances;
    assert.equal(building.id, '12065');
    assert.equal(building.state, 'PENDING');
    assert.deepEqual(building.actions.map((a: { rel: string }) => a.rel), ['destroy']);
    assert.equal(active.id, '12064');
    assert.equal(active.state, 'RUNNING');
    assert.deepEqual(active.actions.map((a: { rel: string }) => a.rel), ['reboot', 'stop', 'destroy', 'create_image']);
    assert.equal(active.image.id, '7');
    assert.equal(active.hardware_profile.id, '2');
    assert.equal(active.owner, 'rs-reach-project');
    assert.deepEqual(active.public_addresses, [{ address: '50.57.94.30', type: 'ipv4' }, { address: '2001:4801:7808:52:16:3eff:fe77:32e3', type: 'ipv6' }]);
    assert.deepEqual(active.private_addresses.map((a: { address: string }) => a.address), ['10.182.64.29', 'fec0:4801:7808:52:16:3eff:fe6e:b7e2']);
    // Neutron-tagged addresses: floating → public, fixed → private.
    const pub = building.public_addresses.map((a: { address: string }) => a.address);
    assert.ok(pub.includes('192.168.3.3') && pub.includes('2.2.2.2') && pub.includes('172.16.1.1'));
    const priv = building.private_addresses.map((a: { address: string }) => a.address);
    assert.ok(priv.includes('10.3.3.3') && priv.includes('1.1.1.1') && priv.includes('12.16.18.28'));
    assert.equal(sent('compute', 'GET', `${P}/servers/detail`).query.get('limit'), '1000');
    const running = await api('GET', '/api/instances?state=RUNNING');
    assert.deepEqual(running.json().instances.map((i: { id: string }) => i.id), ['12064']);
  });

  test('an ERROR server shows ERROR and can only be destroyed', async () => {
    stub.serversVariant = 'error';
    const res = await api('GET', '/api/instances', { accept: 'application/xml' });
    assert.equal(res.status, 200);
    assert.match(res.text, /<state>ERROR<\/state>/);
    assert.match(res.text, /<realm href='[^']*\/api\/realms\/nova' id='nova'/);
    assert.match(res.text, /<storage_volume href='[^']*' id='0056485c-ada5-4e44-9905-5b09a18b0139'/);
    assert.match(res.text, /<keyname>my_key<\/keyname>/);
    assert.doesNotMatch(res.text, /rel='(start|stop|reboot)'/);
    assert.match(res.text, /method='delete' rel='destroy'/);
    const stop = await api('POST', '/api/instances/2d05bd68-3fbb-4b47-9f38-c690a5d93e45/stop');
    assert.equal(stop.status, 405);
    notSent('compute', 'POST', /\/action$/);
    const gone = await api('DELETE', '/api/instances/2d05bd68-3fbb-4b47-9f38-c690a5d93e45');
    assert.equal(gone.status, 204);
    sent('compute', 'DELETE', `${P}/servers/2d05bd68-3fbb-4b47-9f38-c690a5d93e45`);
  });

  test('show; a server of microversion 2.47+ (embedded flavor) still names its profile', async () => {
    const res = await api('GET', '/api/instances/12064');
    assert.equal(res.status, 200);
    assert.equal(res.json().instance.state, 'RUNNING');
    const embedded = await api('GET', '/api/instances/12064247');
    assert.equal(embedded.json().instance.hardware_profile.id, 'flavor_name');
    const missing = await api('GET', '/api/instances/nope');
    assert.equal(missing.status, 404);
  });

  test('create with every parameter: the POST /servers body', async () => {
    const userData = '#!/bin/sh\necho "hello from deltacloud"\n';
    const res = await api('POST', '/api/instances', {
      body: form({
        image_id: 'fcf5582a-ad13-4d98-90a6-742116f1793c', hwp_id: '7', realm_id: 'testaz', name: 'racktest', keyname: 'devstack',
        user_data: Buffer.from(userData).toString('base64'), firewalls1: 'default', firewalls2: 'ftp',
      }),
    });
    assert.equal(res.status, 201, res.text);
    const created = res.json().instance;
    assert.equal(created.id, '26f7fbee-8ce1-4c28-887a-bfe8e4bb10fe');
    assert.equal(created.state, 'PENDING');
    assert.equal(created.realm.id, 'testaz');
    assert.match(res.headers.get('location') ?? '', /\/api\/instances\/26f7fbee-8ce1-4c28-887a-bfe8e4bb10fe$/);
    sent('compute', 'GET', `${P}/flavors/7`);
    const post = sent('compute', 'POST', `${P}/servers`);
    assert.equal(post.headers['openstack-api-version'], 'compute 2.45');
    assert.equal(post.headers['content-type'], 'application/json');
    const s = post.body.server;
    assert.equal(s.name, 'racktest');
    assert.equal(s.imageRef, 'fcf5582a-ad13-4d98-90a6-742116f1793c');
    assert.equal(s.flavorRef, '7');
    assert.equal(s.key_name, 'devstack');
    assert.equal(Buffer.from(s.user_data, 'base64').toString(), userData);
    assert.deepEqual(s.security_groups.map((g: { name: string }) => g.name).sort(), ['default', 'ftp']);
    assert.equal(s.availability_zone, 'testaz');
    assert.equal(s.networks, 'auto');
    assert.equal(s.min_count, undefined);
    sent('compute', 'GET', `${P}/servers/26f7fbee-8ce1-4c28-887a-bfe8e4bb10fe`);
  });

  test('instance_count asks Nova for min/max count and a reservation id; default realm means no zone', async () => {
    const res = await api('POST', '/api/instances', { body: form({ image_id: '7', hwp_id: '7', instance_count: '3', realm_id: 'default' }) });
    assert.equal(res.status, 201);
    const s = sent('compute', 'POST', `${P}/servers`).body.server;
    assert.equal(s.min_count, 3);
    assert.equal(s.max_count, 3);
    assert.equal(s.return_reservation_id, true);
    assert.equal(s.availability_zone, undefined);
    assert.match(s.name, /^deltacloud-/);
  });

  test('an unknown hardware profile is refused before Nova is asked to create', async () => {
    const res = await api('POST', '/api/instances', { body: form({ image_id: '7', hwp_id: '99' }) });
    assert.equal(res.status, 400);
    assert.equal(res.json().message, "Hardware profile '99' does not exists.");
    notSent('compute', 'POST', `${P}/servers`);
  });

  test('a Nova without microversion 2.45: 406, then the base API without networks', async () => {
    stub.refuseMicroversion = true;
    const res = await api('POST', '/api/instances', { body: form({ image_id: '7', hwp_id: '7', name: 'old' }) });
    assert.equal(res.status, 201, res.text);
    // The first compute call (the flavor check) met the 406 and was repeated without the microversion;
    // from then on this endpoint gets the base API, and the create body has no `networks`.
    const flavorChecks = stub.calls('compute', 'GET').filter((r) => r.path === `${P}/flavors/7`);
    assert.equal(flavorChecks.length, 2);
    assert.equal(flavorChecks[0]!.headers['openstack-api-version'], 'compute 2.45');
    assert.equal(flavorChecks[1]!.headers['openstack-api-version'], undefined);
    const posts = stub.calls('compute', 'POST');
    assert.equal(posts.length, 1);
    assert.equal(posts[0]!.headers['openstack-api-version'], undefined);
    assert.equal(posts[0]!.body.server.networks, undefined);
    assert.equal(posts[0]!.body.server.name, 'old');
  });

  test('stop, reboot, start: real Nova actions; refused in the wrong state', async () => {
    for (const [action, body] of [['stop', { 'os-stop': null }], ['reboot', { reboot: { type: 'SOFT' } }]] as const) {
      stub.reset();
      const res = await api('POST', `/api/instances/12064/${action}`);
      assert.equal(res.status, 202, action);
      assert.equal(res.json().id, '12064');
      assert.deepEqual(sent('compute', 'POST', `${P}/servers/12064/action`).body, body);
    }
    stub.reset();
    const start = await api('POST', '/api/instances/12064/start');
    assert.equal(start.status, 405); // it is running
    notSent('compute', 'POST', /\/action$/);
    const gone = await api('DELETE', '/api/instances/12064');
    assert.equal(gone.status, 204);
    sent('compute', 'DELETE', `${P}/servers/12064`);
    const missing = await api('POST', '/api/instances/nope/reboot');
    assert.equal(missing.status, 403);
  });
});

describe('keys (Nova keypairs)', () => {
  test('list, show, 404', async () => {
    const res = await api('GET', '/api/keys');
    assert.deepEqual(res.json().keys.map((k: { id: string; fingerprint: string }) => [k.id, k.fingerprint]), [
      ['key1', '22:0e:d6:f7:bd:5e:ee:49:cf:1f:10:d5:9c:a8:35:64'], ['key2', '5d:66:33:ae:99:0f:fb:cb:86:f2:bc:ae:53:99:b6:ed'],
    ]);
    sent('compute', 'GET', `${P}/os-keypairs`);
    const one = await api('GET', '/api/keys/test-key-pair');
    assert.equal(one.json().key.fingerprint, 'a9:55:e8:b8:49:45:7b:aa:a9:33:fb:97:86:79:2c:1b');
    const missing = await api('GET', '/api/keys/nope');
    assert.equal(missing.status, 404);
  });

  test('create (Nova generates the pair) and import (public key)', async () => {
    const made = await api('POST', '/api/keys', { body: form({ name: 'key0' }), accept: 'application/xml' });
    assert.equal(made.status, 201);
    assert.match(made.text, /<pem><!\[CDATA\[-----BEGIN RSA PRIVATE KEY-----/);
    assert.deepEqual(sent('compute', 'POST', `${P}/os-keypairs`).body, { keypair: { name: 'key0' } });
    stub.reset();
    const publicKey = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCzTJr5 dummycomment';
    const imported = await api('POST', '/api/keys', { body: form({ name: 'key3', public_key: publicKey }) });
    assert.equal(imported.status, 201);
    assert.equal(imported.json().key.id, 'key3');
    assert.deepEqual(sent('compute', 'POST', `${P}/os-keypairs`).body, { keypair: { name: 'key3', public_key: publicKey } });
    const gone = await api('DELETE', '/api/keys/key1');
    assert.equal(gone.status, 204);
    sent('compute', 'DELETE', `${P}/os-keypairs/key1`);
  });
});

describe('storage volumes and snapshots (Cinder)', () => {
  test('list and show', async () => {
    const res = await api('GET', '/api/storage_volumes');
    const [attached, odd] = res.json().storage_volumes;
    assert.equal(attached.id, '6edbc2f4-1507-44f8-ac0d-eed1d2608d38');
    assert.equal(attached.state, 'IN-USE');
    assert.equal(attached.instance.id, 'f4fda93b-06e0-4743-8117-bc8bcecd651b');
    assert.equal(attached.device, '/dev/vdb');
    assert.equal(attached.capacity, 2);
    assert.equal(attached.kind, 'lvmdriver-1');
    assert.deepEqual(attached.actions.map((a: { rel: string }) => a.rel), ['detach']);
    assert.equal(odd.state, 'SOME-UNKNOWN-STATE');
    assert.equal(odd.name, 'test_volume');
    sent('volume', 'GET', `${P}/volumes/detail`);
    const one = await api('GET', '/api/storage_volumes/cd76a3a1-c4ce-40f6-9b9f-07a61508938d', { accept: 'application/xml' });
    assert.match(one.text, /<state>AVAILABLE<\/state>/);
    assert.match(one.text, /rel='attach'/);
  });

  test('create, attach and detach through Nova, destroy', async () => {
    const made = await api('POST', '/api/storage_volumes', { body: form({ capacity: '1', realm_id: 'nova', name: 'test', description: 'Super volume.' }) });
    assert.equal(made.status, 201);
    assert.equal(made.json().storage_volume.id, 'cd76a3a1-c4ce-40f6-9b9f-07a61508938d');
    assert.deepEqual(sent('volume', 'POST', `${P}/volumes`).body, { volume: { size: 1, availability_zone: 'nova', name: 'test', description: 'Super volume.' } });

    const attach = await api('POST', '/api/storage_volumes/cd76a3a1-c4ce-40f6-9b9f-07a61508938d/attach', { body: form({ instance_id: '12065', device: '/dev/vdb' }) });
    assert.equal(attach.status, 202);
    assert.equal(attach.json().storage_volume.instance.id, '12065');
    assert.deepEqual(sent('compute', 'POST', `${P}/servers/12065/os-volume_attachments`).body, {
      volumeAttachment: { volumeId: 'cd76a3a1-c4ce-40f6-9b9f-07a61508938d', device: '/dev/vdb' },
    });

    const detach = await api('POST', '/api/storage_volumes/cd76a3a1-c4ce-40f6-9b9f-07a61508938d/detach');
    assert.equal(detach.status, 202);
    sent('compute', 'DELETE', `${P}/servers/12065/os-volume_attachments/cd76a3a1-c4ce-40f6-9b9f-07a61508938d`);
    assert.equal(detach.json().storage_volume.state, 'AVAILABLE');

    const gone = await api('DELETE', '/api/storage_volumes/cd76a3a1-c4ce-40f6-9b9f-07a61508938d');
    assert.equal(gone.status, 204);
    sent('volume', 'DELETE', `${P}/volumes/cd76a3a1-c4ce-40f6-9b9f-07a61508938d`);
    const bad = await api('POST', '/api/storage_volumes', { body: form({ capacity: '1.5' }) });
    assert.equal(bad.status, 400);
  });

  test('snapshots: every page (next link to another host: only its marker is used), create, destroy', async () => {
    const res = await api('GET', '/api/storage_snapshots');
    const snaps = res.json().storage_snapshots;
    assert.equal(snaps.length, 6);
    assert.equal(snaps[0].storage_volume.id, '473f7b48-c4c1-4e70-9acc-086b39073506');
    const pages = stub.calls('volume', 'GET');
    assert.equal(pages.length, 2);
    assert.equal(pages[1]!.path, `${P}/snapshots/detail`);
    assert.equal(pages[1]!.query.get('marker'), 'abcde279-4cc0-4b47-a4ee-ec9c9e474b1b');

    const made = await api('POST', '/api/storage_snapshots', { body: form({ volume_id: '5aa119a8-d25b-45a7-8d1b-88e127885635', name: 'test', description: 'Daily backup' }) });
    assert.equal(made.status, 201);
    assert.deepEqual(sent('volume', 'POST', `${P}/snapshots`).body, {
      snapshot: { volume_id: '5aa119a8-d25b-45a7-8d1b-88e127885635', force: true, name: 'test', description: 'Daily backup' },
    });
    const one = await api('GET', '/api/storage_snapshots/3fbbcccf-d058-4502-8844-6feeffdf4cb5');
    assert.equal(one.json().storage_snapshot.state, 'AVAILABLE');
    const gone = await api('DELETE', '/api/storage_snapshots/3fbbcccf-d058-4502-8844-6feeffdf4cb5');
    assert.equal(gone.status, 204);
    sent('volume', 'DELETE', `${P}/snapshots/3fbbcccf-d058-4502-8844-6feeffdf4cb5`);
  });
});

describe('addresses (Neutron floating IPs)', () => {
  test('list and show: the address is the id; associated ones name their instance', async () => {
    const res = await api('GET', '/api/addresses');
    const list = res.json().addresses;
    assert.equal(list.length, 5);
    assert.deepEqual(list[0], { id: '10.3.1.42', href: list[0].href, associated: false });
    assert.equal(list[1].instance_id, 'fcfc96da-19e2-40fd-8497-f29da1b21143');
    stub.reset();
    const one = await api('GET', '/api/addresses/10.3.1.21');
    assert.equal(one.json().address.instance_id, 'fcfc96da-19e2-40fd-8497-f29da1b21143');
    assert.equal(sent('network', 'GET', '/v2.0/floatingips').query.get('floating_ip_address'), '10.3.1.21');
  });

  test('create from the external network; associate = the instance port; disassociate; destroy', async () => {
    const made = await api('POST', '/api/addresses');
    assert.equal(made.status, 201);
    assert.equal(made.json().address.id, '10.3.1.42');
    assert.equal(sent('network', 'GET', '/v2.0/networks').query.get('router:external'), 'true');
    assert.deepEqual(sent('network', 'POST', '/v2.0/floatingips').body, { floatingip: { floating_network_id: 'd32019d3-bc6e-4319-9c1d-6722fc136a22' } });

    stub.reset();
    const assoc = await api('POST', '/api/addresses/10.3.1.42/associate', { body: form({ instance_id: '95e75643-2008-123f-ad13-e20ea64e3c87' }) });
    assert.equal(assoc.status, 202);
    assert.equal(sent('network', 'GET', '/v2.0/ports').query.get('device_id'), '95e75643-2008-123f-ad13-e20ea64e3c87');
    assert.deepEqual(sent('network', 'PUT', '/v2.0/floatingips/09ea1784-2f81-46dc-8c91-244b4df75bde').body, {
      floatingip: { port_id: '126da55e-cfcb-41c8-ae39-a26cb8a7e723' },
    });

    stub.reset();
    const dis = await api('POST', '/api/addresses/10.3.1.1/disassociate');
    assert.equal(dis.status, 202);
    assert.deepEqual(sent('network', 'PUT', '/v2.0/floatingips/04c5336a-0629-4694-ba30-04b0bdfa88a4').body, { floatingip: { port_id: null } });

    const gone = await api('DELETE', '/api/addresses/10.3.1.42');
    assert.equal(gone.status, 204);
    sent('network', 'DELETE', '/v2.0/floatingips/09ea1784-2f81-46dc-8c91-244b4df75bde');
    const missing = await api('DELETE', '/api/addresses/192.0.2.99');
    assert.equal(missing.status, 404);
  });
});

describe('firewalls (Neutron security groups and rules)', () => {
  test('list and show with rules', async () => {
    const res = await api('GET', '/api/firewalls');
    const [def, ftp] = res.json().firewalls;
    assert.equal(def.id, '2');
    assert.deepEqual(def.rules, []);
    assert.equal(ftp.name, 'ftp');
    assert.equal(ftp.owner_id, '68');
    assert.deepEqual(ftp.rules, [{
      id: '1', allow_protocol: 'tcp', port_from: '20', port_to: '21', direction: 'ingress',
      sources: [{ type: 'address', family: 'ipv4', address: '0.0.0.0', prefix: '0' }],
    }]);
    const one = await api('GET', '/api/firewalls/6');
    assert.equal(one.json().firewall.name, 'test');
  });

  test('create, add rules (address and group sources), delete rule and group', async () => {
    const made = await api('POST', '/api/firewalls', { body: form({ name: 'test', description: 'Test Security Group' }) });
    assert.equal(made.status, 201);
    assert.deepEqual(sent('network', 'POST', '/v2.0/security-groups').body, { security_group: { name: 'test', description: 'Test Security Group' } });

    const rule = await api('POST', '/api/firewalls/6/rules', {
      body: form({ protocol: 'tcp', port_from: '14', port_to: '16', ip_address1: '0.0.0.0/0', group1: 'ftp', group1owner: '68' }),
    });
    assert.equal(rule.status, 201, rule.text);
    const posted = stub.calls('network', 'POST').filter((r) => r.path === '/v2.0/security-group-rules').map((r) => r.body.security_group_rule);
    assert.deepEqual(posted, [
      { security_group_id: '6', direction: 'ingress', protocol: 'tcp', port_range_min: 14, port_range_max: 16, ethertype: 'IPv4', remote_ip_prefix: '0.0.0.0/0' },
      { security_group_id: '6', direction: 'ingress', protocol: 'tcp', port_range_min: 14, port_range_max: 16, ethertype: 'IPv4', remote_group_id: '4' },
    ]);
    const unknownGroup = await api('POST', '/api/firewalls/6/rules', { body: form({ protocol: 'tcp', port_from: '1', port_to: '2', group1: 'nosuch', group1owner: '1' }) });
    assert.equal(unknownGroup.status, 400);

    const ruleGone = await api('DELETE', '/api/firewalls/6/2');
    assert.equal(ruleGone.status, 204);
    sent('network', 'DELETE', '/v2.0/security-group-rules/2');
    const gone = await api('DELETE', '/api/firewalls/6');
    assert.equal(gone.status, 204);
    sent('network', 'DELETE', '/v2.0/security-groups/6');
  });
});

describe('networks, subnets and network interfaces (Neutron)', () => {
  test('networks with their subnets\' address blocks', async () => {
    const res = await api('GET', '/api/networks');
    const nets = res.json().networks;
    assert.deepEqual(nets.map((n: { id: string; state: string; address_blocks: string[] }) => [n.id, n.state, n.address_blocks]), [
      ['d32019d3-bc6e-4319-9c1d-6722fc136a22', 'UP', ['192.0.0.0/8']],
      ['db193ab3-96e3-4cb3-8fc5-05f4296d0324', 'UP', ['10.0.0.0/24']],
    ]);
    sent('network', 'GET', '/v2.0/subnets');
    const one = await api('GET', '/api/networks/cc2dad14-827a-feea-416b-f13e50511a0a');
    assert.deepEqual(one.json().network.address_blocks, ['10.0.0.0/24']);
  });

  test('create a network with an address block (network + subnet), destroy', async () => {
    const made = await api('POST', '/api/networks', { body: form({ name: 'net1', address_block: '192.0.0.0/8' }) });
    assert.equal(made.status, 200);
    assert.equal(made.json().network.id, 'd32019d3-bc6e-4319-9c1d-6722fc136a22');
    assert.deepEqual(sent('network', 'POST', '/v2.0/networks').body, { network: { name: 'net1', admin_state_up: true } });
    assert.deepEqual(sent('network', 'POST', '/v2.0/subnets').body, {
      subnet: { network_id: 'd32019d3-bc6e-4319-9c1d-6722fc136a22', cidr: '192.0.0.0/8', ip_version: 4, name: 'net1' },
    });
    const gone = await api('DELETE', '/api/networks/d32019d3-bc6e-4319-9c1d-6722fc136a22');
    assert.equal(gone.status, 204);
    sent('network', 'DELETE', '/v2.0/networks/d32019d3-bc6e-4319-9c1d-6722fc136a22');
  });

  test('subnets: list, show, create, destroy', async () => {
    const res = await api('GET', '/api/subnets');
    assert.deepEqual(res.json().subnets.map((x: { id: string; address_block: string }) => [x.id, x.address_block]), [
      ['08eae331-0402-425a-923c-34f7cfe39c1b', '10.0.0.0/24'], ['54d6f61d-db07-451c-9ab3-b9609b6b6f0b', '192.0.0.0/8'],
    ]);
    const one = await api('GET', '/api/subnets/08eae331-0402-425a-923c-34f7cfe39c1b');
    assert.equal(one.json().subnet.network.id, 'db193ab3-96e3-4cb3-8fc5-05f4296d0324');
    const made = await api('POST', '/api/subnets', { body: form({ network_id: 'db193ab3-96e3-4cb3-8fc5-05f4296d0324', address_block: '10.0.0.0/24', name: 'name' }) });
    assert.equal(made.status, 200);
    assert.deepEqual(sent('network', 'POST', '/v2.0/subnets').body, {
      subnet: { network_id: 'db193ab3-96e3-4cb3-8fc5-05f4296d0324', cidr: '10.0.0.0/24', ip_version: 4, name: 'name' },
    });
    const gone = await api('DELETE', '/api/subnets/08eae331-0402-425a-923c-34f7cfe39c1b');
    assert.equal(gone.status, 204);
  });

  test('network interfaces are ports: list, show, create (port + Nova attach), destroy', async () => {
    const res = await api('GET', '/api/network_interfaces');
    const ports = res.json().network_interfaces;
    assert.equal(ports.length, 6);
    assert.deepEqual([ports[0].id, ports[0].ip_address, ports[0].instance.id, ports[0].network.id], [
      '126da55e-cfcb-41c8-ae39-a26cb8a7e723', '12.123.12.32', '95e75643-2008-123f-ad13-e20ea64e3c87', '1231a12a-125b-4329-a3c5-312ea86a7577',
    ]);
    assert.equal(ports[3].instance.id, null); // not a compute port
    const one = await api('GET', '/api/network_interfaces/126da55e-cfcb-41c8-ae39-a26cb8a7e723', { accept: 'application/xml' });
    assert.match(one.text, /<name>Some port name<\/name>/);
    assert.match(one.text, /rel='subnet'/);

    stub.reset();
    const made = await api('POST', '/api/network_interfaces', {
      body: form({ instance: '95e75643-2008-123f-ad13-e20ea64e3c87', network: '123c8a8c-6427-4e8f-a805-2035365f4d43', name: 'Some port name' }),
    });
    assert.equal(made.status, 200, made.text);
    assert.deepEqual(sent('network', 'POST', '/v2.0/ports').body, { port: { network_id: '123c8a8c-6427-4e8f-a805-2035365f4d43', name: 'Some port name' } });
    assert.deepEqual(sent('compute', 'POST', `${P}/servers/95e75643-2008-123f-ad13-e20ea64e3c87/os-interface`).body, {
      interfaceAttachment: { port_id: '126da55e-cfcb-41c8-ae39-a26cb8a7e723' },
    });
    const gone = await api('DELETE', '/api/network_interfaces/126da55e-cfcb-41c8-ae39-a26cb8a7e723');
    assert.equal(gone.status, 204);
    sent('network', 'DELETE', '/v2.0/ports/126da55e-cfcb-41c8-ae39-a26cb8a7e723');
  });
});

describe('back-end failures map to the spec\'s statuses', () => {
  test('5xx → 502, 429 with Retry-After → 503 + Retry-After, 409 → 409', async () => {
    stub.failure.compute = { status: 500 };
    assert.equal((await api('GET', '/api/instances/12064')).status, 502);
    stub.failure.compute = { status: 429, headers: { 'Retry-After': '7' } };
    const throttled = await api('GET', '/api/instances/12064');
    assert.equal(throttled.status, 503);
    assert.equal(throttled.headers.get('retry-after'), '7');
    stub.failure.compute = { status: 413, headers: { 'Retry-After': '3' } };
    assert.equal((await api('GET', '/api/keys/key1')).status, 503);
    stub.failure.network = { status: 409 };
    assert.equal((await api('DELETE', '/api/firewalls/6')).status, 409);
  });

  test('a read answered 503 once is retried by the call pipeline and succeeds; a write is not repeated', async () => {
    stub.failure.compute = { status: 503, times: 1 };
    const listed = await api('GET', '/api/keys');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json().keys.map((k: { id: string }) => k.id), ['key1', 'key2']);
    assert.equal(stub.calls('compute', 'GET').filter((r) => r.path === `${P}/os-keypairs`).length, 2, 'the GET was sent twice');

    stub.requests.length = 0;
    stub.failure.compute = { status: 503, times: 1 };
    const created = await api('POST', '/api/keys', { body: form({ name: 'retry-key' }) });
    assert.equal(created.status, 502);
    assert.equal(stub.calls('compute', 'POST').length, 1, 'the POST was sent once');
  });

  test('a service nobody answers on → 502; one that never answers → 504', async () => {
    stub.catalogueHost.network = `127.0.0.1:${closedPort}`;
    const refused = await api('GET', '/api/networks/cc2dad14-827a-feea-416b-f13e50511a0a');
    assert.equal(refused.status, 502);
    assert.match(refused.json().message, /ECONNREFUSED/);
    stub.catalogueHost.image = `127.0.0.1:${silentPort}`;
    const started = Date.now();
    const slow = await api('GET', '/api/images/4949f9ee-2421-4c81-8b49-13119446008b');
    assert.equal(slow.status, 504);
    assert.ok(Date.now() - started < 10_000);
  });

  test('tokens and passwords never reach the server\'s log', async () => {
    await api('GET', '/api/hardware_profiles');
    await api('GET', '/api/realms', { auth: 'Basic ' + Buffer.from('admin@admin:wrong-password-123').toString('base64') });
    const log = server.output();
    assert.ok(!log.includes('replay-token-'), 'no token in the log');
    assert.ok(!log.includes(PASSWORD + '"') && !log.includes('wrong-password-123'), 'no password in the log');
  });

  test('the service\'s own message travels with the error', async () => {
    // Nova answers the attachment to an unknown server with its itemNotFound document.
    const res = await api('POST', '/api/storage_volumes/cd76a3a1-c4ce-40f6-9b9f-07a61508938d/attach', { body: form({ instance_id: '12064', device: '/dev/vdc' }) });
    assert.equal(res.status, 404);
    assert.equal(res.json().message, 'The resource could not be found.');
  });
});
