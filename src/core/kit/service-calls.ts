// Requests to the back ends' own services (EC2, S3, Nova, Swift, Keystone,
// virsh, the Podman engine, a REST API…), as metrics see them: which driver,
// which service, how long, and the outcome. Drivers' transports report here
// (the REST client, the OpenStack session, the AWS SDK clients, virsh, the
// Podman engine); the call pipeline says which driver is calling. Nothing is
// measured, and no async context is kept, while nobody observes.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ServiceCallReport {
  /** The driver whose call made the request ('' outside the call pipeline). */
  driver: string;
  /** A name the driver's code chose (bounded): never a host, a resource name or a credential. */
  service: string;
  ms: number;
  /** `ok` (HTTP below 400, or a process that succeeded), the HTTP status for another answer, or `error` (no answer). */
  outcome: string;
}

const observers = new Set<(report: ServiceCallReport) => void>();
const callingDriver = new AsyncLocalStorage<string>();

/** Tells `observer` about every back-end service request of this process; returns the function that stops it. */
export function observeServiceCalls(observer: (report: ServiceCallReport) => void): () => void {
  observers.add(observer);
  return () => void observers.delete(observer);
}

/** Runs `work` as a call of `driver` (the pipeline), so that the requests it makes are reported as that driver's. */
export function asDriver<T>(driver: string, work: () => T): T {
  return observers.size > 0 ? callingDriver.run(driver, work) : work();
}

/** The outcome label of an HTTP status. */
export const httpOutcome = (status: number) => (status < 400 ? 'ok' : String(status));

/** A started request: `done(outcome)` reports it (once). Undefined when nobody observes. */
export function startServiceCall(service: string): ((outcome: string) => void) | undefined {
  if (observers.size === 0) return undefined;
  const driver = callingDriver.getStore() ?? '';
  const started = performance.now();
  return (outcome) => {
    const report: ServiceCallReport = { driver, service, ms: performance.now() - started, outcome };
    for (const observe of observers) observe(report);
  };
}

/** Runs one request to `service` and reports it: `outcomeOf` reads an answer, a throw is `error` (or `statusOf` the error). */
export async function measureServiceCall<T>(service: string, work: () => Promise<T>, outcomeOf: (answer: T) => string, statusOf?: (error: unknown) => number | undefined): Promise<T> {
  const done = startServiceCall(service);
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
