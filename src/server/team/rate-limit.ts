// Requests per minute per caller (token, Basic user or client address), reads
// and writes counted apart, in fixed one-minute windows. In memory, per
// server process (on PostgreSQL, shared by the replicas: shared-rate-limit.ts).

export interface LimitOutcome {
  /** Seconds until the caller's window ends, when this request is over the limit; undefined when it may proceed. */
  retryAfter?: number;
}

/** Counts requests; synchronous when the counts are in this process. */
export interface RequestLimiter {
  /** Counts one request of `caller` and says whether it is within the limit. */
  take(caller: string, write: boolean): LimitOutcome | Promise<LimitOutcome>;
  close?(): Promise<void>;
}

export const WINDOW_MS = 60_000;
export const ALLOWED: LimitOutcome = {};

/** Seconds from `nowMs` to the end of the window that started at `windowStartMs` (at least 1). */
export const secondsLeft = (windowStartMs: number, nowMs: number) => Math.max(1, Math.ceil((windowStartMs + WINDOW_MS - nowMs) / 1000));

export class RateLimiter implements RequestLimiter {
  #windowStart = 0;
  #counts = new Map<string, number>();

  constructor(private readonly readsPerMinute: number, private readonly writesPerMinute: number, private readonly now: () => number = Date.now) {}

  /** Counts one request of `caller` and says whether it is within the limit. */
  take(caller: string, write: boolean): LimitOutcome {
    const limit = write ? this.writesPerMinute : this.readsPerMinute;
    if (limit === 0) return ALLOWED;
    const now = this.now();
    if (now - this.#windowStart >= WINDOW_MS) {
      // A new window: every caller starts again (the map never outgrows one minute's callers).
      this.#windowStart = now - (now % WINDOW_MS);
      this.#counts = new Map();
    }
    const key = (write ? 'w\n' : 'r\n') + caller;
    const used = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, used);
    if (used <= limit) return ALLOWED;
    return { retryAfter: secondsLeft(this.#windowStart, now) };
  }
}
