// S3 throughput of the ec2 driver: a blob uploaded and downloaded through the
// Deltacloud API (built server, `-i ec2`, Swift's S3 API as an operator-listed
// endpoint) beside the same bytes sent straight to the same Swift with the
// AWS SDK's multipart Upload (same part size and queue), in the same run.
//
//   bash scripts/swift-s3/setup.sh && npx tsc -p . && node --import tsx bench/s3-throughput.ts
//
// Settings (environment): BENCH_S3_MB (size in MiB, default 256), BENCH_S3_ENDPOINT
// (default http://127.0.0.1:8080). A measurement, not a test: exits 0 whatever the
// numbers or when Swift is not running (says so); non-zero only when the server did not start.
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { apiRoundTrip, directRoundTrip, MIB, printRows, startServer, type Row } from './transfer.js';

const ENDPOINT = process.env.BENCH_S3_ENDPOINT ?? 'http://127.0.0.1:8080';
const SIZE = Number(process.env.BENCH_S3_MB ?? 256) * MIB;
const PART = 8 * MIB;
const QUEUE = 2;
const ACCESS_KEY = 'test:tester';
const SECRET = 'testing';
const AUTH = 'Basic ' + Buffer.from(`${ACCESS_KEY}:${SECRET}`).toString('base64');

async function swiftUp(): Promise<boolean> {
  return new Promise((ok) => {
    const r = http.get(`${ENDPOINT}/healthcheck`, { timeout: 2000 }, (res) => { res.resume(); ok(res.statusCode === 200); });
    r.on('error', () => ok(false));
    r.on('timeout', () => { r.destroy(); ok(false); });
  });
}

/** More `drivers.ec2` options for the server, as JSON in BENCH_S3_DRIVER_OPTIONS (e.g. '{"queueSize":4}'). */
function extraOptions(): Record<string, unknown> {
  const raw = process.env.BENCH_S3_DRIVER_OPTIONS;
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

async function main(): Promise<number> {
  if (!(await swiftUp())) {
    // Part of `npm run bench`: without Swift the S3 figures are skipped, loudly, and the rest still counts.
    console.error(`!!! S3 throughput SKIPPED: Swift's S3 API is not answering at ${ENDPOINT}; start it with: bash scripts/swift-s3/setup.sh`);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'deltacloud-bench-s3-'));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ drivers: { ec2: { endpoints: { 'bench-swift': { s3: ENDPOINT, region: 'us-east-1', forcePathStyle: true } }, partSize: PART, queueSize: QUEUE, ...extraOptions() } } }), { mode: 0o600 });
  const s3 = new S3Client({
    endpoint: ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = `dc-bench-${Date.now().toString(36)}`;
  let serverProc: ChildProcess | undefined;
  const rows: Row[] = [];
  try {
    const server = await startServer(['-i', 'ec2', '-P', 'bench-swift'], config, join(dir, 'data'), (proc) => (serverProc = proc));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    console.log(`S3 throughput, ${SIZE / MIB} MiB blob, part ${PART / MIB} MiB × queue ${QUEUE}, Swift s3api at ${ENDPOINT}`);

    // Direct: the SDK's Upload straight to Swift.
    rows.push(...await directRoundTrip(SIZE, 'Swift',
      (body) => new Upload({ client: s3, params: { Bucket: bucket, Key: 'direct.bin', Body: body }, partSize: PART, queueSize: QUEUE }).done(),
      async () => {
        const body = (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'direct.bin' }))).Body;
        if (!(body instanceof Readable)) throw new Error('Swift answered the download without a stream');
        return body;
      }));

    // Through the API: client → Deltacloud (ec2 driver) → Swift.
    rows.push(...await apiRoundTrip(AUTH, server.port, server.proc.pid!, bucket, SIZE, 'Swift'));
    printRows(rows);
    return 0;
  } finally {
    for (const key of ['direct.bin', 'api.bin', 'warm.bin']) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    s3.destroy();
    // Also when the server never became ready: no process and no directory left behind.
    if (serverProc && serverProc.exitCode === null && serverProc.signalCode === null) {
      const exited = new Promise((r) => serverProc!.once('exit', r));
      serverProc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(`bench/s3-throughput: could not measure: ${(error as Error).message}`);
  process.exit(1);
});
