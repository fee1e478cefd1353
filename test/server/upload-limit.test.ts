// The upload limit on raw blob bodies (issue 10 item 7): with maxUploadBytes
// at 1 MiB, a chunked PUT of 200 MB without Content-Length used to be stored
// (200). It must be refused with 413 while streaming, leaving nothing behind:
// no blob, no temporary file.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { assertXmlError, getXml, req, XML } from '../helpers/api.js';
import { MOCK_AUTH, startServer, type TestServer } from '../helpers/server.js';

const LIMIT = 1024 * 1024;
const HUGE = 200 * 1000 * 1000;
const CHUNK = 64 * 1024;

let server: TestServer;
let configDir: string;

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'deltacloud-test-'));
  const config = join(configDir, 'config.json');
  writeFileSync(config, JSON.stringify({ maxUploadBytes: LIMIT }));
  server = await startServer({ args: ['-c', config] });
});
after(async () => {
  await server.stop();
  rmSync(configDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
  /** Bytes the client had handed to the socket when the answer came. */
  sent: number;
}

/** PUTs up to `size` bytes chunked (no Content-Length), stopping as soon as the server answers. */
function chunkedPut(path: string, size: number): Promise<Answer> {
  let sent = 0;
  let answered = false;
  const body = new Readable({
    read() {
      if (answered || sent >= size) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(CHUNK, size - sent), 0x61);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1', port: server.port, method: 'PUT', path,
      headers: { Host: `localhost:${server.port}`, Authorization: MOCK_AUTH, Accept: XML, 'Content-Type': 'application/octet-stream' },
    }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'], text: Buffer.concat(chunks).toString(), sent }));
    });
    // The server closes the connection after a 413: writes still in flight may fail, the answer counts.
    request.on('error', (e) => (answered ? undefined : reject(e)));
    body.pipe(request);
  });
}

function blobFiles(): string[] {
  return readdirSync(join(server.storage, 'blobs'));
}

test('a chunked PUT above the limit → 413 while streaming; no blob, no temporary file', async () => {
  const before = blobFiles();
  const answer = await chunkedPut('/api/buckets/bucket1/too-big', HUGE);
  assert.equal(answer.status, 413, answer.text.slice(0, 300));
  assert.equal(answer.contentType, 'application/xml');
  assert.match(answer.text, /<error status='413'/);
  assert.ok(answer.sent < HUGE, `refused while streaming (client had sent ${answer.sent} bytes)`);
  assertXmlError(await getXml(server, '/api/buckets/bucket1/too-big'), { status: 404 });
  // The mock removes its temporary file when the stream fails; give it a moment.
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(blobFiles(), before, 'no file left in the blob store');
});

test('a declared Content-Length above the limit → 413 before anything is stored', async () => {
  const res = await req(server, 'PUT', '/api/buckets/bucket1/declared-big', {
    accept: XML, headers: { 'Content-Length': String(LIMIT + 1), 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(LIMIT + 1),
  }).catch((e: Error) => e);
  if (res instanceof Error) assert.fail(`no answer: ${res.message}`);
  assertXmlError(res, { status: 413 });
  assertXmlError(await getXml(server, '/api/buckets/bucket1/declared-big'), { status: 404 });
});

test('uploads up to the limit are stored, chunked or not; the server keeps serving', async () => {
  const answer = await chunkedPut('/api/buckets/bucket1/just-fits', LIMIT);
  assert.equal(answer.status, 200, answer.text.slice(0, 300));
  const blob = await getXml(server, '/api/buckets/bucket1/just-fits');
  assert.equal(blob.status, 200);
  assert.equal(blob.xml().child('content_length').text, String(LIMIT));
});
