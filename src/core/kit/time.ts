// Waiting, for drivers and the call pipeline alike.
import { setTimeout as delay } from 'node:timers/promises';

/** Resolves after `ms`; rejects (AbortError) as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined);
}

/** Resolves after `ms`, or earlier when `signal` aborts (never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, signal).catch(() => {});
}
