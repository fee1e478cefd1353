// What the blob throughput benches share: a hashed stream of test data, the
// server started on one driver, one API request hashed as it streams, RSS.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
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
