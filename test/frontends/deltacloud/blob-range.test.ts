// Byte ranges on blob downloads (RFC 9110 §14), over HTTP against the mock:
// 206 + Content-Range for one range (first-last, open, suffix), 416 with the
// size when nothing is selected, the whole blob with 200 (and Accept-Ranges)
// otherwise: no Range, an invalid one, several ranges, or If-Range.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { req, type Res } from '../../helpers/api.js';
import { startApp, type AppServer } from '../../helpers/inject.js';

let server: AppServer;
const BUCKET = 'rangebucket';
const TEXT = 'Hello, ranges! 0123456789';
const BIG = Buffer.alloc(8 * 1024 * 1024 + 3, 0);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 7 + 3) & 0xff;
const content = (blob: string, range?: string, extra: Record<string, string> = {}, accept?: string): Promise<Res> =>
  req(server, 'GET', `/api/buckets/${BUCKET}/${blob}/content`, { headers: { ...(range ? { Range: range } : {}), ...extra }, ...(accept ? { accept } : {}) });

before(async () => {
  server = await startApp();
  assert.equal((await req(server, 'POST', '/api/buckets', { body: { name: BUCKET } })).status, 201);
  for (const [id, body] of [['hello.txt', Buffer.from(TEXT)], ['big.bin', BIG], ['empty.txt', Buffer.alloc(0)]] as const) {
    const put = await req(server, 'PUT', `/api/buckets/${BUCKET}/${id}`, { body, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(put.status, 200, put.text);
  }
});
after(async () => server?.stop());

describe('blob content with Range (mock)', () => {
  test('no Range: 200, the whole blob, Accept-Ranges: bytes', async () => {
    const res = await content('hello.txt');
    assert.equal(res.status, 200);
    assert.equal(res.text, TEXT);
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(res.headers['content-length'], String(TEXT.length));
    assert.equal(res.headers['content-range'], undefined);
  });

  test('bytes=0-3 → 206, those 4 bytes, Content-Range and Content-Length', async () => {
    const res = await content('hello.txt', 'bytes=0-3');
    assert.equal(res.status, 206);
    assert.equal(res.text, 'Hell');
    assert.equal(res.headers['content-range'], `bytes 0-3/${TEXT.length}`);
    assert.equal(res.headers['content-length'], '4');
    assert.equal(res.headers['content-disposition'], 'attachment; filename=hello.txt');
  });

  test('open range bytes=7- → 206 to the end; a last byte past the end is clamped', async () => {
    const open = await content('hello.txt', 'bytes=7-');
    assert.equal(open.status, 206);
    assert.equal(open.text, TEXT.slice(7));
    assert.equal(open.headers['content-range'], `bytes 7-${TEXT.length - 1}/${TEXT.length}`);
    const clamped = await content('hello.txt', 'bytes=15-999');
    assert.equal(clamped.status, 206);
    assert.equal(clamped.text, '0123456789');
    assert.equal(clamped.headers['content-length'], '10');
  });

  test('suffix bytes=-5 → the last 5 bytes; a suffix longer than the blob → all of it, still 206', async () => {
    const res = await content('hello.txt', 'bytes=-5');
    assert.equal(res.status, 206);
    assert.equal(res.text, '56789');
    assert.equal(res.headers['content-range'], `bytes ${TEXT.length - 5}-${TEXT.length - 1}/${TEXT.length}`);
    const all = await content('hello.txt', 'bytes=-500');
    assert.equal(all.status, 206);
    assert.equal(all.text, TEXT);
    assert.equal(all.headers['content-range'], `bytes 0-${TEXT.length - 1}/${TEXT.length}`);
  });

  test('unsatisfiable → 416 with Content-Range: bytes */size, in the negotiated error document', async () => {
    const past = await content('hello.txt', `bytes=${TEXT.length}-`, {}, 'application/json');
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], `bytes */${TEXT.length}`);
    assert.equal(past.json().code, 416);
    assert.match(past.json().message, /Range Not Satisfiable/);
    const xml = await content('hello.txt', 'bytes=-0', {}, 'application/xml');
    assert.equal(xml.status, 416);
    assert.equal(xml.xml().name, 'error');
    const empty = await content('empty.txt', 'bytes=0-0');
    assert.equal(empty.status, 416);
    assert.equal(empty.headers['content-range'], 'bytes */0');
  });

  test('several ranges, an invalid Range, another unit or If-Range → 200 with the whole blob', async () => {
    for (const [range, extra] of [['bytes=0-1,4-5', {}], ['bytes=5-2', {}], ['bytes=x-y', {}], ['items=0-3', {}], ['bytes=0-3', { 'If-Range': '"some-etag"' }]] as const) {
      const res = await content('hello.txt', range, extra);
      assert.equal(res.status, 200, range);
      assert.equal(res.text, TEXT, range);
      assert.equal(res.headers['content-range'], undefined, range);
    }
  });

  test('a missing blob is still 404 with a Range', async () => {
    assert.equal((await content('missing.txt', 'bytes=0-3')).status, 404);
  });

  test('ranges of a large blob: exact bytes at both ends and across the middle', async () => {
    const tail = await content('big.bin', 'bytes=-10');
    assert.equal(tail.status, 206);
    assert.ok(tail.body.equals(BIG.subarray(BIG.length - 10)));
    const middle = await content('big.bin', 'bytes=4194300-4194399');
    assert.equal(middle.status, 206);
    assert.ok(middle.body.equals(BIG.subarray(4194300, 4194400)));
    assert.equal(middle.headers['content-range'], `bytes 4194300-4194399/${BIG.length}`);
    const rest = await content('big.bin', `bytes=${BIG.length - 3}-`);
    assert.ok(rest.body.equals(BIG.subarray(BIG.length - 3)));
  });
});
