// The digitalocean driver's Spaces (buckets and blobs), live, through the
// Deltacloud API, against OpenStack Swift's S3 API (scripts/swift-s3/setup.sh)
// listed by the operator as the Spaces endpoint of provider `swift`. The API
// endpoint of that provider is a closed port: bucket operations never talk to
// DigitalOcean's API. Credentials: `<API token>:<Spaces key>:<Spaces secret>`
// as the Basic password, the Spaces key being tempauth's `test:tester`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, startDriverServer, type TestServer } from '../../helpers/server.js';
import { bucketBasics, deleteAll, segmentedUpload, storeClient } from '../shared/s3-provider-live.js';
import { swiftAvailable, SWIFT_S3 } from '../ec2/helpers.js';

const available = await swiftAvailable();
const TOKEN = 'dop_v1_spaces-live-token-8f2a';
const BUCKET = `dc-do-spaces-${Date.now().toString(36)}`;

let server: TestServer | undefined;
const { call, credentialChecks, cleanUp } = storeClient(TOKEN, () => {
  assert.ok(server, 'the server started');
  return server;
});

describe('digitalocean driver: Spaces buckets and blobs, live against Swift s3api', { skip: !available && 'Swift S3 not running' }, () => {
  before(async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    server = await startDriverServer('digitalocean', {
      endpoints: { swift: closed, nospaces: closed },
      spaces: { swift: SWIFT_S3 },
      defaultProvider: 'swift',
    }, { args: ['-P', 'swift'] });
  });
  after(async () => {
    await cleanUp(BUCKET, ['hello.txt', 'seg.bin']);
  });

  test('the entry point lists buckets', async () => {
    const api = (await call('GET', '/api')).json().api;
    assert.equal(api.driver, 'digitalocean');
    assert.ok(api.links.some((l: { rel: string }) => l.rel === 'buckets'));
  });

  test('credentials: no Spaces keys → 401; a wrong secret → 401 from the store; nothing echoed', async () => {
    await credentialChecks();
  });

  test('providers: one without a Spaces endpoint → no buckets link, 501, one the operator did not list → 400', async () => {
    assert.equal((await call('GET', '/api/buckets', { headers: { 'X-Deltacloud-Provider': 'nospaces' } })).status, 501);
    const entry = (await call('GET', '/api', { headers: { 'X-Deltacloud-Provider': 'nospaces' } })).json().api;
    assert.ok(!entry.links.some((l: { rel: string }) => l.rel === 'buckets'), 'the entry point of a provider without Spaces lists no buckets');
    assert.equal((await call('GET', '/api/buckets', { headers: { 'X-Deltacloud-Provider': 'https://evil.example' } })).status, 400);
  });

  test('bucket: create, list, show, duplicate → 409, bad name → 400, a location other than the endpoint\'s → 400', async () => {
    await bucketBasics(call, BUCKET, 'fra1');
  });

  test('blob: put with metadata, show, content byte-exact, replace metadata, range, segmented upload, delete', async () => {
    const text = 'Hello from Spaces!\n';
    const put = await call('PUT', `/api/buckets/${BUCKET}/hello.txt`, {
      body: text, headers: { 'Content-Type': 'text/plain', 'X-Deltacloud-Blobmeta-Author': 'deltacloud' },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json().blob.content_length, Buffer.byteLength(text));
    assert.deepEqual(put.json().blob.user_metadata, { author: 'deltacloud' });
    const content = await call('GET', `/api/buckets/${BUCKET}/hello.txt/content`, { accept: '*/*' });
    assert.equal(content.status, 200);
    assert.equal(content.text, text);
    const part = await call('GET', `/api/buckets/${BUCKET}/hello.txt/content`, { accept: '*/*', headers: { Range: 'bytes=0-4' } });
    assert.equal(part.status, 206);
    assert.equal(part.text, 'Hello');
    assert.equal((await call('POST', `/api/buckets/${BUCKET}/hello.txt`, { headers: { 'X-Deltacloud-Blobmeta-Version': '2' } })).status, 204);
    const shown = (await call('GET', `/api/buckets/${BUCKET}/hello.txt`)).json().blob;
    assert.deepEqual(shown.user_metadata, { version: '2' });
    assert.equal(shown.content_type, 'text/plain');

    await segmentedUpload(call, `/api/buckets/${BUCKET}/seg.bin`, 'a');
    await deleteAll(call, BUCKET, ['hello.txt', 'seg.bin']);
  });
});
