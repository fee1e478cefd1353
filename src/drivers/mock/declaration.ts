// What the mock declares about itself (mock-driver.md §1). Firewalls and
// load balancers are offered as methods but are not features.
import type { DriverDeclaration } from '../../core/driver.js';
import { deepFreeze } from '../../core/freeze.js';
import { STANDARD_STATE_MACHINE } from '../../core/state-machine.js';

export const MOCK_DECLARATION: DriverDeclaration = deepFreeze({
  id: 'mock',
  name: 'Mock',
  // Its store lives on this host; its credentials are public (a demo).
  reach: 'host',
  demo: true,
  features: { instances: ['metrics', 'realm_filter', 'user_name', 'authentication_key'] },
  stateMachine: STANDARD_STATE_MACHINE,
});
