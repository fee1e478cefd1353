// Part of `npm run bench`: the latency our server adds on top of the provider
// for the REST drivers (digitalocean, linode), with the provider's OpenAPI
// document served locally by Prism (tools/prism) as the provider. For each
// driver, one request at a time: GET of the provider's instance listing
// straight from Prism, then GET /api/instances through our server (which makes
// that same one call), alternating so both see the same machine load. The
// added latency is ours minus Prism's, at p50 and p99 (goal: < 2 ms at p99).
// On a loaded machine both wall-clock figures stretch with the load (two hops
// to schedule instead of one), so the server's own CPU time per request
// (user + system, from /proc) is printed too: the part of the added latency
// that is ours whatever the load. That figure still grows with the time
// between requests (Prism takes tens of ms on a loaded machine, and a process
// that sleeps that long between requests runs each one with cold caches), so
// the bench also replays Prism's listing from an upstream in this process that
// answers at once, back to back, and sets it beside the mock driver's uncached
// listing measured the same way: the CPU the REST path adds, with Prism out of
// the picture.
// A measurement, not a test: it exits 0 whether the goal is met or not, and
// says so when Prism is not installed.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MOCK_AUTH, ROOT, startDriverServer, startServer, type TestServer } from '../test/helpers/server.js';
import { prismUnavailable, startPrism } from '../test/drivers/shared/prism.js';

const ROUNDS = Number(process.env.BENCH_REST_ROUNDS ?? 500);
const TOKEN = 'bench-token';
const BASIC = { authorization: 'Basic ' + Buffer.from(`bench:${TOKEN}`).toString('base64'), accept: 'application/json' };
const TARGETS = [
  { driver: 'digitalocean', spec: join(ROOT, 'test', 'fixtures', 'digitalocean', 'DigitalOcean-public.v2.bundled.yaml'), listing: '/v2/droplets?per_page=200' },
  { driver: 'linode', spec: join(ROOT, 'test', 'fixtures', 'linode', 'linode-openapi-v4.189.0.yaml'), listing: '/v4/linode/instances?page_size=500' },
];

async function timed(url: string, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return performance.now() - started;
}

/** CPU milliseconds (user + system) a process has used, from /proc (Linux); undefined elsewhere. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100 a second).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Server CPU ms per request over `rounds` back-to-back GETs of `path` (after a warm-up); `path` gets `?bench=<n>` when `uncached`. */
async function cpuPerRequest(server: TestServer, path: string, headers: Record<string, string>, rounds: number, uncached = false): Promise<string> {
  const url = (i: number) => `${server.origin}${path}${uncached ? `?bench=${i}` : ''}`;
  for (let i = 0; i < 200; i++) await timed(url(-1 - i), headers);
  const before = cpuMs(server.process.pid);
  for (let i = 0; i < rounds; i++) await timed(url(i), headers);
  const after = cpuMs(server.process.pid);
  return before === undefined || after === undefined ? 'n/a' : ((after - before) / rounds).toFixed(2);
}

/** An upstream answering every request at once with `body` (Prism's listing), on 127.0.0.1. */
async function replaying(body: Buffer, contentType: string): Promise<{ origin: string; stop: () => Promise<void> }> {
  const upstream = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((ready) => upstream.listen(0, '127.0.0.1', ready));
  const { port } = upstream.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((done) => {
      upstream.closeAllConnections();
      upstream.close(() => done());
    }),
  };
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const missing = prismUnavailable();
  if (missing) {
    console.log(`\nREST drivers: not measured: ${missing}`);
    return;
  }
  const rows: string[] = [];
  const replayRows: string[] = [];
  const mock = await startServer();
  try {
    const mockCpu = await cpuPerRequest(mock, '/api/instances', { authorization: MOCK_AUTH, accept: 'application/json' }, ROUNDS, true);
    replayRows.push(`| mock (uncached listing, no upstream) | ${ROUNDS} | ${mockCpu} |`);
  } finally {
    await mock.stop();
  }
  for (const target of TARGETS) {
    const stub = await startPrism(target.spec, TOKEN);
    let replay: Awaited<ReturnType<typeof replaying>>;
    try {
      const listing = await fetch(stub.origin + target.listing, { headers: { authorization: `Bearer ${TOKEN}` } });
      replay = await replaying(Buffer.from(await listing.arrayBuffer()), listing.headers.get('content-type') ?? 'application/json');
      stub.take();
    } catch (error) {
      await stub.stop();
      throw error;
    }
    try {
      const server = await startDriverServer(target.driver, { endpoints: { prism: replay.origin }, defaultProvider: 'prism' }, { args: ['-P', 'prism'] });
      try {
        replayRows.push(`| ${target.driver} (Prism's listing replayed at once) | ${ROUNDS} | ${await cpuPerRequest(server, '/api/instances', BASIC, ROUNDS)} |`);
      } finally {
        await server.stop();
      }
    } finally {
      await replay.stop();
    }
    const server = await startDriverServer(target.driver, { endpoints: { prism: stub.origin }, defaultProvider: 'prism' }, { args: ['-P', 'prism'] });
    try {
      const direct: number[] = [];
      const ours: number[] = [];
      const bearer = { authorization: `Bearer ${TOKEN}` };
      for (let i = 0; i < 20; i++) await timed(`${server.origin}/api/instances`, BASIC); // warm-up
      const cpuBefore = cpuMs(server.process.pid);
      for (let i = 0; i < ROUNDS; i++) {
        direct.push(await timed(stub.origin + target.listing, bearer));
        ours.push(await timed(`${server.origin}/api/instances`, BASIC));
        stub.take();
      }
      const cpuAfter = cpuMs(server.process.pid);
      const cpu = cpuBefore === undefined || cpuAfter === undefined ? 'n/a' : ((cpuAfter - cpuBefore) / ROUNDS).toFixed(2);
      const p = (values: number[], q: number) => percentile(values, q).toFixed(2);
      const added50 = percentile(ours, 0.5) - percentile(direct, 0.5);
      const added99 = percentile(ours, 0.99) - percentile(direct, 0.99);
      rows.push(`| ${target.driver} | ${ROUNDS} | ${p(direct, 0.5)} / ${p(direct, 0.99)} | ${p(ours, 0.5)} / ${p(ours, 0.99)} | ${added50.toFixed(2)} / ${added99.toFixed(2)} | ${cpu} | ${added50 < 2 && added99 < 2 ? 'met' : 'NOT met'} |`);
    } finally {
      await server.stop();
      await stub.stop();
    }
  }
  console.log('\nREST drivers: GET /api/instances through our server vs the same listing straight from the provider (Prism), one request at a time');
  console.log(`(load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; server CPU = its user + system time per request)`);
  console.log('| Driver | Requests | Prism p50 / p99 ms | ours p50 / p99 ms | added p50 / p99 ms | server CPU ms / request | < 2 ms p99 added |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('\nServer CPU per GET /api/instances, back to back, Prism out of the picture (the REST path\'s own cost beside the mock driver\'s uncached listing)');
  console.log('| Server | Requests | server CPU ms / request |');
  console.log('|---|---|---|');
  for (const row of replayRows) console.log(row);
}

await main();
