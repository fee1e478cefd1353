// What the libvirt targets share: the operator's credentials (which enable
// the driver) and whether virsh can reach a URI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDriverServer, type TestServer } from '../../helpers/server.js';

export const LIBVIRT_OPERATOR = { user: 'operator', password: 'conformance-operator-secret' };

/** Why virsh cannot be used on `uri`, or undefined. */
export function virshUnavailable(uri: string): string | undefined {
  try {
    execFileSync('virsh', ['-q', '-c', uri, 'version'], { stdio: 'ignore', timeout: 30_000 });
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'virsh is not installed (scripts/libvirt/setup.sh)' : `libvirt does not answer on ${uri}`;
  }
}

/** `-i libvirt -P <uri>`, only that URI allowed, the operator's credentials, a private data directory. */
export async function startLibvirtServer(uri: string, options: Record<string, unknown> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'deltacloud-conformance-libvirt-'));
  const server = await startDriverServer('libvirt', { allowedUris: [uri], ...LIBVIRT_OPERATOR, ...options }, {
    args: ['-P', uri, '-t', '150'], env: { DELTACLOUD_DATA_DIR: dataDir },
  });
  return { ...server, stop: async (o) => server.stop(o).finally(() => rmSync(dataDir, { recursive: true, force: true })) };
}

/** virsh on `uri`: `run` answers its output (throws on failure), `ok` whether the command succeeded. */
export function virshOn(uri: string): { run: (...args: string[]) => string; ok: (...args: string[]) => boolean } {
  const run = (...args: string[]) => execFileSync('virsh', ['-q', '-c', uri, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  return {
    run,
    ok: (...args) => {
      try {
        run(...args);
        return true;
      } catch {
        return false;
      }
    },
  };
}
