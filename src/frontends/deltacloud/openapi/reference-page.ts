// `/api/docs`: the OpenAPI document rendered for people, on the server, with
// the site's own stylesheet: no script, no CDN, works offline.
import { esc, renderPage, type PageContext } from '../html.js';

type Json = { [key: string]: unknown };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objectAt = (v: Json, key: string): Json => (isObject(v[key]) ? v[key] : {});
const arrayAt = (v: Json, key: string): unknown[] => (Array.isArray(v[key]) ? v[key] : []);
const textAt = (v: Json, key: string): string => (typeof v[key] === 'string' ? v[key] : '');

function parametersHtml(operation: Json, components: Json): string {
  const rows = arrayAt(operation, 'parameters').filter(isObject).map((p) => {
    const ref = textAt(p, '$ref');
    const param = ref ? objectAt(objectAt(components, 'parameters'), ref.split('/').pop() ?? '') : p;
    return `<tr><td><code>${esc(param.name)}</code></td><td>${esc(param.in)}</td><td>${param.required ? 'yes' : ''}</td><td>${esc(param.description)}</td></tr>`;
  });
  const body = objectAt(objectAt(operation, 'requestBody'), 'content');
  const form = objectAt(objectAt(body, 'application/x-www-form-urlencoded'), 'schema');
  const required = arrayAt(form, 'required');
  for (const [name, schema] of Object.entries(objectAt(form, 'properties'))) {
    rows.push(`<tr><td><code>${esc(name)}</code></td><td>form</td><td>${required.includes(name) ? 'yes' : ''}</td><td>${esc(isObject(schema) ? schema.description : '')}</td></tr>`);
  }
  if (body['*/*']) rows.push('<tr><td><em>body</em></td><td>raw</td><td></td><td>The data, streamed.</td></tr>');
  if (rows.length === 0) return '';
  return `<table><thead><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function responsesHtml(operation: Json): string {
  const items = Object.entries(objectAt(operation, 'responses')).map(([status, r]) => {
    const response = isObject(r) ? r : {};
    const schema = objectAt(objectAt(objectAt(response, 'content'), 'application/json'), 'schema');
    const component = textAt(schema, '$ref').split('/').pop();
    const link = component ? ` — <a href="#schema-${esc(component)}">${esc(component)}</a>` : '';
    return `<li><code>${esc(status)}</code> ${esc(response.description)}${link}</li>`;
  });
  return `<ul class="responses">${items.join('')}</ul>`;
}

export function renderReferencePage(document: Json, ctx: PageContext, links: { json: string; yaml: string }): string {
  const info = objectAt(document, 'info');
  const components = objectAt(document, 'components');
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(objectAt(document, 'paths'))) {
    if (!isObject(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!isObject(op)) continue;
      const tag = String(arrayAt(op, 'tags')[0] ?? 'api');
      const html = `<section id="${esc(op.operationId)}"><h3><code>${esc(method.toUpperCase())} ${esc(path)}</code></h3>`
        + `<p>${esc(op.summary)}${op.description ? ` ${esc(op.description)}` : ''}</p>${parametersHtml(op, components)}${responsesHtml(op)}</section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const toc = [...byTag.keys()].map((tag) => `<li><a href="#tag-${esc(tag)}">${esc(tag)}</a></li>`).join('');
  const sections = [...byTag].map(([tag, ops]) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${ops.join('')}`).join('');
  const schemas = Object.entries(objectAt(components, 'schemas'))
    .map(([name, schema]) => `<h3 id="schema-${esc(name)}">${esc(name)}</h3><pre>${esc(JSON.stringify(schema, null, 2))}</pre>`).join('');
  const body = `<p>${esc(info.description)}</p>`
    + `<p>Machine-readable: <a href="${esc(links.json)}">OpenAPI (JSON)</a> · <a href="${esc(links.yaml)}">OpenAPI (YAML)</a></p>`
    + `<nav aria-label="Collections"><ul>${toc}</ul></nav>${sections}<h2 id="schemas">Schemas (JSON)</h2>${schemas}`;
  return renderPage(String(info.title ?? 'API reference'), ctx, body);
}
