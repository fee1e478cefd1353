// The libvirt driver on libvirt's built-in test driver (`test:///default`:
// virsh alone, no daemon, a fresh fake host per connection).
import { describeConformance } from './conformance.js';
import { LIBVIRT_OPERATOR, startLibvirtServer, virshUnavailable } from './libvirt-target.js';

const URI = 'test:///default';

describeConformance({
  name: `libvirt ${URI}`,
  unavailable: async () => virshUnavailable(URI),
  start: () => startLibvirtServer(URI, { listAllDomains: true }),
  ...LIBVIRT_OPERATOR,
  driver: 'libvirt',
  provider: URI,
  expect: {
    // Every virsh call opens a new test:///default host, so a state change never outlives its call;
    // the live target (libvirt-live.test.ts) drives the life cycle on a real host.
    lifecycleNotExercised: 'test:///default forgets every change between connections',
    // Its only pool is `default-pool`, and a volume made in it would be gone at the next call.
    createNotExercised: { storage_volumes: 'test:///default has no `deltacloud` pool and keeps no volume between connections' },
  },
});
