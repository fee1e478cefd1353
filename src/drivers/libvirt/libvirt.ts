// One libvirt connection (URI) as the operations see it: typed wrappers of the
// virsh commands the driver uses, with per-URI caches of what rarely changes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError, ProviderTimeout } from '../../core/errors.js';
import { domainStateFromNumber, domainStateFromWords, parseDomainXml, type DomainInfo, type DomainState } from './domain.js';
import type { LibvirtOptions } from './options.js';
import { isKind, Virsh, type RunOptions } from './virsh.js';
import { attr, child, esc, parseXml, text, toBytes } from './xml.js';
import { sleep } from '../../core/kit/time.js';

export interface VolumeInfo {
  name: string;
  path: string;
  capacity: number;
  allocation: number;
  format?: string;
  backingPath?: string;
  /** Seconds since the epoch. */
  mtime?: number;
  ctime?: number;
}

export interface NodeInfo {
  cpus: number;
  memoryMiB: number;
  arch: string;
  hostname: string;
}

/** What the driver remembers per URI between requests. */
export class UriState {
  readonly cache = new Map<string, { value: unknown; until: number }>();
  /** Domains whose graceful stop is under way → the time it will be forced. */
  readonly stopping = new Map<string, number>();
  /** Background copies (images, snapshots, volumes) in progress, by `<kind>:<id>`. */
  readonly jobs = new Map<string, Promise<void>>();
  /** Last CPU-time reading per domain, for utilisation. */
  readonly cpuSamples = new Map<string, { at: number; cpuNs: number; vcpus: number }>();
}


export class Libvirt {
  readonly uri: string;

  constructor(
    readonly virsh: Virsh,
    readonly state: UriState,
    readonly opts: LibvirtOptions,
    /** The request's signal; undefined for background work. */
    readonly signal?: AbortSignal,
  ) {
    this.uri = virsh.uri;
  }

  /** The same connection for work that must outlive the request. */
  detached(): Libvirt {
    return new Libvirt(this.virsh, this.state, this.opts, undefined);
  }

  run(args: string[], opts: RunOptions = {}): Promise<string> {
    return this.virsh.run(args, { signal: this.signal, ...opts });
  }

