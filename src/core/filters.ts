// List filters, one semantics for every driver. A listing's filters come from
// the query string (`GET /api/instances?state=RUNNING`). Drivers may push a
// filter down to their back end where that saves traffic (EC2's
// DescribeInstances filters, an OpenStack show for `id`); the core then
// applies every filter of the collection to whatever the driver returned.
// Matching is idempotent, so re-applying what a driver already pushed down
// changes nothing, and results are the same on every driver.
import type { CollectionName, Filter } from './driver.js';
import type {
  Address, Bucket, Firewall, HardwareProfile, Image, Instance, Key, LoadBalancer, Metric, Network,
  NetworkInterface, Realm, StorageSnapshot, StorageVolume, Subnet,
} from './model.js';

/** The member type of each filterable collection. */
export interface FilteredItems {
  realms: Realm;
  hardware_profiles: HardwareProfile;
  images: Image;
  instances: Instance;
  keys: Key;
  storage_volumes: StorageVolume;
  storage_snapshots: StorageSnapshot;
  buckets: Bucket;
  addresses: Address;
  load_balancers: LoadBalancer;
  firewalls: Firewall;
  metrics: Metric;
  networks: Network;
  subnets: Subnet;
  network_interfaces: NetworkInterface;
}
export type FilteredCollection = keyof FilteredItems & CollectionName;

type Matchers<T> = Record<string, (item: T, value: string) => boolean>;

const byId = { id: (item: { id: string }, value: string) => item.id === value };

/** Whether a hardware profile's property admits a value (fixed: equal; enum: listed; range: within). */
export function profileAdmits(profile: HardwareProfile, name: string, value: string): boolean {
  const p = profile.properties.find((x) => x.name === name);
  if (!p) return false;
  if (p.kind === 'fixed') return String(p.value) === value;
  if (p.kind === 'enum') return (p.values ?? []).map(String).includes(value);
  const n = Number(value);
  return Number.isFinite(n) && n >= (p.first ?? -Infinity) && n <= (p.last ?? Infinity);
}

/**
 * The filters of each collection (API spec §11: `id` everywhere; the others
 * as listed per collection). All are exact matches. Any other query
 * parameter is not a filter and never reaches a driver.
 */
const FILTERS: { [C in FilteredCollection]: Matchers<FilteredItems[C]> } = {
  realms: byId,
  hardware_profiles: { ...byId, architecture: (p, v) => profileAdmits(p, 'architecture', v) },
  images: {
    ...byId,
    architecture: (i, v) => i.architecture === v,
    // `self` names the caller's own account, which only the driver can resolve (it does).
    owner_id: (i, v) => v === 'self' || i.ownerId === v,
  },
  instances: {
    ...byId,
    state: (i, v) => i.state === v,
    realm_id: (i, v) => i.realmId === v,
  },
  keys: byId,
  storage_volumes: byId,
  storage_snapshots: byId,
  buckets: byId,
  addresses: byId,
  load_balancers: byId,
  firewalls: byId,
  metrics: byId,
  networks: byId,
  subnets: byId,
  network_interfaces: byId,
};

/** The filter names a collection honours, e.g. `['id', 'state', 'realm_id']` for instances. */
export function filterNames(collection: FilteredCollection): string[] {
  return Object.keys(FILTERS[collection]);
}

/**
 * The one rule for empty values: an empty string is no filter at all
 * (`?state=` lists every state), as an empty parameter is absent elsewhere in the API.
 */
export function filterValue(filter: Filter, name: string): string | undefined {
  const value = filter[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The collection's filters among the request parameters (first value of a repeated one), empty ones left out. */
export function filtersFor(collection: FilteredCollection, params: Record<string, unknown>): Filter {
  const filter: Filter = {};
  for (const name of filterNames(collection)) {
    const raw = params[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value === 'string' && value !== '') filter[name] = value;
  }
  return filter;
}

/** The items matching every filter given (empty values ignored); the same array when no filter applies. */
export function applyFilters<T>(collection: FilteredCollection, items: T[], filter: Filter): T[] {
  // One cast: `T` is the collection's item type (FilteredItems[collection]); callers typed by a
  // driver capability (core/kit/lookup ItemOf) can't show TypeScript that the two are the same.
  const matchers = FILTERS[collection] as unknown as Matchers<T>;
  const active: Array<[(item: T, value: string) => boolean, string]> = [];
  for (const [name, matches] of Object.entries(matchers)) {
    const value = filterValue(filter, name);
    if (value !== undefined) active.push([matches, value]);
  }
  if (active.length === 0) return items;
  return items.filter((item) => active.every(([matches, value]) => matches(item, value)));
}
