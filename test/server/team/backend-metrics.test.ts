// Back-end service metrics against a real back end: the ec2 driver's S3
// requests to Swift's S3 API (scripts/swift-s3/setup.sh) go through a
// counting proxy; /metrics, scraped and parsed, counts exactly the requests
// the proxy saw, by driver, service and outcome (a missing bucket's 404
// too), with a latency histogram of the same count — and no bucket or blob
// name, and no credential, in any label.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { JSON_TYPE, req } from '../../helpers/api.js';
import { freePort } from '../../helpers/server.js';
import { startEc2Server, swiftAvailable, SWIFT_AUTH, SWIFT_S3, SWIFT_SECRET, type Ec2Server } from '../../drivers/ec2/helpers.js';
import { parsePrometheus } from './prometheus.js';

const available = await swiftAvailable();
if (!available) {
  if (process.env.CI) throw new Error(`Swift's S3 API at ${SWIFT_S3} is not running (scripts/swift-s3/setup.sh)`);
  console.warn(`WARNING: Swift's S3 API at ${SWIFT_S3} is not running: the back-end metrics test is skipped (scripts/swift-s3/setup.sh)`);
}

/** Forwards every request to Swift unchanged (the Host header too: SigV4 signed it) and counts them. */
class CountingProxy {
  requests = 0;
  #server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const target = new URL(SWIFT_S3);
    this.#server = createServer((req, res) => {
      this.requests++;
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

const BUCKET = `dc-metrics-${Date.now().toString(36)}`;
const BLOB = 'secret-plans.txt';

describe('back-end service metrics (ec2 driver → S3 on Swift, through a counting proxy)', { skip: !available && 'Swift S3 not running' }, () => {
  const proxy = new CountingProxy();
  let ec2: Ec2Server;
  let metricsPort: number;

  before(async () => {
    await proxy.start();
    metricsPort = await freePort();
    const options = { endpoints: { 'swift-s3': { s3: `http://127.0.0.1:${proxy.port}`, region: 'us-east-1', forcePathStyle: true } } };
    ec2 = await startEc2Server(options, 'swift-s3', ['--metrics-port', String(metricsPort), '--metrics-host', '127.0.0.1']);
  });

  after(async () => {
    const call = (method: string, path: string) => req(ec2.server.port, method, path, { auth: SWIFT_AUTH }).catch(() => undefined);
    await call('DELETE', `/api/buckets/${BUCKET}/${BLOB}`);
    await call('DELETE', `/api/buckets/${BUCKET}`);
    await ec2?.stop();
    await proxy.stop();
  });

  test('counts and latencies by driver and service match the requests S3 received; outcomes by status; no names in labels', async () => {
    const port = ec2.server.port;
    const call = (method: string, path: string, opts: Parameters<typeof req>[3] = {}) => req(port, method, path, { auth: SWIFT_AUTH, accept: JSON_TYPE, ...opts });
    assert.equal((await call('POST', '/api/buckets', { body: { name: BUCKET } })).status, 201);
    assert.equal((await call('PUT', `/api/buckets/${BUCKET}/${BLOB}`, { body: 'the plans', headers: { 'content-type': 'text/plain' } })).status, 200);
    assert.equal((await call('GET', `/api/buckets/${BUCKET}/${BLOB}/content`, { accept: '*/*' })).status, 200);
    assert.equal((await call('GET', `/api/buckets/${BUCKET}-missing`)).status, 404);
    assert.ok(proxy.requests >= 4, `S3 saw ${proxy.requests} requests`);

    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    const text = await res.text();
    const families = parsePrometheus(text);
    const counted = (families.get('deltacloud_backend_requests_total')?.samples ?? []).filter((s) => s.labels.driver === 'ec2' && s.labels.service === 'S3');
    const total = counted.reduce((sum, s) => sum + s.value, 0);
    assert.equal(total, proxy.requests, `metrics ${JSON.stringify(counted.map((s) => [s.labels.outcome, s.value]))} vs ${proxy.requests} proxied`);
    assert.ok((counted.find((s) => s.labels.outcome === '404')?.value ?? 0) >= 1, 'the missing bucket\'s 404 is an outcome');
    assert.ok((counted.find((s) => s.labels.outcome === 'ok')?.value ?? 0) >= 3);
    const latency = (families.get('deltacloud_backend_request_duration_seconds')?.samples ?? [])
      .find((s) => s.name === 'deltacloud_backend_request_duration_seconds_count' && s.labels.driver === 'ec2' && s.labels.service === 'S3');
    assert.equal(latency?.value, proxy.requests);
    // The pipeline's per-capability view is still there.
    assert.ok((families.get('deltacloud_backend_calls_total')?.samples ?? []).some((s) => s.labels.driver === 'ec2' && s.labels.capability === 'create_bucket'));
    for (const name of [BUCKET, BLOB, 'secret-plans', SWIFT_SECRET, 'test:tester', String(proxy.port)]) assert.ok(!text.includes(name), `'${name}' in /metrics`);
  });
});
