// Metrics, rate limits and the audit log against the real server: /metrics
// on its own port, scraped and parsed as Prometheus text, its histogram
// counting exactly the requests made; the (N+1)th request of a minute gets
// 429 with Retry-After; one audit line per write.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { JSON_TYPE, MOCK_AUTH, req } from '../../helpers/api.js';
import { freePort, type TestServer } from '../../helpers/server.js';
import { bearer, MOCK_PASSWORD, teamDir, type TeamDir } from './helpers.js';
import { parsePrometheus, type Family, type Sample } from './prometheus.js';

let team: TeamDir;
let server: TestServer;
let metricsPort: number;
let token: { id: string; token: string };

before(async () => {
  team = await teamDir();
  assert.equal((await team.cli('profiles', 'add', 'mock-team', '--driver', 'mock', '--user', 'mockuser', '--password-env', 'PROFILE_PASSWORD')).code, 0);
  token = await team.token('--profile', 'mock-team', '--scope', 'write', '--name', 'metrics-bot');
  metricsPort = await freePort();
  server = await team.start({ args: ['--auth', 'both', '--metrics-port', String(metricsPort), '--metrics-host', '127.0.0.1', '--audit-log', join(team.dir, 'audit.log')] });
});

after(async () => {
  await server?.stop();
  team?.remove();
});

async function scrape(): Promise<{ text: string; families: Map<string, Family> }> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, families: parsePrometheus(text) };
}

const matching = (family: Family | undefined, name: string, labels: Record<string, string>): Sample[] =>
  (family?.samples ?? []).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

