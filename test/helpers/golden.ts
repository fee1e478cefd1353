// Golden files (responses of the original Apache Deltacloud 1.1.3 server on its
// mock driver, test/fixtures/golden/) and a structural comparer for them.
//
// File format (see test/fixtures/golden/README.md):
//   REQUEST: <METHOD> <path> [Accept: ...] [curl: extra args]
//   STATUS: <code>
//   CONTENT-TYPE: <value, empty if none>
//   LOCATION: <value>          (only if present)
//   <blank line>
//   <body exactly as received>  (HEAD: the response headers instead)
//
// The comparer checks what clients can observe and ignores what XML/JSON
// clients cannot: XML element names, attribute names and values, nesting and
// child order, text (whitespace-normalized, CDATA ≡ text); JSON key sets and
// key order, value types and values. Values the README calls nondeterministic
// are compared by shape through MASKS below.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseXml as parseDocument, type XNode as Element } from './api.js';
import { ROOT } from './server.js';

export const GOLDEN_DIR = join(ROOT, 'test', 'fixtures', 'golden');
/** Origin of every href/Location in the golden files. */
export const GOLDEN_ORIGIN = 'http://127.0.0.1:3002';

// ---------------------------------------------------------------------------
// Reading golden files

export type MultipartPart = { name: string; value: string } | { name: string; file: { filename?: string; type?: string; source: string } };

export interface GoldenRequest {
  method: string;
  path: string;
  /** The Accept header sent (curl's default is `*\/*`). */
  accept: string;
  /** Whether `-u <mock creds>` was given. */
  auth: boolean;
  headers: Record<string, string>;
  /** `-d` pieces, joined with `&` as curl does (no encoding). */
  form?: string[];
  /** `-F` parts in order. */
  multipart?: MultipartPart[];
  /** `--data-binary` body. */
  dataBinary?: string;
}

export interface GoldenFile {
  name: string;
  ext: string;
  requestLine: string;
  request: GoldenRequest;
  status: number;
  contentType: string;
  location?: string;
  body: Buffer;
}

export function goldenFileNames(): string[] {
  return readdirSync(GOLDEN_DIR).filter((f) => f !== 'README.md').sort();
}

export function readGolden(name: string): GoldenFile {
  const raw = readFileSync(join(GOLDEN_DIR, name));
  const sep = raw.indexOf('\n\n');
  if (sep < 0) throw new Error(`${name}: no blank line after the header lines`);
  const header = raw.subarray(0, sep).toString('utf8').split('\n');
  const field = (key: string) => header.find((l) => l.startsWith(key + ':'))?.slice(key.length + 1).trim();
  const requestLine = field('REQUEST');
  const status = field('STATUS');
  if (requestLine === undefined || status === undefined) throw new Error(`${name}: REQUEST/STATUS lines missing`);
  return {
    name,
    ext: name.slice(name.lastIndexOf('.') + 1),
    requestLine,
    request: parseRequestLine(requestLine),
    status: Number(status),
    contentType: field('CONTENT-TYPE') ?? '',
    location: field('LOCATION'),
    body: raw.subarray(sep + 2),
  };
}

const CURL_FLAGS = /(?:^| )(--data-binary|-[uFdHI])(?= |$)/g;

/** `GET /api/x [Accept: application/xml] [curl: -u <mock creds> -d a=b -H X: y]` → request description. */
export function parseRequestLine(line: string): GoldenRequest {
  const m = /^(\S+) (\S+)(?: \[Accept: ([^\]]*)\])?(?: \[curl: (.*)\])?$/.exec(line);
  if (!m) throw new Error(`unparseable REQUEST line: ${line}`);
  const req: GoldenRequest = { method: m[1]!, path: m[2]!, accept: m[3] ?? '*/*', auth: false, headers: {} };
  const args = m[4] ?? '';
  const flags = [...args.matchAll(CURL_FLAGS)];
  flags.forEach((f, i) => {
    const start = f.index! + f[0].length + 1;
    const end = i + 1 < flags.length ? flags[i + 1]!.index! : args.length;
    const value = start > end ? '' : args.slice(start, end);
    switch (f[1]) {
      case '-u':
        req.auth = true;
        break;
      case '-I':
        req.method = 'HEAD';
        break;
      case '-d':
        (req.form ??= []).push(value);
        break;
      case '--data-binary':
        req.dataBinary = value;
        break;
      case '-H': {
        const colon = value.indexOf(':');
        const name = value.slice(0, colon).trim();
        const v = value.slice(colon + 1).trim();
        if (name.toLowerCase() === 'accept') req.accept = v;
        else req.headers[name] = v;
        break;
      }
      case '-F': {
        const eq = value.indexOf('=');
        const name = value.slice(0, eq);
        const v = value.slice(eq + 1);
        if (v.startsWith('@')) {
          // `@file;filename=x;type=y`
          const [source, ...opts] = v.slice(1).split(';');
          const o = Object.fromEntries(opts.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
          (req.multipart ??= []).push({ name, file: { source: source!, filename: o.filename, type: o.type } });
        } else (req.multipart ??= []).push({ name, value: v });
        break;
      }
    }
  });
  return req;
}

