// Content negotiation exactly as the original (spec §5): `?format=` decides
// alone; otherwise Accept entries ranked by q, later ones winning ties.

export type Format = 'xml' | 'json' | 'html' | 'png' | 'gv' | 'yaml';

export const CONTENT_TYPES: Record<Format, string> = {
  xml: 'application/xml',
  json: 'application/json',
  html: 'text/html',
  png: 'image/png',
  gv: 'application/ghostscript',
  yaml: 'application/yaml',
};

const MEDIA_TYPES: Array<[Format, string[]]> = [
  ['xml', ['application/xml', 'text/xml']],
  ['json', ['application/json']],
  ['html', ['application/xhtml+xml', 'text/html', '*/*']],
  ['png', ['image/png']],
  ['gv', ['application/ghostscript']],
  ['yaml', ['application/yaml', 'application/x-yaml', 'text/yaml']], // the OpenAPI document only
];

// Clients send few distinct Accept headers: remember the ranking of the last ones seen.
const rankedByAccept = new Map<string, readonly Format[]>();
const MAX_REMEMBERED = 64;

/** Formats acceptable to the client, best first; empty when none is (→ 406). */
export function rankFormats(formatParam: string | undefined, accept: string | undefined): readonly Format[] {
  if (formatParam !== undefined) {
    const named = MEDIA_TYPES.find(([f]) => f === formatParam);
    return named ? [named[0]] : [];
  }
  const key = accept ?? '';
  let ranked = rankedByAccept.get(key);
  if (!ranked) {
    ranked = rankAccept(accept);
    if (rankedByAccept.size >= MAX_REMEMBERED) rankedByAccept.clear();
    rankedByAccept.set(key, ranked);
  }
  return ranked;
}

function rankAccept(accept: string | undefined): Format[] {
  const entries = parseAccept(accept && accept.trim() !== '' ? accept : 'application/xml');
  // Stable sort by q ascending: among equal q the later entry ranks higher.
  const ordered = entries.map((e, index) => ({ ...e, index })).sort((a, b) => a.q - b.q || a.index - b.index);
  const ranked: Array<{ format: Format; position: number }> = [];
  for (const [format, types] of MEDIA_TYPES) {
    for (const type of types) {
      const position = ordered.findIndex((e) => e.type === type);
      if (position >= 0) {
        ranked.push({ format, position });
        break;
      }
    }
  }
  return ranked.sort((a, b) => b.position - a.position).map((r) => r.format);
}

function parseAccept(header: string): Array<{ type: string; q: number }> {
  const out: Array<{ type: string; q: number }> = [];
  for (const part of header.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (!type) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q=([0-9.]+)$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (Number.isFinite(q) && q > 0) out.push({ type: type.toLowerCase(), q });
  }
  return out;
}

/** The best format the operation offers, if any. */
export function chooseFormat(ranked: readonly Format[], offered: readonly Format[]): Format | undefined {
  return ranked.find((f) => offered.includes(f));
}
