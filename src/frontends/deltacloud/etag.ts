// The ETag of a document answer: the unquoted MD5 of its UTF-8 bytes (spec §6).
// Reads of a driver without a revision are rendered afresh every time, but a
// polled listing renders to the same text again and again: the digests of the
// last few distinct texts are remembered, so a repeat costs one string
// comparison instead of an MD5 over the whole document.
import { hash } from 'node:crypto';

/** Distinct documents remembered; the memo is emptied when full (it is a shortcut, not a cache with a policy). */
const REMEMBERED = 32;
/** Longer documents are hashed every time: remembering them would keep large strings alive. */
const LONGEST_REMEMBERED = 64 * 1024;

export class DocumentEtags {
  private readonly byText = new Map<string, string>();

  /** The ETag of `text`, sent as `bytes` (its UTF-8 encoding). */
  of(text: string, bytes: Buffer): string {
    if (text.length > LONGEST_REMEMBERED) return hash('md5', bytes);
    let etag = this.byText.get(text);
    if (etag === undefined) {
      etag = hash('md5', bytes);
      if (this.byText.size >= REMEMBERED) this.byText.clear();
      this.byText.set(text, etag);
    }
    return etag;
  }
}
