// The linode driver's every operation through our REST API against Linode's
// own OpenAPI document served by Prism: each request the driver sends must pass
// Prism's validation (no `sl-violations`), and answers are the document's
// examples, used in order for the multi-step flows. Start of a Linode the
// example shows running is called on the driver directly, through the call
// pipeline (the API refuses it by the state machine).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { call } from '../../../src/core/kit/pipeline.js';
import { LINODE_API } from '../../../src/drivers/linode/declaration.js';
import { createLinodeDriver } from '../../../src/drivers/linode/driver.js';
import { parseRestOptions } from '../../../src/drivers/shared/rest/provider.js';
import { assertJsonError } from '../../helpers/api.js';
import { ROOT } from '../../helpers/server.js';
import { prismContract, prismSkip } from '../shared/prism.js';

const SPEC = join(ROOT, 'test', 'fixtures', 'linode', 'linode-openapi-v4.189.0.yaml');

describe('linode driver against Linode\'s OpenAPI document (Prism)', { skip: prismSkip() }, () => {
  const { api, sent, ctx, secrets: SECRETS, stub, driver } = prismContract({ driver: 'linode', spec: SPEC, user: 'ops', token: 'linode-contract-token-77a1', create: (options) => createLinodeDriver(parseRestOptions('linode', options, LINODE_API)) });

  test('listings: regions, types (with prices), images, Linodes, keys, volumes; page size asked for', async () => {
    assert.deepEqual((await api('GET', '/api/realms')).json().realms.map((r: { id: string }) => r.id), ['us-east']);
    const profile = (await api('GET', '/api/hardware_profiles')).json().hardware_profiles[0];
    assert.deepEqual([profile.id, profile.properties.cpu, profile.properties.memory, profile.properties.storage, profile.properties.price_monthly], ['g6-standard-2', '2', '4096', '80', '20']);
    const image = (await api('GET', '/api/images')).json().images[0];
    assert.deepEqual([image.id, image.owner], ['linode/debian11', 'linode']);
    assert.equal((await api('GET', '/api/images/linode%2Fdebian11')).status, 200);
    const instance = (await api('GET', '/api/instances')).json().instances[0];
    assert.deepEqual([instance.id, instance.state, instance.hardware_profile.id, instance.realm.id], ['123', 'RUNNING', 'g6-standard-1', 'us-east']);
    assert.deepEqual((await api('GET', '/api/keys')).json().keys.map((k: { id: string }) => k.id), ['42']);
    const volume = (await api('GET', '/api/storage_volumes')).json().storage_volumes[0];
    assert.deepEqual([volume.id, volume.state, volume.instance?.id], ['12345', 'IN-USE', '12346']);
    const requests = sent(['GET /v4/regions', 'GET /v4/linode/types', 'GET /v4/images', 'GET /v4/images', 'GET /v4/linode/instances', 'GET /v4/profile/sshkeys', 'GET /v4/volumes']);
    assert.ok(requests.every((r) => r.path.includes('page_size=500')), 'one page of at most 500 per call');
  });

  test('shows: Linode, key, volume; ids Linode never gives are 404 without a call', async () => {
    assert.equal((await api('GET', '/api/instances/123')).status, 200);
    assert.equal((await api('GET', '/api/keys/42')).status, 200);
    assert.equal((await api('GET', '/api/storage_volumes/12345')).status, 200);
    sent(['GET /v4/linode/instances/123', 'GET /v4/profile/sshkeys/42', 'GET /v4/volumes/12345']);
    for (const path of ['/api/instances/web', '/api/keys/k', '/api/storage_volumes/v-1']) assert.equal((await api('GET', path)).status, 404, path);
    sent([]);
  });

  test('Linode flow from the examples: create (type, region, key, user data, password, firewall) → stop → reboot → image → destroy', async () => {
    const created = await api('POST', '/api/instances', {
      body: {
        image_id: 'linode/debian11', hwp_id: 'g6-standard-2', realm_id: 'us-east', name: 'web-1', keyname: '42', firewalls1: '123',
        user_data: Buffer.from('#cloud-config\n').toString('base64'), password: 'aComplexP@ssword',
      },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal((created.json().instances?.[0] ?? created.json().instance).id, '123');
    const [, , , create] = sent(['GET /v4/linode/types', 'GET /v4/regions', 'GET /v4/profile/sshkeys/42', 'POST /v4/linode/instances']);
    assert.equal(create!.status, 200);
    const stopped = await api('POST', '/api/instances/123/stop');
    assert.equal(stopped.status, 202, stopped.text);
    assert.equal(stopped.json().state, 'STOPPING');
    assert.equal((await api('POST', '/api/instances/123/reboot')).status, 202);
    assert.equal((await api('POST', '/api/instances/123/start')).status, 405, 'the example Linode is running');
    const image = await api('POST', '/api/images', { body: { instance_id: '123', name: 'web-1-image', description: 'from web-1' } });
    assert.equal(image.status, 201, image.text);
    assert.equal((await api('DELETE', '/api/images/private%2F15')).status, 204);
    assert.equal((await api('DELETE', '/api/images/linode%2Fdebian11')).status, 404, 'public images are not the account\'s to delete');
    assert.equal((await api('DELETE', '/api/instances/123')).status, 204);
    const requests = sent([
      'GET /v4/linode/instances/123', 'POST /v4/linode/instances/123/shutdown', 'GET /v4/linode/instances/123',
      'GET /v4/linode/instances/123', 'POST /v4/linode/instances/123/reboot', 'GET /v4/linode/instances/123',
      'GET /v4/linode/instances/123',
      'GET /v4/linode/instances/123/disks', 'POST /v4/images',
      'DELETE /v4/images/private%2F15',
      'GET /v4/linode/instances/123', 'DELETE /v4/linode/instances/123',
    ]);
    assert.deepEqual(requests.filter((r) => r.method !== 'GET').map((r) => r.status), [200, 200, 200, 200, 200]);
    const started = await call(driver(), 'start_instance', ctx(), '123');
    assert.equal(started.state, 'PENDING');
    sent(['POST /v4/linode/instances/123/boot', 'GET /v4/linode/instances/123']);
  });

  test('create refuses an unknown type or region with 400 before creating anything; a generated root password is handed back once', async () => {
    const res = await api('POST', '/api/instances', { body: { image_id: 'linode/debian11', hwp_id: 'g1-huge', realm_id: 'us-east' } });
    assertJsonError(res, { status: 400, secrets: SECRETS });
    assert.match(res.json().message, /Unknown hardware profile 'g1-huge'/);
    assert.equal((await api('POST', '/api/instances', { body: { image_id: 'linode/debian11', hwp_id: 'g6-standard-2', realm_id: 'mars-1' } })).status, 400);
    assert.ok(!stub().take().some((r) => r.method === 'POST'), 'no Linode was asked for');
    // (XML: the JSON view names the key-based login when the driver offers both.)
    const generated = await api('POST', '/api/instances', { body: { image_id: 'linode/debian11', hwp_id: 'g6-standard-2', realm_id: 'us-east' }, accept: 'application/xml' });
    assert.equal(generated.status, 201, generated.text);
    assert.match(generated.text, /<password><!\[CDATA\[[A-Za-z0-9_-]{32}\]\]><\/password>/, 'the random root password');
    sent(['GET /v4/linode/types', 'GET /v4/regions', 'POST /v4/linode/instances']);
  });

  test('keys: import, refuse to generate (501), destroy; volumes: create, attach, detach, destroy', async () => {
    const key = await api('POST', '/api/keys', { body: { name: 'laptop', public_key: 'ssh-rsa AAAA_valid_public_ssh_key_123456785== user@their-computer' } });
    assert.equal(key.status, 201, key.text);
    assertJsonError(await api('POST', '/api/keys', { body: { name: 'generated' } }), { status: 501, secrets: SECRETS });
    assert.equal((await api('DELETE', '/api/keys/42')).status, 204);
    const volume = await api('POST', '/api/storage_volumes', { body: { capacity: '20', realm_id: 'us-east', name: 'my-volume' } });
    assert.equal(volume.status, 201, volume.text);
    const attached = await api('POST', '/api/storage_volumes/12345/attach', { body: { instance_id: '123', device: '/dev/sdb' } });
    assert.equal(attached.status, 202, attached.text);
    const detached = await api('POST', '/api/storage_volumes/12345/detach');
    assert.equal(detached.status, 202, detached.text);
    assert.equal((await api('DELETE', '/api/storage_volumes/12345')).status, 204);
    const requests = sent([
      'POST /v4/profile/sshkeys', 'DELETE /v4/profile/sshkeys/42',
      'GET /v4/regions', 'POST /v4/volumes',
      'POST /v4/volumes/12345/attach',
      'GET /v4/volumes/12345', 'POST /v4/volumes/12345/detach', 'GET /v4/volumes/12345',
      'DELETE /v4/volumes/12345',
    ]);
    assert.deepEqual(requests.filter((r) => r.method !== 'GET').map((r) => r.status), [200, 200, 200, 200, 200, 200]);
  });

  test('addresses: public IPv4s listed and shown; allocated onto a Linode (instance_id, else 400 before any call); moved to a Linode; freed', async () => {
    assert.deepEqual((await api('GET', '/api/addresses')).json().addresses.map((a: { id: string }) => a.id), ['192.0.2.141']);
    const shown = await api('GET', '/api/addresses/97.107.143.141');
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.json().address.instance_id, '123');
    assert.equal((await api('GET', '/api/addresses/not-an-ip')).status, 404);
    sent(['GET /v4/networking/ips', 'GET /v4/networking/ips/97.107.143.141']);
    assertJsonError(await api('POST', '/api/addresses'), { status: 400, secrets: SECRETS });
    sent([]);
    const created = await api('POST', '/api/addresses', { body: { instance_id: '123' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json().address.id, '97.107.143.141');
    assert.equal((await api('POST', '/api/addresses/97.107.143.141/associate', { body: { instance_id: '123' } })).status, 202);
    assert.equal((await api('DELETE', '/api/addresses/97.107.143.141')).status, 204);
    const requests = sent([
      'POST /v4/networking/ips',
      'GET /v4/networking/ips/97.107.143.141', 'GET /v4/linode/instances/123', 'POST /v4/networking/ips/assign',
      'GET /v4/networking/ips/97.107.143.141', 'DELETE /v4/linode/instances/123/ips/97.107.143.141',
    ]);
    assert.deepEqual(requests.filter((r) => r.method !== 'GET').map((r) => r.status), [200, 200, 200]);
  });

  test('firewalls: Cloud Firewalls with their rules; add and remove a rule (the rules replaced whole, as the document allows); delete', async () => {
    const [firewall] = (await api('GET', '/api/firewalls')).json().firewalls;
    assert.equal(firewall.id, '123');
    const rules = firewall.rules.map((r: { id: string; direction?: string; port_from?: string; allow_protocol?: string }) => [r.id, r.direction, r.allow_protocol, r.port_from]);
    assert.deepEqual(rules, [['inbound-0', 'ingress', 'tcp', '22-24, 80, 443'], ['outbound-0', 'egress', 'tcp', '22-24, 80, 443']]);
    assert.equal((await api('GET', '/api/firewalls/123')).status, 200);
    const added = await api('POST', '/api/firewalls/123/rules', { body: { protocol: 'tcp', port_from: '8000', port_to: '8080', ip_address1: '198.51.100.0/24' } });
    assert.equal(added.status, 201, added.text);
    assert.equal((await api('DELETE', '/api/firewalls/123/inbound-0')).status, 204);
    assert.equal((await api('DELETE', '/api/firewalls/123/inbound-7')).status, 404, 'a rule the firewall does not have');
    assertJsonError(await api('POST', '/api/firewalls/123/rules', { body: { protocol: 'gre', port_from: '1', port_to: '1', ip_address1: '10.0.0.0/8' } }), { status: 400, secrets: SECRETS });
    assert.equal((await api('DELETE', '/api/firewalls/123')).status, 204);
    const requests = sent([
      'GET /v4/networking/firewalls', 'GET /v4/networking/firewalls/123',
      'GET /v4/networking/firewalls/123/rules', 'PUT /v4/networking/firewalls/123/rules', 'GET /v4/networking/firewalls/123',
      'GET /v4/networking/firewalls/123/rules', 'PUT /v4/networking/firewalls/123/rules',
      'GET /v4/networking/firewalls/123/rules',
      'DELETE /v4/networking/firewalls/123',
    ]);
    assert.deepEqual(requests.filter((r) => r.method !== 'GET').map((r) => r.status), [200, 200, 200]);
  });

  test("firewalls: create sends Linode's documented body, which the v4.189.0 document contradicts itself on (rules must hold the policies, yet may not): refused as Linode's 422, nothing else wrong", async () => {
    const created = await api('POST', '/api/firewalls', { body: { name: 'web-fw', description: 'ignored by Linode' } });
    assertJsonError(created, { status: 400, secrets: SECRETS });
    const [post] = stub().take();
    assert.deepEqual([post!.method, post!.path, post!.status], ['POST', '/v4/networking/firewalls', 422]);
    const violations: Array<{ location: string[]; message: string }> = JSON.parse(post!.violations ?? '[]');
    assert.deepEqual(violations.map((v) => [v.location.join('.'), v.message]), [
      ['request.body.rules', "Request body property rules must NOT have additional properties; found 'inbound_policy'"],
      ['request.body.rules', "Request body property rules must NOT have additional properties; found 'outbound_policy'"],
    ], 'only the contradiction: required inbound_policy/outbound_policy that additionalProperties forbids');
    assertJsonError(await api('POST', '/api/firewalls', { body: { name: '-bad', description: 'x' } }), { status: 400, secrets: SECRETS });
    sent([]);
  });

  test('load balancers: NodeBalancers with their configurations and nodes; create with one configuration per forwarding rule; register and unregister a Linode on its private address; destroy', async () => {
    const [lb] = (await api('GET', '/api/load_balancers')).json().load_balancers;
    assert.equal(lb.id, '12345');
    assert.deepEqual(lb.public_addresses, ['203.0.113.1']);
    assert.deepEqual(lb.listeners.map((l: { protocol: string; load_balancer_port: string; instance_port: string }) => [l.protocol, String(l.load_balancer_port), String(l.instance_port)]), [['HTTP', '80', '80']]);
    sent(['GET /v4/nodebalancers', 'GET /v4/linode/instances', 'GET /v4/nodebalancers/12345/configs', 'GET /v4/nodebalancers/12345/configs/4567/nodes']);
    const created = await api('POST', '/api/load_balancers', { body: { name: 'web-lb', realm_id: 'us-east', listener_protocol: 'HTTP', listener_balancer_port: '80', listener_instance_port: '8080' } });
    assert.equal(created.status, 201, created.text);
    sent(['POST /v4/nodebalancers', 'GET /v4/nodebalancers/12345/configs', 'GET /v4/nodebalancers/12345/configs/4567/nodes', 'GET /v4/linode/instances']);
    const registered = await api('POST', '/api/load_balancers/12345/register', { body: { instance_id: '123' } });
    assert.equal(registered.status, 200, registered.text);
    const register = sent([
      'GET /v4/nodebalancers/12345', 'GET /v4/linode/instances/123/ips',
      'GET /v4/nodebalancers/12345/configs', 'GET /v4/nodebalancers/12345/configs/4567/nodes', 'GET /v4/linode/instances',
      'POST /v4/nodebalancers/12345/configs/4567/nodes',
      'GET /v4/nodebalancers/12345/configs', 'GET /v4/nodebalancers/12345/configs/4567/nodes', 'GET /v4/linode/instances',
    ]);
    assert.equal(register[5]!.status, 200);
    const unregistered = await api('POST', '/api/load_balancers/12345/unregister', { body: { instance_id: '123' } });
    assert.equal(unregistered.status, 200, unregistered.text);
    // The example node (192.168.210.120) is not Linode 123's (192.168.133.234): nothing to remove.
    sent([
      'GET /v4/nodebalancers/12345', 'GET /v4/linode/instances/123/ips',
      'GET /v4/nodebalancers/12345/configs', 'GET /v4/nodebalancers/12345/configs/4567/nodes',
      'GET /v4/nodebalancers/12345/configs', 'GET /v4/nodebalancers/12345/configs/4567/nodes', 'GET /v4/linode/instances',
    ]);
    assert.equal((await api('DELETE', '/api/load_balancers/12345')).status, 204);
    assertJsonError(await api('POST', '/api/load_balancers', { body: { name: 'web-lb', realm_id: 'us-east', listener_protocol: 'SMTP', listener_balancer_port: '25', listener_instance_port: '25' } }), { status: 400, secrets: SECRETS });
    assert.equal(sent(['DELETE /v4/nodebalancers/12345'])[0]!.status, 200);
  });

  test('metrics: one per Linode, named by its stats series; a show reads /stats (newest first, seconds)', async () => {
    const [metric] = (await api('GET', '/api/metrics')).json().metrics;
    assert.equal(metric.id, '123');
    const shown = await api('GET', '/api/metrics/123');
    assert.equal(shown.status, 200, shown.text);
    const properties = shown.json().metric.properties;
    const cpu = properties.find((p: { name: string }) => p.name === 'cpu');
    assert.deepEqual(cpu.values.map((v: { average: number; timestamp: number; unit: string }) => [v.average, v.timestamp, v.unit]), [[0.42, 1521483600, 'Percent']]);
    const netIn = properties.find((p: { name: string }) => p.name === 'netv4_in');
    assert.equal(netIn.values[0].average, 2004.36);
    assert.equal((await api('GET', '/api/metrics/web')).status, 404);
    sent(['GET /v4/linode/instances', 'GET /v4/linode/instances/123', 'GET /v4/linode/instances/123/stats']);
  });

  test('provider errors: Linode error bodies → 400/401/404, 429 → 503 with Retry-After, 500 → 502, the token in none', async () => {
    try {
      stub().prefer('code=400');
      const invalid = await api('POST', '/api/keys', { body: { name: 'laptop', public_key: 'ssh-rsa AAAA' } });
      assertJsonError(invalid, { status: 400, secrets: SECRETS });
      assert.equal(invalid.json().message, 'fieldname must be a valid value (fieldname)', "Linode's own reason and field");
      stub().prefer('code=401');
      assertJsonError(await api('GET', '/api/instances'), { status: 401, secrets: SECRETS });
      stub().prefer('code=404');
      assertJsonError(await api('GET', '/api/storage_volumes/12345'), { status: 404, secrets: SECRETS });
      stub().prefer('code=429');
      const throttled = await api('GET', '/api/realms');
      assert.equal(throttled.status, 503, throttled.text);
      assert.ok(Number(throttled.headers['retry-after']) > 0);
      stub().prefer('code=500');
      assertJsonError(await api('GET', '/api/keys'), { status: 502, secrets: SECRETS });
    } finally {
      stub().prefer(undefined);
    }
    assert.deepEqual(stub().take().filter((r) => r.violations), []);
  });
});
