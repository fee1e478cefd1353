// Provider discovery shows exactly what the operator allows (issue 10 item
// 15): `/api/drivers/<id>` in XML, JSON and HTML and the HTML provider picker,
// computed once from the configuration (never from a driver's first load).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { req } from '../helpers/api.js';
import { startServer, type TestServer } from '../helpers/server.js';

const work = mkdtempSync(join(tmpdir(), 'deltacloud-test-discovery-'));
after(() => rmSync(work, { recursive: true, force: true }));

const OPERATOR = { user: 'operator', password: 'discovery-secret' };
const OPERATOR_AUTH = 'Basic ' + Buffer.from(`${OPERATOR.user}:${OPERATOR.password}`).toString('base64');

async function serverWith(drivers: Record<string, unknown>, args: string[]): Promise<TestServer> {
  const config = join(work, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(config, JSON.stringify({ drivers }), { mode: 0o600 });
  return startServer({ args: [...args, '-c', config], env: { DELTACLOUD_DATA_DIR: mkdtempSync(join(work, 'data-')) } });
}

/** Provider ids of /api/drivers/<id> in XML, JSON and HTML (the same list in each). */
async function providersShown(server: TestServer, id: string, auth?: string): Promise<string[]> {
  const xml = await req(server, 'GET', `/api/drivers/${id}`, { accept: 'application/xml', auth });
  assert.equal(xml.status, 200, xml.text);
  const fromXml = xml.xml().all('provider').map((p) => p.attrs.id!);
  const json = await req(server, 'GET', `/api/drivers/${id}`, { accept: 'application/json', auth });
  // JSON shows the original's `entrypoints` (kind → provider → URL): the same providers, in order of first appearance.
  const entrypoints: Record<string, Record<string, string>> = json.json().driver.entrypoints ?? {};
  const fromJson = [...new Set(Object.values(entrypoints).flatMap((byProvider) => Object.keys(byProvider)))];
  assert.deepEqual(fromJson, fromXml, 'JSON lists what XML lists');
  const html = (await req(server, 'GET', `/api/drivers/${id}`, { accept: 'text/html', auth })).text;
  for (const p of fromXml) assert.ok(html.includes(p), `HTML shows ${p}`);
  return fromXml;
}

/** Options of the HTML provider picker on the entry page of `driver`. */
async function pickerOptions(server: TestServer, driver: string, auth?: string): Promise<string[]> {
  const html = (await req(server, 'GET', `/api;driver=${driver}`, { accept: 'text/html', auth })).text;
  const select = /<select id="provider"[^>]*>(.*?)<\/select>/s.exec(html)?.[1] ?? '';
  return [...select.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]!);
}

const ENDPOINTS = { 'private-s3': { s3: 'http://127.0.0.1:1/s3', region: 'us-east-1', forcePathStyle: true }, lab: { ec2: 'http://127.0.0.1:1/ec2', region: 'us-east-1' } };

test('ec2 with awsRegions false: only the configured endpoint sets, with their entry points; picker likewise', async () => {
  const server = await serverWith({ ec2: { awsRegions: false, endpoints: ENDPOINTS, defaultRegion: 'us-east-1' } }, ['-i', 'ec2', '-P', 'lab']);
  try {
    assert.deepEqual(await providersShown(server, 'ec2'), ['private-s3', 'lab']);
    const xml = (await req(server, 'GET', '/api/drivers/ec2', { accept: 'application/xml' })).xml();
    const entry = (id: string) => xml.all('provider').find((p) => p.attrs.id === id)!.all('entrypoint').map((e) => [e.attrs.kind, e.text]);
    assert.deepEqual(entry('private-s3'), [['s3', 'http://127.0.0.1:1/s3']]);
    assert.deepEqual(entry('lab'), [['ec2', 'http://127.0.0.1:1/ec2']]);
    assert.deepEqual(await pickerOptions(server, 'ec2'), ['default', 'private-s3', 'lab']);
  } finally {
    await server.stop();
  }
});

test('ec2 with AWS regions on: the seven regions and the configured endpoint sets', async () => {
  const server = await serverWith({ ec2: { endpoints: ENDPOINTS } }, ['-i', 'ec2']);
  try {
    const shown = await providersShown(server, 'ec2');
    assert.deepEqual(shown.slice(-2), ['private-s3', 'lab']);
    assert.ok(shown.includes('us-east-1') && shown.length === 9, shown.join(','));
    assert.deepEqual((await pickerOptions(server, 'ec2')).slice(-2), ['private-s3', 'lab']);
  } finally {
    await server.stop();
  }
});

test('libvirt: the configured URIs, not the factory defaults', async () => {
  const server = await serverWith({ libvirt: { allowedUris: ['test:///default'], ...OPERATOR } }, ['-i', 'libvirt']);
  try {
    assert.deepEqual(await providersShown(server, 'libvirt'), ['test:///default']);
    assert.deepEqual(await pickerOptions(server, 'libvirt', OPERATOR_AUTH), ['default', 'test:///default']);
  } finally {
    await server.stop();
  }
});

test('openstack: the configured Keystones from the first request on, in every format (no stale page)', async () => {
  const server = await serverWith({ openstack: { providers: { local: { authUrl: 'http://127.0.0.1:1/v3', region: 'RegionOne' } }, allowedAuthUrls: ['http://127.0.0.1:2/v3'] } }, []);
  try {
    // Before anything loaded the openstack driver, and again after a request did.
    const before = await providersShown(server, 'openstack');
    assert.deepEqual(before, ['local', 'http://127.0.0.1:2/v3']);
    await req(server, 'GET', '/api/realms', { accept: 'application/json', headers: { 'X-Deltacloud-Driver': 'openstack' } });
    assert.deepEqual(await providersShown(server, 'openstack'), before);
  } finally {
    await server.stop();
  }
});
