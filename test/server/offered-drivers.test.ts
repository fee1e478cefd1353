// Which drivers a server offers, and to whom (issue 10 items 1 and 3), over
// HTTP against the real server: the `-i` driver plus the drivers that reach
// only remote providers with the client's own credentials; drivers reaching
// the host (libvirt, the mock's store on a non-mock server) only when the
// operator enables them, and then only with the operator's credentials.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { assertJsonError, assertXmlError, getJson, getXml, JSON_TYPE, post, req, XML } from '../helpers/api.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { ec2Client, rejectsWith } from '../frontends/ec2/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'deltacloud-test-offering-'));
after(() => rmSync(work, { recursive: true, force: true }));

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
const OPERATOR = { user: 'operator', password: 'op-Secret-42' };
const OPERATOR_AUTH = basic(OPERATOR.user, OPERATOR.password);
const OPERATOR_ENV = { DELTACLOUD_LIBVIRT_USER: OPERATOR.user, DELTACLOUD_LIBVIRT_PASSWORD: OPERATOR.password };

/** A 0600 configuration file holding `content`. */
function configFile(name: string, content: unknown): string {
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(content), { mode: 0o600 });
  return file;
}

/** Only test:///default (libvirt's built-in test hypervisor): nothing of this host is touched. */
const LIBVIRT_TEST = { drivers: { libvirt: { allowedUris: ['test:///default'] } } };

