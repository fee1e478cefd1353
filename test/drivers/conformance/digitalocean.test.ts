// The digitalocean driver against DigitalOcean's own OpenAPI document served by Prism
// (test/drivers/shared/prism.ts): every request the driver sends is validated
// against the document, answers are the document's examples. Prism's answers
// are static: what was created or destroyed is not seen afterwards and a
// droplet never leaves the state of its example. The behaviours that need a
// stateful back end are declared below with that reason;
// test/drivers/digitalocean/contract.test.ts exercises those operations one by one.
import { join } from 'node:path';
import { ROOT } from '../../helpers/server.js';
import { prismConformanceTarget } from '../shared/prism.js';
import { describeConformance } from './conformance.js';

const STATIC = 'Prism answers from static examples: a created member is never listed or shown afterwards, and a destroyed one still shows (exercised in test/drivers/digitalocean/contract.test.ts)';

describeConformance(prismConformanceTarget({
  driver: 'digitalocean',
  provider: 'DigitalOcean',
  spec: join(ROOT, 'test', 'fixtures', 'digitalocean', 'DigitalOcean-public.v2.bundled.yaml'),
  token: 'dop_v1_conformance-token',
  expect: {
    createNotExercised: { keys: STATIC, storage_volumes: STATIC, addresses: STATIC, firewalls: STATIC },
    lifecycleNotExercised: 'Prism answers every droplet with its example in state "active": it never becomes "off" after power_off (each action is exercised in test/drivers/digitalocean/contract.test.ts)',
  },
}));
