// After a kill -9 mid-upload, the next server removes at start what the dead
// one left: the mock's partial blob files (`<dataDir>/blobs/*.tmp`) and the
// spooled form uploads (`<dataDir>/uploads/deltacloud-upload-*`); files of a
// live process, and anything else in those folders, stay.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { req } from '../helpers/api.js';
import { MOCK_AUTH, startServer } from '../helpers/server.js';

const root = mkdtempSync(join(tmpdir(), 'deltacloud-test-leftovers-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Starts a request, sends its head and `bytes` of body, and leaves it open. */
function startUpload(port: number, method: string, path: string, headers: Record<string, string>, head: Buffer, bytes: number): http.ClientRequest {
  const r = http.request({ host: '127.0.0.1', port, method, path, headers: { Host: `localhost:${port}`, Authorization: MOCK_AUTH, ...headers } });
  r.on('error', () => undefined); // the server dies under it
  r.write(head);
  r.write(Buffer.alloc(bytes, 7));
  return r;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('kill -9 mid-upload: the next server sweeps the dead one\'s partial files at start, and nothing else', async () => {
  const storage = join(root, 'mock');
  const dataDir = join(root, 'data');
  const env = { DELTACLOUD_DATA_DIR: dataDir };
  const blobs = join(storage, 'blobs');
  const uploads = join(dataDir, 'uploads');

  const first = await startServer({ storage, env });
  after(() => first.stop({ keepStorage: true, signal: 'SIGKILL' })); // if an assertion fails before the kill
  assert.equal((await req(first, 'POST', '/api/buckets', { body: { name: 'crashbucket' } })).status, 201);
  const open: http.ClientRequest[] = [];
  // Streamed PUTs: each writes a temp file in the blob store.
  for (let i = 0; i < 3; i++) {
    open.push(startUpload(first.port, 'PUT', `/api/buckets/crashbucket/big${i}.bin`, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(64 * 1024 * 1024) }, Buffer.alloc(0), 2 * 1024 * 1024));
  }
  // A form upload: its file part is spooled into a per-request folder.
  const boundary = '----leftovers';
  const formHead = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="blob_id"\r\n\r\nform.bin\r\n`
    + `--${boundary}\r\nContent-Disposition: form-data; name="blob_data"; filename="form.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  open.push(startUpload(first.port, 'POST', '/api/buckets/crashbucket', { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(64 * 1024 * 1024) }, formHead, 2 * 1024 * 1024));
  await until('three partial blob files', () => existsSync(blobs) && readdirSync(blobs).filter((n) => n.endsWith('.tmp')).length === 3);
  await until('a spooled form upload', () => existsSync(uploads) && readdirSync(uploads).some((n) => n.startsWith('deltacloud-upload-')));
  assert.equal(await first.stop({ keepStorage: true, signal: 'SIGKILL' }), null);
  for (const r of open) r.destroy();
  const partial = readdirSync(blobs).filter((n) => n.endsWith('.tmp'));
  assert.equal(partial.length, 3, 'kill -9 left the partial files');

  // What must survive: an upload of a live process (this test's), and files the server did not make.
  const liveTemp = `${'a'.repeat(64)}.000000000000.${process.pid}-0123abcd.tmp`;
  writeFileSync(join(blobs, liveTemp), 'in progress elsewhere');
  const liveUpload = join(uploads, `deltacloud-upload-${process.pid}-0123abcd-XyZ123`);
  mkdirSync(liveUpload);
  writeFileSync(join(uploads, 'notes.txt'), 'not the server\'s');

  const second = await startServer({ storage, env });
  try {
    // Right after start, before any request.
    const leftBlobs = readdirSync(blobs).filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(leftBlobs, [liveTemp], 'the dead server\'s partial files are gone, the live one\'s stays');
    assert.deepEqual(readdirSync(uploads).sort(), [liveUpload.slice(uploads.length + 1), 'notes.txt'].sort());
    // The store itself is intact.
    const bucket = await req(second, 'GET', '/api/buckets/crashbucket', { accept: 'application/json' });
    assert.equal(bucket.status, 200);
    assert.deepEqual(bucket.json().bucket.blob_list, []);
    const seeded = await req(second, 'GET', '/api/buckets/bucket1/blob1/content');
    assert.equal(seeded.status, 200);
  } finally {
    await second.stop({ keepStorage: true });
  }
});
