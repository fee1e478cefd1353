// Metrics: one per listed instance, from the engine's stats of its container
// (one reading, `stream=false`): CPU utilisation since the previous reading
// (or one taken 0.5 s before), memory use and limit, network and block I/O
// totals since the container started.
import type { Driver } from '../../core/driver.js';
import { pause } from '../../core/kit/time.js';
import type { Metric } from '../../core/model.js';
import type { PodmanBackend } from './backend.js';
import { inspectContainer, listContainers } from './containers.js';
import type { Engine } from './engine.js';

type Ops = Pick<Driver, 'metrics' | 'metric'>;

/** Property name → unit, sorted by name. */
export const METRIC_PROPERTIES: ReadonlyArray<[string, string]> = [
  ['cpuUtilization', 'Percent'],
  ['diskReadByte', 'Bytes'],
  ['diskWriteByte', 'Bytes'],
  ['memoryLimit', 'Bytes'],
  ['memoryUsed', 'Bytes'],
  ['nicInputByte', 'Bytes'],
  ['nicInputPacket', 'Count'],
  ['nicOutputByte', 'Bytes'],
  ['nicOutputPacket', 'Count'],
];

interface NetworkCounters { rx_bytes?: number; rx_packets?: number; tx_bytes?: number; tx_packets?: number }

/** The parts of a Docker Engine stats answer read here. */
export interface StatsAnswer {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number };
  networks?: Record<string, NetworkCounters> | null;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string; value?: number }> | null };
}

const sum = (values: Array<number | undefined>) => (values.some((v) => v !== undefined) ? values.reduce<number>((a, v) => a + (v ?? 0), 0) : undefined);

/** Values of one reading (undefined: the engine does not report it); CPU utilisation comes separately. */
export function metricValues(stats: StatsAnswer, cpuUtilization: number | undefined): Record<string, number | undefined> {
  const nics = Object.values(stats.networks ?? {});
  const io = stats.blkio_stats?.io_service_bytes_recursive ?? [];
  const block = (op: string) => sum(io.filter((e) => e.op?.toLowerCase() === op).map((e) => e.value));
  return {
    cpuUtilization,
    diskReadByte: block('read') ?? (io.length === 0 ? 0 : undefined),
    diskWriteByte: block('write') ?? (io.length === 0 ? 0 : undefined),
    memoryLimit: stats.memory_stats?.limit,
    memoryUsed: stats.memory_stats?.usage,
    nicInputByte: sum(nics.map((n) => n.rx_bytes)),
    nicInputPacket: sum(nics.map((n) => n.rx_packets)),
    nicOutputByte: sum(nics.map((n) => n.tx_bytes)),
    nicOutputPacket: sum(nics.map((n) => n.tx_packets)),
  };
}

/** CPU use in percent of the host between two readings (Docker's own formula: container ns / host ns × CPUs). */
export function cpuPercent(previous: { cpuNs: number; systemNs: number }, now: { cpuNs: number; systemNs: number }, cpus: number): number {
  const system = now.systemNs - previous.systemNs;
  const used = now.cpuNs - previous.cpuNs;
  if (system <= 0 || used < 0) return 0;
  return Math.round((used / system) * cpus * 100 * 100) / 100;
}

async function reading(backend: PodmanBackend, engine: Engine, id: string, signal: AbortSignal): Promise<{ stats: StatsAnswer; utilization?: number }> {
  const read = async () => (await engine.json<StatsAnswer>('GET', `/containers/${id}/stats`, { query: { stream: false, 'one-shot': true }, signal })) ?? {};
  let stats = await read();
  const sample = () => ({ at: Date.now(), cpuNs: stats.cpu_stats?.cpu_usage?.total_usage ?? 0, systemNs: stats.cpu_stats?.system_cpu_usage ?? 0 });
  if (stats.cpu_stats?.system_cpu_usage === undefined) return { stats };
  let previous = backend.cpuSamples.get(id);
  let now = sample();
  if (!previous || now.at - previous.at > 300_000 || now.at - previous.at < 200 || now.cpuNs < previous.cpuNs) {
    previous = now;
    await pause(500, signal);
    stats = await read();
    now = sample();
  }
  backend.cpuSamples.set(id, now);
  if (backend.cpuSamples.size > 10_000) backend.cpuSamples.delete(backend.cpuSamples.keys().next().value!);
  return { stats, utilization: cpuPercent(previous, now, stats.cpu_stats?.online_cpus ?? 1) };
}

export function metricOperations(backend: PodmanBackend): Ops {
  return {
    metrics: async (ctx, filter) => {
      const containers = await listContainers(backend, backend.engine(ctx), ctx.signal, filter.id);
      return containers.map((c) => ({ id: c.id, entity: c.name, properties: METRIC_PROPERTIES.map(([name]) => ({ name, values: null })) }));
    },
    metric: async (ctx, id) => {
      const engine = backend.engine(ctx);
      const container = await inspectContainer(backend, engine, id, ctx.signal);
      if (!container) return undefined;
      // A container that is not running has no live counters: its properties have no samples.
      const { stats, utilization } = container.status === 'running' ? await reading(backend, engine, id, ctx.signal) : { stats: undefined, utilization: undefined };
      const values = stats ? metricValues(stats, utilization) : {};
      const timestamp = Math.floor(Date.now() / 1000);
      const metric: Metric = {
        id,
        entity: container.name,
        properties: METRIC_PROPERTIES.map(([name, unit]) => {
          const v = values[name];
          return { name, values: v === undefined ? [] : [{ minimum: v, maximum: v, average: v, timestamp, unit }] };
        }),
      };
      return metric;
    },
  };
}
