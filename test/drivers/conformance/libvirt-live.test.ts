// The libvirt driver on the live host (qemu:///system with the driver's
// pools, scripts/libvirt/setup.sh), booting the tiny guest that
// test/drivers/libvirt/live.test.ts uses (built by
// scripts/libvirt/make-tiny-guest.sh when missing). LIBVIRT_LIVE=0 skips it
// outside CI, as it does the live suite.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../helpers/server.js';
import { describeConformance } from './conformance.js';
import { LIBVIRT_OPERATOR, startLibvirtServer, virshUnavailable } from './libvirt-target.js';

const URI = 'qemu:///system';
const IMAGE_POOL = 'deltacloud-images';
const GUEST_DIR = process.env.LIBVIRT_TINY_GUEST_DIR || '/var/tmp/deltacloud-tiny-guest';
const IMAGE_ID = `conf-${process.pid}-${Date.now().toString(36)}`;
let imageFile: string | undefined;

const virsh = (...args: string[]) => execFileSync('virsh', ['-q', '-c', URI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });

describeConformance({
  name: `libvirt ${URI} (live)`,
  async unavailable() {
    if (!process.env.CI && process.env.LIBVIRT_LIVE === '0') return 'LIBVIRT_LIVE=0';
    const missing = virshUnavailable(URI);
    if (missing) return missing;
    try {
      virsh('pool-info', IMAGE_POOL);
      virsh('pool-info', 'deltacloud');
    } catch {
      return `the driver's storage pools are missing on ${URI} (scripts/libvirt/setup.sh)`;
    }
    return undefined;
  },
  async start() {
    const guest = join(GUEST_DIR, 'tiny.qcow2');
    if (!existsSync(guest)) await promisify(execFile)('bash', [join(ROOT, 'scripts', 'libvirt', 'make-tiny-guest.sh'), GUEST_DIR], { timeout: 600_000 });
    // The image: the tiny guest's disk dropped into the image pool, as an operator would.
    imageFile = join(/<path>([^<]+)<\/path>/.exec(virsh('pool-dumpxml', IMAGE_POOL))![1]!, `${IMAGE_ID}.qcow2`);
    copyFileSync(guest, imageFile);
    virsh('pool-refresh', IMAGE_POOL);
    return startLibvirtServer(URI, { network: 'user', waitMs: 90_000, shutdownTimeoutMs: 90_000 });
  },
  async stop() {
    if (!imageFile) return;
    try {
      virsh('vol-delete', '--pool', IMAGE_POOL, `${IMAGE_ID}.qcow2`);
    } catch {
      rmSync(imageFile, { force: true });
    }
  },
  ...LIBVIRT_OPERATOR,
  driver: 'libvirt',
  provider: URI,
  fixtures: { imageId: IMAGE_ID, profileId: 'custom', instanceParams: { hwp_cpu: '1', hwp_memory: '128', hwp_storage: '1' } },
  // A graceful stop waits for the guest to have booted and to power itself off.
  expect: { transitionTimeoutMs: 120_000 },
});
