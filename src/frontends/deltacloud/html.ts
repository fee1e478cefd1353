// HTML for people (spec §13). Pages are rendered on the server from the same
// XmlElement trees the XML front end serializes, so every resource gets a page
// without per-resource code. Every page works without JavaScript (actions are
// small POST forms); the console script (console-script.ts) only enhances.
import { CONSOLE_SCRIPT_PATH, errorAdvice, stateTone, type ConsoleChrome } from './console.js';
import { CHART_STYLES, metricChartsHtml } from './html-charts.js';
import { esc } from './html-escape.js';
import { isElement, type XmlElement } from './xml.js';

export interface PageContext {
  apiUrl: string;
  selfUrl: string;
  driver: string;
  provider?: string;
  /** The console's side navigation and back-end switcher; pages without it show neither. */
  chrome?: ConsoleChrome;
}

export interface FormField {
  name: string;
  label: string;
  type: 'text' | 'textarea' | 'file' | 'select' | 'hidden' | 'password' | 'checkbox' | 'range';
  required?: boolean;
  /** A select's options; `data` become the option's `data-*` attributes (a profile's ranges). */
  options?: Array<{ value: string; label: string; data?: Record<string, string> }>;
  /** A range's bounds. */
  min?: string;
  max?: string;
  /** Shown hidden and not sent (a range the chosen profile does not offer); the console script may enable it. */
  disabled?: boolean;
  value?: string;
  /** One line of help under the label (the parameter's declared description). */
  help?: string;
  /** A textarea whose text the console script sends base64-encoded (user data). */
  base64?: boolean;
}

export interface FormSpec {
  title: string;
  action: string;
  multipart?: boolean;
  fields: FormField[];
  submitLabel: string;
}

/** A filter of a list page (the collection's filter parameters), with the value the page was asked for. */
export interface ListFilter {
  name: string;
  value: string;
}

export const STYLESHEET_PATH = '/stylesheets/deltacloud.css';
/** The entry page's driver/provider pickers; every page's header links there. */
const PICKER_ID = 'backend';

// ---------------------------------------------------------------- helpers

export { esc };

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
const kidsless = (e: XmlElement) => elementsOf(e).length === 0 && Object.keys(attrsOf(e)).length === 0;

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

/** What an action URL acts on: `…/instances/inst0/stop` → inst0. */
function subjectOf(url: string, rel: string | undefined): string {
  const segments = new URL(url, 'http://x').pathname.split('/').filter((s) => s !== '');
  const last = segments.at(-1) === rel && segments.length > 1 ? segments.at(-2) : segments.at(-1);
  try {
    return decodeURIComponent(last ?? '');
  } catch {
    return last ?? '';
  }
}

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
  // Destructive actions ask first (the console script; without JavaScript they post at once, as before).
  const confirm = method === 'delete' || a.rel === 'stop' || a.rel === 'reboot' ? ` data-confirm="${esc(`${label} ${subjectOf(action, a.rel)}?`)}"` : '';
  return `<form class="action" method="post" action="${esc(action)}"${confirm}>${override}<button type="submit"${cls}>${esc(label)}</button></form>`;
}

