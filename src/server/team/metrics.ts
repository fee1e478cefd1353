// Prometheus metrics through prom-client, in a registry of this server's own
// (not prom-client's global one, so that two servers in one process, as in
// tests, do not mix their series). Label values are bounded by their callers
// (route templates, driver ids, capabilities; never ids, names or
// credentials). The per-request paths look a series up once and keep it
// (`series`), and a series counts in plain numbers: prom-client's own
// counters and histograms hash and validate the labels on every inc() or
// observe() of a child (about half a microsecond, on every repeated read).
// Counts reach a prom-client counter when it collects, before each scrape.
// prom-client has no public way to hand a histogram counts made elsewhere, so
// the histogram families write their own lines of the text format, after the
// registry's.
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

type Labels<Name extends string> = Readonly<Record<Name, string>>;

/** The series of a family, each made once for its label values. */
class SeriesCache<Name extends string, Child> {
  readonly #children = new Map<string, Child>();
  constructor(private readonly labelNames: readonly Name[], private readonly make: (labels: Labels<Name>) => Child) {}

  series(labels: Labels<Name>): Child {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let child = this.#children.get(key);
    if (!child) {
      child = this.make(labels);
      this.#children.set(key, child);
    }
    return child;
  }

  get all(): IterableIterator<Child> {
    return this.#children.values();
  }
}

/** A counter series: counts here, adds to its prom-client child when collected. */
export class CountedSeries {
  #pending = 0;
  constructor(private readonly child: Counter.Internal) {}
  inc(by = 1): void {
    this.#pending += by;
  }
  flush(): void {
    if (this.#pending === 0) return;
    this.child.inc(this.#pending);
    this.#pending = 0;
  }
}

export class CounterFamily<Name extends string> {
  readonly #cache: SeriesCache<Name, CountedSeries>;
  constructor(registry: Registry, name: string, help: string, labelNames: readonly Name[]) {
    const counter: Counter<Name> = new Counter<Name>({ name, help, labelNames, registers: [registry], collect: () => this.#flush() });
    // labels() checks the label names once, when the series is made.
    this.#cache = new SeriesCache(labelNames, (labels) => new CountedSeries(counter.labels(labels)));
  }
  inc(labels: Labels<Name>, by = 1): void {
    this.#cache.series(labels).inc(by);
  }
  /** The series of these labels, to count into directly on a hot path. */
  series(labels: Labels<Name>): CountedSeries {
    return this.#cache.series(labels);
  }
  #flush(): void {
    for (const series of this.#cache.all) series.flush();
  }
}

/** A histogram series: counts per bucket (not cumulative), sum and count, in plain numbers. */
export class HistogramSeries<Name extends string = string> {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly labels: Labels<Name>, private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** A label value or help text in the text format: backslash, newline (and, in label values, the double quote) escaped. */
const escapeText = (text: string, quote: boolean) => text.replace(quote ? /[\\\n"]/g : /[\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** A histogram family: cumulative `_bucket` lines with `le`, then `_sum` and `_count`, per label set (Prometheus text format 0.0.4). */
export class HistogramFamily<Name extends string> {
  readonly #cache: SeriesCache<Name, HistogramSeries<Name>>;
  constructor(private readonly name: string, private readonly help: string, private readonly labelNames: readonly Name[], private readonly buckets: readonly number[]) {
    this.#cache = new SeriesCache(labelNames, (labels) => new HistogramSeries(labels, buckets));
  }
  observe(labels: Labels<Name>, value: number): void {
    this.#cache.series(labels).observe(value);
  }
  /** The series of these labels, to observe into directly on a hot path. */
  series(labels: Labels<Name>): HistogramSeries<Name> {
    return this.#cache.series(labels);
  }
  /** This family's lines of the exposition. */
  exposition(): string {
    let text = `# HELP ${this.name} ${escapeText(this.help, false)}\n# TYPE ${this.name} histogram\n`;
    for (const series of this.#cache.all) {
      // The family's label names, in their order: nothing else a caller's labels object carries.
      const labels = this.labelNames.map((name) => `${name}="${escapeText(series.labels[name], true)}"`).join(',');
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        text += `${this.name}_bucket{${labels},le="${bound}"} ${cumulative}\n`;
      });
      text += `${this.name}_bucket{${labels},le="+Inf"} ${series.count}\n${this.name}_sum{${labels}} ${series.sum}\n${this.name}_count{${labels}} ${series.count}\n`;
    }
    return text;
  }
}

/** Seconds; from a cached read (well under a millisecond) to a slow back end. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const REQUEST_LABELS = ['route', 'method', 'driver', 'status'] as const;

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new CounterFamily(this.registry, 'deltacloud_http_requests_total', 'HTTP requests answered, by route template, method, driver and status.',
    REQUEST_LABELS);
  readonly requestSeconds = new HistogramFamily('deltacloud_http_request_duration_seconds', 'Time to answer HTTP requests, by route template, method, driver and status.',
    REQUEST_LABELS, LATENCY_BUCKETS);
  readonly backendCalls = new CounterFamily(this.registry, 'deltacloud_backend_calls_total', 'Driver calls through the call pipeline, by driver, capability and outcome.',
    ['driver', 'capability', 'outcome']);
  readonly backendRetries = new CounterFamily(this.registry, 'deltacloud_backend_retries_total', 'Repeated attempts of idempotent driver calls, by driver and capability.',
    ['driver', 'capability']);
  readonly backendSeconds = new HistogramFamily('deltacloud_backend_call_duration_seconds', 'Time of driver calls (all attempts), by driver and capability.',
    ['driver', 'capability'], LATENCY_BUCKETS);
  readonly serviceRequests = new CounterFamily(this.registry, 'deltacloud_backend_requests_total', 'Requests to the back ends\' services (EC2, S3, nova, swift, keystone, virsh, …), by driver, service and outcome (ok, an HTTP status, or error).',
    ['driver', 'service', 'outcome']);
  readonly serviceSeconds = new HistogramFamily('deltacloud_backend_request_duration_seconds', 'Time of requests to the back ends\' services, by driver and service.',
    ['driver', 'service'], LATENCY_BUCKETS);
  readonly renderCache = new CounterFamily(this.registry, 'deltacloud_render_cache_total', 'Cacheable reads, by whether a stored rendering answered them (hit) or not (miss).',
    ['result']);

  constructor() {
    // Process and Node.js metrics (CPU, memory, heap, event loop, GC), into this registry.
    collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text: the registry's families, then the histograms'. */
  async render(): Promise<string> {
    const histograms = [this.requestSeconds, this.backendSeconds, this.serviceSeconds].map((family) => family.exposition()).join('\n');
    return `${await this.registry.metrics()}\n${histograms}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
