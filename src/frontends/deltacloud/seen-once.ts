// Admission on a second sighting, remembering nothing but fingerprints: most
// reads with a new key (a one-off query string, a member that changes on every
// poll) are never repeated, and keeping what they rendered until a second
// request proves otherwise makes it outlive the garbage collector's young
// generation (measured: a queue of 64 first renderings cost a quarter of the
// CPU of an uncached listing, in copying and old-generation collections).

/**
 * A 32-bit fingerprint of a key (FNV-1a over its UTF-16 code units; every character counts: a key
 * that changed in one character must not pass as seen). Two keys sharing one only admit something a
 * request early; it never decides what is answered.
 */
function fingerprint(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 1; // never 0, the value of an empty slot
}

/** The keys seen once lately, as fingerprints in a fixed table (a key pushes out the one in its slot). */
export class SeenOnceFilter {
  private readonly slots: Int32Array;

  /** `slots`: a power of two. */
  constructor(slots: number) {
    this.slots = new Int32Array(slots);
  }

  /** Whether `key` was seen since its slot was last taken; if not, it is seen now. */
  seenBefore(key: string): boolean {
    const print = fingerprint(key);
    const slot = print & (this.slots.length - 1);
    if (this.slots[slot] === print) return true;
    this.slots[slot] = print;
    return false;
  }
}
