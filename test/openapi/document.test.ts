// The OpenAPI 3.1 document (/api/openapi.json): valid OpenAPI for every shipped
// driver, following the driver of the request, and — the strong test — every
// operation the mock offers is exercised against the real server and its
// answers (statuses, JSON bodies) validate against the document.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parse as parseYaml } from 'yaml';
import { loadDefaultDrivers } from '../../scripts/docs/capabilities.js';
import { openApiDocument } from '../../src/frontends/deltacloud/openapi/document.js';
import { makeOpenApiOperations } from '../../src/frontends/deltacloud/openapi/operations.js';
import type { Operation } from '../../src/frontends/deltacloud/operation.js';
import { computeOperations } from '../../src/frontends/deltacloud/operations/compute.js';
import { entryOperations, makeDriverOperations } from '../../src/frontends/deltacloud/operations/entry.js';
import { networkOperations } from '../../src/frontends/deltacloud/operations/network.js';
import { storageOperations } from '../../src/frontends/deltacloud/operations/storage.js';
import { req, type ReqOptions, type Res } from '../helpers/api.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { ResponseValidator } from './response-validator.js';

type Json = { [key: string]: unknown };

async function assertValidOpenApi(document: unknown, label: string): Promise<void> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document) as Json);
  assert.equal(validator.version, '3.1', `${label}: an OpenAPI 3.1 document`);
  assert.ok(result.valid, `${label}: ${JSON.stringify(result.errors, null, 1)?.slice(0, 2000)}`);
}

describe('OpenAPI document of every shipped driver', () => {
  it('validates as OpenAPI 3.1 and offers only what the driver offers', async () => {
    const all: Operation[] = [...entryOperations, ...makeDriverOperations(() => []), ...computeOperations, ...storageOperations, ...networkOperations];
    all.push(...makeOpenApiOperations(() => all));
    const { drivers, close } = await loadDefaultDrivers();
    try {
      assert.ok(drivers.length >= 4);
      const pathCounts = new Map<string, number>();
      for (const driver of drivers) {
        const id = driver.declaration.id;
        const document = openApiDocument({ operations: all, driver, driverId: id, provider: undefined, serverUrl: `http://localhost/api;driver=${id}`, apiVersion: '1.1.3' });
        await assertValidOpenApi(document, id);
        const paths = document.paths as Record<string, Json>;
        pathCounts.set(id, Object.values(paths).reduce((n, item) => n + Object.keys(item).length, 0));
        // Every documented operation has a success response with a body description, and every JSON answer a schema.
        for (const [path, item] of Object.entries(paths)) {
          for (const [method, op] of Object.entries(item)) {
            const responses = (op as Json).responses as Record<string, Json>;
            assert.ok(Object.keys(responses).some((s) => Number(s) < 400), `${id} ${method} ${path}: no success response declared`);
          }
        }
      }
      // libvirt has no buckets: its document has fewer operations than the mock's.
      assert.ok(pathCounts.get('libvirt')! < pathCounts.get('mock')!, JSON.stringify([...pathCounts]));
    } finally {
      await close();
    }
  });

  it('fails loudly when an operation declares no responses', () => {
    const bare: Operation = { collection: 'things', name: 'index', method: 'GET', path: '/things', run: async () => ({ status: 200 }) };
    assert.equal(bare.responses, undefined);
    const declared = [...computeOperations, ...storageOperations, ...networkOperations, ...entryOperations, ...makeDriverOperations(() => [])];
    const missing = declared.filter((op) => !op.responses || op.responses.length === 0).map((op) => `${op.method} ${op.path}`);
    assert.deepEqual(missing, [], 'every operation declares what it answers');
  });
});

