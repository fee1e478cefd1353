// The digitalocean driver against DigitalOcean's own OpenAPI document served by
// Prism (test/drivers/shared/prism.ts): every request the driver sends is
// validated against the document, answers are the document's examples.
// Prism's answers are static: what was created or destroyed is not seen
// afterwards and a droplet never leaves the state of its example. The
// behaviours that need a stateful back end are declared below with that
// reason; test/drivers/digitalocean/contract.test.ts exercises those operations
// one by one instead.
import { after } from 'node:test';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ROOT, startDriverServer } from '../../helpers/server.js';
import { prismUnavailable, startPrism, type PrismStub } from '../shared/prism.js';
import { describeConformance } from './conformance.js';

const SPEC = join(ROOT, 'test', 'fixtures', 'digitalocean', 'DigitalOcean-public.v2.bundled.yaml');
const TOKEN = 'dop_v1_conformance-token';
const STATIC = 'Prism answers from static examples: a created member is never listed or shown afterwards, and a destroyed one still shows (exercised in test/drivers/digitalocean/contract.test.ts)';
let stub: PrismStub | undefined;

after(() => {
  // Every request the driver sent during the suite passed the provider's own validation.
  const wrong = stub?.take().filter((r) => r.violations !== undefined) ?? [];
  assert.deepEqual(wrong, [], 'requests DigitalOcean would reject');
});

describeConformance({
  name: 'digitalocean (Prism on DigitalOcean\'s OpenAPI document)',
  unavailable: async () => prismUnavailable(),
  async start() {
    stub = await startPrism(SPEC, TOKEN);
    return startDriverServer('digitalocean', { endpoints: { prism: stub.origin }, defaultProvider: 'prism' }, { args: ['-P', 'prism'] });
  },
  stop: async () => stub?.stop(),
  user: 'conformance-team',
  password: TOKEN,
  driver: 'digitalocean',
  provider: 'prism',
  expect: {
    createNotExercised: { keys: STATIC, storage_volumes: STATIC, addresses: STATIC },
    lifecycleNotExercised: 'Prism answers every droplet with its example in state "active": it never becomes "off" after power_off (each action is exercised in test/drivers/digitalocean/contract.test.ts)',
  },
});
