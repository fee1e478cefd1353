// What every operation of the libvirt driver works with: the operator's
// options, the key/metadata store, and per request the libvirt connection the
// client's provider selects (from the operator's allow-list only).
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../../core/driver.js';
import { ValidationFailure } from '../../core/errors.js';
import { allowProvider } from '../../core/kit/providers.js';
import { pause } from '../../core/kit/time.js';
import type { HardwareProfile } from '../../core/model.js';
import { Libvirt, UriState } from './libvirt.js';
import type { LibvirtOptions } from './options.js';
import { hardwareProfiles, MAX_STORAGE_GB } from './profiles.js';
import { sqliteKeys, type KeyStore, type LibvirtStore } from './store.js';
import { isKind, Virsh } from './virsh.js';

/** Owner of instances when neither the operator nor the request names one. */
export const DEFAULT_OWNER = 'libvirt';

export class LibvirtBackend {
  private readonly states = new Map<string, UriState>();

  constructor(readonly opts: LibvirtOptions, readonly store: LibvirtStore, readonly keys: KeyStore = sqliteKeys(store)) {}

  /** The connection URI a request selects: its provider, which must be on the allow-list, else the default. */
  uriOf(ctx: RequestContext): string {
    const provider = ctx.provider?.trim();
    if (!provider || provider === 'default') return this.opts.defaultUri;
    return allowProvider(provider, this.opts.allowedUris, `it offers: ${this.opts.allowedUris.join(', ')}`);
  }

  /**
   * Opens (lazily: virsh runs per call) the connection the request selects.
   * Who may ask was settled by the server (operator credentials) before.
   */
  connect(ctx: RequestContext): Libvirt {
    const uri = this.uriOf(ctx);
    let state = this.states.get(uri);
    if (!state) {
      state = new UriState();
      this.states.set(uri, state);
    }
    return new Libvirt(new Virsh(uri, this.opts.virsh, this.opts.commandTimeoutMs), state, this.opts, ctx.signal);
  }

  /** Who owns the instances a request sees: the operator's `owner`, else the Basic user. */
  ownerOf(ctx: RequestContext): string {
    return this.opts.owner ?? (ctx.credentials?.user || DEFAULT_OWNER);
  }

  /** The host's profiles: sizes from its CPUs and memory, storage from the instance pool's size. */
  async profiles(lv: Libvirt): Promise<HardwareProfile[]> {
    const node = await lv.nodeInfo();
    let storageGB = 1024;
    try {
      const { capacity } = await lv.poolInfo(this.opts.pool);
      if (capacity > 0) storageGB = Math.floor(capacity / 1024 ** 3);
    } catch (e) {
      if (!isKind(e, 'no-pool')) throw e;
    }
    return hardwareProfiles({ cpus: node.cpus, memoryMiB: node.memoryMiB, arch: node.arch, storageGB: Math.min(MAX_STORAGE_GB, Math.max(1, storageGB)) });
  }

  /** The one realm of a connection: its host. */
  async realmId(lv: Libvirt): Promise<string> {
    return (await lv.nodeInfo()).hostname;
  }

  async checkRealm(lv: Libvirt, realmId: string | undefined): Promise<string> {
    const id = await this.realmId(lv);
    if (realmId !== undefined && realmId !== id) throw new ValidationFailure(`Realm '${realmId}' does not exist`);
    return id;
  }
}

/** `<prefix>-<8 hex>`: ids of instances, volumes, snapshots and unnamed images. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Maps with at most `limit` calls in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Runs `work` in the background under `key` (one at a time per key) and waits
 * for it at most `waitMs` (or until the request aborts). Resolves true when it
 * finished in time; a failure within the wait is thrown to the caller.
 */
export async function runJob(state: UriState, key: string, work: () => Promise<void>, waitMs: number, signal?: AbortSignal): Promise<boolean> {
  const job = work().finally(() => {
    if (state.jobs.get(key) === job) state.jobs.delete(key);
  });
  state.jobs.set(key, job);
  job.catch(() => undefined); // failures after the wait are cleaned up by `work` itself
  let finished = false;
  await Promise.race([job.then(() => (finished = true)), pause(waitMs, signal)]);
  return finished;
}

export function isoTime(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
}

export function gigabytes(bytes: number): number {
  return Math.round((bytes / 1024 ** 3) * 100) / 100;
}
