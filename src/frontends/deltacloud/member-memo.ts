// The XML text of list members, remembered by their content. A view is a pure
// function of (item, ViewContext), and a ViewContext is (base URL, driver) with
// the driver's declaration frozen, so the same item under the same base and
// driver always renders to the same text. Drivers return fresh objects on every
// call, but polled members rarely change between polls: a member whose data was
// rendered before is found by its JSON text instead of being built and
// serialised again.
import type { Driver } from '../../core/driver.js';
import type { ViewContext } from './views/view.js';
import { serializeXmlFragment, type XmlElement } from './xml.js';

/** Memory the remembered keys and texts may take in all (2 bytes per UTF-16 code unit), least recently used dropped first. */
export const MEMBER_MEMO_LIMIT_BYTES = 4 * 1024 * 1024;
/** A member larger than this share of the limit is rendered every time: it would push out many others. */
const LARGEST_SHARE = 1 / 64;

/** Indentation of a member inside a list document (the list element is the root). */
const MEMBER_INDENT = '  ';

/** An object made by a literal, JSON.parse or Object.create(null): its enumerable keys are its data. */
const isPlainObject = (value: object): value is Record<string, unknown> => {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Whether `value` is plain JSON data whose JSON text tells it apart from every other value a view
 * could render differently: strings, booleans, null, finite numbers (not -0), arrays without holes
 * or undefined, and plain objects of those. Anything else makes two different values share a text
 * (a Date and its ISO string, a Buffer and `{type, data}`, NaN and null, `{a: undefined}` and `{}`
 * — views iterate some records' keys), so such an item is rendered without the memo.
 */
export function isPlainJsonData(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainJsonData(value[i])) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      // Enumerable string keys: what both JSON.stringify and the views' `for…in` see (symbols and
      // non-enumerable properties are not looked for: items come from literals, mappings and JSON.parse).
      for (const key in value) if (!isPlainJsonData(value[key])) return false;
      return true;
    }
    default:
      return false;
  }
}

export class MemberMemo {
  private readonly texts = new Map<string, string>();
  private bytes = 0;
  private readonly largestBytes: number;
  /** Serial numbers stand for drivers and render functions in keys: the memo holds no reference that would keep either alive. */
  private readonly driverSerials = new WeakMap<Driver, number>();
  private readonly renderSerials = new WeakMap<object, number>();
  private nextSerial = 0;

  constructor(readonly limitBytes: number = MEMBER_MEMO_LIMIT_BYTES) {
    this.largestBytes = limitBytes * LARGEST_SHARE;
  }

  /**
   * The member's text inside a list document: what serialising `render(item, v)` at a member's
   * indentation gives. `render` is a view's pure XML function (`view.xml`, `view.xmlInList`).
   */
  member<T>(render: (item: T, v: ViewContext) => XmlElement, item: T, v: ViewContext): string {
    if (this.limitBytes === 0 || !isPlainJsonData(item)) return serializeXmlFragment(render(item, v), MEMBER_INDENT);
    const key = this.serial(this.driverSerials, v.driver) + ' ' + this.serial(this.renderSerials, render) + ' ' + v.base + '\n' + JSON.stringify(item);
    const known = this.texts.get(key);
    if (known !== undefined) {
      // Most recently used last: re-inserting moves it (the key's hash is kept in the string, not computed again).
      this.texts.delete(key);
      this.texts.set(key, known);
      return known;
    }
    const text = serializeXmlFragment(render(item, v), MEMBER_INDENT);
    const size = 2 * (key.length + text.length);
    if (size > this.largestBytes) return text;
    this.texts.set(key, text);
    this.bytes += size;
    for (const [oldKey, oldText] of this.texts) {
      if (this.bytes <= this.limitBytes) break;
      this.texts.delete(oldKey);
      this.bytes -= 2 * (oldKey.length + oldText.length);
    }
    return text;
  }

  /** How many members are remembered and the bytes they count for (tests). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.texts.size, bytes: this.bytes };
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
