// The rackspace driver: Identity v2.0 replayed from Rackspace's documented
// examples (test/drivers/rackspace/rackspace-stub.ts), buckets and blobs live
// against the Swift of this machine (scripts/swift-s3/setup.sh) through the
// catalogue's DFW cloudFiles URL, Cloud Servers and Cloud Images through the
// openstack driver's replay of recorded Nova and Glance answers.
import { startDriverServer } from '../../helpers/server.js';
import { PROJECT, ReplayStub } from '../openstack/replay-stub.js';
import { API_KEY, RackspaceStub, swiftUnavailable, USER } from '../rackspace/rackspace-stub.js';
import { describeConformance } from './conformance.js';

let nova: ReplayStub | undefined;
let rackspace: RackspaceStub | undefined;

/** Recorded answers do not change with what is sent: members created through them never appear. */
const REPLAYED = 'Nova and Glance are replayed from recorded answers, which cannot show what a create made';

describeConformance({
  name: 'rackspace (Identity v2.0 replay + live Swift + Nova replay)',
  unavailable: swiftUnavailable,
  async start() {
    nova = new ReplayStub();
    await nova.start();
    const novaStub = nova;
    rackspace = new RackspaceStub({
      compute: `http://127.0.0.1:${nova.ports.compute}/v2/${PROJECT}`,
      image: `http://127.0.0.1:${nova.ports.image}/v2`,
      onToken: (token) => novaStub.validTokens.add(token),
    });
    await rackspace.start();
    return startDriverServer('rackspace', { identityUrl: rackspace.identityUrl(), defaultRegion: 'DFW' }, { args: ['-P', 'DFW'] });
  },
  async stop() {
    await rackspace?.stop();
    await nova?.stop();
  },
  user: USER,
  password: API_KEY,
  driver: 'rackspace',
  provider: 'DFW',
  expect: {
    createNotExercised: { keys: REPLAYED, instances: REPLAYED, images: REPLAYED },
    lifecycleNotExercised: REPLAYED,
  },
});
