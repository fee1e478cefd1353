// The client against the real server (mock): every collection and action,
// typed errors with the server's message, refusals before sending, retries,
// abort, and blobs streamed both ways with progress.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  BadRequest, CapabilityMissing, Conflict, DeltacloudClient, NetworkError, NotFound, Unauthorized, BackendError,
} from '../../packages/client/src/index.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let client: DeltacloudClient;
let requests = 0;

before(async () => {
  server = await startServer();
  const counting: typeof fetch = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  client = new DeltacloudClient({ url: `http://127.0.0.1:${server.port}/api`, user: 'mockuser', password: 'mockpassword', fetch: counting });
});
after(() => server?.stop());

describe('client against the mock', () => {
  it('reads the entry point: collections and features', async () => {
    const collections = await client.collections();
    assert.ok(collections.includes('instances') && collections.includes('buckets'), collections.join(','));
    assert.ok((await client.features('instances')).length > 0);
    const drivers = await client.drivers();
    assert.ok('mock' in drivers && 'ec2' in drivers);
    assert.ok((await client.instanceStates()).some((s) => s.name === 'running'));
  });

  it('lists and shows every read-only collection', async () => {
    for (const collection of [client.realms, client.hardwareProfiles, client.images, client.instances, client.keys, client.metrics,
      client.storageVolumes, client.storageSnapshots, client.buckets, client.addresses, client.loadBalancers, client.firewalls,
      client.networks, client.subnets, client.networkInterfaces]) {
      const items = await collection.list();
      assert.ok(Array.isArray(items), collection.name);
      if (items.length > 0) assert.equal((await collection.get(items[0]!.id)).id, items[0]!.id, collection.name);
    }
    const running = await client.instances.list({ state: 'RUNNING' });
    assert.ok(running.length > 0 && running.every((i) => i.state === 'RUNNING'));
  });

  it('creates an instance, follows its action links, waits for states, destroys it', async () => {
    const instance = await client.instances.create({ image_id: 'img1', name: 'client-test' });
    assert.equal(instance.name, 'client-test');
    const running = await client.waitForState(instance, 'RUNNING', { timeoutMs: 10_000 });
    const before = requests;
    // A state that offers no `start`: refused before anything is sent.
    await assert.rejects(client.instances.start(running), (e: unknown) => e instanceof Conflict && /offers no 'start' action/.test(e.message));
    assert.equal(requests, before, 'nothing sent');
    await client.instances.reboot(running);
    const stopped = await client.instances.stop(await client.waitForState(instance, 'RUNNING', { timeoutMs: 10_000 }));
    assert.ok(['STOPPING', 'STOPPED'].includes(String(stopped.state)));
    const result = await client.instances.run('inst1', { cmd: 'uname -a' });
    assert.equal(result.instance.command, 'uname -a');
    const image = await client.images.create({ instance_id: instance.id, name: 'client-image' });
    await client.images.destroy(image);
    await client.instances.destroy(await client.waitForState(instance, 'STOPPED', { timeoutMs: 10_000 }));
    await assert.rejects(client.instances.get(instance.id), NotFound);
  });

  it('keys, volumes (attach/detach), snapshots, addresses, load balancers, firewalls, networks', async () => {
    const key = await client.keys.create({ name: 'client-key' });
    await client.keys.destroy(key);
    const volume = await client.storageVolumes.create({ capacity: '1' });
    assert.equal((await client.storageVolumes.attach(volume.id, { instance_id: 'inst1', device: '/dev/sdd' })).id, volume.id);
    await client.storageVolumes.detach(volume.id);
    const snapshot = await client.storageSnapshots.create({ volume_id: volume.id });
    await client.storageSnapshots.destroy(snapshot);
    await client.storageVolumes.destroy(volume);
    const address = await client.addresses.create({});
    await client.addresses.associate(address.id, { instance_id: 'inst1' });
    assert.equal((await client.addresses.get(address.id)).instance_id, 'inst1');
    await client.addresses.disassociate(address.id);
    await client.addresses.destroy(address);
    const lb = await client.loadBalancers.create({
      name: 'clientlb', realm_id: 'us', listener_protocol: 'HTTP', listener_balancer_port: '80', listener_instance_port: '8080',
    });
    assert.equal((await client.loadBalancers.register(lb.id, { instance_id: 'inst1' })).instances.length, 1);
    await client.loadBalancers.unregister(lb.id, { instance_id: 'inst1' });
    await client.loadBalancers.destroy(lb);
    const firewall = await client.firewalls.create({ name: 'clientfw', description: 'client test' });
    const withRule = await client.firewalls.addRule(firewall.id, { protocol: 'tcp', port_from: '80', port_to: '80', ip_address1: '10.0.0.0/8' });
    await client.firewalls.deleteRule(firewall.id, withRule.rules[0]!.id);
    await client.firewalls.destroy(firewall);
    const network = await client.networks.create({ name: 'clientnet', address_block: '10.8.0.0/16' });
    const subnet = await client.subnets.create({ network_id: network.id, address_block: '10.8.1.0/24' });
    const nic = await client.networkInterfaces.create({ instance: 'inst1', network: network.id, subnet: subnet.id });
    await client.networkInterfaces.destroy(nic);
    await client.subnets.destroy(subnet);
    await client.networks.destroy(network);
  });

  it('turns every non-2xx into its typed error with the server message', async () => {
    await assert.rejects(client.realms.get('nope'), (e: unknown) => e instanceof NotFound && e.status === 404);
    await assert.rejects(client.keys.create({}), (e: unknown) => e instanceof BadRequest && /Required parameter 'name'/.test(e.message));
    const wrong = new DeltacloudClient({ url: `http://127.0.0.1:${server.port}/api`, user: 'mockuser', password: 'wrong' });
    await assert.rejects(wrong.instances.list(), (e: unknown) => e instanceof Unauthorized && !e.message.includes('wrong'));
  });

  it('refuses, before sending, what the driver does not offer', async () => {
    const ec2 = new DeltacloudClient({ url: `http://127.0.0.1:${server.port}/api`, driver: 'ec2', user: 'AKIA', password: 'x' });
    await assert.rejects(ec2.instances.run('i-1', { cmd: 'ls' }), (e: unknown) => e instanceof CapabilityMissing && /does not offer POST \/instances\/\{id\}\/run/.test(e.message));
    await assert.rejects(client.keys.create({ name: 'k', no_such_param: 'x' }), (e: unknown) => e instanceof CapabilityMissing && /no_such_param/.test(e.message));
  });

  it('streams a blob both ways with progress', async () => {
    await client.buckets.create({ name: 'clientbucket' });
    const size = 8 * 1024 * 1024;
    const chunk = new Uint8Array(64 * 1024).fill(7);
    const source = Readable.from((function* () { for (let sent = 0; sent < size; sent += chunk.length) yield chunk; })());
    let uploaded = 0;
    const blob = await client.blobs.put('clientbucket', 'big', source, { contentType: 'application/x-test', metadata: { colour: 'red' }, onProgress: (n) => (uploaded = n) });
    assert.equal(uploaded, size);
    assert.equal(blob.content_length, size);
    assert.equal((await client.blobs.get('clientbucket', 'big')).user_metadata.colour, 'red');
    let downloaded = 0;
    let total: number | undefined;
    let received = 0;
    const reader = (await client.blobs.download('clientbucket', 'big', { onProgress: (n, t) => { downloaded = n; total = t; } })).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) received += r.value.byteLength;
    assert.equal(received, size);
    assert.equal(downloaded, size);
    assert.equal(total, size);
    await client.blobs.destroy('clientbucket', 'big');
    await client.buckets.destroy('clientbucket');
  });

  it('aborts a call with its AbortSignal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await assert.rejects(client.realms.list({}, { signal: controller.signal }), /stop now/);
  });
});

