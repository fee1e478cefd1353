// The azure driver's Blob Storage requests, as the back-end metrics see them
// (src/drivers/azure/service-calls.ts → core/kit/service-calls.ts): against a
// live Azurite behind a counting proxy, every request that reached Azurite is
// reported once as service `Blob`, with its outcome (the status of a refused
// one) and the driver's id, and without names or the key.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { RequestContext } from '../../../src/core/driver.js';
import { call } from '../../../src/core/kit/pipeline.js';
import { observeServiceCalls, type ServiceCallReport } from '../../../src/core/kit/service-calls.js';
import { parseOptions } from '../../../src/drivers/azure/config.js';
import { createAzureDriver } from '../../../src/drivers/azure/driver.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, azuriteMissing, startAzurite, type Azurite } from './azurite.js';

const missing = azuriteMissing();
if (missing && process.env.CI) throw new Error(`CI needs Azurite: ${missing}`);
if (missing) console.warn(`SKIPPED azure Blob service metrics: ${missing}`);

describe('azure Blob Storage requests in the back-end metrics', { skip: missing }, () => {
  let azurite: Azurite;
  let proxy: Server;
  /** Answers from Azurite that passed the proxy: their statuses, in order. */
  const answered: number[] = [];

  before(async () => {
    azurite = await startAzurite();
    proxy = createServer((incoming, outgoing) => {
      const forwarded = request({ host: '127.0.0.1', port: azurite.port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
        answered.push(answer.statusCode ?? 0);
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      forwarded.on('error', () => outgoing.destroy());
      incoming.pipe(forwarded);
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  });
  after(async () => {
    proxy?.closeAllConnections();
    await new Promise<void>((ok) => (proxy ? proxy.close(() => ok()) : ok()));
    await azurite?.stop();
  });

  test('each request Azurite answered is one report of service Blob with its outcome; no account, key or name in it', async () => {
    const address = proxy.address();
    assert.ok(address && typeof address === 'object');
    const driver = createAzureDriver(parseOptions({ providers: { proxied: { blobEndpoint: `http://127.0.0.1:${address.port}/{account}` } } }));
    const ctx = () => new RequestContext('proxied', { user: AZURITE_ACCOUNT, password: AZURITE_KEY }, undefined, {}, { timeoutMs: 10_000 });
    const reports: ServiceCallReport[] = [];
    const stop = observeServiceCalls((report) => reports.push(report));
    try {
      await call(driver, 'create_bucket', ctx(), { name: 'metrics-bucket' });
      assert.equal(await call(driver, 'bucket', ctx(), 'no-such-bucket'), undefined);
      await call(driver, 'delete_bucket', ctx(), 'metrics-bucket');
    } finally {
      stop();
    }
    assert.ok(answered.length >= 3, `requests: ${answered.join(', ')}`);
    assert.ok(answered.includes(404), 'the missing container was asked for');
    assert.deepEqual(reports.map((r) => r.outcome), answered.map((status) => (status < 400 ? 'ok' : String(status))));
    for (const report of reports) {
      assert.equal(report.service, 'Blob');
      assert.equal(report.driver, 'azure');
      assert.ok(report.ms >= 0);
      for (const secret of [AZURITE_ACCOUNT, AZURITE_KEY, 'metrics-bucket', 'no-such-bucket']) assert.ok(!JSON.stringify(report).includes(secret), secret);
    }
  });
});
