// Steps both live suites of provider object stores (DigitalOcean Spaces,
// Linode Object Storage) run through our REST API against Swift's S3 API:
// credentials, the bucket basics, a segmented upload read back byte-exact,
// clean-up. The store's access key is Swift tempauth's `test:tester`.
import assert from 'node:assert/strict';
import { assertNoLeak, req, type Res } from '../../helpers/api.js';
import type { TestServer } from '../../helpers/server.js';
import { SWIFT_ACCESS_KEY, SWIFT_SECRET } from '../ec2/helpers.js';

/** One request through our server, as the suite's client. */
export type Call = (method: string, path: string, opts?: Parameters<typeof req>[3]) => Promise<Res>;

/** A client sending `<token>:<store key>:<store secret>` as its Basic password (user `my-team`). */
export function storeClient(token: string, serverOf: () => TestServer) {
  const basic = (password: string) => 'Basic ' + Buffer.from(`my-team:${password}`).toString('base64');
  const auth = basic(`${token}:${SWIFT_ACCESS_KEY}:${SWIFT_SECRET}`);
  const secrets = [token, SWIFT_SECRET, auth.slice('Basic '.length)];
  const call: Call = async (method, path, opts = {}) => {
    const res = await req(serverOf(), method, path, { auth, accept: 'application/json', ...opts });
    assertNoLeak(res, secrets);
    return res;
  };
  /** No store keys → 401; a wrong secret → 401 from the store; nothing echoed. */
  const credentialChecks = async (): Promise<void> => {
    const tokenOnly = await req(serverOf(), 'GET', '/api/buckets', { auth: basic(token), accept: 'application/json' });
    assert.equal(tokenOnly.status, 401, tokenOnly.text);
    assertNoLeak(tokenOnly, [token]);
    const wrong = await req(serverOf(), 'GET', '/api/buckets', { auth: basic(`${token}:${SWIFT_ACCESS_KEY}:not-the-secret`), accept: 'application/json' });
    assert.equal(wrong.status, 401, wrong.text);
    assertNoLeak(wrong, [token, 'not-the-secret']);
  };
  /** What a failed run left deleted, the server stopped, no credential in its log. */
  const cleanUp = async (bucket: string, blobs: readonly string[]): Promise<void> => {
    for (const blob of blobs) await call('DELETE', `/api/buckets/${bucket}/${blob}`).catch(() => undefined);
    await call('DELETE', `/api/buckets/${bucket}`).catch(() => undefined);
    await serverOf().stop();
    assert.ok(!secrets.some((s) => serverOf().output().includes(s)), 'no credential in the server log');
  };
  return { call, credentialChecks, cleanUp };
}

/** Create, list, show (empty), duplicate → 409, bad name → 400, missing → 404, a location other than the endpoint's → 400. */
export async function bucketBasics(call: Call, bucket: string, otherLocation: string): Promise<void> {
  const created = await call('POST', '/api/buckets', { body: { name: bucket } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json().bucket.id, bucket);
  assert.ok((await call('GET', '/api/buckets')).json().buckets.some((b: { id: string }) => b.id === bucket));
  assert.deepEqual((await call('GET', `/api/buckets/${bucket}`)).json().bucket.blob_list, []);
  assert.equal((await call('POST', '/api/buckets', { body: { name: bucket } })).status, 409);
  const invalid = await call('POST', '/api/buckets', { body: { name: 'No_Such' } });
  assert.equal(invalid.status, 400);
  assert.match(invalid.json().message, /InvalidBucketName/);
  assert.equal((await call('GET', '/api/buckets/dc-no-such-bucket-here')).status, 404);
  const elsewhere = await call('POST', '/api/buckets', { body: { name: `${bucket}-${otherLocation}`, location: otherLocation } });
  assert.equal(elsewhere.status, 400, elsewhere.text);
  assert.match(elsewhere.json().message, /another location needs another provider/);
}

/** Segmented upload = S3 multipart upload of two parts (all but the last at least 5 MiB) at `path`, read back byte-exact. */
export async function segmentedUpload(call: Call, path: string, fill: string): Promise<void> {
  const first = Buffer.alloc(5 * 1024 * 1024, fill);
  const second = Buffer.from('tail');
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
}

/** Both blobs listed, deleted (a second delete → 404), then the bucket deleted (a show → 404). */
export async function deleteAll(call: Call, bucket: string, blobs: readonly string[]): Promise<void> {
  assert.deepEqual((await call('GET', `/api/buckets/${bucket}`)).json().bucket.blob_list.map((b: { id: string }) => b.id).sort(), [...blobs].sort());
  for (const blob of blobs) assert.equal((await call('DELETE', `/api/buckets/${bucket}/${blob}`)).status, 204);
  assert.equal((await call('DELETE', `/api/buckets/${bucket}/${blobs[0]}`)).status, 404);
  assert.equal((await call('DELETE', `/api/buckets/${bucket}`)).status, 204);
  assert.equal((await call('GET', `/api/buckets/${bucket}`)).status, 404);
}
