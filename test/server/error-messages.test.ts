// Errors that say what happened (issue 10 item 16), over HTTP against the real
// server. Listings answer the generic text of a status (spec §8.2) — except
// when the cause is the same whatever the request: a provider the server does
// not allow, a back end that is missing or unreachable. Those say so.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertJsonError, assertXmlError, parseXml, req } from '../helpers/api.js';
import { startServer, type TestServer } from '../helpers/server.js';

const work = mkdtempSync(join(tmpdir(), 'deltacloud-test-errors-'));
after(() => rmSync(work, { recursive: true, force: true }));

const OPERATOR = { user: 'operator', password: 'errors-secret' };
const OPERATOR_AUTH = 'Basic ' + Buffer.from(`${OPERATOR.user}:${OPERATOR.password}`).toString('base64');
const AWS_AUTH = 'Basic ' + Buffer.from('AKIAEXAMPLE:aws-secret-example').toString('base64');

async function serverWith(drivers: Record<string, unknown>, args: string[]): Promise<TestServer> {
  const config = join(work, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(config, JSON.stringify({ drivers }), { mode: 0o600 });
  return startServer({ args: [...args, '-c', config], env: { DELTACLOUD_DATA_DIR: mkdtempSync(join(work, 'data-')) } });
}

test('an unlisted provider: 400 naming it and saying it is not allowed, on listings too (ec2, openstack, libvirt)', async () => {
  const server = await serverWith({
    openstack: { providers: { local: { authUrl: 'http://127.0.0.1:1/v3' } } },
    libvirt: { allowedUris: ['test:///default'], ...OPERATOR },
  }, ['-i', 'ec2', '--enable-drivers', 'openstack,libvirt']);
  try {
    const cases = [
      { driver: 'ec2', provider: 'evil.example.com', auth: AWS_AUTH },
      { driver: 'openstack', provider: 'elsewhere', auth: 'Basic ' + Buffer.from('u@p:openstack-secret').toString('base64') },
      { driver: 'libvirt', provider: 'qemu+ssh://root@host/system', auth: OPERATOR_AUTH },
    ];
    for (const { driver, provider, auth } of cases) {
      const headers = { 'X-Deltacloud-Driver': driver, 'X-Deltacloud-Provider': provider };
      for (const path of ['/api/instances', '/api/images', '/api/instances/i-1']) {
        const secrets = [Buffer.from(auth.slice(6), 'base64').toString().split(':').pop()!, OPERATOR.password];
        const message = new RegExp(`^Provider '${provider.replace(/[.+]/g, '\\$&')}' is not allowed on this server`);
        assertXmlError(await req(server, 'GET', path, { accept: 'application/xml', headers, auth }), { status: 400, message, driver, provider, secrets });
        assertJsonError(await req(server, 'GET', path, { accept: 'application/json', headers, auth }), { status: 400, message, secrets });
      }
    }
  } finally {
    await server.stop();
  }
});

test('libvirt not installed: listings and shows say so (502), as the README promises', async () => {
  const server = await serverWith({ libvirt: { virsh: join(work, 'no-such-virsh'), ...OPERATOR } }, ['-i', 'libvirt']);
  try {
    for (const path of ['/api/instances', '/api/images', '/api/realms/any']) {
      assertJsonError(await req(server, 'GET', path, { accept: 'application/json', auth: OPERATOR_AUTH }), {
        status: 502, message: 'libvirt is not installed (virsh not found)',
      });
    }
  } finally {
    await server.stop();
  }
});

/** A local port nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

test('openstack with an unreachable Keystone: listings say "Cannot reach the identity service", as /api does', async () => {
  const keystone = `http://127.0.0.1:${await closedPort()}/v3`;
  const server = await serverWith({ openstack: { providers: { local: { authUrl: keystone } } } }, ['-i', 'openstack']);
  try {
    const auth = 'Basic ' + Buffer.from('demo@demo:demopass').toString('base64');
    for (const path of ['/api/instances', '/api/buckets', '/api?force_auth=1']) {
      const r = await req(server, 'GET', path, { accept: 'application/json', auth });
      assert.equal(r.status, 502, r.text);
      assert.match(r.text, /Cannot reach the identity service/, path);
    }
    // The provider the request used is the configured default: the document names it.
    assertXmlError(await req(server, 'GET', '/api/instances', { accept: 'application/xml', auth }), {
      status: 502, message: /^Cannot reach the identity service/, driver: 'openstack', provider: 'local', secrets: ['demopass'],
    });
  } finally {
    await server.stop();
  }
});

test('error documents name the provider the configured default stands for, not "default"', async () => {
  const server = await serverWith({ ec2: { defaultRegion: 'eu-west-1' } }, ['-i', 'ec2']);
  try {
    assertXmlError(await req(server, 'GET', '/api/instances', { accept: 'application/xml', auth: false }), {
      status: 401, driver: 'ec2', provider: 'eu-west-1',
    });
    // A provider the request names is shown as named.
    assertXmlError(await req(server, 'GET', '/api/instances', { accept: 'application/xml', auth: false, headers: { 'X-Deltacloud-Provider': 'us-west-2' } }), {
      status: 401, driver: 'ec2', provider: 'us-west-2',
    });
  } finally {
    await server.stop();
  }
});

test('an over-long URL: 431 in the Deltacloud error document, not Fastify\'s JSON', async () => {
  const server = await startServer();
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(`GET /api/realms?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    });
    const [head, body] = [answer.slice(0, answer.indexOf('\r\n\r\n')), answer.slice(answer.indexOf('\r\n\r\n') + 4)];
    assert.match(head, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(head, /\r\nContent-Type: application\/xml\r\n/i);
    const doc = parseXml(body);
    assert.equal(doc.name, 'error');
    assert.equal(doc.attrs.status, '431');
    assert.equal(doc.child('message').text, 'Request Header Fields Too Large');
    assert.equal(doc.child('backend').attrs.driver, 'mock');
    // The server still answers.
    assert.equal((await req(server, 'GET', '/api/realms', { accept: 'application/json' })).status, 200);
  } finally {
    await server.stop();
  }
});
