// The client's resource types are generated from the OpenAPI document's JSON
// Schemas; this fails when packages/client/src/schemas.ts is out of date
// (regenerate with `node --import tsx scripts/client/types.ts`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { generateTypes, TYPES_FILE } from '../../scripts/client/types.js';

it('packages/client/src/schemas.ts is what the OpenAPI document generates', async () => {
  const generated = await generateTypes();
  assert.match(generated, /export interface Instance \{/);
  assert.equal(readFileSync(TYPES_FILE, 'utf8'), generated, 'regenerate: node --import tsx scripts/client/types.ts');
});
