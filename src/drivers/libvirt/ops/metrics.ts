// Metrics: one per listed instance, from `virsh domstats` — CPU time and
// utilisation, memory, block and network I/O (totals since the domain
// started, as libvirt counts them). One sample per property, taken now.
import type { Driver } from '../../../core/driver.js';
import type { Metric, MetricSample } from '../../../core/model.js';
import type { LibvirtBackend } from '../backend.js';
import { pause } from '../../../core/kit/time.js';
import type { Libvirt } from '../libvirt.js';
import { listedDomain, listInstances } from './instances.js';

type Ops = Pick<Driver, 'metrics' | 'metric'>;

/** Property name → unit, sorted by name. */
export const METRIC_PROPERTIES: ReadonlyArray<[string, string]> = [
  ['cpuTime', 'Seconds'],
  ['cpuUtilization', 'Percent'],
  ['diskReadByte', 'Bytes'],
  ['diskReadRequestCount', 'Count'],
  ['diskWriteByte', 'Bytes'],
  ['diskWriteRequestCount', 'Count'],
  ['memoryAllocated', 'Bytes'],
  ['memoryRss', 'Bytes'],
  ['memoryUsed', 'Bytes'],
  ['nicInputByte', 'Bytes'],
  ['nicInputPacket', 'Count'],
  ['nicOutputByte', 'Bytes'],
  ['nicOutputPacket', 'Count'],
];

/** Sums `<prefix>.<i>.<field>` over the devices libvirt reports (`<prefix>.count`). */
function total(stats: Record<string, string>, prefix: 'block' | 'net', field: string): number | undefined {
  const count = Number(stats[`${prefix}.count`] ?? 0);
  let sum: number | undefined;
  for (let i = 0; i < count; i++) {
    const v = stats[`${prefix}.${i}.${field}`];
    if (v !== undefined) sum = (sum ?? 0) + Number(v);
  }
  return sum;
}

const kib = (v: string | undefined) => (v === undefined ? undefined : Number(v) * 1024);

/** Values from one `domstats` reading (undefined: libvirt does not report it now, e.g. the domain is off). */
export function metricValues(stats: Record<string, string>, cpuUtilization?: number): Record<string, number | undefined> {
  const available = kib(stats['balloon.available']);
  const usable = kib(stats['balloon.usable']);
  return {
    cpuTime: stats['cpu.time'] === undefined ? undefined : Number(stats['cpu.time']) / 1e9,
    cpuUtilization,
    diskReadByte: total(stats, 'block', 'rd.bytes'),
    diskReadRequestCount: total(stats, 'block', 'rd.reqs'),
    diskWriteByte: total(stats, 'block', 'wr.bytes'),
    diskWriteRequestCount: total(stats, 'block', 'wr.reqs'),
    memoryAllocated: kib(stats['balloon.current']),
    memoryRss: kib(stats['balloon.rss']),
    memoryUsed: available !== undefined && usable !== undefined ? available - usable : undefined,
    nicInputByte: total(stats, 'net', 'rx.bytes'),
    nicInputPacket: total(stats, 'net', 'rx.pkts'),
    nicOutputByte: total(stats, 'net', 'tx.bytes'),
    nicOutputPacket: total(stats, 'net', 'tx.pkts'),
  };
}

/** CPU use of the domain's vCPUs in percent since the previous reading (taking one 0.5 s ago if none is recent). */
async function readWithUtilization(lv: Libvirt, id: string, signal: AbortSignal): Promise<{ stats: Record<string, string>; utilization?: number }> {
  let stats = await lv.domstats(id);
  if (stats['cpu.time'] === undefined) return { stats };
  const vcpus = Number(stats['vcpu.current'] ?? 1) || 1;
  const sample = () => ({ at: Date.now(), cpuNs: Number(stats['cpu.time']), vcpus });
  let previous = lv.state.cpuSamples.get(id);
  let now = sample();
  if (!previous || now.at - previous.at > 300_000 || now.at - previous.at < 200 || now.cpuNs < previous.cpuNs) {
    previous = now;
    await pause(500, signal);
    stats = await lv.domstats(id);
    if (stats['cpu.time'] === undefined) return { stats };
    now = sample();
  }
  lv.state.cpuSamples.set(id, now);
  const elapsedNs = (now.at - previous.at) * 1e6;
  const utilization = elapsedNs > 0 ? Math.min(100, Math.max(0, ((now.cpuNs - previous.cpuNs) / (elapsedNs * vcpus)) * 100)) : 0;
  return { stats, utilization: Math.round(utilization * 100) / 100 };
}

export function metricOperations(backend: LibvirtBackend): Ops {
  return {
    metrics: async (ctx, filter) => {
      const lv = backend.connect(ctx);
      const instances = await listInstances(backend, lv, filter.id === undefined ? {} : { id: filter.id });
      return instances.map((i) => ({ id: i.id, entity: i.name, properties: METRIC_PROPERTIES.map(([name]) => ({ name, values: null })) }));
    },
    metric: async (ctx, id) => {
      const lv = backend.connect(ctx);
      const domain = await listedDomain(backend, lv, id);
      if (!domain) return undefined;
      const { stats, utilization } = await readWithUtilization(lv, id, ctx.signal);
      const values = metricValues(stats, utilization);
      const timestamp = Math.floor(Date.now() / 1000);
      const metric: Metric = {
        id,
        entity: domain.title ?? id,
        properties: METRIC_PROPERTIES.map(([name, unit]) => {
          const v = values[name];
          const samples: MetricSample[] = v === undefined ? [] : [{ minimum: v, maximum: v, average: v, timestamp, unit }];
          return { name, values: samples };
        }),
      };
      return metric;
    },
  };
}