// ---------------------------------------------------------------------------
// XML as a comparable tree

export interface XNode {
  name: string;
  attrs: Record<string, string>;
  children: XNode[];
  /** All text and CDATA children concatenated, whitespace-normalized. */
  text: string;
}

/**
 * Whitespace is not significant to clients (they strip text): trim, and drop
 * the indentation the original's templates put inside multi-line text (e.g.
 * haml indents every line of a key's PEM inside its CDATA).
 */
export function normalizeText(s: string): string {
  return s.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trim()).join('\n').trim();
}

function tree(element: Element): XNode {
  return { name: element.name, attrs: { ...element.attrs }, children: element.children.map(tree), text: normalizeText(element.text) };
}

/** Parses an XML document (the one XML reader of the tests, api.ts) into a plain tree to compare; fails when not well-formed. */
export function parseXml(xml: string): XNode {
  return tree(parseDocument(xml));
}

// ---------------------------------------------------------------------------
// Masks: values the golden README calls nondeterministic between captures.

export interface CompareContext {
  /** Our server's origin, e.g. http://localhost:40123 (hrefs are compared after substituting the golden origin). */
  origin: string;
  /** Paths (`/api/...`) of resources created during the replay; only their creation-time values are masked. */
  created: Set<string>;
  /** `<mask>:<golden value>` → our value: a masked value must stay the same wherever the golden repeats it. */
  bindings: Map<string, string>;
}

export function newContext(origin: string): CompareContext {
  return { origin, created: new Set(), bindings: new Map() };
}

export interface Site {
  format: 'xml' | 'json';
  kind: 'text' | 'attr' | 'value';
  /** Element name (xml text), attribute name (xml attr) or key (json). */
  name: string;
  /** The golden element holding the text/attribute (xml). */
  element?: XNode;
  /** Golden ancestors, outermost first; for JSON the last one is the object/array holding the value. */
  ancestors: unknown[];
  path: string;
}

interface Mask {
  name: string;
  why: string;
  applies(site: Site, ctx: CompareContext): boolean;
  check(golden: unknown, ours: unknown, ctx: CompareContext, site: Site): string[];
}

/** Path (`/api/...`) of the nearest enclosing resource (element/object with an href), if it was created during the replay. */
function enclosingCreated(site: Site, ctx: CompareContext): string | undefined {
  const chain = [...site.ancestors, ...(site.element ? [site.element] : [])].reverse();
  for (const a of chain) {
    const href = site.format === 'xml' ? (a as XNode).attrs?.href : (a as Record<string, unknown> | null)?.href;
    if (typeof href === 'string' && !Array.isArray(a)) {
      const path = href.startsWith(ctx.origin) ? href.slice(ctx.origin.length) : href;
      return ctx.created.has(path) ? path : undefined;
    }
  }
  return undefined;
}

function bind(mask: string, golden: string, ours: string, ctx: CompareContext, path: string): string[] {
  const key = `${mask}:${golden}`;
  const before = ctx.bindings.get(key);
  if (before === undefined) {
    ctx.bindings.set(key, ours);
    return [];
  }
  return before === ours ? [] : [`${path}: ${JSON.stringify(ours)} but the same golden value was ${JSON.stringify(before)} earlier in this replay`];
}

/** `2026-11-26 17:52:20 +0000` → a regex of the same shape (digits free, sign free). */
function shapeOf(value: string): RegExp {
  return new RegExp('^' + value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d/g, '\\d').replace(/(\\\+|-)(?=\\d{4}$)/, '[+-]') + '$');
}

