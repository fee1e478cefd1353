// What every operation of the podman driver shares: the options, one engine
// client per provider (created on first use), the host's facts (cached
// briefly), and the labels that mark what this driver created.
import type { RequestContext } from '../../core/driver.js';
import { ValidationFailure } from '../../core/errors.js';
import { allowProvider } from '../../core/kit/providers.js';
import type { HardwareProfile, Realm } from '../../core/model.js';
import { Engine } from './engine.js';
import type { PodmanOptions } from './options.js';

/** Labels on containers and volumes this driver creates. */
export const LABEL = {
  driver: 'org.deltacloud.driver',
  profile: 'org.deltacloud.hardware-profile',
  cpu: 'org.deltacloud.cpu',
  memory: 'org.deltacloud.memory',
  description: 'org.deltacloud.description',
} as const;

/** What `/info` tells of the engine's host. */
export interface HostInfo {
  name: string;
  cpus: number;
  memoryBytes: number;
  architecture?: string;
  version?: string;
}

interface InfoAnswer {
  Name?: string;
  NCPU?: number;
  MemTotal?: number;
  Architecture?: string;
  ServerVersion?: string;
}

/** A named volume as `/volumes` lists it. */
export interface VolumeAnswer { Name: string; CreatedAt?: string; Driver?: string; Labels?: Record<string, string> | null }

const HOST_INFO_TTL_MS = 30_000;

/** Smallest memory limit the engines accept (6 MiB), and the smallest CPU share offered. */
export const MIN_MEMORY_MB = 6;
export const MIN_CPU = 0.1;
export const DEFAULT_PROFILE = 'default';
export const CUSTOM_PROFILE = 'custom';

export class PodmanBackend {
  private readonly engines = new Map<string, Engine>();
  private readonly hostInfo = new Map<string, { at: number; info: HostInfo }>();
  /** Last CPU reading per container, for the utilisation between two metric reads. */
  readonly cpuSamples = new Map<string, { at: number; cpuNs: number; systemNs: number }>();

  constructor(readonly opts: PodmanOptions) {}

  /** The engine of the request's provider (the default when it names none); another name → 400. */
  engine(ctx: RequestContext): Engine {
    const names = Object.keys(this.opts.providers);
    const provider = allowProvider(ctx.provider ?? this.opts.defaultProvider, names, `providers: ${names.join(', ')}`);
    let engine = this.engines.get(provider);
    if (!engine) {
      engine = new Engine(provider, this.opts.providers[provider]!, this.opts.requestTimeoutMs);
      this.engines.set(provider, engine);
    }
    return engine;
  }

  /** A listing's `filters`: the driver's own containers and volumes unless the operator lists all. */
  labelFilter(extra: Record<string, string[]> = {}): string {
    return JSON.stringify({ ...(this.opts.listAll ? {} : { label: [LABEL.driver] }), ...extra });
  }

  /** The volumes the driver lists, only `name` when given (the engine's name filter may match more: callers compare). */
  async volumes(engine: Engine, signal: AbortSignal, name?: string): Promise<VolumeAnswer[]> {
    const filters = this.labelFilter(name === undefined ? {} : { name: [name] });
    // Docker answers `{ Volumes: [...] }`; some Podman versions a bare list.
    const answer = await engine.json<{ Volumes?: VolumeAnswer[] | null } | VolumeAnswer[]>('GET', '/volumes', { query: { filters }, signal });
    return Array.isArray(answer) ? answer : answer?.Volumes ?? [];
  }

  async host(engine: Engine, signal: AbortSignal): Promise<HostInfo> {
    const cached = this.hostInfo.get(engine.provider);
    if (cached && Date.now() - cached.at < HOST_INFO_TTL_MS) return cached.info;
    const answer = await engine.json<InfoAnswer>('GET', '/info', { signal });
    const info: HostInfo = {
      name: answer?.Name || engine.provider,
      cpus: Math.max(1, answer?.NCPU ?? 1),
      memoryBytes: Math.max(MIN_MEMORY_MB * 2 ** 20, answer?.MemTotal ?? 0),
      architecture: answer?.Architecture || undefined,
      version: answer?.ServerVersion || undefined,
    };
    this.hostInfo.set(engine.provider, { at: Date.now(), info });
    return info;
  }

  async realm(engine: Engine, signal: AbortSignal): Promise<Realm> {
    const host = await this.host(engine, signal);
    const memoryMiB = Math.floor(host.memoryBytes / 2 ** 20);
    return { id: host.name, name: `${host.name} (engine ${host.version ?? 'unknown'}, ${host.cpus} CPUs, ${memoryMiB} MiB)`, state: 'AVAILABLE' };
  }

  /** 400 unless `realmId` is absent or the engine's host. */
  async checkRealm(engine: Engine, realmId: string | undefined, signal: AbortSignal): Promise<string> {
    const realm = await this.realm(engine, signal);
    if (realmId !== undefined && realmId !== realm.id) throw new ValidationFailure(`Realm '${realmId}' does not exist`);
    return realm.id;
  }

  /**
   * `default`: no limits (the whole host); `custom`: CPUs from 0.1 to the
   * host's, memory from 6 MiB to the host's (`hwp_cpu`, `hwp_memory`).
   */
  async profiles(engine: Engine, signal: AbortSignal): Promise<HardwareProfile[]> {
    const host = await this.host(engine, signal);
    const memoryMB = Math.floor(host.memoryBytes / 2 ** 20);
    const arch = host.architecture ? [{ name: 'architecture', kind: 'fixed' as const, value: host.architecture }] : [];
    return [
      { id: DEFAULT_PROFILE, name: 'no limits', properties: [{ name: 'cpu', kind: 'fixed', value: host.cpus }, { name: 'memory', kind: 'fixed', value: memoryMB }, ...arch] },
      {
        id: CUSTOM_PROFILE,
        name: CUSTOM_PROFILE,
        properties: [
          { name: 'cpu', kind: 'range', value: 1, first: MIN_CPU, last: host.cpus },
          { name: 'memory', kind: 'range', value: Math.min(256, memoryMB), first: MIN_MEMORY_MB, last: memoryMB },
          ...arch,
        ],
      },
    ];
  }

  async close(): Promise<void> {
    await Promise.all([...this.engines.values()].map((e) => e.close()));
    this.engines.clear();
  }
}
