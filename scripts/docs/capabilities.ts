// Generates docs/capabilities.md: what each driver offers through /api, from
// the drivers themselves (their declarations and methods), the feature
// catalogue and the Deltacloud operation declarations, the same inputs /api
// derives its entry point and its 412 answers from. Drivers are loaded with the
// default configuration (no options).
//
//   npm run docs:capabilities        (test/docs/capabilities.test.ts keeps it current)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectionsOf, COLLECTIONS, hasCapability, type Driver } from '../../src/core/driver.js';
import { advertisedFeatures, FEATURE_CATALOGUE } from '../../src/core/features.js';
import { DRIVER_FACTORIES } from '../../src/drivers/index.js';
import type { Operation } from '../../src/frontends/deltacloud/operation.js';
import { computeOperations } from '../../src/frontends/deltacloud/operations/compute.js';
import { networkOperations } from '../../src/frontends/deltacloud/operations/network.js';
import { storageOperations } from '../../src/frontends/deltacloud/operations/storage.js';

export const CAPABILITIES_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'capabilities.md');

/** The API operations that call a driver (the entry point and HTML forms call none of their own). */
export const API_OPERATIONS: readonly Operation[] = [...computeOperations, ...storageOperations, ...networkOperations];

/** Members of the Driver contract that are not capabilities. */
const NOT_CAPABILITIES = new Set(['declaration', 'close', 'revision', 'syncRevision', 'verify_credentials', 'supported_collections']);

const YES = '✓';
const NO = '·';

/** Every driver of the server, loaded with no options; `close` releases them and their scratch directory. */
export async function loadDefaultDrivers(): Promise<{ drivers: Driver[]; close(): Promise<void> }> {
  const scratch = mkdtempSync(join(tmpdir(), 'deltacloud-capabilities-'));
  const drivers: Driver[] = [];
  const close = async () => {
    for (const driver of drivers) await driver.close?.();
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    for (const factory of DRIVER_FACTORIES) drivers.push(await factory.load({ options: {}, dataDir: join(scratch, factory.declaration.id) }));
  } catch (error) {
    await close();
    throw error;
  }
  return { drivers, close };
}

/** Method names a driver object has, own or inherited, that are capabilities. */
function capabilitiesOf(driver: Driver): string[] {
  const names = new Set<string>();
  for (let o: object | null = driver; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (!NOT_CAPABILITIES.has(name) && hasCapability(driver, name)) names.add(name);
  }
  return [...names];
}