describe('OpenAPI document served by the real server (mock)', () => {
  let server: TestServer;
  let document: Json;
  let validator: ResponseValidator;

  before(async () => {
    server = await startServer();
    const res = await req(server, 'GET', '/api/openapi.json', { auth: false });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    document = res.json();
    validator = new ResponseValidator(document);
  });
  after(() => server?.stop());

  it('is valid OpenAPI 3.1, the same as YAML, and follows the driver of the request', async () => {
    await assertValidOpenApi(document, 'served mock document');
    assert.deepEqual((document.servers as Json[])[0], { url: `http://localhost:${server.port}/api;driver=mock` });
    for (const path of ['/api/openapi.yaml', '/api/openapi.json?format=yaml']) {
      const yaml = await req(server, 'GET', path, { auth: false });
      assert.equal(yaml.status, 200, path);
      assert.match(String(yaml.headers['content-type']), /^application\/yaml/);
      assert.deepEqual(parseYaml(yaml.text), document, path);
    }
    const viaAccept = await req(server, 'GET', '/api/openapi.json', { auth: false, accept: 'application/yaml' });
    assert.match(String(viaAccept.headers['content-type']), /^application\/yaml/);

    const ec2 = (await req(server, 'GET', '/api;driver=ec2/openapi.json', { auth: false })).json();
    assert.deepEqual(ec2.servers[0], { url: `http://localhost:${server.port}/api;driver=ec2` });
    const byHeader = (await req(server, 'GET', '/api/openapi.json', { auth: false, headers: { 'X-Deltacloud-Driver': 'ec2', 'X-Deltacloud-Provider': 'eu-west-1' } })).json();
    assert.equal(byHeader.servers[0].url, `http://localhost:${server.port}/api;driver=ec2;provider=eu-west-1`);
    await assertValidOpenApi(ec2, 'served ec2 document');
    // ec2 has no instance `run` and no networks' `create` of the mock's kind; the mock has no... : compare operation sets.
    const opsOf = (d: Json) => Object.entries(d.paths as Record<string, Json>).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`));
    assert.ok(opsOf(document).includes('post /instances/{id}/run'));
    assert.ok(!opsOf(ec2).includes('post /instances/{id}/run'), 'ec2 does not run commands: not in its document');
    // Feature parameters follow the driver: the mock's instance create advertises its features' parameters.
    const createBody = ((document.paths as Record<string, Json>)['/instances'] as Json).post as Json;
    const props = (((createBody.requestBody as Json).content as Json)['application/x-www-form-urlencoded'] as Json).schema as Json;
    assert.ok('image_id' in (props.properties as Json));
    assert.deepEqual((props.required as string[]), ['image_id']);

    const unknown = await req(server, 'GET', '/api;driver=nosuch/openapi.json', { auth: false, accept: 'application/json' });
    assert.equal(unknown.status, 400);
  });

  it('serves a reference page for people, with no external resources', async () => {
    const page = await req(server, 'GET', '/api/docs', { auth: false, accept: 'text/html' });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.text, /<code>POST \/instances<\/code>/);
    assert.match(page.text, /id="schema-instance"/);
    assert.match(page.text, /image_id/);
    assert.doesNotMatch(page.text, /<script|https?:\/\/(?!localhost)/, 'no script and no other host');
  });

  it('every operation the mock offers answers as its document says (statuses and JSON schemas)', async () => {
    const json = async (method: string, path: string, opts: ReqOptions = {}): Promise<Res> => {
      const res = await req(server, method, path, { accept: 'application/json', ...opts });
      validator.check(method, path, res.status, res.headers['content-type'], res.text);
      return res;
    };
    const expect = async (status: number, method: string, path: string, opts: ReqOptions = {}): Promise<Res> => {
      const res = await json(method, path, opts);
      assert.equal(res.status, status, `${method} ${path}: ${res.text.slice(0, 300)}`);
      return res;
    };

    // Entry point, drivers, the document itself.
    await expect(200, 'GET', '/api');
    await expect(200, 'GET', '/api?force_auth=1');
    await expect(401, 'GET', '/api?force_auth=1', { auth: 'Basic ' + Buffer.from('mockuser:wrong').toString('base64') });
    await expect(301, 'POST', '/api', { body: { driver: 'ec2' } });
    await expect(200, 'GET', '/api/drivers');
    await expect(200, 'GET', '/api/drivers/mock');
    await expect(404, 'GET', '/api/drivers/nosuch');
    await expect(200, 'GET', '/api/openapi.json');
    await expect(200, 'GET', '/api/openapi.yaml');
    await expect(200, 'GET', '/api/docs', { accept: 'text/html' });

    // Compute.
    await expect(200, 'GET', '/api/realms');
    await expect(200, 'GET', '/api/realms/us');
    await expect(404, 'GET', '/api/realms/nope');
    await expect(200, 'GET', '/api/hardware_profiles');
    await expect(200, 'GET', '/api/hardware_profiles/m1-large');
    await expect(200, 'GET', '/api/images?owner_id=fedoraproject');
    await expect(200, 'GET', '/api/images/img1');
    await expect(401, 'GET', '/api/instances', { auth: false });
    await expect(400, 'POST', '/api/instances', { body: { name: 'x' } });
    const created = (await expect(201, 'POST', '/api/instances', { body: { image_id: 'img1', name: 'openapi-test', hwp_id: 'm1-small' } })).json().instance;
    await expect(200, 'GET', '/api/instances?state=RUNNING');
    await expect(200, 'GET', `/api/instances/${created.id}`);
    await expect(404, 'GET', '/api/instances/nonexist');
    await expect(202, 'POST', `/api/instances/${created.id}/reboot`);
    await expect(202, 'POST', `/api/instances/${created.id}/stop`);
    await expect(405, 'POST', `/api/instances/${created.id}/stop`);
    await expect(202, 'POST', `/api/instances/${created.id}/start`);
    await expect(200, 'POST', `/api/instances/${created.id}/run`, { body: { cmd: 'uname -a' } });
    const image = (await expect(201, 'POST', '/api/images', { body: { instance_id: created.id, name: 'openapi-image' } })).json().image;
    await expect(204, 'DELETE', `/api/images/${image.id}`);
    await expect(202, 'POST', `/api/instances/${created.id}/stop`);
    await expect(204, 'DELETE', `/api/instances/${created.id}`);
    await expect(200, 'GET', '/api/instance_states');
    await expect(201, 'POST', '/api/keys', { body: { name: 'openapi-key' } });
    await expect(200, 'GET', '/api/keys');
    await expect(200, 'GET', '/api/keys/openapi-key');
    await expect(204, 'DELETE', '/api/keys/openapi-key');
    const metrics = (await expect(200, 'GET', '/api/metrics')).json().metrics;
    await expect(200, 'GET', `/api/metrics/${encodeURIComponent(metrics[0].id)}`);

    // Storage.
    const volume = (await expect(201, 'POST', '/api/storage_volumes', { body: { capacity: '1', name: 'openapi-vol' } })).json().storage_volume;
    await expect(200, 'GET', '/api/storage_volumes');
    await expect(200, 'GET', `/api/storage_volumes/${volume.id}`);
    await expect(202, 'POST', `/api/storage_volumes/${volume.id}/attach`, { body: { instance_id: 'inst1', device: '/dev/sdc' } });
    await expect(202, 'POST', `/api/storage_volumes/${volume.id}/detach`);
    const snapshot = (await expect(201, 'POST', '/api/storage_snapshots', { body: { volume_id: volume.id } })).json().storage_snapshot;
    await expect(200, 'GET', '/api/storage_snapshots');
    await expect(200, 'GET', `/api/storage_snapshots/${snapshot.id}`);
    await expect(204, 'DELETE', `/api/storage_snapshots/${snapshot.id}`);
    await expect(204, 'DELETE', `/api/storage_volumes/${volume.id}`);

    await expect(201, 'POST', '/api/buckets', { body: { name: 'openapibucket' } });
    await expect(200, 'GET', '/api/buckets');
    const form = new FormData();
    form.set('blob_id', 'formblob');
    form.set('blob_data', new Blob(['from a form']), 'form.txt');
    await expect(201, 'POST', '/api/buckets/openapibucket', { body: form });
    await expect(200, 'PUT', '/api/buckets/openapibucket/rawblob', { body: 'raw data', headers: { 'Content-Type': 'text/plain', 'X-Deltacloud-Blobmeta-Colour': 'blue' } });
    await expect(200, 'PUT', '/api/buckets/openapibucket/streamblob/stream', { body: 'streamed', headers: { 'Content-Type': 'text/plain' } });
    await expect(200, 'GET', '/api/buckets/openapibucket');
    await expect(200, 'GET', '/api/buckets/openapibucket/rawblob');
    await expect(204, 'HEAD', '/api/buckets/openapibucket/rawblob');
    await expect(204, 'HEAD', '/api/buckets/openapibucket/rawblob/metadata');
    await expect(204, 'POST', '/api/buckets/openapibucket/rawblob', { headers: { 'X-Deltacloud-Blobmeta-Colour': 'green' } });
    await expect(200, 'GET', '/api/buckets/openapibucket/rawblob/content');
    await expect(206, 'GET', '/api/buckets/openapibucket/rawblob/content', { headers: { Range: 'bytes=0-2' } });
    await expect(416, 'GET', '/api/buckets/openapibucket/rawblob/content', { headers: { Range: 'bytes=100-200' } });
    // The mock has no segmented uploads: the capability is missing (412, documented on every operation that needs one).
    await expect(412, 'PUT', '/api/buckets/openapibucket/segblob', { headers: { 'X-Deltacloud-Blobtype': 'segmented' } });
    await expect(403, 'DELETE', '/api/buckets/openapibucket');
    for (const blob of ['formblob', 'rawblob', 'streamblob']) await expect(204, 'DELETE', `/api/buckets/openapibucket/${blob}`);
    await expect(204, 'DELETE', '/api/buckets/openapibucket');

    // Network.
    const address = (await expect(201, 'POST', '/api/addresses')).json().address;
    await expect(200, 'GET', '/api/addresses');
    await expect(200, 'GET', `/api/addresses/${address.id}`);
    await expect(202, 'POST', `/api/addresses/${address.id}/associate`, { body: { instance_id: 'inst1' } });
    await expect(202, 'POST', `/api/addresses/${address.id}/disassociate`);
    await expect(204, 'DELETE', `/api/addresses/${address.id}`);
    const lb = (await expect(201, 'POST', '/api/load_balancers', {
      body: { name: 'openapilb', realm_id: 'us', listener_protocol: 'HTTP', listener_balancer_port: '80', listener_instance_port: '8080' },
    })).json().load_balancer;
    await expect(200, 'GET', '/api/load_balancers');
    await expect(200, 'GET', `/api/load_balancers/${lb.id}`);
    await expect(200, 'POST', `/api/load_balancers/${lb.id}/register`, { body: { instance_id: 'inst1' } });
    await expect(200, 'POST', `/api/load_balancers/${lb.id}/unregister`, { body: { instance_id: 'inst1' } });
    await expect(204, 'DELETE', `/api/load_balancers/${lb.id}`);
    const firewall = (await expect(201, 'POST', '/api/firewalls', { body: { name: 'openapifw', description: 'for the document' } })).json().firewall;
    await expect(200, 'GET', '/api/firewalls');
    const withRule = (await expect(201, 'POST', `/api/firewalls/${firewall.id}/rules`, {
      body: { protocol: 'tcp', port_from: '22', port_to: '22', ip_address1: '10.0.0.0/8' },
    })).json().firewall;
    await expect(200, 'GET', `/api/firewalls/${firewall.id}`);
    await expect(204, 'DELETE', `/api/firewalls/${firewall.id}/${encodeURIComponent(withRule.rules[0].id)}`);
    await expect(204, 'DELETE', `/api/firewalls/${firewall.id}`);
    const network = (await expect(200, 'POST', '/api/networks', { body: { name: 'openapinet', address_block: '10.9.0.0/16' } })).json().network;
    await expect(200, 'GET', '/api/networks');
    await expect(200, 'GET', `/api/networks/${network.id}`);
    const subnet = (await expect(200, 'POST', '/api/subnets', { body: { network_id: network.id, address_block: '10.9.1.0/24', name: 'openapisub' } })).json().subnet;
    await expect(200, 'GET', '/api/subnets');
    await expect(200, 'GET', `/api/subnets/${subnet.id}`);
    const nic = (await expect(200, 'POST', '/api/network_interfaces', { body: { instance: 'inst1', network: network.id, subnet: subnet.id, name: 'openapinic' } })).json().network_interface;
    await expect(200, 'GET', '/api/network_interfaces');
    await expect(200, 'GET', `/api/network_interfaces/${nic.id}`);
    await expect(204, 'DELETE', `/api/network_interfaces/${nic.id}`);
    await expect(204, 'DELETE', `/api/subnets/${subnet.id}`);
    await expect(204, 'DELETE', `/api/networks/${network.id}`);

    // Some errors every operation documents.
    await expect(406, 'GET', '/api/realms', { accept: 'image/gif' });
    await expect(415, 'POST', '/api/keys?name=x', { body: '{"name":"x"}', headers: { 'Content-Type': 'application/json' } });

    const missed = validator.operations().filter((op) => !validator.seen.has(op));
    assert.deepEqual(missed, [], 'every operation of the document was exercised and validated');
  });
});