  private async cached<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const hit = this.state.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value as T;
    const value = await load();
    this.state.cache.set(key, { value, until: Date.now() + ttlMs });
    return value;
  }

  forget(key: string): void {
    this.state.cache.delete(key);
  }

  /** Runs `fn` with `xml` in a private temporary file (virsh reads documents from files). */
  async withXmlFile<T>(xml: string, fn: (path: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'deltacloud-libvirt-'));
    try {
      const path = join(dir, 'doc.xml');
      await writeFile(path, xml, { mode: 0o600 });
      return await fn(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  // ---- the host ----

  nodeInfo(): Promise<NodeInfo> {
    return this.cached('node', 60_000, async () => {
      const [info, caps, hostname] = await Promise.all([
        this.run(['nodeinfo']),
        this.run(['capabilities']),
        this.run(['hostname']).catch(() => 'localhost'),
      ]);
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim();
      const cpus = Number(field('CPU\\(s\\)')) || 1;
      const memKiB = Number(/^(\d+)/.exec(field('Memory size') ?? '')?.[1] ?? 0);
      const host = child(child(parseXml(caps), 'capabilities'), 'host');
      const arch = text(child(host, 'cpu'), 'arch') || 'x86_64';
      return { cpus, memoryMiB: Math.floor(memKiB / 1024), arch, hostname: hostname.trim() || 'localhost' };
    });
  }

  // ---- domains ----

  /** Every domain of the host with its state (one call). */
  async domainStates(): Promise<Map<string, DomainState>> {
    const out = await this.run(['domstats', '--state', '--raw']);
    const states = new Map<string, DomainState>();
    let current: string | undefined;
    for (const line of out.split('\n')) {
      const m = /^Domain: '(.*)'\s*$/.exec(line);
      if (m) {
        current = m[1]!;
        states.set(current, 'nostate');
        continue;
      }
      const s = /^\s+state\.state=(\d+)/.exec(line);
      if (s && current !== undefined) states.set(current, domainStateFromNumber(Number(s[1])));
    }
    return states;
  }

  async domainState(name: string): Promise<DomainState> {
    return domainStateFromWords(await this.run(['domstate', '--domain', name]));
  }

  /** The domain's XML (live when running), or undefined when there is no such domain. */
  async domain(name: string, inactive = false): Promise<DomainInfo | undefined> {
    try {
      const xml = await this.run(['dumpxml', '--domain', name, ...(inactive ? ['--inactive'] : [])]);
      return parseDomainXml(xml);
    } catch (e) {
      if (isKind(e, 'no-domain')) return undefined;
      throw e;
    }
  }

  async define(xml: string): Promise<void> {
    await this.withXmlFile(xml, (file) => this.run(['define', '--file', file]));
  }

  start(name: string) { return this.run(['start', '--domain', name]); }
  resume(name: string) { return this.run(['resume', '--domain', name]); }
  wakeup(name: string) { return this.run(['dompmwakeup', '--domain', name]); }
  shutdown(name: string) { return this.run(['shutdown', '--domain', name, '--mode', 'acpi']); }
  reboot(name: string) { return this.run(['reboot', '--domain', name, '--mode', 'acpi']); }
  reset(name: string) { return this.run(['reset', '--domain', name]); }

  /** Resolves true when the domain resets (reboots) within `timeoutMs`, false otherwise. */
  async waitForReboot(name: string, timeoutMs: number): Promise<boolean> {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const out = await this.run(['event', '--domain', name, '--event', 'reboot', '--timeout', String(seconds)], { timeoutMs: seconds * 1000 + 5000 });
    return /events received: [1-9]/.test(out) || /event 'reboot'/.test(out);
  }
  destroy(name: string) { return this.run(['destroy', '--domain', name]); }

  async undefine(name: string): Promise<void> {
    try {
      await this.run(['undefine', '--domain', name, '--managed-save', '--snapshots-metadata', '--checkpoints-metadata', '--nvram']);
    } catch (e) {
      // Drivers without managed save / NVRAM support reject those flags: undefine plainly.
      if (isKind(e, 'no-domain')) throw e;
      await this.run(['undefine', '--domain', name]);
    }
  }

  async attachDevice(name: string, xml: string): Promise<void> {
    await this.withXmlFile(xml, (file) => this.run(['attach-device', '--domain', name, '--file', file, '--persistent']));
  }

  async detachDevice(name: string, xml: string, active: boolean): Promise<void> {
    const flags = active ? ['--live', '--config'] : ['--config'];
    await this.withXmlFile(xml, (file) => this.run(['detach-device', '--domain', name, '--file', file, ...flags]));
  }

  /** `domstats --raw` of one domain as key → value. */
  async domstats(name: string): Promise<Record<string, string>> {
    const out = await this.run(['domstats', '--raw', '--domain', name]);
    const stats: Record<string, string> = {};
    for (const line of out.split('\n')) {
      const m = /^\s+([^=\s]+)=(.*)$/.exec(line);
      if (m) stats[m[1]!] = m[2]!;
    }
    return stats;
  }

  /** IPv4/IPv6 addresses the host's DHCP leases give the domain (libvirt networks only). */
  async leaseAddresses(name: string): Promise<string[]> {
    try {
      const out = await this.run(['domifaddr', '--domain', name, '--source', 'lease'], { timeoutMs: 5000 });
      return [...out.matchAll(/\s(ipv[46])\s+([0-9a-fA-F:.]+)\/\d+/g)].map((m) => m[2]!);
    } catch {
      return [];
    }
  }

  /** The network choice `auto` resolved: libvirt network `default` when active, else user-mode NAT. */
  autoNetwork(): Promise<{ type: 'user' } | { type: 'network'; source: string }> {
    return this.cached('network', 60_000, async () => {
      try {
        const out = await this.run(['net-info', '--network', 'default']);
        if (/^Active:\s*yes/m.test(out)) return { type: 'network' as const, source: 'default' };
      } catch {
        // no default network
      }
      return { type: 'user' as const };
    });
  }

  /**
   * Copies one disk of a running domain into `destPath` (qcow2) with a push
   * backup job: consistent at the moment it starts, the guest keeps running.
   */
  async backupDisk(domain: DomainInfo, target: string, destPath: string, timeoutMs: number): Promise<void> {
    const disks = domain.disks.filter((d) => d.target !== '').map((d) =>
      d.target === target
        ? `<disk name='${esc(target)}' type='file'><target file='${esc(destPath)}'/><driver type='qcow2'/></disk>`
        : `<disk name='${esc(d.target)}' backup='no'/>`);
    const xml = `<domainbackup mode='push'><disks>${disks.join('')}</disks></domainbackup>`;
    await this.withXmlFile(xml, (file) => this.run(['backup-begin', '--domain', domain.name, '--backupxml', file]));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.run(['domjobinfo', '--domain', domain.name]);
      if (/^Job type:\s*None/mi.test(info)) break;
      if (Date.now() > deadline) {
        await this.run(['domjobabort', '--domain', domain.name]).catch(() => undefined);
        throw new ProviderTimeout(`copying disk ${target} of ${domain.name} took too long`);
      }
      await sleep(200);
    }
    const done = await this.run(['domjobinfo', '--domain', domain.name, '--completed']).catch(() => '');
    if (/^Job type:\s*Failed/mi.test(done)) throw new ProviderError(`copying disk ${target} of ${domain.name} failed`);
  }

  // ---- storage pools and volumes ----

  /** Target directory of a pool; NotFound-free: a missing pool is a ProviderError naming the fix. */
  poolPath(pool: string): Promise<string> {
    return this.cached(`pool:${pool}`, 300_000, async () => {
      const xml = await this.run(['pool-dumpxml', '--pool', pool]);
      const path = text(child(child(parseXml(xml), 'pool'), 'target'), 'path');
      if (!path) throw new ProviderError(`storage pool '${pool}' on ${this.uri} has no target directory (a dir pool is needed)`);
      return path.replace(/\/+$/, '');
    });
  }

  /** Whether the pool exists (listings of a missing pool are empty). */
  async hasPool(pool: string): Promise<boolean> {
    try {
      await this.poolPath(pool);
      return true;
    } catch (e) {
      if (isKind(e, 'no-pool')) return false;
      throw e;
    }
  }

  async poolInfo(pool: string): Promise<{ capacity: number; available: number }> {
    return this.cached(`poolinfo:${pool}`, 30_000, async () => {
      const out = await this.run(['pool-info', '--pool', pool, '--bytes']);
      const n = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(out)?.[1] ?? 0);
      return { capacity: n('Capacity'), available: n('Available') };
    });
  }

  /** Refreshes a pool at most every `everyMs` (files dropped into its directory appear); failures ignored. */
  async refreshEvery(pool: string, everyMs: number): Promise<void> {
    const key = `refreshed:${pool}`;
    const hit = this.state.cache.get(key);
    if (hit && hit.until > Date.now()) return;
    this.state.cache.set(key, { value: true, until: Date.now() + everyMs });
    await this.refresh(pool).catch(() => undefined);
  }

  async refresh(pool: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.run(['pool-refresh', '--pool', pool]);
        return;
      } catch (e) {
        // A pool busy with a volume job cannot be refreshed now: try again shortly.
        if (attempt >= 20 || !isKind(e, 'invalid-state', 'other')) throw e;
        await sleep(250);
      }
    }
  }

  /** Names and paths of a pool's volumes. */
  async volumeNames(pool: string): Promise<Array<{ name: string; path: string }>> {
    const dir = await this.poolPath(pool);
    const out = await this.run(['vol-list', '--pool', pool]);
    const volumes: Array<{ name: string; path: string }> = [];
    for (const raw of out.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      const at = line.indexOf(` ${dir}/`);
      if (at < 0) continue;
      volumes.push({ name: line.slice(0, at).trim(), path: line.slice(at + 1).trim() });
    }
    return volumes;
  }

  /** A volume's details, or undefined when it does not exist. */
  async volume(pool: string, name: string): Promise<VolumeInfo | undefined> {
    let xml: string;
    try {
      xml = await this.run(['vol-dumpxml', '--pool', pool, '--vol', name]);
    } catch (e) {
      if (isKind(e, 'no-volume')) return undefined;
      throw e;
    }
    const vol = child(parseXml(xml), 'volume');
    const target = child(vol, 'target');
    const stamps = child(target, 'timestamps');
    const seconds = (name: string) => {
      const v = Number(text(stamps, name));
      return Number.isFinite(v) && v > 0 ? v : undefined;
    };
    const size = (name: string) => toBytes(text(vol, name), attr(child(vol, name), 'unit') ?? 'bytes');
    return {
      name,
      path: text(target, 'path') ?? '',
      capacity: size('capacity'),
      allocation: size('allocation'),
      format: attr(child(target, 'format'), 'type'),
      backingPath: text(child(vol, 'backingStore'), 'path') || undefined,
      mtime: seconds('mtime'),
      ctime: seconds('ctime'),
    };
  }

  async createVolume(pool: string, xml: string, opts: RunOptions = {}): Promise<void> {
    await this.withXmlFile(xml, (file) => this.run(['vol-create', '--pool', pool, '--file', file], opts));
  }

  async createVolumeFrom(pool: string, xml: string, inputPool: string, source: string, timeoutMs: number): Promise<void> {
    await this.withXmlFile(xml, (file) =>
      this.run(['vol-create-from', '--pool', pool, '--file', file, '--inputpool', inputPool, '--vol', source], { timeoutMs }));
  }

  async createRawVolume(pool: string, name: string, bytes: number): Promise<void> {
    await this.run(['vol-create-as', '--pool', pool, '--name', name, '--capacity', `${bytes}b`, '--format', 'raw']);
  }

  async upload(pool: string, name: string, file: string): Promise<void> {
    await this.run(['vol-upload', '--pool', pool, '--vol', name, '--file', file]);
  }

  async cloneVolume(pool: string, source: string, name: string, timeoutMs: number): Promise<void> {
    await this.run(['vol-clone', '--pool', pool, '--vol', source, '--newname', name], { timeoutMs });
  }

  async resizeVolume(pool: string, name: string, bytes: number): Promise<void> {
    await this.run(['vol-resize', '--pool', pool, '--vol', name, '--capacity', `${bytes}b`]);
  }

  /** Deletes a volume; false when it was not there. */
  async deleteVolume(pool: string, name: string): Promise<boolean> {
    try {
      await this.run(['vol-delete', '--pool', pool, '--vol', name]);
      return true;
    } catch (e) {
      if (isKind(e, 'no-volume')) return false;
      throw e;
    }
  }
}
