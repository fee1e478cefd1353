// Requests per minute per caller (token, Basic user or client address), reads
// and writes counted apart, in fixed one-minute windows. In memory, per
// server process.

export interface LimitOutcome {
  /** Seconds until the caller's window ends, when this request is over the limit; undefined when it may proceed. */
  retryAfter?: number;
}

const WINDOW_MS = 60_000;
const ALLOWED: LimitOutcome = {};

export class RateLimiter {
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
    return { retryAfter: Math.max(1, Math.ceil((this.#windowStart + WINDOW_MS - now) / 1000)) };
  }
}
