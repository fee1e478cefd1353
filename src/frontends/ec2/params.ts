// Reading EC2 Query parameters: flat `Name.N.Sub` keys become lists and
// structures; Describe* filters (`Filter.N.Name`, `Filter.N.Value.M`, with
// `*` and `?` wildcards) and MaxResults/NextToken paging.
import { createHash } from 'node:crypto';
import { Ec2Error, invalidValue, missingParameter } from './errors.js';

export type QueryParams = Record<string, string>;

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
    const member = byIndex.get(index) ?? {};
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
  const tags: Record<string, string> = {};
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

export function filters(params: QueryParams): Filter[] {
  return members(params, 'Filter').map((f) => {
    if (!f.Name) throw missingParameter('Filter.N.Name');
    return { name: f.Name, values: list(f, 'Value') };
  });
}

/** The tags of a resource whose only tag is its name (the only tag the model has a place for). */
export const nameTag = (name: string | undefined): Record<string, string> => (name ? { Name: name } : {});

/** How a resource answers a filter: its value(s) for that name, undefined when it has none. */
export type FilterFields<T> = Record<string, (item: T) => string | number | boolean | Array<string | undefined> | undefined>;

function wildcard(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's');
}

/**
 * Items matching every filter (a filter matches when any value matches any of
 * the item's values). `tag:<key>`, `tag-key` and `tag-value` read `tagsOf`.
 * Unknown filter names are an error, as on AWS.
 */
export function applyFilters<T>(items: T[], given: Filter[], fields: FilterFields<T>, tagsOf?: (item: T) => Record<string, string>): T[] {
  if (given.length === 0) return items;
  const tests = given.map(({ name, values }) => {
    let read: (item: T) => unknown[];
    if (fields[name]) read = (item) => [fields[name]!(item)].flat();
    else if (tagsOf && name.startsWith('tag:')) read = (item) => [tagsOf(item)[name.slice(4)]];
    else if (tagsOf && name === 'tag-key') read = (item) => Object.keys(tagsOf(item));
    else if (tagsOf && name === 'tag-value') read = (item) => Object.values(tagsOf(item));
    else throw invalidValue(`The filter '${name}' is invalid`);
    const patterns = values.map(wildcard);
    return (item: T) => read(item).some((v) => v !== undefined && patterns.some((p) => p.test(String(v))));
  });
  return items.filter((item) => tests.every((t) => t(item)));
}

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
    let decoded: { o?: unknown; q?: unknown } | undefined;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    if (!decoded || decoded.q !== query || !Number.isInteger(decoded.o) || (decoded.o as number) < 0) {
      throw new Ec2Error('InvalidPaginationToken', 'The pagination token is not valid for this request');
    }
    offset = decoded.o as number;
  }
  if (maxResults === undefined) return { page: items.slice(offset) };
  const end = offset + maxResults;
  const page = items.slice(offset, end);
  return end < items.length ? { page, nextToken: Buffer.from(JSON.stringify({ o: end, q: query })).toString('base64url') } : { page };
}
