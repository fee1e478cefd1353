// The part of an EC2 Describe request a driver can filter at its back end.
// EC2 filters have several values each and wildcards; a core filter
// (core/filters.ts) is one exact value. A filter with one plain value whose
// name has a core equivalent is passed to the driver, which pushes it down
// (EC2's own DescribeInstances filters, OpenStack query parameters); the
// action then applies every EC2 filter as before, so the answer is the same
// whether or not the back end filtered.
import type { Filter as CoreFilter } from '../../core/driver.js';
import { isPrototypeName } from '../../core/safe-keys.js';
import type { Filter } from './params.js';

/** EC2 filter name → the core filter it implies; `value` translates its value (undefined: not expressible). */
export type CoreEquivalents = Readonly<Record<string, { core: string; value?: (ec2Value: string) => string | undefined }>>;

/** `*`, `?` and `\` make a value a pattern (wildcard.ts), which no core filter expresses. */
const isPlain = (value: string) => !/[*?\\]/.test(value);

/**
 * The core filter implied by `given` (the request's `Filter.N`) and `ids` (its `InstanceId.N`, …).
 * With ids, only a single id is passed: an id the request names must be reported missing
 * only when it does not exist, never because another filter excluded it.
 */
export function coreFilterOf(given: readonly Filter[], ids: readonly string[], equivalents: CoreEquivalents): CoreFilter {
  if (ids.length > 0) return ids.length === 1 ? { id: ids[0]! } : {};
  const filter: CoreFilter = {};
  for (const { name, values } of given) {
    const target = Object.hasOwn(equivalents, name) ? equivalents[name] : undefined;
    const [only] = values;
    if (!target || values.length !== 1 || only === undefined || only === '' || !isPlain(only) || isPrototypeName(target.core)) continue;
    const value = target.value ? target.value(only) : only;
    // Two filters naming different values match nothing: the EC2 filters applied afterwards say so.
    if (value !== undefined && value !== '' && filter[target.core] === undefined) filter[target.core] = value;
  }
  return filter;
}

/** EC2 instance state names → the one core state each stands for (`stopped` also stands for ERROR and others; `shutting-down` for no documented one). */
const CORE_STATE: Readonly<Record<string, string>> = {
  pending: 'PENDING', running: 'RUNNING', terminated: 'FINISH', stopping: 'STOPPING',
};

export const INSTANCE_EQUIVALENTS: CoreEquivalents = {
  'instance-id': { core: 'id' },
  'instance-state-name': { core: 'state', value: (name) => (Object.hasOwn(CORE_STATE, name) ? CORE_STATE[name] : undefined) },
  'availability-zone': { core: 'realm_id' },
};

export const IMAGE_EQUIVALENTS: CoreEquivalents = {
  'image-id': { core: 'id' },
  architecture: { core: 'architecture' },
  // `self` as a core owner means the caller's account; as an EC2 filter value it is a literal.
  'owner-id': { core: 'owner_id', value: (owner) => (owner === 'self' ? undefined : owner) },
};

export const ZONE_EQUIVALENTS: CoreEquivalents = { 'zone-name': { core: 'id' }, 'zone-id': { core: 'id' } };
export const INSTANCE_TYPE_EQUIVALENTS: CoreEquivalents = { 'instance-type': { core: 'id' } };
export const VOLUME_EQUIVALENTS: CoreEquivalents = { 'volume-id': { core: 'id' } };
export const SNAPSHOT_EQUIVALENTS: CoreEquivalents = { 'snapshot-id': { core: 'id' } };
