// XML in and out: libvirt's documents parsed with fast-xml-parser, ours built
// from templates with every interpolated value escaped.
import { XMLParser } from 'fast-xml-parser';

export type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  // Repeated elements always as arrays, single ones too.
  isArray: (name) => ['disk', 'interface', 'graphics', 'serial', 'console', 'volume', 'hostdev', 'cell', 'controller'].includes(name),
});

export function parseXml(text: string): XmlNode {
  return parser.parse(text);
}

/** An element as the parser gives it (not text, not a list). */
function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An element, or text content as an element holding only text. */
function asNode(value: unknown): XmlNode {
  return isNode(value) ? value : { '#text': String(value ?? '') };
}

/** Child element (object), or undefined. */
export function child(node: unknown, name: string): XmlNode | undefined {
  if (!isNode(node)) return undefined;
  const v = node[name];
  if (Array.isArray(v)) return v.length === 0 ? undefined : asNode(v[0]);
  if (isNode(v)) return v;
  if (typeof v === 'string') return { '#text': v };
  return undefined;
}

export function children(node: unknown, name: string): XmlNode[] {
  if (!isNode(node)) return [];
  const v = node[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(asNode);
}

/** Text content of a child element (or of the node itself with name undefined). */
export function text(node: unknown, name?: string): string | undefined {
  const target = name === undefined ? node : isNode(node) ? node[name] : undefined;
  if (target === undefined || target === null) return undefined;
  if (typeof target === 'string' || typeof target === 'number') return String(target);
  if (Array.isArray(target)) return text(target[0]);
  if (isNode(target)) {
    const t = target['#text'];
    return t === undefined ? '' : String(t);
  }
  return undefined;
}

export function attr(node: unknown, name: string): string | undefined {
  if (!isNode(node)) return undefined;
  const v = node[`@${name}`];
  return v === undefined ? undefined : String(v);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text and attribute values; drops characters XML 1.0 cannot carry. */
export function esc(value: string | number): string {
  return String(value)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Converts a size with a libvirt unit to bytes. */
export function toBytes(value: string | undefined, unit = 'bytes'): number {
  const n = Number(value ?? 0);
  if (!Number.isFinite(n)) return 0;
  const u = unit.toLowerCase();
  const factors: Record<string, number> = {
    b: 1, bytes: 1, k: 1024, kib: 1024, kb: 1000, m: 1024 ** 2, mib: 1024 ** 2, mb: 1000 ** 2,
    g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3, t: 1024 ** 4, tib: 1024 ** 4, tb: 1000 ** 4,
  };
  return n * (factors[u] ?? 1);
}
