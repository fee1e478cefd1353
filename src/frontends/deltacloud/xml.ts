// A minimal XML tree and serializer. Representations build trees; the XML
// renderer serializes them and the HTML renderer walks the same trees, so each
// resource's shape is written once.

export interface XmlElement {
  name: string;
  attrs: Record<string, string | number | undefined | null>;
  children: XmlChild[];
}
export interface XmlCData {
  cdata: string;
}
export type XmlChild = XmlElement | XmlCData | string;

/** The attributes of every element created without any (never written to: trees are built, then only read). */
const NO_ATTRS: XmlElement['attrs'] = Object.freeze({});

type MaybeChild = XmlChild | undefined | null | false;
const isChild = (c: MaybeChild): c is XmlChild => c !== undefined && c !== null && c !== false;
/** Most child lists have no gaps: they are then kept as given, not copied (every answer builds hundreds of elements). */
const hasNoGaps = (children: MaybeChild[]): children is XmlChild[] => children.every(isChild);

export function el(name: string, attrs: XmlElement['attrs'] = NO_ATTRS, children: MaybeChild[] = []): XmlElement {
  return { name, attrs, children: hasNoGaps(children) ? children : children.filter(isChild) };
}

/** An element holding one text child (empty string when the value is unset). */
export function textEl(name: string, value: unknown, attrs: XmlElement['attrs'] = NO_ATTRS): XmlElement {
  return { name, attrs, children: [value === undefined || value === null ? '' : String(value)] };
}

export function cdataEl(name: string, value: unknown, attrs: XmlElement['attrs'] = NO_ATTRS): XmlElement {
  return { name, attrs, children: [{ cdata: value === undefined || value === null ? '' : String(value) }] };
}

export function isElement(c: XmlChild): c is XmlElement {
  return typeof c === 'object' && 'name' in c;
}

// Characters XML 1.0 cannot carry at all; dropped rather than producing a broken document.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
// One test for the common case of a value that needs nothing done.
const NEEDS_WORK = /[&<>'"\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const MARKUP = /[&<>'"]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' };
const escapeMarkup = (c: string) => ESCAPES[c]!;

export function escapeXml(value: string): string {
  if (!NEEDS_WORK.test(value)) return value;
  return value.replace(INVALID_XML_CHARS, '').replace(MARKUP, escapeMarkup);
}

function cdata(text: string): string {
  // `]]>` cannot appear inside a CDATA section: split it across two sections.
  return `<![CDATA[${text.replace(INVALID_XML_CHARS, '').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

// Attributes come out in the order the view wrote them (views write them alphabetically, like the original).
function openTag(e: XmlElement): string {
  let s = '<' + e.name;
  const attrs = e.attrs;
  for (const key in attrs) {
    const v = attrs[key];
    if (v === undefined || v === null) continue;
    s += ' ' + key + "='" + (typeof v === 'number' ? String(v) : escapeXml(v)) + "'";
  }
  return s;
}

/**
 * Appends `e` and its descendants, one line each, to `out` (one string grown
 * in place: no array of lines, no join; this runs for every XML answer).
 */
function write(e: XmlElement, indent: string, out: string): string {
  const open = openTag(e);
  const children = e.children;
  if (children.length === 0) return out + indent + open + ' />\n';
  let onlyText = true;
  for (const c of children) {
    if (typeof c !== 'string' && isElement(c)) {
      onlyText = false;
      break;
    }
  }
  if (onlyText) {
    out += indent + open + '>';
    for (const c of children) out += typeof c === 'string' ? escapeXml(c) : cdata((c as XmlCData).cdata);
    return out + '</' + e.name + '>\n';
  }
  out += indent + open + '>\n';
  const inner = indent + '  ';
  for (const c of children) {
    if (typeof c === 'string') out += inner + escapeXml(c) + '\n';
    else if (isElement(c)) out = write(c, inner, out);
    else out += inner + cdata(c.cdata) + '\n';
  }
  return out + indent + '</' + e.name + '>\n';
}

export const XML_DECLARATION = "<?xml version='1.0' encoding='utf-8' ?>\n";

export function serializeXml(root: XmlElement, declaration = true): string {
  return write(root, '', declaration ? XML_DECLARATION : '');
}

/** `e` as it appears inside a document at `indent`: its lines, each ending with a newline. */
export function serializeXmlFragment(e: XmlElement, indent: string): string {
  return write(e, indent, '');
}

/**
 * What `serializeXml(el(name, {}, members))` gives, from the members' fragments
 * (`serializeXmlFragment(member, '  ')`), so lists can reuse rendered members.
 */
export function serializeXmlList(name: string, fragments: readonly string[], declaration = true): string {
  let out = declaration ? XML_DECLARATION : '';
  if (fragments.length === 0) return out + '<' + name + ' />\n';
  out += '<' + name + '>\n';
  for (const f of fragments) out += f;
  return out + '</' + name + '>\n';
}
