// Requests to the back ends' own services (EC2, S3, Nova, Swift, Keystone,
// virsh, the Podman engine, a REST API…), as metrics see them: which driver,
// which service, how long, and the outcome. Drivers' transports report here
// (the REST client, the OpenStack session, the AWS SDK clients, virsh, the
// Podman engine); a transport shared by drivers learns the calling driver
// from the request context, which the call pipeline notes. Nothing is
// measured while nobody observes. (No AsyncLocalStorage: on Node 20 it slows
// every promise of the process once used.)
import type { RequestContext } from '../driver.js';

export interface ServiceCallReport {
  /** The driver whose call made the request ('' when not known: outside the call pipeline). */
  driver: string;
  /** A name the driver's code chose (bounded): never a host, a resource name or a credential. */
  service: string;
  ms: number;
  /** `ok` (HTTP below 400, or a process that succeeded), the HTTP status for another answer, or `error` (no answer). */
  outcome: string;
}

const observers = new Set<(report: ServiceCallReport) => void>();
/** The driver a request context is calling (set by the pipeline for each call). */
const callingDriver = new WeakMap<RequestContext, string>();

/** Tells `observer` about every back-end service request of this process; returns the function that stops it. */
export function observeServiceCalls(observer: (report: ServiceCallReport) => void): () => void {
  observers.add(observer);
  return () => void observers.delete(observer);
}

/** Notes that `ctx` is calling `driver` (the pipeline), so that the requests a shared transport makes for it are that driver's. */
export function noteCallingDriver(ctx: RequestContext, driver: string): void {
  if (observers.size > 0) callingDriver.set(ctx, driver);
}

/** Who makes a request: the driver's id (a transport only it uses), or the request context of its call. */
export type ServiceCaller = string | RequestContext;

/** The outcome label of an HTTP status. */
export const httpOutcome = (status: number) => (status < 400 ? 'ok' : String(status));

/** A started request: `done(outcome)` reports it (once). Undefined when nobody observes. */
export function startServiceCall(service: string, caller: ServiceCaller): ((outcome: string) => void) | undefined {
  if (observers.size === 0) return undefined;
  const driver = typeof caller === 'string' ? caller : callingDriver.get(caller) ?? '';
  const started = performance.now();
  return (outcome) => {
    const report: ServiceCallReport = { driver, service, ms: performance.now() - started, outcome };
    for (const observe of observers) observe(report);
  };
}

/** Runs one request to `service` and reports it: `outcomeOf` reads an answer, a throw is `error` (or `statusOf` the error). */
export async function measureServiceCall<T>(service: string, caller: ServiceCaller, work: () => Promise<T>, outcomeOf: (answer: T) => string, statusOf?: (error: unknown) => number | undefined): Promise<T> {
  const done = startServiceCall(service, caller);
  if (!done) return work();
  try {
    const answer = await work();
    done(outcomeOf(answer));
    return answer;
  } catch (error) {
    const status = statusOf?.(error);
    done(status !== undefined ? httpOutcome(status) : 'error');
    throw error;
  }
}
