// A 256 MiB blob through the real server, streamed both ways (spec §11.10.5,
// §11.10.7: "do not buffer whole blobs"): byte-exact round trip and bounded
// server memory. Neither side ever holds the blob in memory.
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { getXml, req, XML } from '../helpers/api.js';
import { MOCK_AUTH, startServer, type TestServer } from '../helpers/server.js';

const SIZE = 256 * 1024 * 1024;
const CHUNK = 256 * 1024;
const MAX_GROWTH = 64 * 1024 * 1024;

let server: TestServer;

before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS readable');
  return Number(m[1]) * 1024;
}

/** Samples the server's RSS every 50 ms until stopped; returns the maximum. */
function sampler(pid: number) {
  let max = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssBytes(pid));
    } catch {
      // process gone: the test will fail elsewhere
    }
  }, 50);
  return { stop: () => (clearInterval(timer), Math.max(max, rssBytes(pid))) };
}

/** SIZE pseudo-random bytes, generated chunk by chunk, hashed as they go out. */
function source(hash: ReturnType<typeof createHash>): Readable {
  let sent = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (sent >= SIZE) return void this.push(null);
      const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, SIZE - sent)));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
}

test('PUT and GET a 256 MiB blob: byte-exact, streamed, server RSS grows < 64 MB', { timeout: 180_000 }, async (t) => {
  const pid = server.process.pid!;
  // Warm up the blob code paths before taking the baseline.
  assert.equal((await req(server, 'PUT', '/api/buckets/bucket1/warmup', { body: Buffer.alloc(1024 * 1024, 1) })).status, 200);
  await req(server, 'GET', '/api/buckets/bucket1/warmup/content');
  assert.equal((await req(server, 'DELETE', '/api/buckets/bucket1/warmup')).status, 204);
  const baseline = rssBytes(pid);

  // Upload.
  const sentHash = createHash('sha256');
  const upload = sampler(pid);
  const putStatus = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const r = http.request({
      host: '127.0.0.1', port: server.port, method: 'PUT', path: '/api/buckets/bucket1/big',
      headers: {
        Host: `localhost:${server.port}`, Authorization: MOCK_AUTH, Accept: XML,
        'Content-Type': 'application/octet-stream', 'Content-Length': String(SIZE),
      },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    r.on('error', reject);
    pipeline(source(sentHash), r).catch(reject);
  });
  const uploadMax = upload.stop();
  assert.equal(putStatus.status, 200, putStatus.body.slice(0, 300));
  const expected = sentHash.digest('hex');

  const shown = (await getXml(server, '/api/buckets/bucket1/big')).xml();
  assert.equal(shown.child('content_length').text, String(SIZE));

  // Download, hashing as it streams.
  const download = sampler(pid);
  const got = await new Promise<{ status: number; length: string | undefined; bytes: number; sha: string }>((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    http.get({
      host: '127.0.0.1', port: server.port, path: '/api/buckets/bucket1/big/content',
      headers: { Host: `localhost:${server.port}`, Authorization: MOCK_AUTH },
    }, (res) => {
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on('end', () => resolve({ status: res.statusCode!, length: res.headers['content-length'], bytes, sha: hash.digest('hex') }));
      res.on('error', reject);
    }).on('error', reject);
  });
  const downloadMax = download.stop();
  assert.equal(got.status, 200);
  assert.equal(got.length, String(SIZE), 'Content-Length');
  assert.equal(got.bytes, SIZE, 'length byte-exact');
  assert.equal(got.sha, expected, 'sha256 byte-exact');

  const growth = Math.max(uploadMax, downloadMax) - baseline;
  t.diagnostic(`RSS baseline ${(baseline / 1048576).toFixed(1)} MB, upload peak ${(uploadMax / 1048576).toFixed(1)} MB, download peak ${(downloadMax / 1048576).toFixed(1)} MB`);
  assert.ok(growth < MAX_GROWTH, `server RSS grew by ${(growth / 1048576).toFixed(1)} MB (baseline ${(baseline / 1048576).toFixed(1)} MB, upload peak ${(uploadMax / 1048576).toFixed(1)} MB, download peak ${(downloadMax / 1048576).toFixed(1)} MB)`);

  assert.equal((await req(server, 'DELETE', '/api/buckets/bucket1/big')).status, 204);
  assert.equal((await getXml(server, '/api/buckets/bucket1/big')).status, 404);
});
