// Prometheus metrics in the text exposition format (version 0.0.4): counters
// and histograms with labels, and a few process gauges. Small enough to write
// here rather than take prom-client's registry for; label values are bounded
// by their callers (route templates, driver ids, capabilities; never ids,
// names or credentials).
import { cpuUsage, memoryUsage } from 'node:process';

type Labels = Readonly<Record<string, string>>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${extra[1]}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** One series per distinct label set; the key keeps label order as the metric declares it. */
abstract class Metric<Series> {
  protected readonly series = new Map<string, { labels: Labels; value: Series }>();
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[]) {}

  protected entry(labels: Labels, fresh: () => Series): Series {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let found = this.series.get(key);
    if (!found) {
      const ordered: Record<string, string> = {};
      for (const n of this.labelNames) ordered[n] = labels[n] ?? '';
      found = { labels: ordered, value: fresh() };
      this.series.set(key, found);
    }
    return found.value;
  }

  abstract type: string;
  protected abstract lines(labels: Labels, value: Series): string[];

  render(): string {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.series.values()) out.push(...this.lines(labels, value));
    return out.join('\n') + '\n';
  }
}

export class Counter extends Metric<{ n: number }> {
  type = 'counter';
  inc(labels: Labels, by = 1): void {
    this.cell(labels).n += by;
  }
  /** The series of these labels, to count into directly on a hot path (`cell.n++`). */
  cell(labels: Labels): { n: number } {
    return this.entry(labels, () => ({ n: 0 }));
  }
  protected lines(labels: Labels, value: { n: number }): string[] {
    return [`${this.name}${labelText(labels)} ${value.n}`];
  }
}

export interface HistogramSeries { counts: number[]; sum: number; count: number }

export class Histogram extends Metric<HistogramSeries> {
  type = 'histogram';
  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[]) {
    super(name, help, labelNames);
  }
  observe(labels: Labels, value: number): void {
    this.observeIn(this.cell(labels), value);
  }
  /** The series of these labels, to observe into with observeIn on a hot path. */
  cell(labels: Labels): HistogramSeries {
    return this.entry(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
  }
  observeIn(s: HistogramSeries, value: number): void {
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  protected lines(labels: Labels, s: HistogramSeries): string[] {
    return [
      ...this.buckets.map((le, i) => `${this.name}_bucket${labelText(labels, ['le', String(le)])} ${s.counts[i]}`),
      `${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${s.count}`,
      `${this.name}_sum${labelText(labels)} ${s.sum}`,
      `${this.name}_count${labelText(labels)} ${s.count}`,
    ];
  }
}

/** Seconds; from a cached read (well under a millisecond) to a slow back end. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ServerMetrics {
  readonly requests = new Counter('deltacloud_http_requests_total', 'HTTP requests answered, by route template, method, driver and status.',
    ['route', 'method', 'driver', 'status']);
  readonly requestSeconds = new Histogram('deltacloud_http_request_duration_seconds', 'Time to answer HTTP requests, by route template, method, driver and status.',
    ['route', 'method', 'driver', 'status'], LATENCY_BUCKETS);
  readonly backendCalls = new Counter('deltacloud_backend_calls_total', 'Driver calls through the call pipeline, by driver, capability and outcome.',
    ['driver', 'capability', 'outcome']);
  readonly backendRetries = new Counter('deltacloud_backend_retries_total', 'Repeated attempts of idempotent driver calls, by driver and capability.',
    ['driver', 'capability']);
  readonly backendSeconds = new Histogram('deltacloud_backend_call_duration_seconds', 'Time of driver calls (all attempts), by driver and capability.',
    ['driver', 'capability'], LATENCY_BUCKETS);
  readonly serviceRequests = new Counter('deltacloud_backend_requests_total', 'Requests to the back ends\' services (EC2, S3, nova, swift, keystone, virsh, …), by driver, service and outcome (ok, an HTTP status, or error).',
    ['driver', 'service', 'outcome']);
  readonly serviceSeconds = new Histogram('deltacloud_backend_request_duration_seconds', 'Time of requests to the back ends\' services, by driver and service.',
    ['driver', 'service'], LATENCY_BUCKETS);
  readonly renderCache = new Counter('deltacloud_render_cache_total', 'Cacheable reads, by whether a stored rendering answered them (hit) or not (miss).',
    ['result']);
  readonly startTime = Date.now() / 1000;

  render(): string {
    const { rss, heapUsed, heapTotal } = memoryUsage();
    const cpu = cpuUsage();
    const gauges = [
      ['process_cpu_user_seconds_total', 'counter', 'User CPU time spent in seconds.', cpu.user / 1e6],
      ['process_cpu_system_seconds_total', 'counter', 'System CPU time spent in seconds.', cpu.system / 1e6],
      ['process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', rss],
      ['process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch in seconds.', this.startTime],
      ['nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used in bytes.', heapUsed],
      ['nodejs_heap_size_total_bytes', 'gauge', 'V8 heap size in bytes.', heapTotal],
    ] as const;
    return [this.requests, this.requestSeconds, this.backendCalls, this.backendRetries, this.backendSeconds, this.serviceRequests, this.serviceSeconds, this.renderCache].map((m) => m.render()).join('')
      + gauges.map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`).join('');
  }
}

export const EXPOSITION_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
