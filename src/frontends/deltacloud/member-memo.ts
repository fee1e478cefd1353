// The XML text of list members, remembered by their content. A view is a pure
// function of (item, ViewContext), and a ViewContext is (base URL, driver) with
// the driver's declaration frozen, so the same item under the same base and
// driver always renders to the same text. Drivers return fresh objects on every
// call, but polled members rarely change between polls: a member whose data was
// rendered before is found by its JSON text instead of being built and
// serialised again.
import type { Driver } from '../../core/driver.js';
import type { ViewContext } from './views/view.js';
import { SeenOnceFilter } from './seen-once.js';
import { serializeXmlFragment, type XmlElement } from './xml.js';

/** Memory the remembered keys and texts may take in all (2 bytes per UTF-16 code unit), least recently used dropped first. */
export const MEMBER_MEMO_LIMIT_BYTES = 4 * 1024 * 1024;
/** A member larger than this share of the limit is rendered every time: it would push out many others. */
const LARGEST_SHARE = 1 / 64;

/** Slots of the filter of members seen once (a power of two). */
const SEEN_SLOTS = 4096;

/**
 * When fewer than one lookup in this many hits lately, only one list in PROBE_EVERY looks its
 * members up: a key costs a JSON text and a walk, which members that change on every poll never
 * pay back (measured in-process on the mock's four instances: 41 µs per list against 28 µs without
 * the memo when every list looked up; 33 µs with these probes).
 */
const RARE_HITS = 8;
const PROBE_EVERY = 8;
/** Lookups counted before hits are judged rare. */
const HITS_JUDGED_AFTER = 64;
/** Lookups over which hits are counted (both counts are halved when it is reached). */
const HIT_WINDOW = 1024;

/** Indentation of a member inside a list document (the list element is the root). */
const MEMBER_INDENT = '  ';

/** An object made by a literal, JSON.parse or Object.create(null): its enumerable keys are its data. */
const isPlainObject = (value: object): value is Record<string, unknown> => {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Walks an item before its JSON text is taken as its identity. JSON.stringify drops a property
 * set to undefined, but a view can tell `{a: undefined}` from `{}` (some records are listed by
 * their keys), so each such property is written down beside the text: its name and its place in
 * the walk (every value and every end of an object or array is one step, so the place tells
 * which object and which position). Anything else JSON cannot tell apart ends the walk: a Date and
 * its ISO string, a Buffer and `{type, data}`, NaN and null, -0 and 0, a hole or undefined in an array
 * and null, class instances, functions, symbols, bigints.
 */
class KeyWalk {
  private step = 0;
  /** Properties set to undefined: place and quoted name, one after another (usually none). */
  marks = '';

  /** Whether `value` is plain JSON data (noting its undefined properties on the way). */
  plain(value: unknown): boolean {
    this.step++;
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return true;
      case 'number':
        return Number.isFinite(value) && !Object.is(value, -0);
      case 'object': {
        if (value === null) return true;
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) if (!(i in value) || value[i] === undefined || !this.plain(value[i])) return false;
        } else {
          if (!isPlainObject(value)) return false;
          // Enumerable string keys, in the order both JSON.stringify and the views' `for…in` see them (symbols and
          // non-enumerable properties are not looked for: items come from literals, mappings and JSON.parse).
          for (const key in value) {
            const child = value[key];
            if (child === undefined) this.marks += this.step++ + JSON.stringify(key);
            else if (!this.plain(child)) return false;
          }
        }
        this.step++;
        return true;
      }
      default:
        return false;
    }
  }
}

/**
 * The text that identifies an item's data for the memo: equal texts, equal renderings. Undefined
 * when the item is not plain JSON data (it is then rendered every time).
 */
export function memberKey(item: unknown): string | undefined {
  const walk = new KeyWalk();
  if (!walk.plain(item)) return undefined;
  // JSON text has no raw newline: the marks cannot be confused with it.
  const json = JSON.stringify(item);
  return walk.marks === '' ? json : json + '\n' + walk.marks;
}

/** One remembered member; the LRU order holds these. */
interface Remembered {
  readonly members: Map<string, Remembered>;
  readonly context: string;
  readonly key: string;
  readonly text: string;
  readonly bytes: number;
}

