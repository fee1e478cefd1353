// Metrics = DigitalOcean Monitoring per droplet (it needs the metrics agent on
// the droplet). The list names each droplet's metrics; a show reads the last
// hour: CPU utilisation (percent, from the per-mode CPU-seconds counters the
// API answers: 100 × (1 − Δidle / Δall) between two readings) and public
// bandwidth in and out (Mbps, as the API gives it), newest first.
import type { Driver } from '../../core/driver.js';
import type { MetricSample } from '../../core/model.js';
import type { RestCalls } from '../shared/rest/client.js';
import { isWholeNumber, type CallsOf, type Lister } from './api.js';

type Ops = Pick<Driver, 'metrics' | 'metric'>;

/** One series of a Prometheus-style matrix answer: labels and `[unix seconds, "value"]` readings. */
interface Series { metric?: Record<string, string>; values?: Array<[number, string]> }
interface MetricsAnswer { status?: string; data?: { resultType?: string; result?: Series[] } }
interface Droplet { id: number; name?: string }

export const METRIC_WINDOW_S = 3600;
const NAMES = ['CPUUtilization', 'PublicBandwidthIn', 'PublicBandwidthOut'] as const;

const sample = (timestamp: number, value: number, unit: string): MetricSample => ({ minimum: value, maximum: value, average: value, timestamp, unit });

/** CPU utilisation between consecutive readings of the per-mode counters. */
export function cpuUtilisation(series: Series[]): MetricSample[] {
  const totals = new Map<number, { all: number; idle: number }>();
  for (const s of series) {
    for (const [t, v] of s.values ?? []) {
      const entry = totals.get(t) ?? { all: 0, idle: 0 };
      entry.all += Number(v);
      if (s.metric?.mode === 'idle') entry.idle += Number(v);
      totals.set(t, entry);
    }
  }
  const times = [...totals.keys()].sort((a, b) => a - b);
  const samples: MetricSample[] = [];
  for (let i = 1; i < times.length; i++) {
    const now = totals.get(times[i]!)!;
    const before = totals.get(times[i - 1]!)!;
    const all = now.all - before.all;
    if (!(all > 0)) continue; // a counter reset (reboot) or no time passed
    samples.push(sample(times[i]!, Math.min(100, Math.max(0, 100 * (1 - (now.idle - before.idle) / all))), 'Percent'));
  }
  return samples;
}

/** Readings as they come (the sum over series per time, should the API split one). */
function readings(series: Series[], unit: string): MetricSample[] {
  const sums = new Map<number, number>();
  for (const s of series) for (const [t, v] of s.values ?? []) sums.set(t, (sums.get(t) ?? 0) + Number(v));
  return [...sums.entries()].map(([t, v]) => sample(t, v, unit));
}

export function metricOperations(api: CallsOf, list: Lister): Ops {
  async function series(calls: RestCalls, path: string, query: Record<string, string>): Promise<Series[]> {
    return (await calls.get<MetricsAnswer>(`/v2/monitoring/metrics/droplet/${path}`, query))?.data?.result ?? [];
  }

  return {
    metrics: async (ctx) => (await list<Droplet>(api(ctx), '/v2/droplets', 'droplets')).map((d) => ({
      id: String(d.id), entity: d.name ?? String(d.id), properties: NAMES.map((name) => ({ name, values: null })),
    })),
    metric: async (ctx, id) => {
      if (!isWholeNumber(id)) return undefined;
      const calls = api(ctx);
      const droplet = (await calls.find<{ droplet: Droplet }>(`/v2/droplets/${id}`))?.droplet;
      if (!droplet) return undefined;
      const end = Math.floor(Date.now() / 1000);
      const window = { host_id: id, start: String(end - METRIC_WINDOW_S), end: String(end) };
      const bandwidth = (direction: 'inbound' | 'outbound') => series(calls, 'bandwidth', { ...window, interface: 'public', direction });
      const [cpu, inbound, outbound] = await Promise.all([series(calls, 'cpu', window), bandwidth('inbound'), bandwidth('outbound')]);
      const newestFirst = (samples: MetricSample[]) => samples.sort((a, b) => b.timestamp - a.timestamp);
      return {
        id,
        entity: droplet.name ?? id,
        properties: [
          { name: 'CPUUtilization', values: newestFirst(cpuUtilisation(cpu)) },
          { name: 'PublicBandwidthIn', values: newestFirst(readings(inbound, 'Megabits/Second')) },
          { name: 'PublicBandwidthOut', values: newestFirst(readings(outbound, 'Megabits/Second')) },
        ],
      };
    },
  };
}
