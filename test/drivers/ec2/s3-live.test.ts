// The ec2 driver's buckets and blobs, live, through the Deltacloud API, against
// OpenStack Swift's S3 API (scripts/swift-s3/setup.sh): buckets, blobs with
// user metadata, streamed multipart upload larger than the part size with
// bounded server memory, segmented upload, errors.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { req, type Res } from '../../helpers/api.js';
import {
  getDigest, MiB, patternStream, putStream, rssOf, sampleRss, startEc2Server, swiftAvailable, SWIFT_ACCESS_KEY, SWIFT_AUTH, SWIFT_S3, SWIFT_SECRET,
  type Ec2Server,
} from './helpers.js';

const available = await swiftAvailable();
const PROVIDER = 'swift-s3';
const OPTIONS = { endpoints: { [PROVIDER]: { s3: SWIFT_S3, region: 'us-east-1', forcePathStyle: true } } };
const BUCKET = `dc-ec2-test-${Date.now().toString(36)}`;
const auth = { auth: SWIFT_AUTH };

let ec2: Ec2Server;
let port: number;
let A: string;

const call = (method: string, path: string, opts: Parameters<typeof req>[3] = {}): Promise<Res> => req(port, method, path, { ...auth, ...opts });

describe('ec2 driver: S3 buckets and blobs, live against Swift s3api', { skip: !available && 'Swift S3 not running' }, () => {
  before(async () => {
    ec2 = await startEc2Server(OPTIONS, PROVIDER);
    port = ec2.server.port;
    A = `http://localhost:${port}/api`;
  });
  after(async () => {
    // Best effort: leave nothing behind in Swift.
    for (const blob of ['hello.txt', 'big.bin', 'seg.bin', 'form.txt']) await call('DELETE', `/api/buckets/${BUCKET}/${blob}`).catch(() => undefined);
    await call('DELETE', `/api/buckets/${BUCKET}`).catch(() => undefined);
    await ec2?.stop();
  });

  test('the entry point offers only what the provider has (S3: buckets), with bucket_location', async () => {
    const res = await call('GET', '/api', { accept: 'application/json' });
    assert.equal(res.status, 200);
    const api = res.json().api;
    assert.equal(api.driver, 'ec2');
    assert.equal(api.provider, PROVIDER);
    assert.deepEqual(api.links.map((l: { rel: string }) => l.rel).sort(), ['buckets', 'drivers']);
    const buckets = api.links.find((l: { rel: string }) => l.rel === 'buckets');
    assert.equal(buckets.features[0][0].name, 'bucket_location');
    const noCompute = await call('GET', '/api/instances', { accept: 'application/json' });
    assert.equal(noCompute.status, 501, 'a provider without an EC2 endpoint cannot list instances');
  });

  test('credentials: none → 401 challenge, a wrong secret → 401 from the back end', async () => {
    const none = await req(port, 'GET', '/api/buckets', { auth: false });
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Basic realm="ec2-deltacloud@/);
    const wrong = await req(port, 'GET', `/api/buckets/${BUCKET}`, { auth: 'Basic ' + Buffer.from('test:tester:wrong').toString('base64'), accept: 'application/json' });
    assert.equal(wrong.status, 401);
    assert.doesNotMatch(wrong.text, /wrong/, 'the secret is never echoed');
    const forced = await req(port, 'GET', '/api?force_auth=1', { auth: 'Basic ' + Buffer.from('test:tester:wrong').toString('base64') });
    assert.equal(forced.status, 401);
    assert.equal((await call('GET', '/api?force_auth=1')).status, 200);
  });

  test('create, list and show a bucket; invalid and duplicate names', async () => {
    const created = await call('POST', '/api/buckets', { body: { name: BUCKET }, accept: 'application/xml' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.location, `${A}/buckets/${BUCKET}`);
    const bucket = created.xml();
    assert.equal(bucket.name, 'bucket');
    assert.equal(bucket.attrs.id, BUCKET);
    assert.equal(bucket.child('name').text, BUCKET);

    const list = await call('GET', '/api/buckets', { accept: 'application/json' });
    assert.equal(list.status, 200);
    assert.ok(list.json().buckets.some((b: { id: string }) => b.id === BUCKET));

    const show = await call('GET', `/api/buckets/${BUCKET}`, { accept: 'application/json' });
    assert.equal(show.status, 200);
    assert.deepEqual(show.json().bucket.blob_list, []);
    assert.equal(show.json().bucket.size, 0);

    const again = await call('POST', '/api/buckets', { body: { name: BUCKET }, accept: 'application/json' });
    assert.equal(again.status, 409, again.text);
    const invalid = await call('POST', '/api/buckets', { body: { name: 'x' }, accept: 'application/json' });
    assert.equal(invalid.status, 400);
    assert.match(invalid.json().message, /InvalidBucketName/);
    assert.equal((await call('GET', '/api/buckets/dc-no-such-bucket-here', { accept: 'application/json' })).status, 404);
  });

  test('blob: put with metadata, show, content, HEAD metadata, replace metadata, 404s', async () => {
    const text = 'Hello from Deltacloud!\n';
    const put = await call('PUT', `/api/buckets/${BUCKET}/hello.txt`, {
      body: text, accept: 'application/json',
      headers: { 'Content-Type': 'text/plain', 'X-Deltacloud-Blobmeta-Author': 'deltacloud', 'X-Deltacloud-Blobmeta-Purpose': 'test' },
    });
    assert.equal(put.status, 200, put.text);
    const blob = put.json().blob;
    assert.equal(blob.id, 'hello.txt');
    assert.equal(blob.content_length, Buffer.byteLength(text));
    assert.equal(blob.content_type, 'text/plain');
    assert.deepEqual(blob.user_metadata, { author: 'deltacloud', purpose: 'test' });
    assert.ok(blob.last_modified);

    const xml = (await call('GET', `/api/buckets/${BUCKET}/hello.txt`, { accept: 'application/xml' })).xml();
    assert.equal(xml.child('bucket').text, BUCKET);
    assert.equal(xml.child('content_length').text, String(Buffer.byteLength(text)));
    assert.equal(xml.child('content').attrs.rel, 'blob_content');

    const content = await call('GET', `/api/buckets/${BUCKET}/hello.txt/content`);
    assert.equal(content.status, 200);
    assert.equal(content.text, text);
    assert.equal(content.headers['content-type'], 'text/plain');
    assert.equal(content.headers['content-disposition'], 'attachment; filename=hello.txt');

    const head = await call('HEAD', `/api/buckets/${BUCKET}/hello.txt`);
    assert.equal(head.status, 204);
    assert.equal(head.headers['x-deltacloud-blobmeta-author'], 'deltacloud');
    assert.equal(head.headers['x-deltacloud-blobmeta-purpose'], 'test');

    const update = await call('POST', `/api/buckets/${BUCKET}/hello.txt`, { headers: { 'X-Deltacloud-Blobmeta-Version': '2' } });
    assert.equal(update.status, 204);
    assert.equal(update.headers['x-deltacloud-blobmeta-version'], '2');
    const after = (await call('GET', `/api/buckets/${BUCKET}/hello.txt`, { accept: 'application/json' })).json().blob;
    assert.deepEqual(after.user_metadata, { version: '2' }, 'metadata replaced, not merged');
    assert.equal(after.content_type, 'text/plain', 'content type kept by the metadata copy');
    assert.equal((await call('GET', `/api/buckets/${BUCKET}/hello.txt/content`)).text, text, 'content unchanged');

    assert.equal((await call('GET', `/api/buckets/${BUCKET}/missing.txt`, { accept: 'application/json' })).status, 404);
    assert.equal((await call('GET', `/api/buckets/${BUCKET}/missing.txt/content`, { accept: 'application/json' })).status, 404);
    assert.equal((await call('HEAD', `/api/buckets/${BUCKET}/missing.txt`)).status, 404);
    assert.equal((await call('POST', `/api/buckets/${BUCKET}/missing.txt`, { headers: { 'X-Deltacloud-Blobmeta-A': 'b' } })).status, 404);
    assert.equal((await call('DELETE', `/api/buckets/${BUCKET}/missing.txt`, { accept: 'application/json' })).status, 404);

    const listed = (await call('GET', `/api/buckets/${BUCKET}`, { accept: 'application/json' })).json().bucket;
    assert.deepEqual(listed.blob_list.map((b: { id: string }) => b.id), ['hello.txt']);
  });

  test('Range on content: GetObject with Range → 206 + Content-Range; past the end → 416 with the size; several → 200', async () => {
    const text = 'Hello from Deltacloud!\n';
    const path = `/api/buckets/${BUCKET}/hello.txt/content`;
    const range = (r: string, accept?: string) => call('GET', path, { headers: { Range: r }, ...(accept ? { accept } : {}) });
    const full = await call('GET', path);
    assert.equal(full.status, 200);
    assert.equal(full.headers['accept-ranges'], 'bytes');
    const first = await range('bytes=0-3');
    assert.equal(first.status, 206, first.text);
    assert.equal(first.text, 'Hell');
    assert.equal(first.headers['content-range'], `bytes 0-3/${text.length}`);
    assert.equal(first.headers['content-length'], '4');
    const suffix = await range('bytes=-9');
    assert.equal(suffix.status, 206);
    assert.equal(suffix.text, text.slice(-9));
    const open = await range('bytes=6-');
    assert.equal(open.status, 206);
    assert.equal(open.text, text.slice(6));
    assert.equal(open.headers['content-range'], `bytes 6-${text.length - 1}/${text.length}`);
    const past = await range(`bytes=${text.length}-`, 'application/json');
    assert.equal(past.status, 416, past.text);
    assert.equal(past.headers['content-range'], `bytes */${text.length}`);
    const several = await range('bytes=0-1,3-4');
    assert.equal(several.status, 200);
    assert.equal(several.text, text);
  });

  test('form upload (POST multipart/form-data) → 201', async () => {
    const boundary = '----dcec2' + Date.now();
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="blob_id"\r\n\r\nform.txt\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="meta_params"\r\n\r\n1\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="meta_name1"\r\n\r\nOrigin\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="meta_value1"\r\n\r\nform\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="blob_data"; filename="form.txt"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n` +
      `--${boundary}--\r\n`,
    );
    const res = await call('POST', `/api/buckets/${BUCKET}`, { body, accept: 'application/json', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json().blob.content_type, 'text/csv');
    assert.deepEqual(res.json().blob.user_metadata, { origin: 'form' });
    assert.equal((await call('GET', `/api/buckets/${BUCKET}/form.txt/content`)).text, 'a,b\n1,2\n');
  });

  test('multipart upload bigger than the part size: byte-exact, streamed, bounded server memory', async () => {
    const size = 3 * 8 * MiB + 12345; // four 8 MiB parts, the last one short
    // Warm-up: the first multipart upload compiles the code paths; measure the second.
    const warm = patternStream(9 * MiB, 5);
    const warmed = await putStream(port, `/api/buckets/${BUCKET}/big.bin`, warm.stream, 9 * MiB, { Authorization: SWIFT_AUTH });
    assert.equal(warmed.status, 200, warmed.body);
    const pid = ec2.server.process.pid!;
    const baseline = rssOf(pid);
    const sampler = sampleRss(pid);
    const data = patternStream(size, 7);
    const put = await putStream(port, `/api/buckets/${BUCKET}/big.bin`, data.stream, size, {
      Authorization: SWIFT_AUTH, Accept: 'application/json', 'Content-Type': 'application/octet-stream', 'X-Deltacloud-Blobmeta-Kind': 'multipart',
    });
    assert.equal(put.status, 200, put.body);
    const blob = JSON.parse(put.body).blob;
    assert.equal(blob.content_length, size);
    assert.deepEqual(blob.user_metadata, { kind: 'multipart' });
    const got = await getDigest(port, `/api/buckets/${BUCKET}/big.bin/content`, { Authorization: SWIFT_AUTH });
    const peak = sampler.stop();
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-length'], String(size));
    assert.equal(got.length, size);
    assert.equal(got.sha256, data.digest(), 'downloaded bytes equal the uploaded ones');
    const growth = peak - baseline;
    console.log(`  multipart ${size} bytes: server RSS ${(baseline / MiB).toFixed(1)} → peak ${(peak / MiB).toFixed(1)} MiB (+${(growth / MiB).toFixed(1)} MiB)`);
    assert.ok(growth < 64 * MiB, `server RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
    // A multipart object's ETag is "<md5 of part md5s>-<parts>".
    assert.equal((await call('GET', `/api/buckets/${BUCKET}/big.bin`, { accept: 'application/json' })).json().blob.content_length, size);
  });

  test('segmented upload = S3 multipart upload (init, segments, manifest)', async () => {
    const path = `/api/buckets/${BUCKET}/seg.bin`;
    const init = await call('PUT', path, { headers: { 'X-Deltacloud-BlobType': 'segmented', 'Content-Type': 'application/x-test', 'X-Deltacloud-Blobmeta-Parts': '2' } });
    assert.equal(init.status, 204, init.text);
    const uploadId = init.headers['x-deltacloud-segmentedblob'] as string;
    assert.ok(uploadId);
    const first = Buffer.alloc(5 * MiB, 'a');
    const second = Buffer.from('the tail of the segmented blob\n');
    const ids: string[] = [];
    for (const [order, body] of [[1, first], [2, second]] as const) {
      const seg = await call('PUT', path, {
        body, headers: { 'X-Deltacloud-BlobType': 'segmented', 'X-Deltacloud-SegmentedBlob': uploadId, 'X-Deltacloud-SegmentOrder': String(order), 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(seg.status, 204, seg.text);
      ids.push(seg.headers['x-deltacloud-blobsegmentid'] as string);
    }
    const done = await call('PUT', path, {
      body: `1=${ids[0]} , 2=${ids[1]}`, accept: 'application/json',
      headers: { 'X-Deltacloud-BlobType': 'segmented', 'X-Deltacloud-SegmentedBlob': uploadId, 'Content-Type': 'text/plain' },
    });
    assert.equal(done.status, 200, done.text);
    const blob = done.json().blob;
    assert.equal(blob.content_length, first.length + second.length);
    assert.equal(blob.content_type, 'application/x-test');
    assert.deepEqual(blob.user_metadata, { parts: '2' });
    const got = await call('GET', `${path}/content`);
    assert.ok(got.body.equals(Buffer.concat([first, second])));
  });

  test('a client hanging up mid-upload leaves no multipart upload behind; the server carries on', async () => {
    const s3 = new S3Client({
      endpoint: SWIFT_S3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: SWIFT_ACCESS_KEY, secretAccessKey: SWIFT_SECRET },
    });
    try {
      const sent = await new Promise<number>((resolve) => {
        const r = http.request({
          host: '127.0.0.1', port, method: 'PUT', path: `/api/buckets/${BUCKET}/abandoned.bin`,
          headers: { Host: `localhost:${port}`, Authorization: SWIFT_AUTH, 'Content-Type': 'application/octet-stream', 'Content-Length': String(40 * MiB) },
        });
        r.on('error', () => undefined);
        const chunk = Buffer.alloc(MiB, 1);
        let n = 0;
        const write = () => {
          while (n < 20) {
            n++;
            if (!r.write(chunk)) return void r.once('drain', write);
          }
          // Half-way (several parts sent): hang up.
          setTimeout(() => { r.destroy(); resolve(n * MiB); }, 300);
        };
        write();
      });
      assert.equal(sent, 20 * MiB);
      let uploads = -1;
      for (let i = 0; i < 100 && uploads !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        uploads = (await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads?.length ?? 0;
      }
      assert.equal(uploads, 0, 'the abandoned multipart upload was aborted');
      assert.equal((await call('GET', `/api/buckets/${BUCKET}/abandoned.bin`, { accept: 'application/json' })).status, 404);
      assert.equal((await call('GET', `/api/buckets/${BUCKET}`, { accept: 'application/json' })).status, 200);
    } finally {
      s3.destroy();
    }
  });

  test('a non-empty bucket cannot be deleted (409); blobs and bucket delete with 204', async () => {
    const busy = await call('DELETE', `/api/buckets/${BUCKET}`, { accept: 'application/json' });
    assert.equal(busy.status, 409, busy.text);
    for (const blob of ['hello.txt', 'big.bin', 'seg.bin', 'form.txt']) {
      const del = await call('DELETE', `/api/buckets/${BUCKET}/${blob}`);
      assert.equal(del.status, 204, `${blob}: ${del.text}`);
    }
    assert.equal((await call('DELETE', `/api/buckets/${BUCKET}`)).status, 204);
    assert.equal((await call('GET', `/api/buckets/${BUCKET}`, { accept: 'application/json' })).status, 404);
  });

  test('the secret never appears in the server output', () => {
    assert.doesNotMatch(ec2.server.output(), /testing|tester:testing/);
  });
});