export class MemberMemo {
  /** Members by context (driver, render function, base URL), then by their key: a member's key is its JSON text alone. */
  private readonly contexts = new Map<string, Map<string, Remembered>>();
  /** Least recently used first (a Set keeps insertion order; a hit is deleted and added again). */
  private readonly order = new Set<Remembered>();
  private bytes = 0;
  private readonly largestBytes: number;
  /**
   * Fingerprints of members rendered once and not remembered. A member is remembered the second time
   * it is seen: a member that changes on every poll would otherwise be kept until evicted, outliving
   * the young generation and costing the garbage collector more than rendering it (measured).
   */
  private readonly seenOnce = new SeenOnceFilter(SEEN_SLOTS);
  private lookups = 0;
  private hits = 0;
  private skipped = 0;
  /** Serial numbers stand for drivers and render functions in keys: the memo holds no reference that would keep either alive. */
  private readonly driverSerials = new WeakMap<Driver, number>();
  private readonly renderSerials = new WeakMap<object, number>();
  private nextSerial = 0;

  constructor(readonly limitBytes: number = MEMBER_MEMO_LIMIT_BYTES) {
    this.largestBytes = limitBytes * LARGEST_SHARE;
  }

  /**
   * A function giving a member's text inside a list document: what serialising `render(item, v)`
   * at a member's indentation gives. `render` is a view's pure XML function (`view.xml`, `view.xmlInList`).
   */
  members<T>(render: (item: T, v: ViewContext) => XmlElement, v: ViewContext): (item: T) => string {
    const fresh = (item: T) => serializeXmlFragment(render(item, v), MEMBER_INDENT);
    if (this.limitBytes === 0 || !this.worthLooking()) return fresh;
    const context = this.serial(this.driverSerials, v.driver) + ' ' + this.serial(this.renderSerials, render) + ' ' + v.base;
    return (item) => {
      const key = memberKey(item);
      if (key === undefined) return fresh(item);
      const members = this.contexts.get(context);
      const known = members?.get(key);
      this.counted(known !== undefined);
      if (known !== undefined) {
        this.order.delete(known);
        this.order.add(known);
        return known.text;
      }
      const text = fresh(item);
      this.remember(members, context, key, text);
      return text;
    };
  }

  /** How many members are remembered, the bytes they count for, and the lookups counted lately (tests). */
  get size(): { entries: number; bytes: number; contexts: number; lookups: number } {
    return { entries: this.order.size, bytes: this.bytes, contexts: this.contexts.size, lookups: this.lookups };
  }

  /** Whether this list's members are looked up: always while lookups hit, else one list in PROBE_EVERY. */
  private worthLooking(): boolean {
    return this.lookups < HITS_JUDGED_AFTER || this.hits * RARE_HITS >= this.lookups || ++this.skipped % PROBE_EVERY === 0;
  }

  private counted(hit: boolean) {
    if (hit) {
      // A hit after a run of misses (a probe that found a polled list): look up every list again at once.
      if (this.hits * RARE_HITS < this.lookups) this.hits = this.lookups = 0;
      this.hits++;
    }
    if (++this.lookups < HIT_WINDOW) return;
    this.lookups >>= 1;
    this.hits >>= 1;
  }

  private remember(known: Map<string, Remembered> | undefined, context: string, key: string, text: string) {
    const bytes = 2 * (context.length + key.length + text.length);
    if (bytes > this.largestBytes) return;
    if (!this.seenOnce.seenBefore(key)) return;
    let members = known;
    if (!members) {
      members = new Map();
      this.contexts.set(context, members);
    }
    // Stored flat: the serialiser builds a rope of hundreds of pieces, and every document made from
    // the member would walk them again to flatten it; V8 flattens a rope in place when a character is read.
    text.charCodeAt(0);
    const entry: Remembered = { members, context, key, text, bytes };
    members.set(key, entry);
    this.order.add(entry);
    this.bytes += bytes;
    for (const oldest of this.order) {
      if (this.bytes <= this.limitBytes) break;
      this.order.delete(oldest);
      oldest.members.delete(oldest.key);
      // A context's map goes with its last member: base URLs come from the Host header, so contexts must not pile up.
      if (oldest.members.size === 0) this.contexts.delete(oldest.context);
      this.bytes -= oldest.bytes;
    }
  }

  private serial<K extends object>(serials: WeakMap<K, number>, of: K): number {
    let serial = serials.get(of);
    if (serial === undefined) {
      serial = this.nextSerial++;
      serials.set(of, serial);
    }
    return serial;
  }
}

/** The server's memo: shared by every driver instance and view (its keys tell them apart). */
export const memberMemo = new MemberMemo();
