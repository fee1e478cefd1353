// cloud-init NoCloud seeds: an ISO 9660 image labelled `cidata` holding
// `meta-data` (instance id, host name, SSH public keys) and `user-data` (the
// client's user_data, verbatim). Built locally with Debian's genisoimage (or
// xorriso/mkisofs), then uploaded into the pool with virsh, so remote hosts
// work the same.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from '../../core/errors.js';

interface IsoTool {
  binary: string;
  prefix: string[];
}

const CANDIDATES: IsoTool[] = [
  { binary: 'genisoimage', prefix: [] },
  { binary: 'mkisofs', prefix: [] },
  { binary: 'xorriso', prefix: ['-as', 'mkisofs'] },
];

let found: Promise<IsoTool | undefined> | undefined;

function runs(binary: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(binary, ['-version'], { timeout: 10_000 }, (error) => resolve(!error || error.code !== 'ENOENT'));
  });
}

/** The first ISO tool installed (looked up once). */
export function isoTool(): Promise<IsoTool | undefined> {
  found ??= (async () => {
    for (const c of CANDIDATES) if (await runs(c.binary)) return c;
    return undefined;
  })();
  return found;
}

export interface SeedContent {
  instanceId: string;
  hostname: string;
  publicKeys: string[];
  userData?: Buffer;
}

/** meta-data as JSON (a YAML subset cloud-init reads with yaml.safe_load): no quoting pitfalls. */
export function metaData(seed: SeedContent): string {
  const meta: Record<string, unknown> = { 'instance-id': seed.instanceId, 'local-hostname': seed.hostname };
  if (seed.publicKeys.length > 0) meta['public-keys'] = seed.publicKeys;
  return JSON.stringify(meta, null, 2) + '\n';
}

/** A host name from an instance name: lower-case letters, digits and dashes, at most 63. */
export function hostnameFrom(name: string, fallback: string): string {
  const h = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return h || fallback;
}

/** Builds the seed ISO in a private temporary directory; the caller uploads then calls `cleanup`. */
export async function buildSeedIso(seed: SeedContent, signal?: AbortSignal): Promise<{ path: string; size: number; cleanup: () => Promise<void> }> {
  const tool = await isoTool();
  if (!tool) throw new ProviderError('cannot build the cloud-init seed: genisoimage is not installed (apt-get install genisoimage)');
  const dir = await mkdtemp(join(tmpdir(), 'deltacloud-seed-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await writeFile(join(dir, 'meta-data'), metaData(seed), { mode: 0o600 });
    await writeFile(join(dir, 'user-data'), seed.userData ?? Buffer.from('#cloud-config\n{}\n'), { mode: 0o600 });
    const out = join(dir, 'seed.iso');
    await new Promise<void>((resolve, reject) => {
      execFile(
        tool.binary,
        [...tool.prefix, '-quiet', '-output', out, '-volid', 'cidata', '-joliet', '-rock', join(dir, 'user-data'), join(dir, 'meta-data')],
        { timeout: 30_000, signal },
        (error, _stdout, stderr) => (error ? reject(new ProviderError(`${tool.binary} failed: ${String(stderr).trim() || error.message}`)) : resolve()),
      );
    });
    return { path: out, size: (await stat(out)).size, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
