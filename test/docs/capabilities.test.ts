// docs/capabilities.md is generated from the drivers (scripts/docs/capabilities.ts)
// and must match what the code offers: regenerated in memory it must equal the
// committed file, and its mock column must agree with what a running server
// lists at /api.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Driver } from '../../src/core/driver.js';
import { CAPABILITIES_FILE, loadDefaultDrivers, renderCapabilities } from '../../scripts/docs/capabilities.js';
import { call } from '../helpers/api.js';
import { startServer, type TestServer } from '../helpers/server.js';

let drivers: Driver[];
let closeDrivers: () => Promise<void>;
let server: TestServer;

before(async () => {
  ({ drivers, close: closeDrivers } = await loadDefaultDrivers());
  server = await startServer();
});

after(async () => {
  await closeDrivers?.();
  await server?.stop();
});

test('docs/capabilities.md is current', () => {
  const committed = readFileSync(CAPABILITIES_FILE, 'utf8');
  assert.ok(committed === renderCapabilities(drivers), 'docs/capabilities.md is out of date: run npm run docs:capabilities (and commit it)');
});

/** The rows of the table under `## <section>` whose `column` cell is ✓, named by their first `keyCells` cells. */
function offeredIn(markdown: string, section: string, column: string, keyCells: number): string[] {
  const body = markdown.split(`\n## ${section}\n`)[1]!.split('\n## ')[0]!;
  const rows = body.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.slice(2, -2).split(' | '));
  const index = rows[0]!.findIndex((h) => h.startsWith(`\`${column}\``));
  assert.ok(index > 0, `column ${column} in ${section}`);
  return rows.slice(2).filter((r) => r[index] === '✓' || r[index]?.startsWith('✓ ')).map((r) => r.slice(0, keyCells).join(' ').replaceAll('`', ''));
}

test('the mock column lists what a running mock server offers at /api', async () => {
  const markdown = readFileSync(CAPABILITIES_FILE, 'utf8');
  const api = (await call(server, 'GET', '/api?format=json', { auth: false })).json().api as {
    links: Array<{ rel: string; features: Array<Array<{ name: string }>> }>;
  };
  assert.deepEqual(offeredIn(markdown, 'Collections', 'mock', 1).sort(), api.links.map((l) => l.rel).sort());
  const features = api.links.flatMap((l) => l.features.flat().map((f) => `${l.rel} ${f.name}`));
  assert.ok(features.length > 0);
  assert.deepEqual(offeredIn(markdown, 'Features', 'mock', 2).sort(), features.sort());
});

test('every operation the matrix marks as not offered by ec2 answers 412 naming its capability', async () => {
  const markdown = readFileSync(CAPABILITIES_FILE, 'utf8');
  const rows = markdown.split('\n## Operations\n')[1]!.split('\n## ')[0]!.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.slice(2, -2).split(' | '));
  const column = 2 + drivers.findIndex((d) => d.declaration.id === 'ec2');
  const missing = rows.filter((r) => r[column] === '·').map((r) => ({ op: r[0]!.replaceAll('`', ''), capability: r[1]!.replaceAll('`', '') }));
  assert.ok(missing.length > 0, 'ec2 lacks some operation (run_on_instance)');
  // The capability check comes before credentials and before any back-end call (spec §2).
  const ec2 = await startServer({ args: ['-i', 'ec2'] });
  try {
    for (const { op, capability } of missing) {
      const [method, path] = op.split(' ') as [string, string];
      const res = await call(ec2, method, path.replace(':id', 'x'), { accept: 'application/xml', auth: false });
      assert.equal(res.status, 412, op);
      assert.equal(res.headers.get('expect'), capability, `${op}: Expect`);
    }
  } finally {
    await ec2.stop();
  }
});