/** As the front end decides: a collection's own capability by the entry point's rule, any other by the method. */
function offers(driver: Driver, capability: string): boolean {
  return (COLLECTIONS as readonly string[]).includes(capability) ? (collectionsOf(driver) as string[]).includes(capability) : hasCapability(driver, capability);
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The Markdown of docs/capabilities.md for these drivers (pure: same drivers, same text). */
export function renderCapabilities(drivers: readonly Driver[]): string {
  const ids = drivers.map((d) => d.declaration.id);
  const catalogueNotes = drivers.filter((d) => d.supported_collections).map((d) => d.declaration.id);
  const head = (first: string[]) => [...first, ...ids.map((id) => `\`${id}\`${catalogueNotes.includes(id) ? ' ¹' : ''}`)];
  const mark = (ok: (d: Driver) => boolean) => drivers.map((d) => (ok(d) ? YES : NO));

  const collections = COLLECTIONS.map((c) => [`\`${c}\``, ...mark((d) => collectionsOf(d).includes(c))]);

  const features = FEATURE_CATALOGUE.filter((f) => f.operation !== undefined).map((f) => [
    `\`${f.collection}\``,
    `\`${f.name}\``,
    `${f.operation} (${f.params.map((p) => `\`${p.name}\``).join(', ')})`,
    ...drivers.map((d) => {
      if (!advertisedFeatures(d.declaration.features[f.collection as keyof typeof d.declaration.features], f.collection).includes(f)) return NO;
      const constraints = Object.entries(d.declaration.constraints?.[f.name] ?? {}).map(([k, v]) => `${k} ${v}`);
      return constraints.length > 0 ? `${YES} (${constraints.join(', ')})` : YES;
    }),
  ]);
  const advertised = new Set(FEATURE_CATALOGUE.filter((f) => f.operation !== undefined).map((f) => `${f.collection}/${f.name}`));
  const unadvertised = [...new Set(drivers.flatMap((d) => Object.entries(d.declaration.features).flatMap(([c, names]) => (names ?? []).map((n) => `${c}/${n}`))))]
    .filter((key) => !advertised.has(key))
    .sort()
    .map((key) => {
      const [collection, name] = key.split('/') as [string, string];
      return [`\`${collection}\``, `\`${name}\``, ...mark((d) => (d.declaration.features[collection as keyof typeof d.declaration.features] ?? []).includes(name))];
    });

  const fixed = API_OPERATIONS.filter((op): op is Operation & { capability: string } => typeof op.capability === 'string');
  const operations = fixed.map((op) => [`\`${op.method} /api${op.path}\``, `\`${op.capability}\``, ...mark((d) => offers(d, op.capability))]);
  const perRequest = API_OPERATIONS.filter((op) => typeof op.capability === 'function').map((op) => `\`${op.method} /api${op.path}\``);
  const named = new Set(fixed.map((op) => op.capability));
  const others = [...new Set(drivers.flatMap(capabilitiesOf))].filter((c) => !named.has(c)).sort().map((c) => [`\`${c}\``, ...mark((d) => hasCapability(d, c))]);

  const withStates = drivers.filter((d) => d.declaration.stateMachine);
  return [
    '# Capability matrix',
    '',
    '<!-- Generated by scripts/docs/capabilities.ts from the drivers; do not edit. Run: npm run docs:capabilities -->',
    '',
    `What each driver offers through \`/api\`, with the default configuration. ${YES} = offered, ${NO} = not offered`,
    '(an operation a driver does not offer answers `412` with `Expect: <capability>`, spec §8.4). Generated from',
    'the drivers\' declarations and methods (`src/drivers/*/`), the feature catalogue (`src/core/features.ts`)',
    'and the operation declarations of the Deltacloud front end, as `/api` derives its entry point.',
    ...(catalogueNotes.length > 0
      ? ['', `¹ What the driver implements. For ${catalogueNotes.map((id) => `\`${id}\``).join(' and ')}, \`GET /api\` lists only the collections`,
        'the back end offers for the request\'s credentials and provider (e.g. the services in an OpenStack catalogue,',
        'the services an endpoint set names).']
      : []),
    '',
    '## Collections',
    '',
    'Listed in the entry point (`GET /api`): `drivers` always, `instance_states` when the driver has an instance',
    'state machine, any other collection when the driver can list it.',
    '',
    table(head(['Collection']), collections),
    '',
    '## Features',
    '',
    'Optional parameters a driver advertises in the entry point, per collection (spec §12).',
    '',
    table(head(['Collection', 'Feature', 'Operation (parameters)']), features),
    '',
    ...(unadvertised.length > 0
      ? ['Declared but never advertised (not in the catalogue, or extending no operation):', '', table(head(['Collection', 'Feature']), unadvertised), '']
      : []),
    '## Operations',
    '',
    'Each operation of the API and the driver capability it needs. Reads of one member (`GET …/:id`) need the',
    'collection\'s listing; a driver\'s own show method is optional.',
    '',
    table(head(['Operation', 'Capability']), operations),
    '',
    '## Other capabilities',
    '',
    'Driver methods no fixed operation names: show methods (used instead of filtering the listing when',
    'present) and capabilities chosen per request (plain or segmented blob upload) by these operations:',
    `${perRequest.join(', ')}.`,
    '',
    table(head(['Capability']), others),
    '',
    '## Instance states',
    '',
    ...withStates.flatMap((d) => [
      `* \`${d.declaration.id}\`: ${d.declaration.stateMachine!.transitions.map((t) => `${t.from} ${'auto' in t ? '⇒' : `—${t.action}→`} ${t.to}`).join('; ')}`,
    ]),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { drivers, close } = await loadDefaultDrivers();
  try {
    writeFileSync(CAPABILITIES_FILE, renderCapabilities(drivers));
    console.log(`wrote ${CAPABILITIES_FILE}`);
  } finally {
    await close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`docs:capabilities: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
