// The podman driver on a Podman service of its own (scripts/podman/setup.sh,
// started by the suite when it is not running), with the test image built
// by that script.
import { describeConformance } from './conformance.js';
import { PODMAN_OPERATOR, podmanUnavailable, startPodmanServer, testImageId } from '../podman/target.js';

let imageId = '';

describeConformance({
  name: 'podman (live)',
  async unavailable() {
    const reason = await podmanUnavailable();
    if (!reason) imageId = await testImageId();
    return reason;
  },
  start: () => startPodmanServer(),
  ...PODMAN_OPERATOR,
  driver: 'podman',
  provider: 'local',
  get fixtures() {
    return { imageId, profileId: 'custom', instanceParams: { hwp_memory: '32' } };
  },
});
