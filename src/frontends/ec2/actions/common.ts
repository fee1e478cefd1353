// What every action handler gets, and the lookups they share: calling a
// driver capability, finding resources by id with EC2's NotFound codes.
import type { Capability, Driver, RequestContext } from '../../../core/driver.js';
import type { Ec2Account } from '../credentials.js';
import { Ec2Error, unsupported, type ErrorCodes } from '../errors.js';
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

type Method<K extends Capability> = NonNullable<Driver[K]>;

/** The driver's method for a capability; UnsupportedOperation when it has none. */
export function call<K extends Capability>(req: ActionRequest, capability: K): Method<K> {
  const method = req.driver[capability];
  if (typeof method !== 'function') throw unsupported(`${req.action} (capability '${capability}')`, req.driver.declaration.id);
  return (method as (...args: unknown[]) => unknown).bind(req.driver) as Method<K>;
}

/** Collections with a listing and, optionally, a show method. */
const SHOW_METHOD = {
  instances: 'instance',
  images: 'image',
  keys: 'key',
  storage_volumes: 'storage_volume',
  storage_snapshots: 'storage_snapshot',
  addresses: 'address',
  firewalls: 'firewall',
  realms: 'realm',
  hardware_profiles: 'hardware_profile',
} as const;
type Listable = keyof typeof SHOW_METHOD;
type ItemOf<C extends Listable> = Awaited<ReturnType<Method<C>>>[number];

export function canLookUp(req: ActionRequest, collection: Listable): boolean {
  return typeof req.driver[collection] === 'function' || typeof req.driver[SHOW_METHOD[collection]] === 'function';
}

export async function listAll<C extends Listable>(req: ActionRequest, collection: C): Promise<Array<ItemOf<C>>> {
  const list = call(req, collection) as (ctx: RequestContext, filter: Record<string, string>) => Promise<Array<ItemOf<C>>>;
  return list(req.ctx, {});
}

/** One resource by id: the show method when the driver has one, else its listing filtered by id. */
export async function findOne<C extends Listable>(req: ActionRequest, collection: C, id: string): Promise<ItemOf<C> | undefined> {
  const show = req.driver[SHOW_METHOD[collection]] as ((ctx: RequestContext, id: string) => Promise<ItemOf<C> | undefined>) | undefined;
  if (typeof show === 'function') return (await show.call(req.driver, req.ctx, id)) ?? undefined;
  const list = call(req, collection) as (ctx: RequestContext, filter: Record<string, string>) => Promise<Array<ItemOf<C>>>;
  return (await list(req.ctx, { id })).find((item) => (item as { id: string }).id === id);
}

/** EC2's NotFound error for one or more ids, e.g. `The instance ID 'i-1' does not exist`. */
export function notFound(code: string, what: string, ids: string[]): Ec2Error {
  return ids.length === 1
    ? new Ec2Error(code, `The ${what} '${ids[0]}' does not exist`)
    : new Ec2Error(code, `The ${what}s '${ids.join(', ')}' do not exist`);
}

export async function findRequired<C extends Listable>(req: ActionRequest, collection: C, id: string, code: string, what: string): Promise<ItemOf<C>> {
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
