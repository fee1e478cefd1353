// Ids the mock makes up (instances, volumes, snapshots, addresses, networks,
// subnets, interfaces) are never issued twice, even after their record is
// deleted or the server restarts: clients (EC2's terminated instances, caches,
// scripts) take an id to name one resource for good. The last id issued per
// series is kept in the store's meta table; call these inside store.write()
// so the mark and the record commit together. (`--reset` wipes the marks
// with the rest of the state.)
import type { MockStore } from './store.js';
import { unixNow } from './util.js';

/** A series position: a number, and which repeat of it (0 for the first). */
type Mark = readonly [number, number];

const metaKey = (series: string) => `last-id:${series}`;

function lastMark(store: MockStore, series: string): Mark | undefined {
  const [n, repeat] = (store.getMeta(metaKey(series)) ?? '').split(':').map(Number);
  return Number.isSafeInteger(n) && Number.isSafeInteger(repeat) ? [n!, repeat!] : undefined;
}

/** The first mark `next` gives whose id is not taken (by a record named by a client); remembered as the last. */
function allocate(store: MockStore, series: string, next: (last: Mark | undefined) => Mark, format: (mark: Mark) => string,
  taken: (id: string) => boolean): string {
  let mark = next(lastMark(store, series));
  while (taken(format(mark))) mark = next(mark);
  store.putMeta(metaKey(series), mark.join(':'));
  return format(mark);
}

/**
 * The next of a counted series (`inst4`, `inst5`, …; addresses): above every
 * number issued before, and at least `floor` (for a store whose records
 * predate the mark, pass one above the highest number in use).
 */
export function countedId(store: MockStore, series: string, floor: number, format: (n: number) => string,
  taken: (id: string) => boolean): string {
  return allocate(store, series, (last) => [Math.max(floor, last === undefined ? floor : last[0] + 1), 0], ([n]) => format(n), taken);
}

/**
 * `<prefix><unix time>`, as the original named volumes and snapshots; a
 * second id within the same second (or after the clock went back) is
 * `<prefix><time>_2`, `_3`, … of the last time issued.
 */
export function timedId(store: MockStore, prefix: string, taken: (id: string) => boolean): string {
  const now = unixNow();
  return allocate(store, prefix, (last) => (last === undefined || now > last[0] ? [now, 0] : [last[0], last[1] + 1]),
    ([time, repeat]) => (repeat === 0 ? `${prefix}${time}` : `${prefix}${time}_${repeat + 1}`), taken);
}
