// Nothing cached from a back end answers a caller the back end did not accept
// (issue 10 item 2): per driver, over HTTP against the real server, a valid
// call and then the same user / access key with a wrong secret → 401.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { req, type Res } from '../helpers/api.js';
import { MOCK_AUTH, startServer, type TestServer } from '../helpers/server.js';
import { startEc2Server } from '../drivers/ec2/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'deltacloud-test-caches-'));
after(() => rmSync(work, { recursive: true, force: true }));

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
const json = (auth: string, headers: Record<string, string> = {}) => ({ accept: 'application/json', auth, headers });

/** 200 for the right secret, then 401 for each wrong one, in whatever order they come. */
async function rightThenWrong(get: (auth: string) => Promise<Res>, right: string, wrong: string[]): Promise<void> {
  for (let round = 0; round < 2; round++) {
    const ok = await get(right);
    assert.equal(ok.status, 200, ok.text.slice(0, 300));
  }
  for (const auth of wrong) {
    const refused = await get(auth);
    assert.equal(refused.status, 401, refused.text.slice(0, 300));
  }
  // And the right one still works afterwards (a failure evicts nothing it should not).
  assert.equal((await get(right)).status, 200);
}

describe('credential-keyed caches', () => {
  test('mock: rendered reads (and their early repeats) are never served to a wrong password', async () => {
    const server = await startServer();
    try {
      // (The mock's realms and hardware profiles are public, as in the original: only what needs credentials is tried.)
      for (const path of ['/api/instances', '/api/keys', '/api/storage_volumes/vol1']) {
        await rightThenWrong((auth) => req(server, 'GET', path, json(auth)), MOCK_AUTH,
          [basic('mockuser', 'wrongpassword'), basic('mockuser', 'mockpassword ')]);
      }
    } finally {
      await server.stop();
    }
  });

  test('ec2: instance types (hardware profiles) and clients are keyed by the whole credential, not the access key id', async () => {
    // Server A: the mock behind the EC2 Query front end, which checks each request's SigV4 signature (so the secret).
    const front = await startServer({ args: ['-f', 'deltacloud,ec2'] });
    const ec2 = await startEc2Server({ endpoints: { private: { ec2: `http://127.0.0.1:${front.port}/ec2`, region: 'us-east-1' } } }, 'private');
    try {
      for (const path of ['/api/hardware_profiles', '/api/hardware_profiles/m1-small', '/api/realms']) {
        await rightThenWrong((auth) => req(ec2.server, 'GET', path, json(auth)), MOCK_AUTH, [basic('mockuser', 'wrongpassword')]);
      }
    } finally {
      await ec2.stop();
      await front.stop();
    }
  });

  test('libvirt (test:///default, operator credentials): a wrong password → 401 after a valid call', async () => {
    const config = join(work, 'libvirt.json');
    writeFileSync(config, JSON.stringify({ drivers: { libvirt: { allowedUris: ['test:///default'], user: 'operator', password: 'op-secret' } } }), { mode: 0o600 });
    const server: TestServer = await startServer({ args: ['-i', 'libvirt', '-c', config], env: { DELTACLOUD_DATA_DIR: join(work, 'libvirt-data') } });
    try {
      for (const path of ['/api/keys', '/api/hardware_profiles']) {
        await rightThenWrong((auth) => req(server, 'GET', path, json(auth)), basic('operator', 'op-secret'), [basic('operator', 'op-secreT')]);
      }
    } finally {
      await server.stop();
    }
  });
});

const KEYSTONE = (process.env.OS_TEST_AUTH_URL ?? 'http://127.0.0.1:5001/v3').replace(/\/+$/, '');
const keystoneUp = await fetch(KEYSTONE, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);

describe('credential-keyed caches, openstack', { skip: !keystoneUp && `Keystone is not reachable at ${KEYSTONE}` }, () => {
  test('openstack (live Keystone): the token cache answers only the password Keystone accepted', async () => {
    const config = join(work, 'openstack.json');
    writeFileSync(config, JSON.stringify({ drivers: { openstack: { providers: { local: { authUrl: KEYSTONE } } } } }), { mode: 0o600 });
    const server = await startServer({ args: ['-i', 'openstack', '-c', config] });
    try {
      // force_auth makes the driver log in (verify_credentials) even where the listing itself needs no service.
      await rightThenWrong((auth) => req(server, 'GET', '/api?force_auth=1', json(auth)), basic('demo@demo', 'demopass'), [basic('demo@demo', 'wrongpass')]);
    } finally {
      await server.stop();
    }
  });
});
