// The one way front ends call a driver: `call(driver, capability, ctx, ...args)`,
// typed from the Driver contract, around which every call gets the same
// handling (the middleware stack of the AWS SDK v3, in one function):
//   * deadline: the request's remaining time; when it passes, the driver's
//     signal aborts and the call answers 504;
//   * classification: failures below HTTP (refused, reset, timed out) become
//     core errors; programming errors pass unchanged (the front end's 500);
//   * retry: passing failures (`transient`, not already retried by the
//     driver's own client) of idempotent calls only, with full-jitter
//     back-off, a bounded number of attempts, never past the deadline;
//   * one structured debug line per call, arguments redacted.
import type { Capability, Driver, DriverCall, RequestContext } from '../driver.js';
import { CapabilityMissing, DeltacloudError, ProviderTimeout } from '../errors.js';
import { isIdempotent } from './capabilities.js';
import { isTransient, transportError } from './classify.js';
import { redactArgs } from './redact.js';
import { sleep } from './time.js';
import { noteCallingDriver } from './service-calls.js';

type Method<K extends DriverCall> = NonNullable<Driver[K]>;
/** The arguments of a capability after the request context. */
export type ArgsOf<K extends DriverCall> = Method<K> extends (ctx: RequestContext, ...args: infer A) => Promise<unknown> ? A : never;
export type ResultOf<K extends DriverCall> = Awaited<ReturnType<Method<K>>>;
/** Capabilities that destroy one member named by its id. */
export type DestroyCapability = {
  [K in Capability]: K extends `destroy_${string}` | `delete_${string}` ? (ArgsOf<K> extends [string] ? K : never) : never;
}[Capability];

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Back-off cap of the first retry; doubles each time up to `maxDelayMs`. */
  baseDelayMs: number;
  /** Longest wait between attempts; a back end asking for longer (Retry-After) gets its 503 passed on instead. */
  maxDelayMs: number;
  /** Uniform in [0, 1) (tests fix it). */
  random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000, random: Math.random };

/** "Full jitter": uniformly between 0 and min(cap, base·2^(retry−1)) (AWS Architecture Blog, Exponential Backoff and Jitter). */
export function backoffMs(retry: number, policy: RetryPolicy): number {
  return Math.floor(policy.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1)));
}

/** How long to wait before repeating after `error`, or undefined when it must not be repeated. */
function retryDelay(error: unknown, attempt: number, idempotent: boolean, ctx: RequestContext, policy: RetryPolicy): number | undefined {
  if (!idempotent || attempt >= policy.maxAttempts || !isTransient(error)) return undefined;
  const askedMs = ((error as DeltacloudError).retryAfter ?? 0) * 1000;
  if (askedMs > policy.maxDelayMs) return undefined;
  const wait = Math.max(backoffMs(attempt, policy), askedMs);
  return wait < ctx.remainingMs() ? wait : undefined;
}

/** The driver's answer, or 504 (and the driver's signal aborted) when the deadline passes first. */
function withinDeadline<R>(ctx: RequestContext, work: () => Promise<R>): Promise<R> {
  const remaining = ctx.remainingMs();
  if (remaining === Infinity) return work();
  if (remaining <= 0) return Promise.reject(expire(ctx));
  // One promise settled by whichever comes first. The delay is whole milliseconds: Node keeps one
  // timer list per distinct delay, so concurrent calls then share a list instead of each adding one.
  return new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Settle first, then abort: a driver rejecting from its abort listener must not win.
      const timeout = new ProviderTimeout();
      reject(timeout);
      ctx.abort(timeout);
    }, Math.ceil(remaining));
    let pending: Promise<R>;
    try {
      pending = work();
    } catch (error) {
      clearTimeout(timer);
      reject(error);
      return;
    }
    pending.then(
      (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function expire(ctx: RequestContext): ProviderTimeout {
  const timeout = new ProviderTimeout();
  ctx.abort(timeout);
  return timeout;
}

/** A failure as the front end should see it. */
function classify(error: unknown, ctx: RequestContext): unknown {
  // A driver failing because its signal aborted at the deadline failed by the deadline.
  if (ctx.expired() && !(error instanceof ProviderTimeout)) return expire(ctx);
  return transportError(error, 'The back end') ?? error;
}

/** One finished driver call, as observers (metrics) see it: no arguments, no credentials. */
export interface CallReport {
  driver: string;
  capability: DriverCall;
  attempts: number;
  ms: number;
  /** The error's status when the call failed. */
  failedWith?: number;
}

const callObservers = new Set<(report: CallReport) => void>();

/** Tells `observer` about every finished call of this process; returns the function that stops it. */
export function observeCalls(observer: (report: CallReport) => void): () => void {
  callObservers.add(observer);
  return () => void callObservers.delete(observer);
}

function logCall(driver: Driver, capability: DriverCall, ctx: RequestContext, args: readonly unknown[], attempts: number, started: number, error?: unknown) {
  if (callObservers.size > 0) {
    const report: CallReport = { driver: driver.declaration.id, capability, attempts, ms: performance.now() - started };
    if (error !== undefined) report.failedWith = error instanceof DeltacloudError ? error.status : 500;
    for (const observe of callObservers) observe(report);
  }
  const log = ctx.log;
  if (!log || log.isLevelEnabled?.('debug') === false) return;
  log.debug({
    driver: driver.declaration.id, capability, args: redactArgs(args), attempts, ms: Math.round(performance.now() - started),
    ...(error === undefined ? { outcome: 'ok' } : {
      outcome: 'error', status: error instanceof DeltacloudError ? error.status : 500, error: (error as Error)?.name ?? typeof error,
    }),
  }, 'driver call');
}

export type Call = <K extends DriverCall>(driver: Driver, capability: K, ctx: RequestContext, ...args: ArgsOf<K>) => Promise<ResultOf<K>>;

/** A `call` with its own retry policy (tests); front ends use `call`. */
export function createCall(policy: RetryPolicy = DEFAULT_RETRY): Call {
  return async function call<K extends DriverCall>(driver: Driver, capability: K, ctx: RequestContext, ...args: ArgsOf<K>): Promise<ResultOf<K>> {
    const method = driver[capability] as ((ctx: RequestContext, ...rest: ArgsOf<K>) => Promise<ResultOf<K>>) | undefined;
    if (typeof method !== 'function') throw new CapabilityMissing(capability);
    const idempotent = isIdempotent(driver, capability, args);
    const started = performance.now();
    noteCallingDriver(ctx, driver.declaration.id);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await withinDeadline(ctx, () => method.call(driver, ctx, ...args));
        logCall(driver, capability, ctx, args, attempt, started);
        return result;
      } catch (raw) {
        const error = classify(raw, ctx);
        const wait = retryDelay(error, attempt, idempotent, ctx, policy);
        if (wait === undefined) {
          logCall(driver, capability, ctx, args, attempt, started, error);
          throw error;
        }
        await sleep(wait, ctx.signal).catch(() => {});
      }
    }
  };
}

/** Calls a driver capability through the pipeline. */
export const call: Call = createCall();