describe('client retries', () => {
  let flaky: Server;
  let hits: string[] = [];
  let port: number;
  before(async () => {
    // An HTTP server that fails the first two calls of each path with 503 + Retry-After (the client's own logic under test).
    const seen = new Map<string, number>();
    flaky = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      const n = (seen.get(req.url!) ?? 0) + 1;
      seen.set(req.url!, n);
      if (n <= 2) {
        res.writeHead(503, { 'Retry-After': '0', 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ code: 503, message: 'try later', error: 'x' }));
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    port = (flaky.address() as AddressInfo).port;
  });
  after(() => flaky.close());

  it('retries GET on 503 honouring Retry-After, never a POST without an idempotency key', async () => {
    const c = new DeltacloudClient({ url: `http://127.0.0.1:${port}/api`, attempts: 3 });
    hits = [];
    assert.deepEqual(await c.json({ method: 'GET', url: `http://127.0.0.1:${port}/api/a` }), {});
    assert.equal(hits.length, 3);
    hits = [];
    await assert.rejects(c.json({ method: 'POST', url: `http://127.0.0.1:${port}/api/b` }), (e: unknown) => e instanceof BackendError && e.message === 'try later');
    assert.equal(hits.length, 1, 'a POST is sent once');
    hits = [];
    await c.json({ method: 'POST', url: `http://127.0.0.1:${port}/api/c`, idempotencyKey: 'k1' });
    assert.equal(hits.length, 3, 'a POST with an idempotency key is retried');
  });

  it('names the URL, not the credentials, when the network fails', async () => {
    const c = new DeltacloudClient({ url: 'http://127.0.0.1:1/api', user: 'secretuser', password: 'secretpass', attempts: 2, retryDelayMs: 1 });
    await assert.rejects(c.realms.list(), (e: unknown) => e instanceof NetworkError && e.message.includes('http://127.0.0.1:1/api') && !/secret/.test(e.message));
  });
});
