// The linode driver's Object Storage (buckets and blobs), live, through the
// Deltacloud API, against OpenStack Swift's S3 API (scripts/swift-s3/setup.sh)
// listed by the operator as the Object Storage endpoint of provider `swift`.
// The API endpoint of that provider is a local listener that records what
// reaches it and refuses it with Linode's error body: bucket operations never
// talk to Linode's API, and the API gets the token alone. Credentials:
// `<token>:<access key>:<secret>` as the Basic password, the access key being
// tempauth's `test:tester`.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { freePort, startDriverServer, type TestServer } from '../../helpers/server.js';
import { bucketBasics, deleteAll, segmentedUpload, storeClient } from '../shared/s3-provider-live.js';
import { swiftAvailable, SWIFT_S3 } from '../ec2/helpers.js';

const available = await swiftAvailable();
const TOKEN = 'f3c1d0e2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2';
const BUCKET = `dc-linode-obj-${Date.now().toString(36)}`;

let server: TestServer | undefined;
const { call, credentialChecks, cleanUp } = storeClient(TOKEN, () => {
  assert.ok(server, 'the server started');
  return server;
});
let linodeApi: Server;
/** The Authorization header of every request that reached the provider's API endpoint. */
const apiCalls: string[] = [];

describe('linode driver: Object Storage buckets and blobs, live against Swift s3api', { skip: !available && 'Swift S3 not running' }, () => {
  before(async () => {
    linodeApi = createServer((request, response) => {
      apiCalls.push(String(request.headers.authorization));
      response.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ reason: 'Invalid Token' }] }));
    });
    const apiPort = await freePort();
    await new Promise<void>((resolve) => linodeApi.listen(apiPort, '127.0.0.1', resolve));
    const recorder = `http://127.0.0.1:${apiPort}`;
    const closed = `http://127.0.0.1:${await freePort()}`;
    server = await startDriverServer('linode', {
      endpoints: { swift: recorder, nostore: closed },
      objectStorage: { swift: SWIFT_S3 },
      defaultProvider: 'swift',
    }, { args: ['-P', 'swift'] });
  });
  after(async () => {
    await cleanUp(BUCKET, ['hello.bin', 'seg.bin']);
    await new Promise((resolve) => linodeApi?.close(resolve));
  });

  test('/api lists buckets for a provider with Object Storage, not for one without', async () => {
    const api = (await call('GET', '/api')).json().api;
    assert.equal(api.driver, 'linode');
    assert.ok(api.links.some((l: { rel: string }) => l.rel === 'buckets'));
    const without = (await call('GET', '/api', { headers: { 'X-Deltacloud-Provider': 'nostore' } })).json().api;
    assert.ok(!without.links.some((l: { rel: string }) => l.rel === 'buckets'), 'no buckets link without Object Storage');
    assert.equal((await call('GET', '/api/buckets', { headers: { 'X-Deltacloud-Provider': 'nostore' } })).status, 501);
  });

  test('credentials: the token alone → 401 on buckets; a wrong secret → 401 from the store; nothing echoed', async () => {
    await credentialChecks();
  });

  test('providers: an endpoint the operator did not list → 400 before any connection', async () => {
    for (const provider of ['https://us-east-1.linodeobjects.com', 'http://127.0.0.1:8080', 'linode-evil']) {
      const res = await call('GET', '/api/buckets', { headers: { 'X-Deltacloud-Provider': provider } });
      assert.equal(res.status, 400, `${provider}: ${res.text}`);
    }
  });

  test('bucket: create, list, show, duplicate → 409, bad name → 400, another cluster → 400, missing → 404', async () => {
    await bucketBasics(call, BUCKET, 'eu-central-1');
  });

  test('blob: every byte value round trip with metadata, metadata replaced, range, segmented upload, delete', async () => {
    const bytes = Buffer.from(Array.from({ length: 3 * 256 }, (_, i) => i % 256));
    const path = `/api/buckets/${BUCKET}/hello.bin`;
    const put = await call('PUT', path, {
      body: bytes, headers: { 'Content-Type': 'application/octet-stream', 'X-Deltacloud-Blobmeta-Author': 'deltacloud', 'X-Deltacloud-Blobmeta-Cluster': 'swift' },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json().blob.content_length, bytes.length);
    assert.deepEqual(put.json().blob.user_metadata, { author: 'deltacloud', cluster: 'swift' });
    const content = await call('GET', `${path}/content`, { accept: '*/*' });
    assert.equal(content.status, 200);
    assert.ok(content.body.equals(bytes), 'byte-exact');
    const part = await call('GET', `${path}/content`, { accept: '*/*', headers: { Range: 'bytes=250-261' } });
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(bytes.subarray(250, 262)));
    assert.equal((await call('POST', path, { headers: { 'X-Deltacloud-Blobmeta-Version': '2' } })).status, 204);
    const shown = (await call('GET', path)).json().blob;
    assert.deepEqual(shown.user_metadata, { version: '2' });
    assert.equal(shown.content_type, 'application/octet-stream');

    await segmentedUpload(call, `/api/buckets/${BUCKET}/seg.bin`, 'l');
    await deleteAll(call, BUCKET, ['hello.bin', 'seg.bin']);
  });

  test("no bucket operation reached Linode's API; its calls carry the token alone, not the Object Storage keys", async () => {
    assert.deepEqual(apiCalls, []);
    const realms = await call('GET', '/api/realms');
    assert.equal(realms.status, 401, realms.text);
    assert.deepEqual(apiCalls, [`Bearer ${TOKEN}`]);
  });
});