function parseTime(value: string): number {
  const iso = value.replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2})(\d{2})$/, '$1T$2$3:$4');
  return Date.parse(iso);
}

const PEM_BEGIN = '-----BEGIN RSA PRIVATE KEY-----';
const PEM_END = '-----END RSA PRIVATE KEY-----';
const FINGERPRINT = /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/;
const isNumeric = (v: unknown) => (typeof v === 'string' ? v.trim() !== '' && Number.isFinite(Number(v)) : typeof v === 'number' && Number.isFinite(v));

export const MASKS: Mask[] = [
  {
    name: 'creation time',
    why: 'README: `<created>`, `<last_modified>`, launch times vary; seed objects keep theirs (compared exactly)',
    applies: (s, ctx) => s.kind !== 'attr' && ['created', 'last_modified', 'launch_time', 'create_time'].includes(s.name) && enclosingCreated(s, ctx) !== undefined,
    check(g, o, _ctx, s) {
      if (typeof g !== 'string' || typeof o !== 'string') return [`${s.path}: ${JSON.stringify(o)} where golden has ${JSON.stringify(g)} (type)`];
      if (!shapeOf(g).test(o)) return [`${s.path}: ${JSON.stringify(o)} is not shaped like golden ${JSON.stringify(g)}`];
      const t = parseTime(o);
      if (Number.isFinite(t) && Math.abs(t - Date.now()) > 86_400_000) return [`${s.path}: ${o} is not the creation time (now)`];
      return [];
    },
  },
  {
    name: 'created key material',
    why: 'README: key material/fingerprints of created keys are random; shape checked, and equal wherever the golden repeats them',
    applies: (s, ctx) => s.kind !== 'attr' && ['pem', 'pem_rsa_key', 'fingerprint'].includes(s.name) && enclosingCreated(s, ctx) !== undefined,
    check(g, o, ctx, s) {
      if (typeof g !== 'string' || typeof o !== 'string') return [`${s.path}: ${JSON.stringify(o)} where golden has ${JSON.stringify(g)} (type)`];
      if (s.name === 'fingerprint') {
        if (!FINGERPRINT.test(o)) return [`${s.path}: fingerprint ${JSON.stringify(o)} is not 20 hex pairs`];
      } else {
        if (!o.startsWith(PEM_BEGIN) || !o.endsWith(PEM_END)) return [`${s.path}: pem does not start with ${PEM_BEGIN} and end with ${PEM_END}`];
        const lines = normalizeText(o).split('\n');
        const gLines = normalizeText(g).split('\n');
        if (lines.length !== gLines.length) return [`${s.path}: pem has ${lines.length} lines, golden ${gLines.length}`];
      }
      return bind(this.name, normalizeText(g), normalizeText(o), ctx, s.path);
    },
  },
  {
    name: 'metric samples',
    why: 'README: metric sample values and timestamps are random/now; structure and units compared, values must be numbers',
    applies: (s) =>
      s.format === 'xml'
        ? s.kind === 'attr' && s.name === 'value' && s.element?.name === 'property' && ['minimum', 'maximum', 'average', 'timestamp'].includes(s.element.attrs.name ?? '') &&
          (s.ancestors[s.ancestors.length - 1] as XNode | undefined)?.name === 'sample'
        : /\.values\[\d+\]\.(minimum|maximum|average|timestamp)$/.test(s.path),
    check(g, o, _ctx, s) {
      if (typeof g !== typeof o) return [`${s.path}: ${JSON.stringify(o)} where golden has ${JSON.stringify(g)} (type)`];
      if (!isNumeric(o)) return [`${s.path}: ${JSON.stringify(o)} is not a number`];
      if (!isNumeric(g)) return [`${s.path}: golden ${JSON.stringify(g)} is not a number (fixture broken?)`];
      if (s.path.endsWith('timestamp') || s.element?.attrs.name === 'timestamp') {
        if (!Number.isInteger(Number(o))) return [`${s.path}: timestamp ${JSON.stringify(o)} is not whole seconds`];
      }
      return [];
    },
  },
];

function leaf(golden: unknown, ours: unknown, site: Site, ctx: CompareContext, out: string[]): void {
  const mask = MASKS.find((m) => m.applies(site, ctx));
  if (mask) {
    out.push(...mask.check(golden, ours, ctx, site));
    return;
  }
  if (golden !== ours) out.push(`${site.path}: ${JSON.stringify(ours)} where golden has ${JSON.stringify(golden)}`);
}

