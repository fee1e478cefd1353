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
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { apiRequest as request, data, MIB, mbps, rssOf, startServer } from './transfer.js';

const ENDPOINT = process.env.BENCH_S3_ENDPOINT ?? 'http://127.0.0.1:8080';
const SIZE = Number(process.env.BENCH_S3_MB ?? 256) * MIB;
const PART = 8 * MIB;
const QUEUE = 2;
const ACCESS_KEY = 'test:tester';
const SECRET = 'testing';
const AUTH = 'Basic ' + Buffer.from(`${ACCESS_KEY}:${SECRET}`).toString('base64');
const apiRequest = (port: number, method: string, path: string, body?: Readable | string, length?: number) => request(AUTH, port, method, path, body, length);

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
  const rows: Array<[string, number, string]> = [];
  try {
    const server = await startServer(['-i', 'ec2', '-P', 'bench-swift'], config, join(dir, 'data'), (proc) => (serverProc = proc));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    console.log(`S3 throughput, ${SIZE / MIB} MiB blob, part ${PART / MIB} MiB × queue ${QUEUE}, Swift s3api at ${ENDPOINT}`);

    // Direct: the SDK's Upload straight to Swift.
    let d = data(SIZE);
    let t0 = performance.now();
    await new Upload({ client: s3, params: { Bucket: bucket, Key: 'direct.bin', Body: d.stream }, partSize: PART, queueSize: QUEUE }).done();
    rows.push(['upload, direct SDK → Swift', mbps(SIZE, performance.now() - t0), '']);
    const directDigest = d.digest();
    t0 = performance.now();
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'direct.bin' }));
    const h = createHash('sha256');
    for await (const c of got.Body as Readable) h.update(c as Buffer);
    rows.push(['download, direct SDK ← Swift', mbps(SIZE, performance.now() - t0), h.digest('hex') === directDigest ? 'byte-exact' : 'MISMATCH']);

    // Through the API: client → Deltacloud (ec2 driver) → Swift, after a small warm-up
    // (the first upload loads the SDK's S3 code and opens connections).
    const warm = data(9 * MIB);
    const warmed = await apiRequest(server.port, 'PUT', `/api/buckets/${bucket}/warm.bin`, warm.stream, 9 * MIB);
    if (warmed.status !== 200) throw new Error(`API warm-up upload answered ${warmed.status}: ${warmed.text}`);
    await apiRequest(server.port, 'GET', `/api/buckets/${bucket}/warm.bin/content`);
    const pid = server.proc.pid!;
    const baseline = rssOf(pid);
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, rssOf(pid)); }, 50);
    d = data(SIZE);
    t0 = performance.now();
    const put = await apiRequest(server.port, 'PUT', `/api/buckets/${bucket}/api.bin`, d.stream, SIZE);
    if (put.status !== 200) throw new Error(`API upload answered ${put.status}: ${put.text}`);
    rows.push(['upload, client → API → Swift', mbps(SIZE, performance.now() - t0), `server RSS +${((peak - baseline) / 1e6).toFixed(1)} MB`]);
    const apiDigest = d.digest();
    peak = rssOf(pid);
    const base2 = peak;
    t0 = performance.now();
    const down = await apiRequest(server.port, 'GET', `/api/buckets/${bucket}/api.bin/content`);
    clearInterval(sampler);
    rows.push(['download, client ← API ← Swift', mbps(SIZE, performance.now() - t0), `${down.sha256 === apiDigest ? 'byte-exact' : 'MISMATCH'}, server RSS +${((peak - base2) / 1e6).toFixed(1)} MB`]);

    for (const [what, rate, note] of rows) console.log(`  ${what.padEnd(34)} ${rate.toFixed(1).padStart(8)} MB/s  ${note}`);
    console.log(`  API / direct: upload ${(rows[2]![1] / rows[0]![1] * 100).toFixed(0)}%, download ${(rows[3]![1] / rows[1]![1] * 100).toFixed(0)}%`);
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
