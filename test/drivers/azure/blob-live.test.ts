// The azure driver's Blob Storage half through the Deltacloud API against a
// live Azurite (started here on a free port): every bucket and blob
// operation, byte-exact round trips, metadata, names refused locally, and
// the errors (missing container 404, wrong key 401, Azurite gone 502).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, generateAccountSASQueryParameters, StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { assertJsonError, ERROR_CLASS, headersWithPrefix, JSON_TYPE, req, XML } from '../../helpers/api.js';
import { freePort, type TestServer } from '../../helpers/server.js';
import { getDigest, MiB, patternStream, putStream } from '../ec2/helpers.js';
import { AZURITE_ACCOUNT, AZURITE_AUTH, AZURITE_KEY, azuriteMissing, startAzurite, startAzureServer, type Azurite } from './azurite.js';

const missing = azuriteMissing();
if (missing && process.env.CI) throw new Error(`CI: ${missing}`);
if (missing) console.warn(`\n${'*'.repeat(90)}\n*** SKIPPING the azure Blob Storage suite: ${missing}\n${'*'.repeat(90)}\n`);

const BUCKET = `dc-azure-${Date.now().toString(36)}`;
/** A blob in a virtual folder: the slash travels percent-encoded in the API's path. */
const NAMED = encodeURIComponent('dir/hello.bin');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

