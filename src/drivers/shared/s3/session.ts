// One request's calls through an AWS SDK client: the request's AbortSignal on
// every call, every page of a paginator, and every failure mapped onto a core
// error by the subclass (which knows which secrets to scrub).
import type { RequestContext } from '../../../core/driver.js';
import { ProviderTimeout } from '../../../core/errors.js';

export abstract class SdkCalls {
  constructor(readonly ctx: RequestContext) {}

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  /** Errors → DeltacloudErrors with the provider's message (secrets scrubbed). */
  abstract mapError(error: unknown): unknown;

  /** One SDK call with the request's AbortSignal. */
  async call<R>(fn: (options: { abortSignal: AbortSignal }) => Promise<R>): Promise<R> {
    if (this.signal.aborted) throw new ProviderTimeout();
    try {
      return await fn({ abortSignal: this.signal });
    } catch (error) {
      throw this.mapError(error);
    }
  }

  /** Every page of an SDK paginator (never only the first), flattened. */
  async pages<P, T>(paginator: (options: { abortSignal: AbortSignal }) => AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
    const all: T[] = [];
    try {
      for await (const page of paginator({ abortSignal: this.signal })) {
        all.push(...(items(page) ?? []));
        if (this.signal.aborted) throw new ProviderTimeout();
      }
    } catch (error) {
      throw this.mapError(error);
    }
    return all;
  }
}

