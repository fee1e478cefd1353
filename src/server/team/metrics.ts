// Prometheus metrics through prom-client, in a registry of this server's own
// (not prom-client's global one, so that two servers in one process, as in
// tests, do not mix their series). Label values are bounded by their callers
// (route templates, driver ids, capabilities; never ids, names or
// credentials). The per-request paths look a series up once and keep it
// (`series`), and a counter series counts in a plain number: prom-client
// hashes and validates the labels on every inc() of a child (most of a
// microsecond, twice per repeated read), so the counts are handed to it when
// it collects, before each scrape. (Histograms have no such public way in.)
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

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

export class HistogramFamily<Name extends string> {
  readonly #cache: SeriesCache<Name, Histogram.Internal<Name>>;
  constructor(registry: Registry, name: string, help: string, labelNames: readonly Name[], buckets: readonly number[]) {
    const histogram = new Histogram<Name>({ name, help, labelNames, buckets: [...buckets], registers: [registry] });
    this.#cache = new SeriesCache(labelNames, (labels) => histogram.labels(labels));
  }
  observe(labels: Labels<Name>, value: number): void {
    this.#cache.series(labels).observe(value);
  }
  /** The series of these labels, to observe into directly on a hot path. */
  series(labels: Labels<Name>): Histogram.Internal<Name> {
    return this.#cache.series(labels);
  }
}

/** Seconds; from a cached read (well under a millisecond) to a slow back end. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const REQUEST_LABELS = ['route', 'method', 'driver', 'status'] as const;

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new CounterFamily(this.registry, 'deltacloud_http_requests_total', 'HTTP requests answered, by route template, method, driver and status.',
    REQUEST_LABELS);
  readonly requestSeconds = new HistogramFamily(this.registry, 'deltacloud_http_request_duration_seconds', 'Time to answer HTTP requests, by route template, method, driver and status.',
    REQUEST_LABELS, LATENCY_BUCKETS);
  readonly backendCalls = new CounterFamily(this.registry, 'deltacloud_backend_calls_total', 'Driver calls through the call pipeline, by driver, capability and outcome.',
    ['driver', 'capability', 'outcome']);
  readonly backendRetries = new CounterFamily(this.registry, 'deltacloud_backend_retries_total', 'Repeated attempts of idempotent driver calls, by driver and capability.',
    ['driver', 'capability']);
  readonly backendSeconds = new HistogramFamily(this.registry, 'deltacloud_backend_call_duration_seconds', 'Time of driver calls (all attempts), by driver and capability.',
    ['driver', 'capability'], LATENCY_BUCKETS);
  readonly serviceRequests = new CounterFamily(this.registry, 'deltacloud_backend_requests_total', 'Requests to the back ends\' services (EC2, S3, nova, swift, keystone, virsh, …), by driver, service and outcome (ok, an HTTP status, or error).',
    ['driver', 'service', 'outcome']);
  readonly serviceSeconds = new HistogramFamily(this.registry, 'deltacloud_backend_request_duration_seconds', 'Time of requests to the back ends\' services, by driver and service.',
    ['driver', 'service'], LATENCY_BUCKETS);
  readonly renderCache = new CounterFamily(this.registry, 'deltacloud_render_cache_total', 'Cacheable reads, by whether a stored rendering answered them (hit) or not (miss).',
    ['result']);

  constructor() {
    // Process and Node.js metrics (CPU, memory, heap, event loop, GC), into this registry.
    collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
