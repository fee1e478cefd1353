// Finding one member, for every front end: the driver's show capability when
// it has one, else its listing filtered by id (jclouds' portable layer does the
// same above its adapters).
import { errorStatus } from '../guards.js';
import { hasCapability, type Driver, type Filter, type RequestContext } from '../driver.js';
import { SHOW_CAPABILITY, type ListCapability } from './capabilities.js';
import { call, type ResultOf } from './pipeline.js';

/** A member of a collection; every member has an id. */
export type ItemOf<C extends ListCapability> = (ResultOf<C> extends Array<infer T> ? T : never) & { id: string };
type ShowCapability = (typeof SHOW_CAPABILITY)[ListCapability];

/** Whether the driver can look members of the collection up at all. */
export function canLookUp(driver: Driver, collection: ListCapability): boolean {
  return hasCapability(driver, collection) || hasCapability(driver, SHOW_CAPABILITY[collection]);
}

/** A listing, typed by its collection even where that is a type parameter. */
export async function list<C extends ListCapability>(driver: Driver, collection: C, ctx: RequestContext, filter: Filter): Promise<Array<ItemOf<C>>> {
  return (await call(driver, collection as ListCapability, ctx, filter)) as Array<ItemOf<C>>;
}

export async function findOne<C extends ListCapability>(driver: Driver, collection: C, ctx: RequestContext, id: string): Promise<ItemOf<C> | undefined> {
  const show = SHOW_CAPABILITY[collection];
  if (hasCapability(driver, show)) return ((await call(driver, show as ShowCapability, ctx, id)) ?? undefined) as ItemOf<C> | undefined;
  return (await list(driver, collection, ctx, { id })).find((item) => item.id === id);
}

/** Runs `work`; the back end's "no such thing" (a 404) becomes `undefined` (show methods), everything else is thrown. */
export async function orUndefined<T>(work: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (errorStatus(error) === 404) return undefined;
    throw error;
  }
}
