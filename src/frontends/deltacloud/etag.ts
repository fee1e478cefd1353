// The ETag of a document answer: the unquoted MD5 of its UTF-8 bytes (spec §6).
// Reads of a driver without a revision are rendered afresh every time, but a
// polled listing renders to the same text again and again: the digests of the
// last few distinct texts are remembered, so a repeat costs a string
// comparison instead of an MD5 over the whole document.
import { hash } from 'node:crypto';

/** Distinct documents remembered, the oldest replaced first. */
const REMEMBERED = 8;
/** Longer documents are hashed every time: remembering them would keep large strings alive. */
const LONGEST_REMEMBERED = 64 * 1024;

export class DocumentEtags {
  // Compared with `===` (lengths first, then the characters), not looked up in a Map: a Map would hash the whole text.
  private readonly texts: string[] = [];
  private readonly etags: string[] = [];
  private next = 0;

  /** The ETag of `text` (of its UTF-8 encoding, as sent). */
  of(text: string): string {
    if (text.length > LONGEST_REMEMBERED) return hash('md5', text);
    for (let i = 0; i < this.texts.length; i++) if (this.texts[i] === text) return this.etags[i]!;
    const etag = hash('md5', text);
    this.texts[this.next] = text;
    this.etags[this.next] = etag;
    this.next = (this.next + 1) % REMEMBERED;
    return etag;
  }
}