function valueHtml(e: XmlElement, omit: string[] = []): string {
  const a = attrsOf(e);
  if (e.name === 'actions') return `<div class="actions">${elementsOf(e).map(actionButton).join('')}</div>`;
  if (e.name === 'link') return actionButton(e);
  if (e.name === 'property' && a.name !== undefined) return esc(describeProperty(e));
  const text = textOf(e);
  if (e.name === 'state' && text && kidsless(e)) return stateBadge(text);
  if (e.name === 'pem' && text) return privateKeyHtml(text);
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

function listHtml(doc: XmlElement, newFormUrl: string | undefined): string {
  const members = elementsOf(doc);
  if (members.length === 0) {
    const next = newFormUrl && safeUrl(newFormUrl) ? ` Create the first one with ${anchor(newFormUrl, 'Create new…')}.` : '';
    return `<p class="none empty">No items.${next}</p>`;
  }
  const present = (m: XmlElement, n: string) => elementsOf(m).some((c) => c.name === n && elementsOf(c).length === 0);
  const fields = SUMMARY_FIELDS.filter((f) => members.some((m) => present(m, f))).slice(0, 4);
  const props: string[] = [];
  for (const m of members) for (const p of elementsOf(m)) {
    const n = p.name === 'property' ? attrsOf(p).name : undefined;
    if (n !== undefined && !props.includes(n)) props.push(n);
  }
  const withActions = members.some((m) => elementsOf(m).some((c) => c.name === 'actions'));
  const heads = ['Id', ...fields.map(humanise), ...props.map(humanise)];
  const cell = (label: string, html: string) => `<td data-label="${esc(label)}">${html}</td>`;
  const rows = members.map((m) => {
    const a = attrsOf(m);
    let row = `<th scope="row">${anchor(a.href, a.id ?? textOf(m))}</th>`;
    fields.forEach((f, i) => {
      const c = elementsOf(m).find((x) => x.name === f);
      row += cell(heads[1 + i]!, c ? (f === 'state' ? stateBadge(textOf(c)) : textHtml(textOf(c))) : '');
    });
    props.forEach((p, i) => {
      const c = elementsOf(m).find((x) => x.name === 'property' && attrsOf(x).name === p);
      row += cell(heads[1 + fields.length + i]!, c ? esc(describeProperty(c)) : '');
    });
    if (withActions) {
      const actions = elementsOf(m).find((c) => c.name === 'actions');
      row += cell('Actions', actions ? valueHtml(actions) : '');
    }
    return `<tr>${row}</tr>`;
  });
  const allHeads = withActions ? [...heads, 'Actions'] : heads;
  // data-sortable: the console script sorts by a clicked column header.
  return `<table class="members" data-sortable><thead><tr>${allHeads.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
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

/** A state in words and colour; `data-transitional` tells the console script to poll until it settles. */
function stateBadge(state: string): string {
  const tone = stateTone(state);
  return `<span class="badge badge-${tone}"${tone === 'changing' ? ' data-transitional' : ''}>${esc(state)}</span>`;
}

/** A new key pair's private key: a warning, the key, and a download that needs no script and no second request. */
function privateKeyHtml(pem: string): string {
  const href = `data:application/x-pem-file;charset=utf-8,${encodeURIComponent(pem.endsWith('\n') ? pem : `${pem}\n`)}`;
  return `<div class="private-key"><p class="warning" role="note"><strong>Save this private key now.</strong> It is the only way to log in with this key pair, and the provider may never show it again.</p>${textHtml(pem)}<a class="button" download="private-key.pem" href="${esc(href)}">Download private key</a></div>`;
}

/** Home › Instances › inst1, from the page's path below the API's URL. */
function breadcrumbs(ctx: PageContext, title: string): string {
  const self = stripQuery(ctx.selfUrl);
  if (!self.startsWith(`${ctx.apiUrl}/`)) return '';
  const segments = self.slice(ctx.apiUrl.length + 1).split('/').filter((s) => s !== '');
  if (segments.length === 0) return '';
  let href = ctx.apiUrl;
  const items = [`<li>${anchor(ctx.apiUrl, 'Home')}</li>`];
  segments.forEach((segment, i) => {
    href += `/${segment}`;
    let text = segment;
    try {
      text = decodeURIComponent(segment);
    } catch { /* shown as sent */ }
    if (i === 0) text = titleCase(text);
    items.push(i === segments.length - 1 ? `<li aria-current="page">${esc(i === 0 ? text : title)}</li>` : `<li>${anchor(href, text)}</li>`);
  });
  return `<nav class="crumbs" aria-label="Breadcrumb"><ol>${items.join('')}</ol></nav>`;
}

/** The header's back-end switcher: posts to the entry point, which redirects to the chosen driver's (spec §3). */
function switcher(ctx: PageContext, chrome: ConsoleChrome): string {
  const action = safeUrl(ctx.apiUrl);
  if (action === undefined) return '';
  const option = (value: string, label: string, selected: boolean) =>
    `<option value="${esc(value)}"${selected ? ' selected' : ''}>${esc(label)}</option>`;
  const drivers = chrome.drivers.map((d) => option(d.id, d.name, d.id === ctx.driver)).join('');
  const providers = chrome.drivers.find((d) => d.id === ctx.driver)?.providers ?? [];
  const current = ctx.provider ?? 'default';
  const all = providers.length ? ['default', ...providers] : [];
  if (all.length && !all.includes(current)) all.push(current);
  const provider = all.length
    ? `<label>Provider <select name="provider">${all.map((p) => option(p, p, p === current)).join('')}</select></label>`
    : '';
  // Implicit labels: the page's own forms keep their `for=` labels unambiguous.
  return `<form class="switcher" method="post" action="${esc(action)}"><label>Driver <select name="driver">${drivers}</select></label>${provider}<button type="submit">Switch</button></form>`;
}

function sideNavigation(ctx: PageContext, chrome: ConsoleChrome): string {
  const self = stripQuery(ctx.selfUrl);
  const items = chrome.collections.map((c) => {
    const current = self === c.href || self.startsWith(`${c.href}/`) ? ' aria-current="page"' : '';
    const url = safeUrl(c.href);
    return url === undefined ? '' : `<li><a href="${esc(url)}"${current}>${esc(titleCase(c.rel))}</a></li>`;
  });
  return `<nav class="side" aria-label="Console"><ul>${items.join('')}</ul></nav>`;
}

function layout(title: string, ctx: PageContext, body: string): string {
  const self = stripQuery(ctx.selfUrl);
  const chrome = ctx.chrome;
  const formatItems = `<li>${anchor(self + '?format=xml', 'XML')}</li><li>${anchor(self + '?format=json', 'JSON')}</li>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(title)}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
${chrome ? `<script src="${CONSOLE_SCRIPT_PATH}" defer></script>\n` : ''}</head>
<body${chrome ? ' class="console"' : ''}>
<a class="skip" href="#main">Skip to content</a>
<header><div class="bar"><p class="brand">${anchor(ctx.apiUrl, 'Deltacloud')}</p><p class="backend">${esc(ctx.driver)}@${esc(ctx.provider ?? 'default')} ${chrome ? '' : anchor(`${ctx.apiUrl}#${PICKER_ID}`, 'Change')}</p>${chrome ? switcher(ctx, chrome) : ''}</div></header>
<div class="shell">
${chrome ? sideNavigation(ctx, chrome) : ''}
<main id="main">
${breadcrumbs(ctx, title)}<div class="title"><h1>${esc(title)}</h1><ul class="formats" aria-label="This page as">${formatItems}</ul></div>
${body}
</main>
</div>
<footer><nav aria-label="Home and formats"><ul><li>${anchor(ctx.apiUrl, 'Home')}</li>${formatItems}</ul></nav></footer>
</body>
</html>
`;
}

/** A page of the site's layout around `body` (HTML the caller escaped). */
export function renderPage(title: string, ctx: PageContext, body: string): string {
  return layout(title, ctx, body);
}

/** The list's filters as a search form: a GET of this page, so it works without JavaScript and can be bookmarked. */
function filtersHtml(filters: ListFilter[], selfUrl: string): string {
  const action = safeUrl(selfUrl);
  if (filters.length === 0 || action === undefined) return '';
  const fields = filters.map((f) =>
    `<div class="field"><label for="filter-${esc(f.name)}">${esc(humanise(f.name))}</label><input type="search" id="filter-${esc(f.name)}" name="${esc(f.name)}" value="${esc(f.value)}"></div>`);
  const clear = filters.some((f) => f.value !== '') ? anchor(action, 'Clear filters') : '';
  return `<form class="filters" method="get" action="${esc(action)}" role="search" aria-label="Filter">${fields.join('')}<div class="field"><button type="submit">Filter</button>${clear}</div></form>`;
}

/** An instance's page leads to its metrics' charts, where the driver offers metrics. */
function metricsLink(doc: XmlElement, ctx: PageContext): string {
  const metrics = ctx.chrome?.collections.find((c) => c.rel === 'metrics');
  const id = attrsOf(doc).id;
  if (doc.name !== 'instance' || metrics === undefined || id === undefined) return '';
  return `<p>${anchor(`${metrics.href}/${encodeURIComponent(id)}`, 'Metrics (charts)', 'button')}</p>`;
}

export function renderResourcePage(doc: XmlElement, ctx: PageContext & { title: string; newFormUrl?: string; filters?: ListFilter[] }): string {
  const create = ctx.newFormUrl && safeUrl(ctx.newFormUrl) ? `<p>${anchor(ctx.newFormUrl, 'Create new…', 'button')}</p>` : '';
  const a = attrsOf(doc);
  let body: string;
  if (doc.name === 'states') body = statesHtml(doc, stripQuery(ctx.selfUrl));
  else if (a.href === undefined) body = create + filtersHtml(ctx.filters ?? [], stripQuery(ctx.selfUrl)) + listHtml(doc, ctx.newFormUrl);
  else {
    // The root's own attributes (id, key type, ...) are fields too, unless a child repeats them.
    const kids = elementsOf(doc);
    let own = '';
    for (const [k, v] of Object.entries(a)) {
      if (k !== 'href' && !kids.some((c) => c.name === k)) own += `<dt>${esc(humanise(k))}</dt><dd>${esc(v)}</dd>`;
    }
    // A metric's samples are drawn first; the numbers follow.
    const charts = doc.name === 'metric' ? metricChartsHtml(doc) : '';
    body = `${charts}${charts ? '<h2>Samples</h2>' : ''}<dl class="fields">${own}${fieldsHtml(kids)}</dl>${create}${metricsLink(doc, ctx)}`;
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

/** Why the server refused a form's post: shown next to `field` (a field's name), or above the form. */
export interface FormProblem {
  status: number;
  message: string;
  field?: string;
}

export function renderFormPage(form: FormSpec, ctx: PageContext, problem?: FormProblem): string {
  const onField = problem?.field !== undefined && form.fields.some((f) => f.name === problem.field && f.type !== 'hidden');
  const controls = form.fields.map((f, i) => {
    const id = fieldId(f.name, i);
    const req = f.required ? ' required' : '';
    const help = f.help ? `<p class="help" id="${id}-help">${esc(f.help)}</p>` : '';
    const error = onField && f.name === problem?.field ? problem.message : '';
    // The server's refusal of a post without JavaScript, or the console script's, goes in the field's `-error` slot.
    const common = `id="${id}" name="${esc(f.name)}"${req}${error ? ' aria-invalid="true"' : ''} aria-describedby="${id}-error${help ? ` ${id}-help` : ''}"`;
    if (f.type === 'hidden') return `<input type="hidden" name="${esc(f.name)}" value="${esc(f.value ?? '')}">`;
    const mark = f.required ? ' <span class="required">(required)</span>' : '';
    let control: string;
    if (f.type === 'select') {
      const data = (o: { data?: Record<string, string> }) => Object.entries(o.data ?? {}).map(([k, v]) => ` data-${esc(k)}="${esc(v)}"`).join('');
      const opts = (f.options ?? []).map((o) => `<option value="${esc(o.value)}"${o.value === f.value ? ' selected' : ''}${data(o)}>${esc(o.label)}</option>`);
      control = `<select ${common}>${opts.join('')}</select>`;
    } else if (f.type === 'checkbox') {
      // The label follows the box; ticked sends `true`, unticked sends nothing (the default).
      return `<div class="field field-check" data-field="${esc(f.name)}"><div class="check"><input type="checkbox" ${common} value="true"${f.value === 'true' ? ' checked' : ''}><label for="${id}">${esc(f.label)}${mark}</label></div>${help}<p class="field-error" id="${id}-error" role="status">${esc(error)}</p></div>`;
    } else if (f.type === 'range') {
      const bounds = `${f.min !== undefined ? ` min="${esc(f.min)}"` : ''}${f.max !== undefined ? ` max="${esc(f.max)}"` : ''}`;
      const off = f.disabled ? ' disabled' : '';
      control = `<div class="range"><input type="range" ${common}${bounds} step="1"${f.value !== undefined ? ` value="${esc(f.value)}"` : ''}${off}><output for="${id}" class="range-value">${esc(f.value ?? '')}</output></div><p class="help range-bounds">${f.disabled ? '' : `${esc(f.min ?? '')} to ${esc(f.max ?? '')}`}</p>`;
      return `<div class="field" data-field="${esc(f.name)}" data-range${f.disabled ? ' hidden' : ''}><label for="${id}">${esc(f.label)}${mark}</label>${help}${control}<p class="field-error" id="${id}-error" role="status">${esc(error)}</p></div>`;
    } else if (f.type === 'textarea') control = `<textarea ${common} rows="6"${f.base64 ? ' data-base64' : ''}>${esc(f.value ?? '')}</textarea>`;
    else if (f.type === 'file') control = `<input type="file" ${common}>`;
    else if (f.type === 'password') control = `<input type="password" ${common} autocomplete="off">`;
    else control = `<input type="text" ${common}${f.value !== undefined ? ` value="${esc(f.value)}"` : ''}>`;
    return `<div class="field" data-field="${esc(f.name)}"><label for="${id}">${esc(f.label)}${mark}</label>${help}${control}<p class="field-error" id="${id}-error" role="status">${esc(error)}</p></div>`;
  });
  const general = problem && !onField ? `<p class="form-error" role="alert" data-message="${esc(problem.message)}">${esc(`${problem.status}: ${problem.message}`)}</p>` : '';
  // An unsafe action is dropped, so the form posts back to this page rather than elsewhere.
  const action = safeUrl(form.action);
  const enctype = form.multipart ? ' enctype="multipart/form-data"' : '';
  const body = `<form class="resource" method="post"${action ? ` action="${esc(action)}"` : ''}${enctype}>${general}${controls.join('')}<div class="field"><button type="submit">${esc(form.submitLabel)}</button></div></form>`;
  return layout(form.title, ctx, body);
}

/** The page above `url` below the API's URL (an action's resource, a resource's list), or the API's own. */
function upFrom(url: string, apiUrl: string): string {
  const self = stripQuery(url);
  if (!self.startsWith(`${apiUrl}/`)) return apiUrl;
  return self.slice(0, self.lastIndexOf('/'));
}

export function renderErrorPage(status: number, message: string, ctx: PageContext & { requestUri: string }): string {
  const advice = errorAdvice(status);
  const lead = advice.lead === 'backend' ? anchor(`${ctx.apiUrl}#${PICKER_ID}`, 'Choose the back end')
    : advice.lead === 'up' ? anchor(upFrom(ctx.requestUri, ctx.apiUrl), 'Go up one level') : '';
  const body = `<p class="error-message" role="alert">${esc(message)}</p>
<section class="advice" aria-label="What to do"><p><strong>What happened:</strong> ${esc(advice.happened)}</p><p><strong>What to do:</strong> ${esc(advice.todo)}</p></section>
<p>Request: <code>${esc(ctx.requestUri)}</code></p><p class="actions">${safeUrl(ctx.requestUri) ? anchor(ctx.requestUri, 'Retry', 'button') : ''} ${lead}</p>`;
  return layout(`${status} - ${message}`, ctx, body);
}

