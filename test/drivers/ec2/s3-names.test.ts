// S3 naming rules are checked by the ec2 driver before any request: a bucket
// name with `/`, an over-long bucket name or a key over 1024 bytes answers 400
// with a clear message (was 500, or the SDK's raw parser message). Checked
// against a loopback endpoint that counts connections (none may be made) and
// live against Swift's s3api (nothing is created there).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { req, type Res } from '../../helpers/api.js';
import { startEc2Server, swiftAvailable, SWIFT_AUTH, SWIFT_S3, type Ec2Server } from './helpers.js';

const LONG_KEY = encodeURIComponent('é'.repeat(513)); // 1026 bytes of UTF-8
const json = { accept: 'application/json' };

/** Requests with names S3 cannot take, each → 400 with the message matching. */
const BAD: Array<{ method: string; path: string; body?: string | Record<string, string>; message: RegExp }> = [
  { method: 'POST', path: '/api/buckets', body: { name: 'dc-names/x' }, message: /Invalid bucket name \(InvalidBucketName\): only lower-case letters/ },
  { method: 'POST', path: '/api/buckets', body: { name: 'b'.repeat(64) }, message: /must be 3 to 63 characters long, got 64/ },
  { method: 'POST', path: '/api/buckets', body: { name: 'Upper-Case' }, message: /only lower-case letters/ },
  { method: 'POST', path: '/api/buckets', body: { name: 'dc..names' }, message: /two dots in a row/ },
  { method: 'POST', path: '/api/buckets', body: { name: '192.168.5.4' }, message: /IP address/ },
  { method: 'GET', path: '/api/buckets/a%2Fb', message: /only letters, digits, dots, hyphens and underscores/ },
  { method: 'DELETE', path: '/api/buckets/a%2Fb', message: /only letters, digits, dots, hyphens and underscores/ },
  { method: 'GET', path: `/api/buckets/${'c'.repeat(256)}`, message: /must be 3 to 255 characters long, got 256/ },
  { method: 'PUT', path: '/api/buckets/a%2Fb/blob.txt', body: 'hello', message: /InvalidBucketName/ },
  { method: 'GET', path: '/api/buckets/a%2Fb/blob.txt/content', message: /InvalidBucketName/ },
  { method: 'PUT', path: `/api/buckets/dc-names-bucket/${LONG_KEY}`, body: 'hello', message: /Invalid blob name \(KeyTooLongError\): must be 1 to 1024 bytes of UTF-8, got 1026/ },
  { method: 'GET', path: `/api/buckets/dc-names-bucket/${LONG_KEY}`, message: /KeyTooLongError/ },
  { method: 'DELETE', path: `/api/buckets/dc-names-bucket/${LONG_KEY}`, message: /KeyTooLongError/ },
];

async function assertAllRefused(port: number, auth: string): Promise<void> {
  for (const bad of BAD) {
    const res: Res = await req(port, bad.method, bad.path, { auth, ...json, ...(bad.body ? { body: bad.body } : {}) });
    assert.equal(res.status, 400, `${bad.method} ${bad.path.slice(0, 50)}: ${res.text}`);
    assert.match(res.json().message, bad.message, `${bad.method} ${bad.path.slice(0, 50)}`);
  }
}

describe('S3 names are checked before any request (loopback endpoint counting connections)', () => {
  let endpoint: http.Server;
  let connections = 0;
  let ec2: Ec2Server;
  before(async () => {
    endpoint = http.createServer((_req, res) => res.writeHead(500).end());
    endpoint.on('connection', () => connections++);
    await new Promise<void>((ok) => endpoint.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
    ec2 = await startEc2Server({ endpoints: { counted: { s3: url, region: 'us-east-1', forcePathStyle: true } }, maxAttempts: 1 }, 'counted');
  });
  after(async () => {
    await ec2?.stop();
    endpoint.closeAllConnections();
    await new Promise((ok) => endpoint.close(ok));
  });

  test('every bad name → 400 with what is wrong, and no connection to the endpoint', async () => {
    await assertAllRefused(ec2.server.port, 'Basic ' + Buffer.from('key:secret').toString('base64'));
    assert.equal(connections, 0);
  });
});

const available = await swiftAvailable();

describe('S3 names, live against Swift s3api', { skip: !available && 'Swift S3 not running' }, () => {
  let ec2: Ec2Server;
  before(async () => {
    ec2 = await startEc2Server({ endpoints: { 'swift-s3': { s3: SWIFT_S3, region: 'us-east-1', forcePathStyle: true } } }, 'swift-s3');
  });
  after(async () => ec2?.stop());

  test('every bad name → 400, and no bucket made', async () => {
    const before = (await req(ec2.server.port, 'GET', '/api/buckets', { auth: SWIFT_AUTH, ...json })).json().buckets.map((b: { id: string }) => b.id);
    await assertAllRefused(ec2.server.port, SWIFT_AUTH);
    const after = (await req(ec2.server.port, 'GET', '/api/buckets', { auth: SWIFT_AUTH, ...json })).json().buckets.map((b: { id: string }) => b.id);
    assert.deepEqual(after, before);
    assert.ok(!after.includes('dc-names'), 'the part before the slash was not created');
  });
});
