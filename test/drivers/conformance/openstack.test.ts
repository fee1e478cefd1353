// The openstack driver against live Keystone v3 and the Swift behind it
// (scripts/openstack/setup.sh). The provider advertises only what the
// service catalogue has (here: object storage), so most collections must
// answer 412/501.
import { startDriverServer } from '../../helpers/server.js';
import { describeConformance } from './conformance.js';

const KEYSTONE = (process.env.OS_TEST_AUTH_URL ?? 'http://127.0.0.1:5001/v3').replace(/\/+$/, '');

describeConformance({
  name: 'openstack (Keystone + Swift)',
  async unavailable() {
    try {
      const root = await fetch(KEYSTONE, { signal: AbortSignal.timeout(5_000) });
      return root.ok ? undefined : `Keystone at ${KEYSTONE} answered ${root.status} (scripts/openstack/setup.sh)`;
    } catch {
      return `Keystone at ${KEYSTONE} is unreachable (scripts/openstack/setup.sh)`;
    }
  },
  start: () => startDriverServer('openstack', { providers: { live: { authUrl: KEYSTONE, region: 'RegionOne' } }, defaultProvider: 'live' }, { args: ['-P', 'live'] }),
  user: 'demo@demo',
  password: 'demopass',
  driver: 'openstack',
  provider: 'live',
  // No compute service in this catalogue: instance_states is neither listed nor served (501), like instances.
});