export const STYLESHEET = `:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fff;--muted:#555;--line:#d5d9de;--panel:#f0f2f5;--link:#0b4fb3;--accent:#0b57d0;--head:#1f3a5f;--danger:#b3261e;--ok-bg:#d7f2df;--ok-fg:#0f5223;--chg-bg:#fff1c2;--chg-fg:#5c4300;--bad-bg:#fbd9d6;--bad-fg:#8a1c14;--off-bg:#e3e6ea;--off-fg:#33373d}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#15171a;--muted:#b0b6bd;--line:#3a3f45;--panel:#202328;--link:#8ab4f8;--accent:#2f6fdb;--head:#0f2038;--danger:#c7362c;--ok-bg:#173d24;--ok-fg:#b6f0c6;--chg-bg:#4a3a06;--chg-fg:#ffe9a6;--bad-bg:#4d1a16;--bad-fg:#ffd2cd;--off-bg:#30343a;--off-fg:#dde1e6}}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:var(--fg);background:var(--bg);-webkit-text-size-adjust:100%}
body{margin:0;display:flex;flex-direction:column;min-height:100vh}
.shell{flex:1;display:flex;width:100%}
main{flex:1;min-width:0;width:100%;max-width:70rem;margin:0 auto;padding:1rem}
header{background:var(--head);color:#fff;padding:.5rem 1rem}
header .bar{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem}
header p{margin:0}
header .brand{font-weight:700;font-size:1.15rem}
header .backend{font-size:.9rem;color:#e6edf5}
header a{color:#fff}
form.switcher{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin:0 0 0 auto}
form.switcher label{display:flex;align-items:center;gap:.35rem;font-size:.9rem}
form.switcher select{min-height:2.25rem;padding:.25rem;color:var(--fg)}
form.switcher button{min-height:2.25rem;padding:.25rem .75rem;background:#fff;color:#1f3a5f}
nav.side{flex:0 0 13rem;background:var(--panel);border-right:1px solid var(--line)}
nav.side ul{list-style:none;margin:0;padding:.5rem 0;position:sticky;top:0}
nav.side a{display:block;padding:.5rem 1rem;text-decoration:none;color:var(--fg)}
nav.side a:hover{background:var(--line)}
nav.side a[aria-current]{font-weight:700;border-left:4px solid var(--accent);padding-left:calc(1rem - 4px)}
.crumbs ol{list-style:none;margin:0 0 .5rem;padding:0;display:flex;flex-wrap:wrap;gap:.25rem;font-size:.9rem}
.crumbs li+li::before{content:"›";margin-right:.25rem;color:var(--muted)}
.title{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1rem;margin-bottom:.75rem}
.title h1{margin:0;font-size:1.5rem;overflow-wrap:anywhere}
ul.formats{list-style:none;margin:0;padding:0;display:flex;gap:.75rem;font-size:.9rem}
footer{background:var(--panel);border-top:1px solid var(--line);padding:.5rem 1rem}
footer ul{list-style:none;margin:0 auto;padding:0;display:flex;flex-wrap:wrap;gap:1rem;max-width:60rem}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:1}
button,a.button{display:inline-block;font:inherit;min-height:2.75rem;padding:.5rem 1rem;border:0;border-radius:.375rem;background:var(--accent);color:#fff;text-decoration:none;cursor:pointer}
button.danger{background:var(--danger)}
button:disabled{opacity:.6;cursor:progress}
button.sort{background:none;color:inherit;font-weight:700;padding:0;min-height:0;text-align:left}
th[aria-sort=ascending] button.sort::after{content:" ▲"}
th[aria-sort=descending] button.sort::after{content:" ▼"}
.actions{display:flex;flex-wrap:wrap;gap:.5rem}
td .actions button{min-height:2.25rem;padding:.25rem .75rem}
form.action{margin:0}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-size:.85rem;font-weight:600;letter-spacing:.02em}
.badge::before{content:"● "}
.badge-ok{background:var(--ok-bg);color:var(--ok-fg)}
.badge-changing{background:var(--chg-bg);color:var(--chg-fg)}
.badge-changing::before{content:"◌ "}
.badge-bad{background:var(--bad-bg);color:var(--bad-fg)}
.badge-off{background:var(--off-bg);color:var(--off-fg)}
.badge-off::before{content:"○ "}
dl{margin:0}
dt{font-weight:600;margin-top:.75rem}
dd{margin:0 0 0 .75rem;overflow-wrap:anywhere}
dl.nested dt{margin-top:.25rem;font-weight:500}
ul.items{margin:.25rem 0;padding-left:1.25rem}
.key{font-weight:600}
.attrs,.none,.help{color:var(--muted)}
.help{margin:0;font-size:.9rem}
.empty{padding:1.5rem;border:2px dashed var(--line);border-radius:.5rem;text-align:center}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--panel);padding:.5rem;border-radius:.25rem;font-size:.85rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
thead th{background:var(--panel)}
caption{text-align:left;font-weight:600;padding:.5rem 0}
img{max-width:100%;height:auto}
ul.collections{list-style:none;padding:0;margin:0}
ul.collections a{display:block;padding:.75rem;border-bottom:1px solid var(--line);text-decoration:none}
form.picker,.field{display:flex;flex-direction:column;gap:.25rem;margin:.75rem 0}
form.resource{max-width:40rem}
form.filters{display:flex;flex-wrap:wrap;align-items:flex-end;gap:0 .75rem;margin:.5rem 0}
form.filters .field{margin:.25rem 0}
form.filters .field:last-child{flex-direction:row;align-items:center;gap:.75rem}
form.dropzone{border:2px dashed transparent;border-radius:.5rem;padding:.25rem}
form.dragging{border-color:var(--accent);background:var(--panel)}
progress{width:100%;height:1.25rem}
.check{display:flex;align-items:center;gap:.5rem}
.check input{min-height:0;width:1.5rem;height:1.5rem;margin:0}
.range{display:flex;align-items:center;gap:.75rem}
.range input{flex:1;padding:0;border:0}
.range-value{min-width:4rem;font-weight:600}
input,select,textarea{font:inherit;color:inherit;background:var(--bg);padding:.5rem;border:1px solid #6b7280;border-radius:.25rem;max-width:100%;min-height:2.75rem}
[aria-invalid=true]{border:2px solid var(--bad-fg)}
.field-error:empty{display:none}
.field-error,.form-error{margin:0;color:var(--bad-fg);font-weight:600}
.required{font-weight:400;color:var(--muted)}
.warning{padding:.5rem .75rem;border-left:4px solid var(--chg-fg);background:var(--chg-bg);color:var(--chg-fg)}
.error-message{font-size:1.1rem;font-weight:600;color:var(--bad-fg)}
.advice{padding:.25rem .75rem;border-left:4px solid var(--line);background:var(--panel)}
p.actions{align-items:center}
${CHART_STYLES}@media (min-width:40rem){
dl.fields{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;column-gap:1rem}
dl.fields>dt{margin-top:.5rem}
dl.fields>dd{margin:.5rem 0 0}
form.picker{flex-direction:row;align-items:center;flex-wrap:wrap;gap:.5rem}
}
@media (max-width:47.99rem){
.shell{flex-direction:column}
nav.side{flex:none;border-right:0;border-bottom:1px solid var(--line)}
nav.side ul{display:flex;overflow-x:auto;padding:0;position:static}
nav.side a{white-space:nowrap;padding:.6rem .75rem}
nav.side a[aria-current]{border-left:0;border-bottom:4px solid var(--accent);padding-left:.75rem}
form.switcher{margin:0}
}
@media (max-width:39.99rem){
table.members thead{position:absolute;left:-999px}
table.members tr{display:block;border-bottom:2px solid var(--line);padding:.25rem 0}
table.members th,table.members td{display:block;border:0;padding:.15rem .5rem}
table.members td::before{content:attr(data-label) ": ";font-weight:600}
}
`;
