// What the blob throughput benches share: a hashed stream of test data, the
// server started on one driver, one API request hashed as it streams, RSS.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'server', 'cli.js');
export const MIB = 1024 * 1024;

export function data(size: number): { stream: Readable; digest(): string } {
  const block = Buffer.alloc(MIB);
  for (let i = 0; i < MIB; i++) block[i] = (i * 2654435761) >>> 24;
  const hash = createHash('sha256');
  let sent = 0;
  let n = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const chunk = Buffer.from(block.subarray(0, Math.min(MIB, size - sent)));
      if (chunk.length >= 8) chunk.writeBigUInt64LE(BigInt(n++));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The server's data directory lives inside the bench's own temporary directory, removed at the end. */
export async function startServer(driverArgs: string[], configFile: string, dataDir: string, started: (proc: ChildProcess) => void): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [CLI, ...driverArgs, '-c', configFile, '-p', '0', '-r', '127.0.0.1', '-e', 'production'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DELTACLOUD_DATA_DIR: dataDir },
  });
  started(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${out}`)), 30_000);
    proc.stdout!.on('data', () => {
      const m = /listening on https?:\/\/[^:]+:(\d+)\/api/.exec(out);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code}:\n${out}`)); });
  });
  return { proc, port };
}

export function apiRequest(auth: string, port: number, method: string, path: string, body?: Readable | string, length?: number): Promise<{ status: number; sha256: string; bytes: number; text: string }> {
  return new Promise((ok, fail) => {
    const headers: Record<string, string> = { Authorization: auth, Accept: 'application/json' };
    if (typeof body === 'string') { headers['Content-Type'] = 'application/x-www-form-urlencoded'; headers['Content-Length'] = String(Buffer.byteLength(body)); }
    else if (body) { headers['Content-Type'] = 'application/octet-stream'; headers['Content-Length'] = String(length); }
    const r = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let text = '';
      res.on('data', (c: Buffer) => { hash.update(c); bytes += c.length; if (text.length < 2000) text += c.toString('utf8'); });
      res.on('end', () => ok({ status: res.statusCode!, sha256: hash.digest('hex'), bytes, text }));
      res.on('error', fail);
    });
    r.on('error', fail);
    if (body instanceof Readable) body.pipe(r);
    else r.end(body);
  });
}

export const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

export type Row = [what: string, mbPerSecond: number, note: string];

/**
 * A blob of `size` bytes through the API to `backEnd` and back (after a small warm-up: the first
 * upload loads the driver's SDK and opens connections), with the server's RSS growth each way.
 */
export async function apiRoundTrip(auth: string, port: number, pid: number, bucket: string, size: number, backEnd: string): Promise<Row[]> {
  const warm = data(9 * MIB);
  const warmed = await apiRequest(auth, port, 'PUT', `/api/buckets/${bucket}/warm.bin`, warm.stream, 9 * MIB);
  if (warmed.status !== 200) throw new Error(`API warm-up upload answered ${warmed.status}: ${warmed.text}`);
  await apiRequest(auth, port, 'GET', `/api/buckets/${bucket}/warm.bin/content`);
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, rssOf(pid)); }, 50);
  try {
    const d = data(size);
    let t0 = performance.now();
    const put = await apiRequest(auth, port, 'PUT', `/api/buckets/${bucket}/api.bin`, d.stream, size);
    if (put.status !== 200) throw new Error(`API upload answered ${put.status}: ${put.text}`);
    const up: Row = [`upload, client → API → ${backEnd}`, mbps(size, performance.now() - t0), `server RSS +${((peak - baseline) / 1e6).toFixed(1)} MB`];
    const apiDigest = d.digest();
    peak = rssOf(pid);
    const base2 = peak;
    t0 = performance.now();
    const down = await apiRequest(auth, port, 'GET', `/api/buckets/${bucket}/api.bin/content`);
    return [up, [`download, client ← API ← ${backEnd}`, mbps(size, performance.now() - t0), `${down.sha256 === apiDigest ? 'byte-exact' : 'MISMATCH'}, server RSS +${((peak - base2) / 1e6).toFixed(1)} MB`]];
  } finally {
    clearInterval(sampler);
  }
}

/**
 * The same size straight to the back end with its own SDK: `upload` sends the stream, `download`
 * answers the stored bytes, which are hashed as they arrive.
 */
export async function directRoundTrip(size: number, backEnd: string, upload: (body: Readable) => Promise<unknown>,
  download: () => Promise<AsyncIterable<Uint8Array | string>>): Promise<Row[]> {
  const d = data(size);
  let t0 = performance.now();
  await upload(d.stream);
  const up: Row = [`upload, direct SDK → ${backEnd}`, mbps(size, performance.now() - t0), ''];
  const digest = d.digest();
  t0 = performance.now();
  const hash = createHash('sha256');
  for await (const chunk of await download()) hash.update(chunk);
  return [up, [`download, direct SDK ← ${backEnd}`, mbps(size, performance.now() - t0), hash.digest('hex') === digest ? 'byte-exact' : 'MISMATCH']];
}

/** The rows, then the API's rates as a share of the direct ones (rows: direct up, direct down, API up, API down). */
export function printRows(rows: Row[]): void {
  for (const [what, rate, note] of rows) console.log(`  ${what.padEnd(34)} ${rate.toFixed(1).padStart(8)} MB/s  ${note}`);
  console.log(`  API / direct: upload ${(rows[2]![1] / rows[0]![1] * 100).toFixed(0)}%, download ${(rows[3]![1] / rows[1]![1] * 100).toFixed(0)}%`);
}
