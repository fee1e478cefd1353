// HTML for people (spec §13). Pages are rendered on the server from the same
// XmlElement trees the XML front end serializes, so every resource gets a page
// without per-resource code. No JavaScript: actions are small POST forms.
import { isElement, type XmlElement } from './xml.js';

export interface PageContext {
  apiUrl: string;
  selfUrl: string;
  driver: string;
  provider?: string;
}

export interface FormField {
  name: string;
  label: string;
  type: 'text' | 'textarea' | 'file' | 'select' | 'hidden' | 'password';
  required?: boolean;
  options?: Array<{ value: string; label: string }>;
  value?: string;
}

export interface FormSpec {
  title: string;
  action: string;
  multipart?: boolean;
  fields: FormField[];
  submitLabel: string;
}

export const STYLESHEET_PATH = '/stylesheets/deltacloud.css';
/** The entry page's driver/provider pickers; every page's header links there. */
const PICKER_ID = 'backend';

// ---------------------------------------------------------------- helpers

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

// Only http(s) URLs and absolute paths become links; anything else (e.g.
// `javascript:` from a hostile back end) is shown as text.
function safeUrl(url: string | undefined): string | undefined {
  return url !== undefined && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : undefined;
}

function anchor(href: string | undefined, text: string, cls?: string): string {
  const url = safeUrl(href);
  if (url === undefined) return esc(text);
  return `<a${cls ? ` class="${cls}"` : ''} href="${esc(url)}">${esc(text)}</a>`;
}

