// The linode driver against Linode's own OpenAPI document served by Prism
// (test/drivers/shared/prism.ts): every request the driver sends is validated
// against the document, answers are the document's examples. Prism's answers
// are static: what was created or destroyed is not seen afterwards and a
// Linode never leaves the state of its example. The behaviours that need a
// stateful back end are declared below with that reason;
// test/drivers/linode/contract.test.ts exercises those operations one by one.
import { join } from 'node:path';
import { ROOT } from '../../helpers/server.js';
import { prismConformanceTarget } from '../shared/prism.js';
import { describeConformance } from './conformance.js';

const STATIC = 'Prism answers from static examples: a created member is never listed or shown afterwards, and a destroyed one still shows (exercised in test/drivers/linode/contract.test.ts)';

describeConformance(prismConformanceTarget({
  driver: 'linode',
  provider: 'Linode',
  spec: join(ROOT, 'test', 'fixtures', 'linode', 'linode-openapi-v4.189.0.yaml'),
  token: 'linode-conformance-token',
  expect: {
    createNotExercised: {
      keys: STATIC, storage_volumes: STATIC,
      addresses: `Linode allocates an address only onto a Linode (instance_id); ${STATIC}`,
      firewalls: "Linode's v4.189.0 document refuses every firewall create body (its rules must hold the policies it also forbids; exercised in test/drivers/linode/contract.test.ts)",
    },
    lifecycleNotExercised: 'Prism answers every Linode with its example in state "running": it never becomes "offline" after shutdown (each action is exercised in test/drivers/linode/contract.test.ts)',
  },
}));
