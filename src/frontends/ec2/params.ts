// Reading EC2 Query parameters: flat `Name.N.Sub` keys become lists and
// structures; Describe* filters (`Filter.N.Name`, `Filter.N.Value.M`, with
// `*` and `?` wildcards) and MaxResults/NextToken paging. Every map keyed by
// client-chosen names has no prototype, so no name reaches Object.prototype.
import { createHash } from 'node:crypto';
import { emptyRecord, isPrototypeName } from '../../core/safe-keys.js';
import { Ec2Error, invalidValue, missingParameter } from './errors.js';
import { MatchBudget, wildcard } from './wildcard.js';
import { isRecord } from '../../core/guards.js';

export type QueryParams = Record<string, string>;

/** A map for client-chosen keys (see core/safe-keys.ts). */
export function emptyParams(): QueryParams {
  return emptyRecord<string>();
}

/** Adds URL-encoded pairs (less those `skip` names); a name with a prototype-addressing segment is refused. */
export function addParams(params: QueryParams, pairs: URLSearchParams, skip: (name: string) => boolean = () => false): void {
  for (const [name, value] of pairs) {
    if (skip(name)) continue;
    if (name.split('.').some(isPrototypeName)) {
      throw new Ec2Error('UnknownParameter', `The parameter ${name} is not recognized`);
    }
    params[name] = value;
  }
}

export function optional(params: QueryParams, name: string): string | undefined {
  const v = params[name];
  return v === undefined || v === '' ? undefined : v;
}

export function required(params: QueryParams, name: string): string {
  const v = optional(params, name);
  if (v === undefined) throw missingParameter(name);
  return v;
}

export function integer(params: QueryParams, name: string, min: number, max: number): number | undefined {
  const v = optional(params, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidValue(`Value (${v}) for parameter ${name} is invalid. Expected a whole number from ${min} to ${max}.`);
  return n;
}

export function flag(params: QueryParams, name: string): boolean {
  return optional(params, name)?.toLowerCase() === 'true';
}

/** `prefix.1.*`, `prefix.2.*`, … as sub-parameter maps, in index order. */
export function members(params: QueryParams, prefix: string): QueryParams[] {
  const byIndex = new Map<number, QueryParams>();
  const start = `${prefix}.`;
  for (const [key, value] of Object.entries(params)) {
    if (!key.startsWith(start)) continue;
    const rest = key.slice(start.length);
    const dot = rest.indexOf('.');
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index)) continue;
    const member = byIndex.get(index) ?? emptyParams();
    member[dot < 0 ? '' : rest.slice(dot + 1)] = value;
    byIndex.set(index, member);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, m]) => m);
}

/** `prefix.1`, `prefix.2`, … as a list of values, in index order. */
export function list(params: QueryParams, prefix: string): string[] {
  return members(params, prefix).map((m) => m['']).filter((v): v is string => v !== undefined && v !== '');
}

/** Tags for one resource type from `TagSpecification.N` (ResourceType, Tag.M.Key/Value). */
export function tagSpecification(params: QueryParams, resourceType: string): Record<string, string> {
  const tags = emptyParams();
  for (const spec of members(params, 'TagSpecification')) {
    if (spec.ResourceType !== resourceType) continue;
    for (const tag of members(spec, 'Tag')) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
  }
  return tags;
}

// --- filters -----------------------------------------------------------------

export interface Filter {
  name: string;
  values: string[];
}

/**
 * Bounds on what one request may ask to match, AWS-like (50 filters, 200
 * values each; values as long as a tag value), and on the matching work.
 */
export const FILTER_LIMITS = { filters: 50, valuesPerFilter: 200, length: 256, matchSteps: 20_000_000 } as const;

const filterLimitExceeded = (message: string) => new Ec2Error('FilterLimitExceeded', message);