/** `owner_id` → "Owner id", `cpuUtilization` → "Cpu utilization". */
function humanise(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `hardware_profiles` → "Hardware Profiles". */
function titleCase(name: string): string {
  return name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

function attrsOf(e: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.attrs)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

const elementsOf = (e: XmlElement): XmlElement[] => e.children.filter(isElement);

/** Direct text of an element; CDATA counts as text. */
function textOf(e: XmlElement): string {
  let s = '';
  for (const c of e.children) if (typeof c === 'string') s += c;
  else if (!isElement(c)) s += c.cdata;
  return s.trim();
}

function textHtml(text: string): string {
  // Multi-line values (PEM keys, command output) keep their line breaks.
  return text.includes('\n') ? `<pre>${esc(text)}</pre>` : esc(text);
}

/** The attribute naming a keyed entry (metadata `key`, property `name`, entrypoint `kind`). */
function entryKeyAttr(e: XmlElement): 'key' | 'name' | 'kind' | undefined {
  const a = attrsOf(e);
  if (a.key !== undefined) return 'key';
  if (a.href !== undefined || (textOf(e) === '' && a.value === undefined)) return undefined;
  return a.name !== undefined ? 'name' : a.kind !== undefined ? 'kind' : undefined;
}

function entryKey(e: XmlElement): string | undefined {
  const k = entryKeyAttr(e);
  return k === undefined ? undefined : attrsOf(e)[k];
}

/** Hardware-profile property in words: `7680 MB - 15360 MB (default: 10240 MB)`. */
function describeProperty(e: XmlElement): string {
  const a = attrsOf(e);
  const u = (v: string) => (a.unit && a.unit !== 'label' ? `${v} ${a.unit}` : v);
  const dflt = a.value !== undefined ? ` (default: ${u(a.value)})` : '';
  const range = elementsOf(e).find((c) => c.name === 'range');
  const entries = elementsOf(e).find((c) => c.name === 'enum');
  if (a.kind === 'range' && range) {
    const r = attrsOf(range);
    return `${u(r.first ?? '')} - ${u(r.last ?? '')}${dflt}`;
  }
  if (a.kind === 'enum' && entries) {
    return elementsOf(entries).map((x) => u(attrsOf(x).value ?? '')).join(', ') + dflt;
  }
  return u(a.value ?? '');
}

// ---------------------------------------------------------------- tree rendering

function actionButton(link: XmlElement): string {
  const a = attrsOf(link);
  const label = humanise(a.rel ?? 'action');
  if (!a.method) return anchor(a.href, label); // e.g. load-balancer unregister: a link, not an action
  const action = safeUrl(a.href);
  if (action === undefined) return '';
  // Some destroy links say method='post' (original storage volumes) but mean DELETE.
  const method = a.rel === 'destroy' ? 'delete' : a.method.toLowerCase();
  const override = method === 'post' ? '' : `<input type="hidden" name="_method" value="${esc(method)}">`;
  const cls = method === 'delete' ? ' class="danger"' : '';
  return `<form class="action" method="post" action="${esc(action)}">${override}<button type="submit"${cls}>${esc(label)}</button></form>`;
}

function valueHtml(e: XmlElement, omit: string[] = []): string {
  const a = attrsOf(e);
  if (e.name === 'actions') return `<div class="actions">${elementsOf(e).map(actionButton).join('')}</div>`;
  if (e.name === 'link') return actionButton(e);
  if (e.name === 'property' && a.name !== undefined) return esc(describeProperty(e));
  const text = textOf(e);
  const shown = new Set(omit);
  const parts: string[] = [];
  if (e.name === 'content' && a.rel === 'blob_content') {
    parts.push(anchor(a.href, 'Download'));
    shown.add('href').add('rel');
  } else if (a.href !== undefined) {
    parts.push(anchor(a.href, a.id || text || a.href));
    shown.add('href').add('id').add('rel');
    if (text && text !== a.id) parts.push(textHtml(text));
  } else if (text) {
    parts.push(textHtml(a.unit ? `${text} ${a.unit}` : text));
    shown.add('unit');
  } else {
    const label = a.id !== undefined && !shown.has('id') ? 'id' : a.name !== undefined && !shown.has('name') ? 'name' : undefined;
    if (label) {
      parts.push(esc(a[label]));
      shown.add(label);
    }
  }
  const rest = Object.entries(a).filter(([k]) => !shown.has(k));
  if (rest.length) parts.push(`<span class="attrs">(${rest.map(([k, v]) => `${esc(humanise(k).toLowerCase())}: ${esc(v)}`).join(', ')})</span>`);
  const kids = elementsOf(e);
  if (kids.length) parts.push(childrenHtml(kids));
  return parts.length ? parts.join(' ') : '<span class="none">(none)</span>';
}

function childrenHtml(kids: XmlElement[]): string {
  const keyed = kids.every((k) => entryKey(k) !== undefined);
  const sameName = kids.length > 1 && kids.every((k) => k.name === kids[0]!.name);
  if (!keyed && !sameName) return `<dl class="nested">${fieldsHtml(kids)}</dl>`;
  return `<ul class="items">${kids.map(itemHtml).join('')}</ul>`;
}

function itemHtml(e: XmlElement): string {
  const k = entryKeyAttr(e);
  const prefix = k === undefined ? '' : `<span class="key">${esc(attrsOf(e)[k])}</span>: `;
  return `<li>${prefix}${valueHtml(e, k ? [k] : [])}</li>`;
}

/** dt/dd pairs; consecutive unkeyed siblings of one name (a bucket's blobs) share one dt. */
function fieldsHtml(kids: XmlElement[]): string {
  let out = '';
  for (let i = 0; i < kids.length; ) {
    const e = kids[i]!;
    const key = entryKey(e);
    let j = i + 1;
    if (key === undefined) while (j < kids.length && kids[j]!.name === e.name && entryKey(kids[j]!) === undefined) j++;
    if (j - i > 1) {
      out += `<dt>${esc(humanise(e.name))}</dt><dd><ul class="items">${kids.slice(i, j).map(itemHtml).join('')}</ul></dd>`;
    } else {
      const k = entryKeyAttr(e);
      out += `<dt>${esc(humanise(key ?? e.name))}</dt><dd>${valueHtml(e, k ? [k] : [])}</dd>`;
    }
    i = j;
  }
  return out;
}

const SUMMARY_FIELDS = ['name', 'entity', 'state', 'owner_id', 'architecture', 'ip', 'capacity', 'size', 'content_type'];

function listHtml(doc: XmlElement): string {
  const members = elementsOf(doc);
  if (members.length === 0) return '<p class="none">No items.</p>';
  const present = (m: XmlElement, n: string) => elementsOf(m).some((c) => c.name === n && elementsOf(c).length === 0);
  const fields = SUMMARY_FIELDS.filter((f) => members.some((m) => present(m, f))).slice(0, 4);
  const props: string[] = [];
  for (const m of members) for (const p of elementsOf(m)) {
    const n = p.name === 'property' ? attrsOf(p).name : undefined;
    if (n !== undefined && !props.includes(n)) props.push(n);
  }
  const heads = ['Id', ...fields.map(humanise), ...props.map(humanise)];
  const cell = (label: string, html: string) => `<td data-label="${esc(label)}">${html}</td>`;
  const rows = members.map((m) => {
    const a = attrsOf(m);
    let row = `<th scope="row">${anchor(a.href, a.id ?? textOf(m))}</th>`;
    fields.forEach((f, i) => {
      const c = elementsOf(m).find((x) => x.name === f);
      row += cell(heads[1 + i]!, c ? textHtml(textOf(c)) : '');
    });
    props.forEach((p, i) => {
      const c = elementsOf(m).find((x) => x.name === 'property' && attrsOf(x).name === p);
      row += cell(heads[1 + fields.length + i]!, c ? esc(describeProperty(c)) : '');
    });
    return `<tr>${row}</tr>`;
  });
  return `<table class="members"><thead><tr>${heads.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function statesHtml(doc: XmlElement, selfUrl: string): string {
  let rows = '';
  for (const s of elementsOf(doc)) {
    const name = attrsOf(s).name ?? '';
    const ts = elementsOf(s);
    if (ts.length === 0) rows += `<tr><th scope="row">${esc(name)}</th><td>—</td><td>—</td></tr>`;
    for (const t of ts) {
      const a = attrsOf(t);
      rows += `<tr><th scope="row">${esc(name)}</th><td>${a.action ? esc(a.action) : '<em>automatic</em>'}</td><td>${esc(a.to ?? '')}</td></tr>`;
    }
  }
  const png = safeUrl(selfUrl) ? `<figure><img src="${esc(selfUrl + '?format=png')}" alt="Diagram of the state machine; the table lists the same transitions"></figure>` : '';
  return `<table class="states"><caption>Transitions</caption><thead><tr><th scope="col">State</th><th scope="col">Action</th><th scope="col">To</th></tr></thead><tbody>${rows}</tbody></table>${png}`;
}

// ---------------------------------------------------------------- pages

function stripQuery(url: string): string {
  return url.split(/[?#]/)[0]!;
}

function layout(title: string, ctx: PageContext, body: string): string {
  const self = stripQuery(ctx.selfUrl);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><h1>${esc(title)}</h1><p class="backend">${esc(ctx.driver)}@${esc(ctx.provider ?? 'default')} ${anchor(`${ctx.apiUrl}#${PICKER_ID}`, 'Change')}</p></header>
<main id="main">
${body}
</main>
<footer><nav aria-label="Home and formats"><ul><li>${anchor(ctx.apiUrl, 'Home')}</li><li>${anchor(self + '?format=xml', 'XML')}</li><li>${anchor(self + '?format=json', 'JSON')}</li></ul></nav></footer>
</body>
</html>
`;
}

/** A page of the site's layout around `body` (HTML the caller escaped). */
export function renderPage(title: string, ctx: PageContext, body: string): string {
  return layout(title, ctx, body);
}

export function renderResourcePage(doc: XmlElement, ctx: PageContext & { title: string; newFormUrl?: string }): string {
  const create = ctx.newFormUrl && safeUrl(ctx.newFormUrl) ? `<p>${anchor(ctx.newFormUrl, 'Create new…', 'button')}</p>` : '';
  const a = attrsOf(doc);
  let body: string;
  if (doc.name === 'states') body = statesHtml(doc, stripQuery(ctx.selfUrl));
  else if (a.href === undefined) body = create + listHtml(doc);
  else {
    // The root's own attributes (id, key type, ...) are fields too, unless a child repeats them.
    const kids = elementsOf(doc);
    let own = '';
    for (const [k, v] of Object.entries(a)) {
      if (k !== 'href' && !kids.some((c) => c.name === k)) own += `<dt>${esc(humanise(k))}</dt><dd>${esc(v)}</dd>`;
    }
    body = `<dl class="fields">${own}${fieldsHtml(kids)}</dl>${create}`;
  }
  return layout(ctx.title, ctx, body);
}

export function renderEntryPage(
  links: Array<{ rel: string; href: string }>,
  drivers: Array<{ id: string; name: string; providers: string[] }>,
  ctx: PageContext & { version: string },
): string {
  const items = links.map((l) => `<li>${anchor(l.href, titleCase(l.rel))}</li>`).join('');
  const option = (value: string, label: string, selected: boolean) =>
    `<option value="${esc(value)}"${selected ? ' selected' : ''}>${esc(label)}</option>`;
  const action = safeUrl(ctx.apiUrl);
  const formOpen = `<form class="picker" method="post"${action ? ` action="${esc(action)}"` : ''}>`;
  let pickers = `${formOpen}<label for="driver">Driver</label><select id="driver" name="driver">${drivers
    .map((d) => option(d.id, d.name, d.id === ctx.driver))
    .join('')}</select><button type="submit">Change driver</button></form>`;
  const providers = drivers.find((d) => d.id === ctx.driver)?.providers ?? [];
  if (providers.length) {
    const current = ctx.provider ?? 'default';
    const all = ['default', ...providers];
    if (!all.includes(current)) all.push(current); // a custom endpoint given by URL
    pickers += `${formOpen}<label for="provider">Provider</label><select id="provider" name="provider">${all
      .map((p) => option(p, p, p === current))
      .join('')}</select><button type="submit">Change provider</button></form>`;
  }
  // The pickers first: choosing the back end comes before browsing it.
  const body = `<section id="${PICKER_ID}" aria-labelledby="backend-heading"><h2 id="backend-heading">Back end</h2>${pickers}</section>
<nav aria-label="Collections"><ul class="collections">${items}</ul></nav>`;
  return layout(`Deltacloud API ${ctx.version}`, ctx, body);
}

function fieldId(name: string, i: number): string {
  return `field-${i}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function renderFormPage(form: FormSpec, ctx: PageContext): string {
  const controls = form.fields.map((f, i) => {
    const id = fieldId(f.name, i);
    const req = f.required ? ' required' : '';
    const common = `id="${id}" name="${esc(f.name)}"${req}`;
    if (f.type === 'hidden') return `<input type="hidden" name="${esc(f.name)}" value="${esc(f.value ?? '')}">`;
    let control: string;
    if (f.type === 'select') {
      const opts = (f.options ?? []).map((o) => `<option value="${esc(o.value)}"${o.value === f.value ? ' selected' : ''}>${esc(o.label)}</option>`);
      control = `<select ${common}>${opts.join('')}</select>`;
    } else if (f.type === 'textarea') control = `<textarea ${common} rows="6">${esc(f.value ?? '')}</textarea>`;
    else if (f.type === 'file') control = `<input type="file" ${common}>`;
    else if (f.type === 'password') control = `<input type="password" ${common} autocomplete="off">`;
    else control = `<input type="text" ${common}${f.value !== undefined ? ` value="${esc(f.value)}"` : ''}>`;
    const mark = f.required ? ' <span class="required">(required)</span>' : '';
    return `<div class="field"><label for="${id}">${esc(f.label)}${mark}</label>${control}</div>`;
  });
  // An unsafe action is dropped, so the form posts back to this page rather than elsewhere.
  const action = safeUrl(form.action);
  const enctype = form.multipart ? ' enctype="multipart/form-data"' : '';
  const body = `<form class="resource" method="post"${action ? ` action="${esc(action)}"` : ''}${enctype}>${controls.join('')}<div class="field"><button type="submit">${esc(form.submitLabel)}</button></div></form>`;
  return layout(form.title, ctx, body);
}

export function renderErrorPage(status: number, message: string, ctx: PageContext & { requestUri: string }): string {
  const body = `<p class="error-message" role="alert">${esc(message)}</p>
<p>Request: <code>${esc(ctx.requestUri)}</code> ${safeUrl(ctx.requestUri) ? anchor(ctx.requestUri, 'Retry', 'button') : ''}</p>`;
  return layout(`${status} - ${message}`, ctx, body);
}

export const STYLESHEET = `*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:#1a1a1a;background:#fff;-webkit-text-size-adjust:100%}
body{margin:0;display:flex;flex-direction:column;min-height:100vh}
main{flex:1;width:100%;max-width:60rem;margin:0 auto;padding:1rem}
header{background:#1f3a5f;color:#fff;padding:.75rem 1rem}
header h1{margin:0;font-size:1.35rem;overflow-wrap:anywhere}
header .backend{margin:.25rem 0 0;font-size:.9rem;color:#e6edf5}
header a{color:#fff}
footer{background:#f0f2f5;border-top:1px solid #c8cdd3;padding:.5rem 1rem}
footer ul{list-style:none;margin:0 auto;padding:0;display:flex;flex-wrap:wrap;gap:1rem;max-width:60rem}
a{color:#0b4fb3}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
button,a.button{display:inline-block;font:inherit;min-height:2.75rem;padding:.5rem 1rem;border:0;border-radius:.375rem;background:#0b57d0;color:#fff;text-decoration:none;cursor:pointer}
button.danger{background:#b3261e}
.actions{display:flex;flex-wrap:wrap;gap:.5rem}
form.action{margin:0}
dl{margin:0}
dt{font-weight:600;margin-top:.75rem}
dd{margin:0 0 0 .75rem;overflow-wrap:anywhere}
dl.nested dt{margin-top:.25rem;font-weight:500}
ul.items{margin:.25rem 0;padding-left:1.25rem}
.key{font-weight:600}
.attrs,.none{color:#555}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f6f8;padding:.5rem;border-radius:.25rem;font-size:.85rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid #d5d9de;vertical-align:top;overflow-wrap:anywhere}
thead th{background:#f0f2f5}
caption{text-align:left;font-weight:600;padding:.5rem 0}
img{max-width:100%;height:auto}
ul.collections{list-style:none;padding:0;margin:0}
ul.collections a{display:block;padding:.75rem;border-bottom:1px solid #d5d9de;text-decoration:none}
form.picker,.field{display:flex;flex-direction:column;gap:.25rem;margin:.75rem 0}
input,select,textarea{font:inherit;padding:.5rem;border:1px solid #6b7280;border-radius:.25rem;max-width:100%;min-height:2.75rem}
.required{font-weight:400;color:#555}
.error-message{font-size:1.1rem;font-weight:600;color:#8a1c14}
@media (min-width:40rem){
dl.fields{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;column-gap:1rem}
dl.fields>dt{margin-top:.5rem}
dl.fields>dd{margin:.5rem 0 0}
form.picker{flex-direction:row;align-items:center;flex-wrap:wrap;gap:.5rem}
}
@media (max-width:39.99rem){
table.members thead{position:absolute;left:-999px}
table.members tr{display:block;border-bottom:2px solid #c8cdd3;padding:.25rem 0}
table.members th,table.members td{display:block;border:0;padding:.15rem .5rem}
table.members td::before{content:attr(data-label) ": ";font-weight:600}
}
`;