/** Each server keeps its driver state (libvirt's key store) in its own temporary directory. */
async function withServer(opts: Parameters<typeof startServer>[0], body: (s: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer({ ...opts, env: { DELTACLOUD_DATA_DIR: mkdtempSync(join(work, 'data-')), ...opts?.env } });
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

/** Asserts the server refuses to start with `opts`, its message matching `message` (a server that starts is stopped). */
async function refusesToStart(opts: Parameters<typeof startServer>[0], message: RegExp, what = ''): Promise<void> {
  let started: TestServer | undefined;
  await assert.rejects(startServer(opts).then((s) => {
    started = s;
  }), message, what);
  await started?.stop();
}

/** Every way a client names a driver per request. */
const SWITCHES = (id: string): Array<{ path: string; headers: Record<string, string> }> => [
  { path: '/api/keys', headers: { 'X-Deltacloud-Driver': id } },
  { path: `/api;driver=${id}/keys`, headers: {} },
];

describe('a default server (-i mock)', () => {
  test('does not offer libvirt: 400 on every route, nothing created, not listed nor described', async () => {
    await withServer({ args: ['-c', configFile('default', LIBVIRT_TEST)] }, async (s) => {
      for (const { path, headers } of SWITCHES('libvirt')) {
        const created = await post(s, path, { name: 'stolen' }, { accept: XML, headers });
        assertXmlError(created, { status: 400, message: /^Driver 'libvirt' is not offered on this server/, driver: 'libvirt' });
        assert.ok(!created.text.includes('PRIVATE KEY'), 'no private key');
      }
      for (const collection of ['images', 'instances', 'realms', 'storage_volumes']) {
        for (const [path, headers] of [[`/api/${collection}`, { 'X-Deltacloud-Driver': 'libvirt' }], [`/api;driver=libvirt/${collection}`, {}]] as const) {
          assertJsonError(await req(s, 'GET', path, { accept: JSON_TYPE, headers }), { status: 400, message: /not offered on this server/ });
        }
      }
      const listed = (await getJson(s, '/api/drivers')).json();
      assert.deepEqual(Object.keys(listed).sort(), ["azure", "digitalocean", "ec2", "linode", "mock", "openstack", "rackspace"]);
      const xml = (await getXml(s, '/api/drivers')).text;
      assert.ok(!xml.includes('libvirt') && !xml.includes('test:///default'), 'no trace of libvirt or its configuration');
      assert.equal((await getXml(s, '/api/drivers/libvirt')).status, 404);
    });
  });
});

describe('a server started with -i ec2', () => {
  test('does not offer the mock (its public credentials open nothing)', async () => {
    await withServer({ args: ['-i', 'ec2'] }, async (s) => {
      for (const { path, headers } of SWITCHES('mock')) {
        assertXmlError(await post(s, path, { name: 'k1' }, { accept: XML, headers }), {
          status: 400, message: /^Driver 'mock' is not offered on this server/, driver: 'mock',
        });
      }
      assert.deepEqual(Object.keys((await getJson(s, "/api/drivers")).json()).sort(), ["azure", "digitalocean", "ec2", "linode", "openstack", "rackspace"]);
    });
  });

  test('its EC2 front end has no default mockuser key (it would launch mock instances)', async () => {
    await withServer({ args: ['-i', 'ec2', '-f', 'deltacloud,ec2'] }, async (s) => {
      await rejectsWith(ec2Client(s.port).send(new DescribeInstancesCommand({})), 'AuthFailure', 401);
    });
  });

  test('an EC2 front-end key mapped to a driver that is not offered stops the start', async () => {
    const keys = configFile('ec2keys', { ec2: { credentials: { AKIDMOCK: { secret: 's', driver: 'mock', user: 'mockuser', password: 'mockpassword' } } } });
    await refusesToStart({ args: ['-i', 'ec2', '-f', 'deltacloud,ec2', '-c', keys] }, /driver 'mock' is not offered by this server/);
  });
});

describe('enabling a driver that reaches this host', () => {
  test('without operator credentials, the server refuses to start and says what to set', async () => {
    for (const args of [['--enable-drivers', 'libvirt'], ['-i', 'libvirt'], ['-i', 'ec2', '--enable-drivers', 'mock']]) {
      await refusesToStart({ args: [...args, '-c', configFile('nocreds', LIBVIRT_TEST)] },
        /reaches resources of this host.*drivers\.(libvirt|mock)\.user/s, args.join(' '));
    }
    await refusesToStart({ args: ['-c', configFile('enabled', { drivers: { ...LIBVIRT_TEST.drivers, enabled: ['libvirt'] } })] },
      /reaches resources of this host/);
    await refusesToStart({ args: ['-c', configFile('nocreds2', LIBVIRT_TEST)], env: { DELTACLOUD_DRIVERS: 'libvirt' } },
      /reaches resources of this host/);
    // An empty password is no credential either.
    await refusesToStart({ args: ['--enable-drivers', 'libvirt'], env: { DELTACLOUD_LIBVIRT_USER: 'op', DELTACLOUD_LIBVIRT_PASSWORD: '' } },
      /non-empty user and password/);
  });

  test('libvirt enabled with credentials (env): none, wrong or empty → 401 before libvirt is asked; the operator\'s → served', async () => {
    await withServer({ args: ['--enable-drivers', 'libvirt', '-c', configFile('lv', LIBVIRT_TEST)], env: OPERATOR_ENV }, async (s) => {
      const headers = { 'X-Deltacloud-Driver': 'libvirt' };
      const none = await post(s, '/api/keys', { name: 'k1' }, { accept: XML, headers, auth: false });
      assertXmlError(none, { status: 401, driver: 'libvirt', provider: 'test:///default' });
      assert.match(String(none.headers['www-authenticate']), /^Basic realm="libvirt-deltacloud@/);
      for (const auth of [basic(OPERATOR.user, 'wrong'), basic('root', OPERATOR.password), basic('', ''), basic(OPERATOR.user, ''), basic('mockuser', 'mockpassword')]) {
        assertXmlError(await post(s, '/api/keys', { name: 'k1' }, { accept: XML, headers, auth }), {
          status: 401, driver: 'libvirt', provider: 'test:///default', secrets: [OPERATOR.password],
        });
        assertJsonError(await req(s, 'GET', '/api/realms', { accept: JSON_TYPE, headers, auth }), { status: 401 });
      }
      const realms = await req(s, 'GET', '/api/realms', { accept: JSON_TYPE, headers, auth: OPERATOR_AUTH });
      assert.equal(realms.status, 200, realms.text);
      const created = await post(s, '/api/keys', { name: 'k1' }, { accept: JSON_TYPE, headers, auth: OPERATOR_AUTH });
      assert.equal(created.status, 201, created.text);
      // The mock stays the demo it is on this server.
      assert.equal((await getJson(s, '/api/realms')).status, 200);
      assert.ok(!s.output().includes(OPERATOR.password), 'the operator password is never logged');
    });
  });

  test('the mock enabled on an ec2 server (credentials in a 0600 config file): only the operator\'s credentials open it', async () => {
    const config = configFile('mockop', { drivers: { mock: { user: OPERATOR.user, password: OPERATOR.password } } });
    await withServer({ args: ['-i', 'ec2', '--enable-drivers', 'mock', '-c', config] }, async (s) => {
      const headers = { 'X-Deltacloud-Driver': 'mock' };
      assertXmlError(await req(s, 'GET', '/api/realms', { accept: XML, headers }), { status: 401, driver: 'mock' });
      const ok = await req(s, 'GET', '/api/realms', { accept: JSON_TYPE, headers, auth: OPERATOR_AUTH });
      assert.equal(ok.status, 200, ok.text);
      // The ec2 driver is not offered here: the list replaced the remote defaults.
      assert.deepEqual(Object.keys((await getJson(s, '/api/drivers')).json()).sort(), ['ec2', 'mock']);
      assertXmlError(await req(s, 'GET', '/api/realms', { accept: XML, headers: { 'X-Deltacloud-Driver': 'openstack' } }), {
        status: 400, message: /not offered/, driver: 'openstack',
      });
    });
  });
});

describe('empty credentials are refused locally (item 3)', () => {
  test('`-u :`, an empty user or an empty password → 401 on the mock and on a remote driver, nothing forwarded', async () => {
    await withServer({}, async (s) => {
      for (const auth of [basic('', ''), basic('', 'mockpassword'), basic('mockuser', '')]) {
        assertXmlError(await req(s, 'GET', '/api/realms', { accept: XML, auth }), { status: 401 });
        // ec2 would otherwise sign with an empty key and call AWS (a 502 here, where AWS is unreachable).
        const r = await req(s, 'GET', '/api/realms', { accept: XML, auth, headers: { 'X-Deltacloud-Driver': 'ec2' } });
        assertXmlError(r, { status: 401, driver: 'ec2', provider: 'us-east-1' });
      }
    });
  });
});
