// HTTP byte ranges (RFC 9110 §14): the one parser of `Range: bytes=…` for
// every front end, and its resolution against a representation's length.
// Only single ranges are served; a request for several gets the whole body
// with 200, which RFC 9110 section 14.2 allows ("a server MAY ignore the Range header").

/** Bytes `start` to `end`, both included (as in Content-Range). */
export interface ByteRange {
  start: number;
  end: number;
}

/** One range as asked: `first-last`, `first-` (last omitted) or `-suffix` (the last `suffix` bytes). */
export type RangeSpec = { first: number; last?: number } | { suffix: number };

const DIGITS = /^\d{1,15}$/;

function integer(text: string): number | undefined {
  return DIGITS.test(text) ? Number(text) : undefined;
}

/**
 * The single range a `Range` header asks for, or `undefined` when the header
 * is to be ignored (absent, not `bytes`, malformed, or several ranges).
 */
export function parseRange(header: string | undefined): RangeSpec | undefined {
  if (header === undefined) return undefined;
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return undefined;
  const specs = header.slice(eq + 1).split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length !== 1) return undefined;
  const spec = specs[0]!;
  const dash = spec.indexOf('-');
  if (dash < 0) return undefined;
  const before = spec.slice(0, dash).trim();
  const after = spec.slice(dash + 1).trim();
  if (before === '') {
    const suffix = integer(after);
    return suffix === undefined ? undefined : { suffix };
  }
  const first = integer(before);
  if (first === undefined) return undefined;
  if (after === '') return { first };
  const last = integer(after);
  // `last < first` makes the header invalid, and an invalid Range is ignored.
  return last === undefined || last < first ? undefined : { first, last };
}

/** The bytes of a `size`-byte representation the range selects, or `undefined` when it selects none (416). */
export function resolveRange(spec: RangeSpec, size: number): ByteRange | undefined {
  if ('suffix' in spec) {
    if (spec.suffix === 0 || size === 0) return undefined;
    return { start: Math.max(0, size - spec.suffix), end: size - 1 };
  }
  if (spec.first >= size) return undefined;
  return { start: spec.first, end: Math.min(spec.last ?? size - 1, size - 1) };
}

/** `Content-Range` of a partial answer. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** A store's `Content-Range: bytes first-last/size` answer, or undefined when it is not one (e.g. `*` for the size). */
export function parseContentRange(header: string | null | undefined): (ByteRange & { size: number }) | undefined {
  const m = header === null || header === undefined ? null : /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(header.trim());
  if (!m) return undefined;
  const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return start <= end && end < size ? { start, end, size } : undefined;
}
