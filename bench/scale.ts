// `npm run bench` (scale part, issue 18): the same three measurements on
// SQLite with one server, PostgreSQL with one replica, and PostgreSQL with 3
// replicas behind HAProxy, side by side: GET /api/instances served from the
// render cache and uncached (a distinct query string per request), and
// instance create→stop→destroy cycles. Needs the cluster of
// scripts/postgres/setup.sh (or BENCH_DATABASE_URL) and haproxy; says so and
// skips the PostgreSQL columns without them. A measurement: exits 0.
// Settings: BENCH_SCALE_SECONDS per measurement (5), BENCH_SCALE_CONNECTIONS (20), BENCH_CYCLE_CONCURRENCY (8).
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'server', 'cli.js');
const AUTH = 'Basic ' + Buffer.from('mockuser:mockpassword').toString('base64');
const SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_SCALE_CONNECTIONS ?? 20);
const CYCLE_LOOPS = Number(process.env.BENCH_CYCLE_CONCURRENCY ?? 8);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:55432/deltacloud';

const children: ChildProcess[] = [];
const dirs: string[] = [];
const cleanUp = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
};
process.on('exit', cleanUp);
process.on('SIGINT', () => process.exit(130));

async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => r(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function request(port: number, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const headers: Record<string, string> = { Authorization: AUTH, Accept: 'application/json' };
    if (body !== undefined) Object.assign(headers, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) });
    const r = http.request({ host: '127.0.0.1', port, method, path, headers, agent: keepAlive }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => ok({ status: res.statusCode ?? 0, text }));
    });
    r.on('error', fail).end(body);
  });
}
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

async function waitReady(port: number, path = '/healthz'): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await request(port, 'GET', path).catch(() => ({ status: 0 }))).status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing ready on port ${port}`);
}

async function startServer(env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const storage = mkdtempSync(join(tmpdir(), 'deltacloud-bench-'));
  dirs.push(storage);
  const child = spawn(process.execPath, [CLI, '-r', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, DELTACLOUD_MOCK_STORAGE: storage, ...env }, stdio: 'ignore',
  });
  children.push(child);
  await waitReady(port);
  return port;
}

async function startHaproxy(ports: number[]): Promise<number> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'deltacloud-bench-haproxy-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'haproxy.cfg'), ['global', '  maxconn 1024', 'defaults', '  mode http', '  timeout connect 2s',
    '  timeout client 30s', '  timeout server 30s', 'frontend api', `  bind 127.0.0.1:${port}`, '  default_backend r',
    'backend r', '  balance roundrobin', '  option httpchk GET /healthz', ...ports.map((p, i) => `  server r${i} 127.0.0.1:${p} check`), ''].join('\n'));
  children.push(spawn('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], { stdio: 'ignore' }));
  await waitReady(port);
  return port;
}

async function schemaUrl(): Promise<string> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

async function rps(port: number, uncached: boolean): Promise<number> {
  let n = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/instances`, connections: CONNECTIONS, duration: SECONDS,
    headers: { Authorization: AUTH, Accept: 'application/xml' },
    requests: uncached ? [{ setupRequest: (r: autocannon.Request) => ({ ...r, path: `/api/instances?bench=${n++}` }) }] : undefined,
  });
  return result.non2xx > 0 || result.errors > 0 ? Number.NaN : result.requests.average;
}

async function cycles(port: number): Promise<{ rate: number; errors: number }> {
  const until = Date.now() + SECONDS * 1000;
  let done = 0;
  let errors = 0;
  await Promise.all(Array.from({ length: CYCLE_LOOPS }, async () => {
    while (Date.now() < until) {
      const created = await request(port, 'POST', '/api/instances', 'image_id=img1');
      if (created.status !== 201) {
        errors++;
        continue;
      }
      const id: string = JSON.parse(created.text).instance.id;
      const stopped = await request(port, 'POST', `/api/instances/${id}/stop`);
      const destroyed = await request(port, 'DELETE', `/api/instances/${id}`);
      if (stopped.status >= 300 || destroyed.status !== 204) errors++;
      else done++;
    }
  }));
  return { rate: done / SECONDS, errors };
}

async function measureSetup(name: string, port: number) {
  process.stderr.write(`scale bench: ${name} …\n`);
  return { name, cached: await rps(port, false), uncached: await rps(port, true), ...(await cycles(port)) };
}

async function main(): Promise<void> {
  const rows = [await measureSetup('SQLite, 1 server', await startServer({}))];
  let missing: string | undefined;
  const url = await schemaUrl().catch(() => {
    missing = `PostgreSQL not reachable at ${new URL(DATABASE_URL).host} (scripts/postgres/setup.sh)`;
    return undefined;
  });
  if (url) {
    rows.push(await measureSetup('PostgreSQL, 1 replica', await startServer({ DELTACLOUD_DATABASE_URL: url })));
    const url3 = await schemaUrl();
    const first = await startServer({ DELTACLOUD_DATABASE_URL: url3 });
    const rest = await Promise.all([startServer({ DELTACLOUD_DATABASE_URL: url3 }), startServer({ DELTACLOUD_DATABASE_URL: url3 })]);
    const proxy = await startHaproxy([first, ...rest]).catch(() => {
      missing = 'haproxy is not installed';
      return undefined;
    });
    if (proxy) rows.push(await measureSetup('PostgreSQL, 3 replicas + HAProxy', proxy));
  }
  const f = (n: number) => (Number.isNaN(n) ? 'errors' : n.toFixed(0));
  console.log(`\nScale-out (issue 18): ${SECONDS} s per measurement, ${CONNECTIONS} connections for GETs, ${CYCLE_LOOPS} cycle loops`);
  console.log('| setup | GET /api/instances cached (req/s) | uncached (req/s) | create→stop→destroy (cycles/s) | cycle errors |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${f(r.cached)} | ${f(r.uncached)} | ${r.rate.toFixed(1)} | ${r.errors} |`);
  if (missing) console.log(`\n(PostgreSQL columns incomplete: ${missing})`);
}

main().then(() => {
  cleanUp();
  process.exit(0);
}, (err: unknown) => {
  console.error(`scale bench could not measure: ${err instanceof Error ? err.message : String(err)}`);
  cleanUp();
  process.exit(1);
});
