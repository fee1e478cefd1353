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

  test('Linode flow from the examples: create (type, region, key, user data, password) → stop → reboot → image → destroy', async () => {
    const created = await api('POST', '/api/instances', {
      body: {
        image_id: 'linode/debian11', hwp_id: 'g6-standard-2', realm_id: 'us-east', name: 'web-1', keyname: '42',
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