export function filters(params: QueryParams): Filter[] {
  const given = members(params, 'Filter');
  if (given.length > FILTER_LIMITS.filters) throw filterLimitExceeded(`The request may have at most ${FILTER_LIMITS.filters} filters`);
  return given.map((f) => {
    if (!f.Name) throw missingParameter('Filter.N.Name');
    const values = list(f, 'Value');
    if (values.length > FILTER_LIMITS.valuesPerFilter) {
      throw filterLimitExceeded(`The filter '${f.Name}' may have at most ${FILTER_LIMITS.valuesPerFilter} values`);
    }
    for (const text of [f.Name, ...values]) {
      if ([...text].length > FILTER_LIMITS.length) throw invalidValue(`Filter names and values may be at most ${FILTER_LIMITS.length} characters long`);
    }
    return { name: f.Name, values };
  });
}

/** The tags of a resource whose only tag is its name (the only tag the model has a place for). */
export const nameTag = (name: string | undefined): Record<string, string> => (name ? { Name: name } : {});

/** How a resource answers a filter: its value(s) for that name, undefined when it has none. */
export type FilterFields<T> = Record<string, (item: T) => string | number | boolean | Array<string | undefined> | undefined>;

/**
 * Items matching every filter (a filter matches when any value matches any of
 * the item's values). `tag:<key>`, `tag-key` and `tag-value` read `tagsOf`.
 * Unknown filter names are an error, as on AWS.
 */
export function applyFilters<T>(items: T[], given: Filter[], fields: FilterFields<T>, tagsOf?: (item: T) => Record<string, string>): T[] {
  if (given.length === 0) return items;
  const budget = new MatchBudget(FILTER_LIMITS.matchSteps,
    () => filterLimitExceeded('The filters need more matching than one request may do; use fewer or simpler wildcard patterns'));
  const tests = given.map(({ name, values }) => {
    let read: (item: T) => unknown[];
    // Own keys only: a filter named `__proto__` or `toString` is unknown, not Object.prototype's.
    const field = Object.hasOwn(fields, name) ? fields[name]! : undefined;
    if (field) read = (item) => [field(item)].flat();
    else if (tagsOf && name.startsWith('tag:')) read = (item) => [ownValue(tagsOf(item), name.slice(4))];
    else if (tagsOf && name === 'tag-key') read = (item) => Object.keys(tagsOf(item));
    else if (tagsOf && name === 'tag-value') read = (item) => Object.values(tagsOf(item));
    else throw invalidValue(`The filter '${name}' is invalid`);
    const patterns = values.map(wildcard);
    return (item: T) => read(item).some((v) => {
      if (v === undefined) return false;
      const text = Array.from(String(v));
      return patterns.some((p) => p.matches(text, budget));
    });
  });
  return items.filter((item) => tests.every((t) => t(item)));
}

const ownValue = (map: Record<string, string>, key: string): string | undefined => (Object.hasOwn(map, key) ? map[key] : undefined);

// --- paging ------------------------------------------------------------------

const MAX_RESULTS = { min: 5, max: 1000 };

/**
 * One page of `items` and the token for the next. The token is opaque to
 * clients: base64url JSON of the offset and a digest of the query it belongs
 * to, so a token is refused with a different action or filters. Stateless,
 * so it survives restarts; offsets may skip or repeat an item when the
 * collection changes between pages (AWS gives no stronger promise).
 */
export function paginate<T>(items: T[], params: QueryParams, action: string): { page: T[]; nextToken?: string } {
  const maxResults = integer(params, 'MaxResults', MAX_RESULTS.min, MAX_RESULTS.max);
  const token = optional(params, 'NextToken');
  const query = createHash('sha256').update(action).update(JSON.stringify(
    Object.entries(params).filter(([k]) => k !== 'NextToken' && k !== 'MaxResults' && !k.startsWith('X-Amz-')).sort(),
  )).digest('base64url').slice(0, 16);
  let offset = 0;
  if (token !== undefined) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const tokenOffset = isRecord(decoded) && decoded.q === query ? decoded.o : undefined;
    if (typeof tokenOffset !== 'number' || !Number.isInteger(tokenOffset) || tokenOffset < 0) {
      throw new Ec2Error('InvalidPaginationToken', 'The pagination token is not valid for this request');
    }
    offset = tokenOffset;
  }
  if (maxResults === undefined) return { page: items.slice(offset) };
  const end = offset + maxResults;
  const page = items.slice(offset, end);
  return end < items.length ? { page, nextToken: Buffer.from(JSON.stringify({ o: end, q: query })).toString('base64url') } : { page };
}
