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
// that is ours whatever the load.
// A measurement, not a test: it exits 0 whether the goal is met or not, and
// says so when Prism is not installed.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, startDriverServer } from '../test/helpers/server.js';
import { prismUnavailable, startPrism } from '../test/drivers/shared/prism.js';

const ROUNDS = Number(process.env.BENCH_REST_ROUNDS ?? 500);
const TOKEN = 'bench-token';
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
  for (const target of TARGETS) {
    const stub = await startPrism(target.spec, TOKEN);
    const server = await startDriverServer(target.driver, { endpoints: { prism: stub.origin }, defaultProvider: 'prism' }, { args: ['-P', 'prism'] });
    try {
      const direct: number[] = [];
      const ours: number[] = [];
      const bearer = { authorization: `Bearer ${TOKEN}` };
      const basic = { authorization: 'Basic ' + Buffer.from(`bench:${TOKEN}`).toString('base64'), accept: 'application/json' };
      for (let i = 0; i < 20; i++) await timed(`${server.origin}/api/instances`, basic); // warm-up
      const cpuBefore = cpuMs(server.process.pid);
      for (let i = 0; i < ROUNDS; i++) {
        direct.push(await timed(stub.origin + target.listing, bearer));
        ours.push(await timed(`${server.origin}/api/instances`, basic));
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
}

await main();