// ---------------------------------------------------------------------------
// Structural comparison

function childPaths(nodes: XNode[], base: string): string[] {
  const seen = new Map<string, number>();
  return nodes.map((n) => {
    const i = (seen.get(n.name) ?? 0) + 1;
    seen.set(n.name, i);
    return `${base}/${n.name}[${i}]`;
  });
}

/** `link[rel=keys]`: an element name with the attribute that tells siblings apart, for readable reports. */
function label(n: XNode): string {
  const key = ['rel', 'id', 'name'].find((k) => n.attrs[k] !== undefined);
  return key ? `${n.name}[${key}=${n.attrs[key]}]` : n.name;
}

/** Differences between a golden XML tree and ours; empty when they match. */
export function compareXml(golden: XNode, ours: XNode, ctx: CompareContext, path = '', ancestors: XNode[] = []): string[] {
  const out: string[] = [];
  const here = path || `/${golden.name}`;
  if (golden.name !== ours.name) {
    out.push(`${here}: element <${ours.name}> where golden has <${golden.name}>`);
    return out;
  }
  const gAttrs = Object.keys(golden.attrs).sort();
  const oAttrs = Object.keys(ours.attrs).sort();
  if (gAttrs.join(' ') !== oAttrs.join(' ')) out.push(`${here}: attributes [${oAttrs.join(' ')}] where golden has [${gAttrs.join(' ')}]`);
  for (const a of gAttrs) {
    if (a in ours.attrs) {
      leaf(golden.attrs[a], ours.attrs[a], { format: 'xml', kind: 'attr', name: a, element: golden, ancestors, path: `${here}@${a}` }, ctx, out);
    }
  }
  leaf(golden.text, ours.text, { format: 'xml', kind: 'text', name: golden.name, element: golden, ancestors, path: `${here}/text()` }, ctx, out);
  const gNames = golden.children.map((c) => c.name);
  const oNames = ours.children.map((c) => c.name);
  if (gNames.join(' ') !== oNames.join(' ')) {
    out.push(`${here}: children (${ours.children.map(label).join(', ')}) where golden has (${golden.children.map(label).join(', ')})`);
  }
  const paths = childPaths(golden.children, here);
  const n = Math.min(golden.children.length, ours.children.length);
  for (let i = 0; i < n; i++) {
    if (golden.children[i]!.name !== ours.children[i]!.name) continue; // already reported in the children list
    out.push(...compareXml(golden.children[i]!, ours.children[i]!, ctx, paths[i]!, [...ancestors, golden]));
  }
  return out;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Differences between a golden JSON value and ours; empty when they match. */
export function compareJson(golden: unknown, ours: unknown, ctx: CompareContext, path = '$', ancestors: unknown[] = []): string[] {
  const out: string[] = [];
  const tg = typeName(golden);
  const to = typeName(ours);
  if (tg !== 'object' && tg !== 'array') {
    const key = /(?:\.([^.[\]]+)|\[(\d+)\])$/.exec(path);
    leaf(golden, ours, { format: 'json', kind: 'value', name: key?.[1] ?? key?.[2] ?? '', ancestors, path }, ctx, out);
    return out;
  }
  if (tg !== to) {
    out.push(`${path}: ${to} ${JSON.stringify(ours)?.slice(0, 80)} where golden has ${tg}`);
    return out;
  }
  if (tg === 'array') {
    const g = golden as unknown[];
    const o = ours as unknown[];
    if (g.length !== o.length) out.push(`${path}: ${o.length} items where golden has ${g.length}`);
    for (let i = 0; i < Math.min(g.length, o.length); i++) out.push(...compareJson(g[i], o[i], ctx, `${path}[${i}]`, [...ancestors, g]));
    return out;
  }
  const g = golden as Record<string, unknown>;
  const o = ours as Record<string, unknown>;
  const gKeys = Object.keys(g);
  const oKeys = Object.keys(o);
  if (gKeys.join(',') !== oKeys.join(',')) out.push(`${path}: keys (${oKeys.join(', ')}) where golden has (${gKeys.join(', ')})`);
  for (const k of gKeys) if (k in o) out.push(...compareJson(g[k], o[k], ctx, `${path}.${k}`, [...ancestors, g]));
  return out;
}
