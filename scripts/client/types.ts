// Generates packages/client/src/schemas.ts, the client's resource types, from
// the JSON Schemas of the OpenAPI document (the mock offers every collection).
// test/client/types.test.ts fails when the file is not what this prints.
//
//   node --import tsx scripts/client/types.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mockDriverFactory } from '../../src/drivers/mock/index.js';
import { openApiDocument } from '../../src/frontends/deltacloud/openapi/document.js';
import type { Operation } from '../../src/frontends/deltacloud/operation.js';
import { computeOperations } from '../../src/frontends/deltacloud/operations/compute.js';
import { entryOperations, makeDriverOperations } from '../../src/frontends/deltacloud/operations/entry.js';
import { networkOperations } from '../../src/frontends/deltacloud/operations/network.js';
import { storageOperations } from '../../src/frontends/deltacloud/operations/storage.js';

export const TYPES_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'client', 'src', 'schemas.ts');

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Names that would hide a global of the platform (Error, Blob) or say too little (api). */
const RENAMED: Record<string, string> = { error: 'ErrorDocument', blob: 'BlobInfo', api: 'EntryPoint' };
export const typeName = (name: string) => RENAMED[name] ?? name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
const PRIMITIVES: Record<string, string> = { string: 'string', number: 'number', integer: 'number', boolean: 'boolean', null: 'null' };
const SAFE_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function union(types: string[]): string {
  const unique = [...new Set(types)];
  return unique.length === 1 ? unique[0]! : unique.map((t) => (t.includes(' ') && !t.startsWith('{') ? `(${t})` : t)).join(' | ');
}

function tsType(schema: unknown, indent: string): string {
  if (!isObject(schema)) return 'unknown';
  if (typeof schema.$ref === 'string') return typeName(schema.$ref.split('/').pop()!);
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) return union(options.map((o) => tsType(o, indent)));
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return union(types.map((type) => {
    if (typeof type === 'string' && PRIMITIVES[type]) return PRIMITIVES[type]!;
    if (type === 'array') {
      const item = tsType(schema.items, indent);
      return item.includes('|') ? `Array<${item}>` : `${item}[]`;
    }
    if (type === 'object') return objectType(schema, indent);
    return 'unknown';
  }));
}

function objectType(schema: Json, indent: string): string {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  const names = Object.keys(properties);
  if (names.length === 0) {
    if (isObject(schema.additionalProperties)) return `Record<string, ${tsType(schema.additionalProperties, indent)}>`;
    return schema.additionalProperties === false ? 'Record<string, never>' : 'Record<string, unknown>';
  }
  const inner = indent + '  ';
  const lines = names.map((name) => {
    const key = SAFE_KEY.test(name) ? name : JSON.stringify(name);
    return `${inner}${key}${required.includes(name) ? '' : '?'}: ${tsType(properties[name], inner)};`;
  });
  return `{\n${lines.join('\n')}\n${indent}}`;
}

export async function generateTypes(): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'deltacloud-client-types-'));
  const driver = await mockDriverFactory.load({ options: {}, dataDir: scratch });
  try {
    const operations: Operation[] = [...entryOperations, ...makeDriverOperations(() => []), ...computeOperations, ...storageOperations, ...networkOperations];
    const document = openApiDocument({ operations, driver, driverId: 'mock', provider: undefined, serverUrl: 'http://localhost/api', apiVersion: '1.1.3' });
    const components = isObject(document.components) ? document.components : {};
    const schemas = isObject(components.schemas) ? components.schemas : {};
    const blocks = Object.entries(schemas).map(([name, schema]) => {
      const type = tsType(schema, '');
      return type.startsWith('{') && type.endsWith('}') ? `export interface ${typeName(name)} ${type}` : `export type ${typeName(name)} = ${type};`;
    });
    return `// Generated from the JSON Schemas of the server's OpenAPI document by scripts/client/types.ts: do not edit.\n// test/client/types.test.ts fails when this file and the document disagree.\n\n${blocks.join('\n\n')}\n`;
  } finally {
    await driver.close?.();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(TYPES_FILE, await generateTypes());
  console.log(`wrote ${TYPES_FILE}`);
}
