// Container life cycles per second through the Deltacloud API (built server,
// `-i podman`) beside the same cycles sent straight to the engine's own API,
// in the same run, on the Podman service of scripts/podman/setup.sh (started
// when it is not running). A cycle: create → start → stop → destroy (the
// API's create starts the container, as the driver does).
//
//   npx tsc -p . && node --import tsx bench/podman-cycles.ts
//
// Settings (environment): BENCH_PODMAN_CYCLES per side and round (default 8),
// BENCH_PODMAN_CONCURRENCY (2), BENCH_PODMAN_ROUNDS (2, alternating sides). A
// measurement, not a test: exits 0 whatever the numbers, and when podman is
// not installed (says so).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { closeEngine, engine, PODMAN_OPERATOR, podmanUnavailable, startPodmanServer, testImageId } from '../test/drivers/podman/target.js';

const CYCLES = Number(process.env.BENCH_PODMAN_CYCLES ?? 8);
const CONCURRENCY = Number(process.env.BENCH_PODMAN_CONCURRENCY ?? 2);
const ROUNDS = Number(process.env.BENCH_PODMAN_ROUNDS ?? 2);
const AUTH = 'Basic ' + Buffer.from(`${PODMAN_OPERATOR.user}:${PODMAN_OPERATOR.password}`).toString('base64');

function api(port: number, method: string, path: string, form?: Record<string, string>): Promise<{ status: number; text: string }> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((ok, fail) => {
    const headers: Record<string, string> = { Authorization: AUTH, Accept: 'application/json' };
    if (body) Object.assign(headers, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) });
    const r = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => ok({ status: res.statusCode!, text }));
      res.on('error', fail);
    });
    r.on('error', fail);
    r.end(body);
  });
}

function expect(status: number, wanted: number, what: string, text = ''): void {
  if (status !== wanted) throw new Error(`${what}: ${status} ${text.slice(0, 300)}`);
}

/** `cycles` cycles, `CONCURRENCY` at a time; cycles per second. */
async function timed(cycles: number, cycle: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < cycles) await cycle(next++);
  }));
  return cycles / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const missing = await podmanUnavailable();
  if (missing) {
    console.log(`podman cycles: not measured: ${missing}`);
    return;
  }
  const image = await testImageId();
  const server = await startPodmanServer({ stopTimeoutMs: 10_000 });
  try {
    const direct = async () => {
      const created = await engine<{ Id: string }>('POST', '/containers/create', { Image: image, HostConfig: { NetworkMode: 'none' } });
      expect(created.status, 201, 'engine create', JSON.stringify(created.json));
      const id = created.json.Id;
      expect((await engine('POST', `/containers/${id}/start`)).status, 204, 'engine start');
      expect((await engine('POST', `/containers/${id}/stop?t=10`)).status, 204, 'engine stop');
      expect((await engine('DELETE', `/containers/${id}?force=true&v=true`)).status, 204, 'engine delete');
    };
    const throughApi = async () => {
      const created = await api(server.port, 'POST', '/api/instances', { image_id: image });
      expect(created.status, 201, 'API create', created.text);
      const id: string = JSON.parse(created.text).instance.id;
      const stopped = await api(server.port, 'POST', `/api/instances/${id}/stop`);
      expect(stopped.status, 202, 'API stop', stopped.text);
      const destroyed = await api(server.port, 'DELETE', `/api/instances/${id}`);
      expect(destroyed.status, 204, 'API destroy', destroyed.text);
    };
    await direct();
    await throughApi();
    const rates: Record<'engine' | 'api', number[]> = { engine: [], api: [] };
    for (let round = 0; round < ROUNDS; round++) {
      rates.engine.push(await timed(CYCLES, direct));
      rates.api.push(await timed(CYCLES, throughApi));
    }
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const [e, a] = [mean(rates.engine), mean(rates.api)];
    console.log(`podman cycles (create→start→stop→destroy, ${CYCLES} per side and round, ${ROUNDS} rounds, concurrency ${CONCURRENCY}):`);
    console.log(`  engine API directly:   ${e.toFixed(2)} cycles/s  (rounds: ${rates.engine.map((r) => r.toFixed(2)).join(', ')})`);
    console.log(`  through Deltacloud API: ${a.toFixed(2)} cycles/s  (rounds: ${rates.api.map((r) => r.toFixed(2)).join(', ')})`);
    console.log(`  API / engine: ${(a / e * 100).toFixed(0)} %`);
  } finally {
    await server.stop();
    await closeEngine();
  }
}

await main();
