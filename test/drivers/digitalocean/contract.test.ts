// The digitalocean driver's every operation through our REST API against
// DigitalOcean's own OpenAPI document served by Prism: each request the driver
// sends must pass Prism's validation (no `sl-violations`), and answers are the
// document's examples (multi-step flows use them in order). A few operations
// the front end refuses in the examples' states (start of an "active" droplet,
// detach of a volume whose example is attached to nothing) are called on the
// driver directly, through the call pipeline.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { call } from '../../../src/core/kit/pipeline.js';
import { createDigitalOceanDriver } from '../../../src/drivers/digitalocean/driver.js';
import { DIGITALOCEAN_API } from '../../../src/drivers/digitalocean/declaration.js';
import { parseRestOptions } from '../../../src/drivers/shared/rest/provider.js';
import { assertJsonError } from '../../helpers/api.js';
import { ROOT } from '../../helpers/server.js';
import { prismContract, prismSkip } from '../shared/prism.js';

const SPEC = join(ROOT, 'test', 'fixtures', 'digitalocean', 'DigitalOcean-public.v2.bundled.yaml');

describe('digitalocean driver against DigitalOcean\'s OpenAPI document (Prism)', { skip: prismSkip() }, () => {
  const { api, sent, ctx, secrets: SECRETS, stub, driver } = prismContract({ driver: 'digitalocean', spec: SPEC, user: 'my-team', token: 'dop_v1_contract-token-5e3c', create: (options) => createDigitalOceanDriver(parseRestOptions('digitalocean', options, DIGITALOCEAN_API)) });

  test('listings: regions, sizes (with prices), images, droplets, keys, volumes, snapshots, reserved IPs, firewalls', async () => {
    const realms = (await api('GET', '/api/realms')).json().realms;
    assert.ok(realms.some((r: { id: string }) => r.id === 'nyc3'));
    sent(['GET /v2/regions', 'GET /v2/regions']); // the example's next link is followed once; its repeat ends the paging
    const profiles = (await api('GET', '/api/hardware_profiles')).json().hardware_profiles;
    const small = profiles.find((p: { id: string }) => p.id === 's-1vcpu-1gb');
    assert.ok(small, 'the size of the example');
    const props = small.properties;
    assert.deepEqual([props.cpu, props.memory, props.storage, props.price_monthly], ['1', '1024', '25', '5']);
    sent(['GET /v2/sizes', 'GET /v2/sizes']);
    const images = (await api('GET', '/api/images')).json().images;
    assert.ok(images.some((i: { id: string; owner: string }) => i.id === '63663980' && i.owner === 'digitalocean'));
    const instances = (await api('GET', '/api/instances')).json().instances;
    assert.ok(instances.some((i: { id: string; state: string }) => i.id === '3164444' && i.state === 'RUNNING'), 'the example droplet, active → RUNNING');
    const keys = (await api('GET', '/api/keys')).json().keys;
    assert.deepEqual(keys.map((k: { id: string }) => k.id), ['289794']);
    assert.equal((await api('GET', '/api/storage_volumes')).json().storage_volumes.length, 2);
    assert.deepEqual((await api('GET', '/api/storage_snapshots')).json().storage_snapshots.map((s: { id: string }) => s.id), ['6372321', 'fbe805e8-866b-11e6-96bf-000f53315a41']);
    assert.deepEqual((await api('GET', '/api/addresses')).json().addresses.map((a: { id: string }) => a.id), ['45.55.96.47']);
    const firewall = (await api('GET', '/api/firewalls')).json().firewalls[0];
    assert.equal(firewall.id, 'fb6045f1-cf1d-4ca3-bfac-18832663025b');
    assert.deepEqual(firewall.rules.map((r: { direction: string; port_from: string }) => [r.direction, r.port_from]), [['ingress', '80'], ['ingress', '22'], ['egress', '80']]);
    sent(['GET /v2/images', 'GET /v2/droplets', 'GET /v2/account/keys', 'GET /v2/volumes', 'GET /v2/snapshots', 'GET /v2/reserved_ips', 'GET /v2/firewalls']);
  });

  test('shows: droplet, key, volume, reserved IP, firewall; ids DigitalOcean never gives are 404 without a call', async () => {
    assert.equal((await api('GET', '/api/instances/3164444')).json().instance.hardware_profile.id, 's-1vcpu-1gb');
    assert.equal((await api('GET', '/api/keys/512189')).status, 200);
    assert.equal((await api('GET', '/api/storage_volumes/506f78a4-e098-11e5-ad9f-000f53306ae1')).status, 200);
    assert.equal((await api('GET', '/api/addresses/45.55.96.47')).status, 200);
    assert.equal((await api('GET', '/api/firewalls/fb6045f1-cf1d-4ca3-bfac-18832663025b')).status, 200);
    sent(['GET /v2/droplets/3164444', 'GET /v2/account/keys/512189', 'GET /v2/volumes/506f78a4-e098-11e5-ad9f-000f53306ae1', 'GET /v2/reserved_ips/45.55.96.47', 'GET /v2/firewalls/fb6045f1-cf1d-4ca3-bfac-18832663025b']);
    for (const path of ['/api/instances/web-1', '/api/keys/nope', '/api/storage_volumes/12', '/api/addresses/host', '/api/firewalls/x']) {
      assert.equal((await api('GET', path)).status, 404, path);
    }
    sent([]);
  });

  test('droplet flow from the examples: create (size, region, key, user data, firewall) → show → stop → reboot → image → destroy', async () => {
    const created = await api('POST', '/api/instances', {
      body: {
        image_id: '63663980', hwp_id: 's-1vcpu-1gb', realm_id: 'nyc3', name: 'web-1', keyname: '289794',
        user_data: Buffer.from('#cloud-config\n').toString('base64'), 'firewalls1': 'fb6045f1-cf1d-4ca3-bfac-18832663025b',
      },
    });
    assert.equal(created.status, 201, created.text);
    const instance = created.json().instances?.[0] ?? created.json().instance;
    assert.equal(instance.id, '3164444');
    // The size and the region are checked against the listings first (each listing follows the example's next link once).
    const create = sent([
      'GET /v2/sizes', 'GET /v2/sizes', 'GET /v2/regions', 'GET /v2/regions',
      'POST /v2/droplets', 'POST /v2/firewalls/fb6045f1-cf1d-4ca3-bfac-18832663025b/droplets',
    ])[4];
    assert.equal(create?.status, 202);
    assert.equal((await api('GET', '/api/instances/3164444')).json().instance.state, 'RUNNING');
    const stopped = await api('POST', '/api/instances/3164444/stop');
    assert.equal(stopped.status, 202, stopped.text);
    assert.equal(stopped.json().state, 'STOPPING', 'the power_off action of the example is in progress');
    assert.equal((await api('POST', '/api/instances/3164444/reboot')).status, 202);
    // The example droplet is active: the API refuses start by the state machine, without asking DigitalOcean.
    assert.equal((await api('POST', '/api/instances/3164444/start')).status, 405);
    const image = await api('POST', '/api/images', { body: { instance_id: '3164444', name: 'web-1-snap' } });
    assert.equal(image.status, 201, image.text);
    assert.equal((await api('DELETE', '/api/images/7555620')).status, 204);
    assert.equal((await api('DELETE', '/api/instances/3164444')).status, 204);
    const requests = sent([
      'GET /v2/droplets/3164444',
      'GET /v2/droplets/3164444', 'POST /v2/droplets/3164444/actions', 'GET /v2/droplets/3164444',
      'GET /v2/droplets/3164444', 'POST /v2/droplets/3164444/actions', 'GET /v2/droplets/3164444',
      'GET /v2/droplets/3164444',
      'POST /v2/droplets/3164444/actions',
      'DELETE /v2/images/7555620',
      'GET /v2/droplets/3164444', 'DELETE /v2/droplets/3164444',
    ]);
    assert.deepEqual(requests.filter((r) => r.method !== 'GET').map((r) => r.status), [201, 201, 201, 204, 204]);
    // start (power_on) on the driver: the front end only offers it to a stopped droplet.
    const started = await call(driver(), 'start_instance', ctx(), '3164444');
    assert.equal(started.id, '3164444');
    sent(['POST /v2/droplets/3164444/actions', 'GET /v2/droplets/3164444']);
  });

  test('create refuses an unknown size or region with 400 before creating anything', async () => {
    const res = await api('POST', '/api/instances', { body: { image_id: '63663980', hwp_id: 'no-such-size' } });
    assertJsonError(res, { status: 400, secrets: SECRETS });
    assert.match(res.json().message, /Unknown hardware profile 'no-such-size'/);
    const region = await api('POST', '/api/instances', { body: { image_id: '63663980', hwp_id: 's-1vcpu-1gb', realm_id: 'mars1' } });
    assert.equal(region.status, 400);
    assert.ok(!stub().take().some((r) => r.method === 'POST'), 'no droplet was asked for');
  });

  test('keys: import a public key, refuse to generate one (501), destroy', async () => {
    const imported = await api('POST', '/api/keys', { body: { name: 'laptop', public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl laptop' } });
    assert.equal(imported.status, 201, imported.text);
    assert.equal(imported.json().key.id, '512189');
    assertJsonError(await api('POST', '/api/keys', { body: { name: 'generated' } }), { status: 501, secrets: SECRETS });
    assert.equal((await api('DELETE', '/api/keys/512189')).status, 204);
    sent(['POST /v2/account/keys', 'DELETE /v2/account/keys/512189']);
  });

  test('volumes: create, attach to a droplet, snapshot, destroy snapshot and volume; detach on the driver', async () => {
    const created = await api('POST', '/api/storage_volumes', { body: { capacity: '10', realm_id: 'nyc3', name: 'example', description: 'Block store for examples' } });
    assert.equal(created.status, 201, created.text);
    const id = created.json().storage_volume.id;
    const attached = await api('POST', `/api/storage_volumes/${id}/attach`, { body: { instance_id: '3164444', device: '/dev/sda' } });
    assert.equal(attached.status, 202, attached.text);
    const snapshot = await api('POST', '/api/storage_snapshots', { body: { volume_id: id, name: 'big-data-snapshot1475261774' } });
    assert.equal(snapshot.status, 201, snapshot.text);
    assert.equal((await api('DELETE', `/api/storage_snapshots/${snapshot.json().storage_snapshot.id}`)).status, 204);
    assert.equal((await api('DELETE', `/api/storage_volumes/${id}`)).status, 204);
    const snapshotId = snapshot.json().storage_snapshot.id;
    const requests = sent([
      'GET /v2/regions', 'GET /v2/regions', 'POST /v2/volumes',
      `GET /v2/volumes/${id}`, `POST /v2/volumes/${id}/actions`,
      `POST /v2/volumes/${id}/snapshots`,
      `DELETE /v2/snapshots/${snapshotId}`,
      `DELETE /v2/volumes/${id}`,
    ]);
    assert.deepEqual(requests.filter((r) => r.method !== 'GET').map((r) => r.status), [201, 202, 201, 204, 204]);
    const detached = await call(driver(), 'detach_storage_volume', ctx(), { id, instanceId: '3164444' });
    assert.equal(detached.state, 'DETACHING');
    sent([`GET /v2/volumes/${id}`, `POST /v2/volumes/${id}/actions`]);
  });

  test('reserved IPs: reserve in a region, assign to a droplet, unassign, release; firewalls: delete', async () => {
    const created = await api('POST', '/api/addresses');
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json().address.id, '45.55.96.47');
    assert.equal((await api('POST', '/api/addresses/45.55.96.47/associate', { body: { instance_id: '3164444' } })).status, 202);
    assert.equal((await api('POST', '/api/addresses/45.55.96.47/disassociate')).status, 202);
    assert.equal((await api('DELETE', '/api/addresses/45.55.96.47')).status, 204);
    assert.equal((await api('DELETE', '/api/firewalls/fb6045f1-cf1d-4ca3-bfac-18832663025b')).status, 204);
    const requests = stub().take();
    assert.deepEqual(requests.filter((r) => r.violations), []);
    const writes = requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path} ${r.status}`);
    assert.deepEqual(writes, [
      'POST /v2/reserved_ips 202', 'POST /v2/reserved_ips/45.55.96.47/actions 201', 'POST /v2/reserved_ips/45.55.96.47/actions 201',
      'DELETE /v2/reserved_ips/45.55.96.47 204', 'DELETE /v2/firewalls/fb6045f1-cf1d-4ca3-bfac-18832663025b 204',
    ]);
  });

  test('load balancers: list, show, create with a forwarding rule, register and unregister a droplet, destroy', async () => {
    const LB = '4de7ac8b-495b-4884-9a69-1050c6793cd6';
    const listed = (await api('GET', '/api/load_balancers')).json().load_balancers;
    assert.ok(listed.some((b: { id: string }) => b.id === LB), 'the example balancer');
    const shown = await api('GET', `/api/load_balancers/${LB}`);
    assert.equal(shown.status, 200, shown.text);
    const lb = shown.json().load_balancer;
    assert.deepEqual(lb.instances.map((i: { id: string }) => i.id), ['3164444', '3164445']);
    assert.equal((await api('GET', '/api/load_balancers/not-a-uuid')).status, 404);
    sent(['GET /v2/load_balancers', `GET /v2/load_balancers/${LB}`]);

    const created = await api('POST', '/api/load_balancers', {
      body: { name: 'example-lb-01', realm_id: 'nyc3', listener_protocol: 'HTTP', listener_balancer_port: '80', listener_instance_port: '8080' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json().load_balancer.id, LB);
    const create = sent(['GET /v2/regions', 'GET /v2/regions', 'POST /v2/load_balancers'])[2];
    assert.equal(create?.status, 202);
    assert.equal((await api('POST', `/api/load_balancers/${LB}/register`, { body: { instance_id: '3164444' } })).status, 200);
    assert.equal((await api('POST', `/api/load_balancers/${LB}/unregister`, { body: { instance_id: '3164444' } })).status, 200);
    assert.equal((await api('DELETE', `/api/load_balancers/${LB}`)).status, 204);
    const requests = sent([
      `POST /v2/load_balancers/${LB}/droplets`, `GET /v2/load_balancers/${LB}`,
      `DELETE /v2/load_balancers/${LB}/droplets`, `GET /v2/load_balancers/${LB}`,
      `DELETE /v2/load_balancers/${LB}`,
    ]);
    assert.deepEqual(requests.filter((r) => r.method !== 'GET').map((r) => r.status), [204, 204, 204]);
  });

  test('load balancers: an unknown region, protocol or name is 400 before anything is created', async () => {
    const base = { name: 'lb-1', realm_id: 'nyc3', listener_protocol: 'HTTP', listener_balancer_port: '80', listener_instance_port: '80' };
    assertJsonError(await api('POST', '/api/load_balancers', { body: { ...base, realm_id: 'mars1' } }), { status: 400, secrets: SECRETS });
    assertJsonError(await api('POST', '/api/load_balancers', { body: { ...base, listener_protocol: 'SSL' } }), { status: 400, secrets: SECRETS });
    assertJsonError(await api('POST', '/api/load_balancers', { body: { ...base, name: 'no spaces' } }), { status: 400, secrets: SECRETS });
    assert.ok(!stub().take().some((r) => r.method === 'POST'), 'no balancer was asked for');
  });

  test('firewalls: create (everything out, nothing in), add an inbound rule, delete a rule', async () => {
    const FW = 'fb6045f1-cf1d-4ca3-bfac-18832663025b';
    const created = await api('POST', '/api/firewalls', { body: { name: 'firewall', description: 'web tier' } });
    assert.equal(created.status, 201, created.text);
    const create = sent(['POST /v2/firewalls'])[0];
    assert.equal(create?.status, 202);
    const firewallId = created.json().firewall.id;
    const rule = await api('POST', `/api/firewalls/${FW}/rules`, {
      body: { protocol: 'tcp', port_from: '8000', port_to: '9000', ip_address1: '18.0.0.0/8', group1: 'tag:gateway', group1owner: 'self', group2: 'droplet:8043964', group2owner: 'self' },
    });
    assert.equal(rule.status, 201, rule.text);
    // The answer is the firewall as shown afterwards: the document's example of a firewall.
    assert.deepEqual(rule.json().firewall.rules.map((r: { direction: string; port_from: string }) => [r.direction, r.port_from]), [['ingress', '80'], ['ingress', '22'], ['egress', '80']]);
    const ruleSent = sent([`POST /v2/firewalls/${FW}/rules`, `GET /v2/firewalls/${FW}`]);
    assert.equal(ruleSent[0]?.status, 204);
    // The example firewall's second inbound rule (tcp 22 from tag gateway and 18.0.0.0/8) is sent back to delete it.
    assert.equal((await api('DELETE', `/api/firewalls/${FW}/inbound-1`)).status, 204);
    const deleted = sent([`GET /v2/firewalls/${FW}`, `DELETE /v2/firewalls/${FW}/rules`]);
    assert.equal(deleted[1]?.status, 204);
    assert.equal((await api('DELETE', `/api/firewalls/${FW}/inbound-9`)).status, 404);
    sent([`GET /v2/firewalls/${FW}`]);
    for (const body of [
      { protocol: 'gre', port_from: '1', port_to: '2', ip_address1: '10.0.0.0/8' },
      { protocol: 'tcp', port_from: '80', port_to: '80', ip_address1: 'not-an-address' },
      { protocol: 'tcp', port_from: '80', port_to: '80', group1: 'team:web', group1owner: 'self' },
    ] as Array<Record<string, string>>) {
      assertJsonError(await api('POST', `/api/firewalls/${FW}/rules`, { body }), { status: 400, secrets: SECRETS });
    }
    assertJsonError(await api('POST', '/api/firewalls', { body: { name: 'web tier', description: 'x' } }), { status: 400, secrets: SECRETS });
    sent([]);
    assert.ok(firewallId);
    const fresh = created.json().firewall.rules.map((r: { direction: string; protocol: string }) => `${r.direction} ${r.protocol}`);
    assert.ok(fresh.length > 0, 'the created firewall of the example has rules');
  });

  test('metrics: a droplet\'s CPU utilisation (from the CPU counters) and public bandwidth, last hour', async () => {
    const list = (await api('GET', '/api/metrics')).json().metrics;
    assert.ok(list.some((m: { id: string }) => m.id === '3164444'));
    const shown = await api('GET', '/api/metrics/3164444');
    assert.equal(shown.status, 200, shown.text);
    const requests = sent([
      'GET /v2/droplets', 'GET /v2/droplets/3164444',
      'GET /v2/monitoring/metrics/droplet/cpu', 'GET /v2/monitoring/metrics/droplet/bandwidth', 'GET /v2/monitoring/metrics/droplet/bandwidth',
    ]);
    const queries = requests.slice(2).map((r) => new URLSearchParams(r.path.split('?')[1]));
    assert.deepEqual(queries.map((q) => [q.get('host_id'), q.get('interface'), q.get('direction')]), [['3164444', null, null], ['3164444', 'public', 'inbound'], ['3164444', 'public', 'outbound']]);
    assert.equal(Number(queries[0]!.get('end')) - Number(queries[0]!.get('start')), 3600);
    const metric = shown.json().metric;
    const values = (name: string) => metric.properties.find((p: { name: string }) => p.name === name).values as Array<{ average: number; timestamp: number; unit: string }>;
    // The document's CPU example: counters of 8 modes at 3 times → utilisation between consecutive readings, newest
    // first (worked out by hand from the example: 100 × (1 − Δidle/Δall) = 0.0667 % and 0.1834 %).
    assert.deepEqual(values('CPUUtilization').map((v) => [v.timestamp, Number(v.average.toFixed(4)), v.unit]), [[1635387120, 0.0667, 'Percent'], [1635387000, 0.1834, 'Percent']]);
    // Prism answers every bandwidth query with the document's first example (4 readings, 1634052360 … 1634052720).
    assert.deepEqual(values('PublicBandwidthIn').map((v) => [v.timestamp, v.unit]), [1634052720, 1634052600, 1634052480, 1634052360].map((t) => [t, 'Megabits/Second']));
    assert.equal(values('PublicBandwidthOut').length, 4);
    assert.equal((await api('GET', '/api/metrics/web-1')).status, 404);
    sent([]);
  });

  test('provider errors: 404 → 404, 401 → 401, 429 → 503 with Retry-After, 500 → 502, the token in none of them', async () => {
    try {
      stub().prefer('code=404');
      assertJsonError(await api('GET', '/api/instances/3164444'), { status: 404, secrets: SECRETS });
      stub().prefer('code=401');
      assertJsonError(await api('GET', '/api/instances'), { status: 401, secrets: SECRETS });
      stub().prefer('code=429');
      const throttled = await api('GET', '/api/realms');
      assertJsonError(throttled, { status: 503, secrets: SECRETS });
      assert.ok(Number(throttled.headers['retry-after']) > 0, 'Retry-After');
      stub().prefer('code=500');
      assertJsonError(await api('GET', '/api/keys'), { status: 502, secrets: SECRETS });
    } finally {
      stub().prefer(undefined);
    }
    const requests = stub().take();
    assert.deepEqual(requests.filter((r) => r.violations), []);
    // Reads are retried on 500 by the call pipeline (3 attempts); a 429 without Retry-After counts as "come back in
    // 5 s", longer than the pipeline waits, so the client gets the 503 at once.
    assert.deepEqual(requests.map((r) => r.status), [404, 401, 429, 500, 500, 500]);
  });

  test('a provider the operator did not list is refused with 400 before any connection', async () => {
    const res = await api('GET', '/api/instances', { headers: { 'X-Deltacloud-Provider': 'https://evil.example' } });
    assertJsonError(res, { status: 400, secrets: SECRETS });
    const matrix = await api('GET', '/api;provider=digitalocean-elsewhere/instances');
    assert.equal(matrix.status, 400);
    sent([]);
  });
});
