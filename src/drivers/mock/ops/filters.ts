// Query-string filters: exact matches on the fields a collection supports.
import type { Filter } from '../../../core/driver.js';

/** Keeps the items whose field equals the filter value, for each filter given. */
export function applyFilters<T>(items: T[], filter: Filter, fields: Record<string, (item: T) => unknown>): T[] {
  const active = Object.entries(fields).filter(([name]) => filter[name] !== undefined);
  if (active.length === 0) return items;
  return items.filter((item) => active.every(([name, field]) => field(item) === filter[name]));
}

export const byId = { id: (item: { id: string }) => item.id };
