// What every group of operations shares: the client pool, the options, and
// a session factory for one request.
import type { RequestContext } from '../../../core/driver.js';
import { AwsSession, type ClientPool } from '../clients.js';
import type { Ec2Options } from '../config.js';
import { orUndefined } from '../../../core/kit/lookup.js';

export interface Deps {
  pool: ClientPool;
  options: Ec2Options;
  session(ctx: RequestContext): AwsSession;
}

export function makeDeps(pool: ClientPool): Deps {
  return { pool, options: pool.options, session: (ctx) => new AwsSession(ctx, pool) };
}

export { orUndefined };

/** Runs a listing; a 404 (e.g. a filter naming an id that does not exist) becomes an empty list. */
export async function orEmpty<T>(fn: () => Promise<T[]>): Promise<T[]> {
  return (await orUndefined(fn)) ?? [];
}

/** What the listings push down to EC2; the core applies every filter again (core/filters.ts). */
export { filterValue } from '../../../core/filters.js';
