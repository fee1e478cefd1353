// What every action handler gets, and the lookups they share: calling a
// driver capability, finding resources by id with EC2's NotFound codes.
import type { Capability, Driver, Filter, RequestContext } from '../../../core/driver.js';
import type { ListCapability } from '../../../core/kit/capabilities.js';
import { canLookUp as canLookUpIn, findOne as findOneIn, list, type ItemOf } from '../../../core/kit/lookup.js';
import type { Ec2Account } from '../credentials.js';
import { Ec2Error, type ErrorCodes } from '../errors.js';
import type { ClientTokens, Reservations, TerminatedInstances } from '../memory.js';
import type { QueryParams } from '../params.js';
import type { Child } from '../xml.js';

export type { Child };

export interface ActionRequest {
  action: string;
  params: QueryParams;
  driver: Driver;
  ctx: RequestContext;
  account: Ec2Account;
  /** The region the client signed for; this server is that region. */
  region: string;
  /** Host the client reached, shown as the region's endpoint. */
  endpoint: string;
  clientTokens: ClientTokens;
  reservations: Reservations;
  /** Instances terminated lately, still shown as `terminated`. */
  terminated: TerminatedInstances;
  /** Identifies the back end account (driver, provider, user) for remembered reservations. */
  backendScope: string;
}

export interface Action {
  /** Capabilities without which the action cannot run: UnsupportedOperation before anything is done. */
  needs: Capability[];
  /** EC2 codes for the driver's generic 404/409 errors. */
  errors?: ErrorCodes;
  /** The children of `<ActionResponse>` after `requestId`. */
  run(req: ActionRequest): Promise<Child[]>;
}

export { call } from '../../../core/kit/pipeline.js';

export function canLookUp(req: ActionRequest, collection: ListCapability): boolean {
  return canLookUpIn(req.driver, collection);
}

/** A listing; `filter` is what the driver may push down to its back end (pushdown.ts), the action still filters. */
export function listAll<C extends ListCapability>(req: ActionRequest, collection: C, filter: Filter = {}): Promise<Array<ItemOf<C>>> {
  return list(req.driver, collection, req.ctx, filter);
}

/** One resource by id: the show method when the driver has one, else its listing filtered by id. */
export function findOne<C extends ListCapability>(req: ActionRequest, collection: C, id: string): Promise<ItemOf<C> | undefined> {
  return findOneIn(req.driver, collection, req.ctx, id);
}

/** EC2's NotFound error for one or more ids, e.g. `The instance ID 'i-1' does not exist`. */
export function notFound(code: string, what: string, ids: string[]): Ec2Error {
  return ids.length === 1
    ? new Ec2Error(code, `The ${what} '${ids[0]}' does not exist`)
    : new Ec2Error(code, `The ${what}s '${ids.join(', ')}' do not exist`);
}

export async function findRequired<C extends ListCapability>(req: ActionRequest, collection: C, id: string, code: string, what: string): Promise<ItemOf<C>> {
  const item = await findOne(req, collection, id);
  if (item === undefined) throw notFound(code, what, [id]);
  return item;
}

/** The items named in `ids` (all of them when `ids` is empty); any unknown id is an error, as on AWS. */
export function selectIds<T>(items: T[], ids: string[], idOf: (item: T) => string, missing: (ids: string[]) => Ec2Error): T[] {
  if (ids.length === 0) return items;
  const wanted = new Set(ids);
  const selected = items.filter((item) => wanted.has(idOf(item)));
  const found = new Set(selected.map(idOf));
  const absent = [...wanted].filter((id) => !found.has(id));
  if (absent.length > 0) throw missing(absent);
  return selected;
}
