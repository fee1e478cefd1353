// How the libvirt targets start a server: `-i libvirt -P <uri>` with the
// operator's configuration (allowed URIs and the operator credentials that
// enable the driver) in a 0600 file, and a private data directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../../helpers/server.js';

export const LIBVIRT_OPERATOR = { user: 'operator', password: 'conformance-operator-secret' };

/** Why virsh cannot be used, or undefined. */
export function virshUnavailable(uri: string): string | undefined {
  try {
    execFileSync('virsh', ['-q', '-c', uri, 'version'], { stdio: 'ignore', timeout: 30_000 });
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'virsh is not installed (scripts/libvirt/setup.sh)' : `libvirt does not answer on ${uri}`;
  }
}

export function libvirtServer(uri: string, options: Record<string, unknown> = {}): { start(): Promise<TestServer>; stop(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'deltacloud-conformance-libvirt-'));
  return {
    async start() {
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ drivers: { libvirt: { allowedUris: [uri], ...LIBVIRT_OPERATOR, ...options } } }), { mode: 0o600 });
      return startServer({ args: ['-i', 'libvirt', '-P', uri, '-c', config, '-t', '150'], env: { DELTACLOUD_DATA_DIR: join(dir, 'data') } });
    },
    async stop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
