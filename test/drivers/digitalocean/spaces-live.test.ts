// The digitalocean driver's Spaces (buckets and blobs), live, through the
// Deltacloud API, against OpenStack Swift's S3 API (scripts/swift-s3/setup.sh)
// listed by the operator as the Spaces endpoint of provider `swift`. The API
// endpoint of that provider is a closed port: bucket operations never talk to
// DigitalOcean's API. Credentials: `<API token>:<Spaces key>:<Spaces secret>`
// as the Basic password, the Spaces key being tempauth's `test:tester`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertNoLeak, req, type Res } from '../../helpers/api.js';
import { freePort, startDriverServer, type TestServer } from '../../helpers/server.js';
import { swiftAvailable, SWIFT_ACCESS_KEY, SWIFT_S3, SWIFT_SECRET } from '../ec2/helpers.js';

const available = await swiftAvailable();
const TOKEN = 'dop_v1_spaces-live-token-8f2a';
const basic = (password: string) => 'Basic ' + Buffer.from(`my-team:${password}`).toString('base64');
const AUTH = basic(`${TOKEN}:${SWIFT_ACCESS_KEY}:${SWIFT_SECRET}`);
const SECRETS = [TOKEN, SWIFT_SECRET, AUTH.slice('Basic '.length)];
const BUCKET = `dc-do-spaces-${Date.now().toString(36)}`;

let server: TestServer;

async function call(method: string, path: string, opts: Parameters<typeof req>[3] = {}): Promise<Res> {
  const res = await req(server, method, path, { auth: AUTH, accept: 'application/json', ...opts });
  assertNoLeak(res, SECRETS);
  return res;
}

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
    for (const blob of ['hello.txt', 'seg.bin']) await call('DELETE', `/api/buckets/${BUCKET}/${blob}`).catch(() => undefined);
    await call('DELETE', `/api/buckets/${BUCKET}`).catch(() => undefined);
    await server?.stop();
    assert.ok(!SECRETS.some((s) => server.output().includes(s)), 'no credential in the server log');
  });

  test('the entry point lists buckets', async () => {
    const api = (await call('GET', '/api')).json().api;
    assert.equal(api.driver, 'digitalocean');
    assert.ok(api.links.some((l: { rel: string }) => l.rel === 'buckets'));
  });

  test('credentials: no Spaces keys → 401; a wrong secret → 401 from the store; nothing echoed', async () => {
    const tokenOnly = await req(server, 'GET', '/api/buckets', { auth: basic(TOKEN), accept: 'application/json' });
    assert.equal(tokenOnly.status, 401, tokenOnly.text);
    assertNoLeak(tokenOnly, [TOKEN]);
    const wrong = await req(server, 'GET', '/api/buckets', { auth: basic(`${TOKEN}:${SWIFT_ACCESS_KEY}:not-the-secret`), accept: 'application/json' });
    assert.equal(wrong.status, 401, wrong.text);
    assertNoLeak(wrong, [TOKEN, 'not-the-secret']);
  });

  test('providers: one without a Spaces endpoint → no buckets link, 501, one the operator did not list → 400', async () => {
    assert.equal((await call('GET', '/api/buckets', { headers: { 'X-Deltacloud-Provider': 'nospaces' } })).status, 501);
    const entry = (await call('GET', '/api', { headers: { 'X-Deltacloud-Provider': 'nospaces' } })).json().api;
    assert.ok(!entry.links.some((l: { rel: string }) => l.rel === 'buckets'), 'the entry point of a provider without Spaces lists no buckets');
    assert.equal((await call('GET', '/api/buckets', { headers: { 'X-Deltacloud-Provider': 'https://evil.example' } })).status, 400);
  });

  test('bucket: create, list, show, duplicate → 409, bad name → 400, a location other than the endpoint\'s → 400', async () => {
    const created = await call('POST', '/api/buckets', { body: { name: BUCKET } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json().bucket.id, BUCKET);
    assert.ok((await call('GET', '/api/buckets')).json().buckets.some((b: { id: string }) => b.id === BUCKET));
    assert.deepEqual((await call('GET', `/api/buckets/${BUCKET}`)).json().bucket.blob_list, []);
    assert.equal((await call('POST', '/api/buckets', { body: { name: BUCKET } })).status, 409);
    const invalid = await call('POST', '/api/buckets', { body: { name: 'No_Such' } });
    assert.equal(invalid.status, 400);
    assert.match(invalid.json().message, /InvalidBucketName/);
    assert.equal((await call('GET', '/api/buckets/dc-no-such-bucket-here')).status, 404);
    const elsewhere = await call('POST', '/api/buckets', { body: { name: `${BUCKET}-fra1`, location: 'fra1' } });
    assert.equal(elsewhere.status, 400, elsewhere.text);
    assert.match(elsewhere.json().message, /another location needs another provider/);
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

    // Segmented upload = S3 multipart upload: two parts (all but the last at least 5 MiB).
    const first = Buffer.alloc(5 * 1024 * 1024, 'a');
    const second = Buffer.from('tail');
    const path = `/api/buckets/${BUCKET}/seg.bin`;
    const init = await call('PUT', path, { headers: { 'X-Deltacloud-BlobType': 'segmented', 'Content-Type': 'application/x-test' } });
    assert.equal(init.status, 204, init.text);
    const uploadId = String(init.headers['x-deltacloud-segmentedblob'] ?? '');
    assert.ok(uploadId, 'the upload id header');
    const ids: string[] = [];
    for (const [order, body] of [[1, first], [2, second]] as const) {
      const seg = await call('PUT', path, {
        body, headers: { 'X-Deltacloud-BlobType': 'segmented', 'X-Deltacloud-SegmentedBlob': uploadId, 'X-Deltacloud-SegmentOrder': String(order), 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(seg.status, 204, seg.text);
      ids.push(String(seg.headers['x-deltacloud-blobsegmentid']));
    }
    const done = await call('PUT', path, {
      body: `1=${ids[0]} , 2=${ids[1]}`,
      headers: { 'X-Deltacloud-BlobType': 'segmented', 'X-Deltacloud-SegmentedBlob': uploadId, 'Content-Type': 'text/plain' },
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json().blob.content_length, first.length + second.length);
    assert.ok((await call('GET', `${path}/content`, { accept: '*/*' })).body.equals(Buffer.concat([first, second])), 'byte-exact');

    assert.deepEqual((await call('GET', `/api/buckets/${BUCKET}`)).json().bucket.blob_list.map((b: { id: string }) => b.id).sort(), ['hello.txt', 'seg.bin']);
    assert.equal((await call('DELETE', `/api/buckets/${BUCKET}/hello.txt`)).status, 204);
    assert.equal((await call('DELETE', `/api/buckets/${BUCKET}/seg.bin`)).status, 204);
    assert.equal((await call('DELETE', `/api/buckets/${BUCKET}/hello.txt`)).status, 404);
    assert.equal((await call('DELETE', `/api/buckets/${BUCKET}`)).status, 204);
    assert.equal((await call('GET', `/api/buckets/${BUCKET}`)).status, 404);
  });
});