const one = (family: Family | undefined, name: string, labels: Record<string, string>): number => {
  const found = matching(family, name, labels);
  assert.equal(found.length, 1, `one ${name} ${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]!.value;
};

test('/metrics, scraped and parsed: the request histogram counts exactly the requests made, by route template, method, driver and status', async () => {
  const realms = 7; // the first rendered, the rest answered as repeats from the render cache
  for (let i = 0; i < realms; i++) assert.equal((await req(server, 'GET', '/api/realms', { accept: JSON_TYPE, auth: bearer(token.token) })).status, 200);
  for (const id of ['inst0', 'inst1']) assert.equal((await req(server, 'GET', `/api/instances/${id}`, { accept: JSON_TYPE })).status, 200);
  for (const name of ['metric-key-a', 'metric-key-b', 'metric-key-c']) {
    assert.equal((await req(server, 'POST', '/api/keys', { accept: JSON_TYPE, auth: bearer(token.token), body: { name } })).status, 201);
  }
  assert.equal((await req(server, 'GET', '/api/no-such-collection', { accept: JSON_TYPE })).status, 404);
  // Not on the API's port.
  assert.equal((await req(server, 'GET', '/metrics', { accept: JSON_TYPE })).status, 404);

  const { text, families } = await scrape();
  const histogram = families.get('deltacloud_http_request_duration_seconds');
  assert.equal(histogram?.type, 'histogram');
  const expectations: Array<[Record<string, string>, number]> = [
    [{ route: '/api/realms', method: 'GET', driver: 'mock', status: '200' }, realms],
    [{ route: '/api/instances/:id', method: 'GET', driver: 'mock', status: '200' }, 2],
    [{ route: '/api/keys', method: 'POST', driver: 'mock', status: '201' }, 3],
  ];
  for (const [labels, count] of expectations) {
    assert.equal(one(histogram, 'deltacloud_http_request_duration_seconds_count', labels), count, JSON.stringify(labels));
    assert.equal(one(families.get('deltacloud_http_requests_total'), 'deltacloud_http_requests_total', labels), count);
    const buckets = matching(histogram, 'deltacloud_http_request_duration_seconds_bucket', labels);
    assert.ok(buckets.length > 5);
    const values = buckets.map((b) => b.value);
    assert.deepEqual(values, [...values].sort((a, b) => a - b), 'cumulative buckets');
    assert.equal(buckets.find((b) => b.labels.le === '+Inf')?.value, count);
    assert.ok(one(histogram, 'deltacloud_http_request_duration_seconds_sum', labels) > 0);
  }
  // Paths that match no route are counted without their text (no label from the URL): /api/no-such-collection, /metrics.
  const unrouted = matching(families.get('deltacloud_http_requests_total'), 'deltacloud_http_requests_total', { status: '404' });
  assert.deepEqual(unrouted.map((s) => [s.labels.route, s.value]).sort(), [['(unmatched)', 1], ['/api (unrouted)', 1]]);

  const calls = families.get('deltacloud_backend_calls_total');
  assert.equal(one(calls, 'deltacloud_backend_calls_total', { driver: 'mock', capability: 'create_key', outcome: 'ok' }), 3);
  assert.ok(one(families.get('deltacloud_backend_call_duration_seconds'), 'deltacloud_backend_call_duration_seconds_count', { driver: 'mock', capability: 'create_key' }) === 3);
  const cache = families.get('deltacloud_render_cache_total');
  assert.ok(one(cache, 'deltacloud_render_cache_total', { result: 'hit' }) >= realms - 2);
  assert.ok(one(cache, 'deltacloud_render_cache_total', { result: 'miss' }) >= 1);
  for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
    assert.ok((families.get(name)?.samples[0]?.value ?? 0) > 0, name);
  }
  // No resource id, key name, credential or token in any label or value.
  for (const secret of ['inst0', 'inst1', 'metric-key-a', MOCK_PASSWORD, 'mockuser', token.token, token.token.slice(21)]) {
    assert.ok(!text.includes(secret), `${secret} in the metrics`);
  }
});

test('the audit log: one JSON line per write, naming the token, never a secret or the body', () => {
  const lines = readFileSync(join(team.dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const writes = lines.filter((l) => l.method === 'POST' && l.route === '/api/keys');
  assert.equal(writes.length, 3);
  for (const line of writes) {
    assert.equal(line.tokenId, token.id);
    assert.equal(line.tokenName, 'metrics-bot');
    assert.equal(line.caller, 'token');
    assert.equal(line.driver, 'mock');
    assert.equal(line.status, 201);
    assert.ok(typeof line.durationMs === 'number' && !Number.isNaN(Date.parse(line.time)));
  }
  // Reads are not audited.
  assert.ok(!lines.some((l) => l.method === 'GET' && l.status === 200));
  const text = JSON.stringify(lines);
  for (const secret of [MOCK_PASSWORD, token.token.slice(21), 'metric-key-a']) assert.ok(!text.includes(secret), secret);
});

test('rate limits: the (N+1)th read and write of a minute get 429 with Retry-After and the error document; other callers are unaffected', async () => {
  const limited = await team.start({ args: ['--auth', 'both', '--rate-limit-reads', '4', '--rate-limit-writes', '2'] });
  try {
    const get = (auth: string) => req(limited, 'GET', '/api/hardware_profiles', { accept: JSON_TYPE, auth });
    for (let i = 0; i < 4; i++) assert.equal((await get(bearer(token.token))).status, 200, `read ${i + 1}`);
    const over = await get(bearer(token.token));
    assert.equal(over.status, 429);
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(over.headers['retry-after']));
    assert.equal(over.json().code, 429);
    const xml = await req(limited, 'GET', '/api/realms', { accept: 'application/xml', auth: bearer(token.token) });
    assert.equal(xml.status, 429);
    assert.match(xml.text, /<error[^>]* status=['"]429['"]/);
    // A Basic user is counted apart from the token.
    assert.equal((await get(MOCK_AUTH)).status, 200);

    const write = (name: string) => req(limited, 'POST', '/api/keys', { accept: JSON_TYPE, auth: MOCK_AUTH, body: { name } });
    assert.equal((await write('limited-1')).status, 201);
    assert.equal((await write('limited-2')).status, 201);
    const overWrite = await write('limited-3');
    assert.equal(overWrite.status, 429);
    assert.ok(Number(overWrite.headers['retry-after']) >= 1);
  } finally {
    await limited.stop();
  }
});
