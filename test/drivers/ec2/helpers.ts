// Shared by the ec2 driver's tests: the Swift S3 back end (present, or the
// test fails in CI and skips loudly elsewhere), a server on the ec2 driver
// with a private configuration file, memory sampling of the server process,
// and streamed data with a running SHA-256.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { startDriverServer, type TestServer } from '../../helpers/server.js';

export const SWIFT_S3 = process.env.SWIFT_S3_ENDPOINT ?? 'http://127.0.0.1:8080';
/** Swift tempauth's S3 credentials: access key `test:tester`, secret `testing` (Basic: `test:tester:testing`). */
export const SWIFT_AUTH = 'Basic ' + Buffer.from('test:tester:testing').toString('base64');
export const SWIFT_ACCESS_KEY = 'test:tester';
export const SWIFT_SECRET = 'testing';

/**
 * Whether Swift's S3 API answers. In CI (`CI` set) its absence is a failure
 * (thrown); elsewhere the caller skips with a loud message.
 */
export async function swiftAvailable(): Promise<boolean> {
  if (await swiftAnswers()) return true;
  const message = `Swift's S3 API is not answering at ${SWIFT_S3}: start it with \`bash scripts/swift-s3/setup.sh\``;
  if (process.env.CI) throw new Error(`CI: ${message}`);
  console.error(`\n*** SKIPPING the live S3 tests of the ec2 driver: ${message} ***\n`);
  return false;
}

/** Whether Swift's S3 API answers its health check. */
export function swiftAnswers(): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const req = http.get(`${SWIFT_S3}/healthcheck`, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

export interface Ec2Server {
  server: TestServer;
  stop(): Promise<void>;
}

/** The server on the ec2 driver with `options` (the `drivers.ec2` block) in a 0600 configuration file. */
export async function startEc2Server(options: Record<string, unknown>, provider: string, extraArgs: string[] = []): Promise<Ec2Server> {
  const server = await startDriverServer('ec2', options, { args: ['-P', provider, ...extraArgs] });
  return {
    server,
    async stop() {
      await server.stop();
    },
  };
}

/** Resident set size of a process, in bytes (Linux). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples a process's RSS every `ms` until stopped; reports the peak. */
export function sampleRss(pid: number, ms = 50): { stop(): number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // the process may have exited
    }
  }, ms);
  return {
    stop() {
      clearInterval(timer);
      try {
        peak = Math.max(peak, rssOf(pid));
      } catch {
        // ignore
      }
      return peak;
    },
  };
}

/**
 * `size` bytes of pseudo-random data in 1 MiB chunks, each stamped with its
 * index (so reordered parts change the digest), hashed as it is produced.
 */
export function patternStream(size: number, seed = 1): { stream: Readable; digest(): string } {
  const CHUNK = 1024 * 1024;
  const base = Buffer.alloc(CHUNK);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < CHUNK; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    base.writeUInt32LE(x, i);
  }
  const hash = createHash('sha256');
  let sent = 0;
  let index = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, size - sent);
      const chunk = Buffer.from(base.subarray(0, n));
      if (n >= 8) chunk.writeBigUInt64LE(BigInt(index), 0);
      index++;
      sent += n;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  let hex: string | undefined;
  return { stream, digest: () => (hex ??= hash.digest('hex')) };
}

export interface StreamResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** PUT a stream with a known length, reading the whole (small) answer. */
export function putStream(port: number, path: string, data: Readable, length: number, headers: Record<string, string>): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: 'PUT', path,
      headers: { Host: `localhost:${port}`, 'Content-Length': String(length), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    data.on('error', reject);
    data.pipe(req);
  });
}

/** GET a body, hashing it as it streams in (never held whole). */
export function getDigest(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; length: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path, headers: { Host: `localhost:${port}`, ...headers } }, (res) => {
      const hash = createHash('sha256');
      let length = 0;
      res.on('data', (c: Buffer) => { hash.update(c); length += c.length; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, length, sha256: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export const MiB = 1024 * 1024;

/**
 * A blob of `size` bytes through the API and back: byte-exact (streaming
 * SHA-256 on both sides), the server's RSS growing by less than `limitBytes`
 * each way. Prints the rates and the growth.
 */
export async function assertBigRoundTrip(server: TestServer, blobPath: string, authorization: string, size: number, limitBytes: number): Promise<void> {
  const pid = server.process.pid!;
  const baseline = rssOf(pid);

  const upSampler = sampleRss(pid);
  const data = patternStream(size, 42);
  let t0 = performance.now();
  const put = await putStream(server.port, blobPath, data.stream, size, {
    Authorization: authorization, Accept: 'application/json', 'Content-Type': 'application/octet-stream',
  });
  const upSeconds = (performance.now() - t0) / 1000;
  const upPeak = upSampler.stop();
  assert.equal(put.status, 200, put.body);
  assert.equal(Number(JSON.parse(put.body).blob.content_length), size);

  const downSampler = sampleRss(pid);
  t0 = performance.now();
  const got = await getDigest(server.port, `${blobPath}/content`, { Authorization: authorization });
  const downSeconds = (performance.now() - t0) / 1000;
  const downPeak = downSampler.stop();

  const mbps = (s: number) => (size / 1e6 / s).toFixed(1);
  const growth = (peak: number) => ((peak - baseline) / 1e6).toFixed(1);
  const label = `${(size / MiB).toFixed(0)} MiB`;
  console.log(`  ${label} upload:   ${upSeconds.toFixed(1)} s, ${mbps(upSeconds)} MB/s, server RSS +${growth(upPeak)} MB (baseline ${(baseline / 1e6).toFixed(1)} MB)`);
  console.log(`  ${label} download: ${downSeconds.toFixed(1)} s, ${mbps(downSeconds)} MB/s, server RSS +${growth(downPeak)} MB`);

  assert.equal(got.status, 200);
  assert.equal(got.length, size);
  assert.equal(got.sha256, data.digest(), 'the downloaded bytes equal the uploaded ones');
  assert.ok(upPeak - baseline < limitBytes, `upload grew the server's RSS by ${growth(upPeak)} MB`);
  assert.ok(downPeak - baseline < limitBytes, `download grew the server's RSS by ${growth(downPeak)} MB`);
}