describe('azure driver: Blob Storage on Azurite', { skip: missing }, () => {
  let azurite: Azurite;
  let server: TestServer;
  let closedPort: number;
  const auth = { auth: AZURITE_AUTH, accept: JSON_TYPE };

  before(async () => {
    azurite = await startAzurite();
    closedPort = await freePort();
    // `nowhere`: an allowed provider where nothing listens (names refused before any call answer 400, not 502).
    server = await startAzureServer(azurite, { nowhere: { blobEndpoint: `http://127.0.0.1:${closedPort}/{account}` } }, { args: ['-V'] });
  });
  after(async () => {
    await server?.stop();
    await azurite?.stop();
  });

  test('the entry point offers buckets (without bucket_location) and nothing Resource Manager needs a service principal for', async () => {
    const res = await req(server, 'GET', '/api', auth);
    assert.equal(res.status, 200, res.text);
    const api = res.json().api;
    assert.equal(api.driver, 'azure');
    assert.equal(api.provider, 'azurite');
    const rels = api.links.map((l: { rel: string }) => l.rel).sort();
    assert.deepEqual(rels, ['buckets', 'drivers']);
    const buckets = api.links.find((l: { rel: string }) => l.rel === 'buckets');
    assert.deepEqual(buckets.features ?? [], []);
  });

  test('service-principal credentials (client id@tenant) are not storage credentials: the entry point lists only drivers, buckets answer 501 (not offered to them)', async () => {
    const principal = basic('00000000-1111-2222-3333-444444444444@contoso.onmicrosoft.com', 'client-secret-value');
    const entry = await req(server, 'GET', '/api', { auth: principal, accept: JSON_TYPE });
    assert.equal(entry.status, 200, entry.text);
    assert.deepEqual(entry.json().api.links.map((l: { rel: string }) => l.rel), ['drivers']);
    const buckets = await req(server, 'GET', '/api/buckets', { auth: principal, accept: JSON_TYPE });
    assertJsonError(buckets, { status: 501, error: ERROR_CLASS[501], secrets: ['client-secret-value'] });
  });

  test('bucket life: create, list, show, a blob round trip with metadata, HEAD, metadata update, range, delete', async () => {
    const created = await req(server, 'POST', '/api/buckets', { ...auth, body: { name: BUCKET } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json().bucket.id, BUCKET);
    const again = await req(server, 'POST', '/api/buckets', { ...auth, body: { name: BUCKET } });
    assert.equal(again.status, 409, again.text);

    const listed = await req(server, 'GET', '/api/buckets', auth);
    assert.equal(listed.status, 200);
    assert.ok(listed.json().buckets.some((b: { id: string }) => b.id === BUCKET));

    const content = Buffer.concat([randomBytes(1000), Buffer.from('é\u0000\r\n')]);
    const put = await req(server, 'PUT', `/api/buckets/${BUCKET}/${NAMED}`, {
      ...auth, body: content, headers: { 'Content-Type': 'application/x-test', 'X-Deltacloud-Blobmeta-Owner': 'deltacloud', 'X-Deltacloud-Blobmeta-Rev_1': 'one two' },
    });
    assert.equal(put.status, 200, put.text);
    const blob = put.json().blob;
    assert.equal(blob.id, 'dir/hello.bin');
    assert.equal(Number(blob.content_length), content.length);
    assert.equal(blob.content_type, 'application/x-test');

    const shown = await req(server, 'GET', `/api/buckets/${BUCKET}`, auth);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.json().bucket.blob_list.map((b: { id: string }) => b.id), ['dir/hello.bin']);

    const got = await req(server, 'GET', `/api/buckets/${BUCKET}/${NAMED}/content`, { auth: AZURITE_AUTH });
    assert.equal(got.status, 200);
    assert.equal(sha256(got.body), sha256(content), 'byte-exact round trip');
    assert.equal(got.headers['content-type'], 'application/x-test');
    assert.equal(got.headers['accept-ranges'], 'bytes');

    const part = await req(server, 'GET', `/api/buckets/${BUCKET}/${NAMED}/content`, { auth: AZURITE_AUTH, headers: { Range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 10-19/${content.length}`);
    assert.deepEqual(part.body, content.subarray(10, 20));
    const past = await req(server, 'GET', `/api/buckets/${BUCKET}/${NAMED}/content`, { auth: AZURITE_AUTH, headers: { Range: `bytes=${content.length + 5}-` } });
    assert.equal(past.status, 416);

    const head = await req(server, 'HEAD', `/api/buckets/${BUCKET}/${NAMED}`, { auth: AZURITE_AUTH });
    assert.equal(head.status, 204);
    assert.deepEqual(headersWithPrefix(head, 'x-deltacloud-blobmeta-'), { 'X-Deltacloud-Blobmeta-owner': 'deltacloud', 'X-Deltacloud-Blobmeta-rev_1': 'one two' });

    const update = await req(server, 'POST', `/api/buckets/${BUCKET}/${NAMED}`, { auth: AZURITE_AUTH, headers: { 'X-Deltacloud-Blobmeta-Version': '2' } });
    assert.equal(update.status, 204, update.text);
    const after = await req(server, 'HEAD', `/api/buckets/${BUCKET}/${NAMED}`, { auth: AZURITE_AUTH });
    assert.deepEqual(headersWithPrefix(after, 'x-deltacloud-blobmeta-'), { 'X-Deltacloud-Blobmeta-version': '2' });
    const details = await req(server, 'GET', `/api/buckets/${BUCKET}/${NAMED}`, auth);
    assert.equal(details.status, 200);
    assert.deepEqual(details.json().blob.user_metadata, { version: '2' });
    // Metadata changes leave the content alone.
    assert.equal(sha256((await req(server, 'GET', `/api/buckets/${BUCKET}/${NAMED}/content`, { auth: AZURITE_AUTH })).body), sha256(content));

    const notEmpty = await req(server, 'DELETE', `/api/buckets/${BUCKET}`, auth);
    assert.equal(notEmpty.status, 409, 'a bucket holding blobs is not deleted');
    assert.equal((await req(server, 'DELETE', `/api/buckets/${BUCKET}/${NAMED}`, auth)).status, 204);
    assert.equal((await req(server, 'GET', `/api/buckets/${BUCKET}/${NAMED}`, auth)).status, 404);
    assert.equal((await req(server, 'DELETE', `/api/buckets/${BUCKET}/${NAMED}`, auth)).status, 404);
    assert.equal((await req(server, 'HEAD', `/api/buckets/${BUCKET}/${NAMED}`, { auth: AZURITE_AUTH })).status, 404);
  });

  test('a multi-block upload (streamed in 4 MiB blocks) comes back byte-exact; an empty blob too', async () => {
    const size = 9 * MiB + 123;
    const data = patternStream(size, 7);
    const put = await putStream(server.port, `/api/buckets/${BUCKET}/big.bin`, data.stream, size, {
      Authorization: AZURITE_AUTH, Accept: 'application/json', 'Content-Type': 'application/octet-stream',
    });
    assert.equal(put.status, 200, put.body);
    assert.equal(Number(JSON.parse(put.body).blob.content_length), size);
    const got = await getDigest(server.port, `/api/buckets/${BUCKET}/big.bin/content`, { Authorization: AZURITE_AUTH });
    assert.equal(got.status, 200);
    assert.equal(got.length, size);
    assert.equal(got.sha256, data.digest());

    // Without Content-Length (chunked): the same blocks, the length known only at the end.
    const chunked = patternStream(5 * MiB + 7, 11);
    const sent = await new Promise<{ status: number; body: string }>((ok, fail) => {
      const r = http.request({ host: '127.0.0.1', port: server.port, method: 'PUT', path: `/api/buckets/${BUCKET}/chunked.bin`,
        headers: { Authorization: AZURITE_AUTH, Accept: 'application/json', 'Content-Type': 'application/octet-stream' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => ok({ status: res.statusCode!, body }));
      });
      r.on('error', fail);
      chunked.stream.pipe(r);
    });
    assert.equal(sent.status, 200, sent.body);
    const chunkedBack = await getDigest(server.port, `/api/buckets/${BUCKET}/chunked.bin/content`, { Authorization: AZURITE_AUTH });
    assert.equal(chunkedBack.length, 5 * MiB + 7);
    assert.equal(chunkedBack.sha256, chunked.digest());

    const empty = await req(server, 'PUT', `/api/buckets/${BUCKET}/empty`, { ...auth, body: Buffer.alloc(0) });
    assert.equal(empty.status, 200, empty.text);
    assert.equal(Number(empty.json().blob.content_length), 0);
    const back = await req(server, 'GET', `/api/buckets/${BUCKET}/empty/content`, { auth: AZURITE_AUTH });
    assert.equal(back.status, 200);
    assert.equal(back.body.length, 0);
    for (const name of ['big.bin', 'chunked.bin', 'empty']) assert.equal((await req(server, 'DELETE', `/api/buckets/${BUCKET}/${name}`, auth)).status, 204);
  });

  test('a client hanging up mid-upload leaves no blob (the staged blocks are never committed)', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((ok) => socket.once('connect', () => ok()));
    socket.write(`PUT /api/buckets/${BUCKET}/cut.bin HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${AZURITE_AUTH}\r\nContent-Length: ${9 * MiB}\r\n\r\n`);
    socket.write(Buffer.alloc(5 * MiB, 1));
    await new Promise((ok) => setTimeout(ok, 500));
    socket.destroy();
    // The server notices the close, aborts the upload, and never commits the block list.
    for (let i = 0; i < 20; i++) {
      await new Promise((ok) => setTimeout(ok, 200));
      assert.equal((await req(server, 'GET', `/api/buckets/${BUCKET}/cut.bin`, auth)).status, 404);
    }
  });

  test('names and metadata Azure cannot take answer 400 before any call (also on a provider where nothing listens)', async () => {
    for (const provider of ['azurite', 'nowhere']) {
      const headers = { 'X-Deltacloud-Provider': provider };
      for (const name of ['UPPER', 'ab', 'a--b', '-ab', 'x'.repeat(64), 'a_b']) {
        const res = await req(server, 'POST', '/api/buckets', { ...auth, headers, body: { name } });
        assert.equal(res.status, 400, `${provider}: bucket '${name}': ${res.text}`);
      }
      for (const path of [`/api/buckets/Bad_Name/x`, `/api/buckets/${BUCKET}/ends-with-dot.`, `/api/buckets/${BUCKET}/${'x'.repeat(1025)}`]) {
        const res = await req(server, 'GET', path, { ...auth, headers });
        assert.equal(res.status, 400, `${provider}: GET ${path.slice(0, 60)}: ${res.text}`);
      }
      const badMeta = await req(server, 'PUT', `/api/buckets/${BUCKET}/m`, { ...auth, headers: { ...headers, 'X-Deltacloud-Blobmeta-Not-An-Identifier': 'v' }, body: 'x' });
      assert.equal(badMeta.status, 400, badMeta.text);
    }
    // The same valid request on `nowhere` does reach for the back end: 502.
    const unreachable = await req(server, 'GET', `/api/buckets/${BUCKET}`, { ...auth, headers: { 'X-Deltacloud-Provider': 'nowhere' } });
    assertJsonError(unreachable, { status: 502, error: ERROR_CLASS[502], secrets: [AZURITE_KEY] });
  });

  test('errors: missing container 404, wrong key 401, unknown provider 400, no secret in any answer or log line', async () => {
    for (const accept of [XML, JSON_TYPE]) {
      const res = await req(server, 'GET', '/api/buckets/no-such-container-here', { auth: AZURITE_AUTH, accept });
      assert.equal(res.status, 404, res.text);
    }
    assert.equal((await req(server, 'GET', '/api/buckets/no-such-container-here/blob', auth)).status, 404);
    assert.equal((await req(server, 'PUT', '/api/buckets/no-such-container-here/blob', { ...auth, body: 'x' })).status, 404);
    const wrongKey = Buffer.from(randomBytes(64)).toString('base64');
    const wrong = await req(server, 'GET', '/api/buckets', { auth: basic(AZURITE_ACCOUNT, wrongKey), accept: JSON_TYPE });
    assertJsonError(wrong, { status: 401, error: ERROR_CLASS[401], secrets: [wrongKey, AZURITE_KEY] });
    const notAccount = await req(server, 'GET', '/api/buckets', { auth: basic('Not.An.Account', 'x'), accept: JSON_TYPE });
    assert.equal(notAccount.status, 401);
    const unknown = await req(server, 'GET', '/api/buckets', { ...auth, headers: { 'X-Deltacloud-Provider': 'https://evil.example' } });
    assert.equal(unknown.status, 400, unknown.text);
    const output = server.output();
    assert.ok(output.includes('driver call'), 'the debug log has call lines');
    for (const secret of [AZURITE_KEY, wrongKey]) assert.ok(!output.includes(secret), 'no key in the log');
  });

  test('a shared access signature as password works in place of the key, and is never echoed', async () => {
    const sas = generateAccountSASQueryParameters({
      expiresOn: new Date(Date.now() + 3600_000), permissions: AccountSASPermissions.parse('rl'),
      resourceTypes: AccountSASResourceTypes.parse('sco').toString(), services: AccountSASServices.parse('b').toString(),
    }, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).toString();
    const res = await req(server, 'GET', '/api/buckets', { auth: basic(AZURITE_ACCOUNT, `?${sas}`), accept: JSON_TYPE });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json().buckets.some((b: { id: string }) => b.id === BUCKET));
    // Read-only: creating a container is refused by Azurite (403, the signature's permissions), never with the SAS in the answer.
    const denied = await req(server, 'POST', '/api/buckets', { auth: basic(AZURITE_ACCOUNT, `?${sas}`), accept: JSON_TYPE, body: { name: 'sas-may-not-create' } });
    assert.equal(denied.status, 403, denied.text);
    assert.ok(!denied.text.includes(new URLSearchParams(sas).get('sig')!), 'no signature in the answer');
  });

  test('Azurite stopped: 502, then the bucket is gone with it', async () => {
    assert.equal((await req(server, 'DELETE', `/api/buckets/${BUCKET}`, auth)).status, 204);
    assert.equal((await req(server, 'GET', `/api/buckets/${BUCKET}`, auth)).status, 404);
    await azurite.stop();
    const res = await req(server, 'GET', '/api/buckets', auth);
    assertJsonError(res, { status: 502, error: ERROR_CLASS[502], secrets: [AZURITE_KEY] });
  });
});
