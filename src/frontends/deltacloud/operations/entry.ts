// The entry point (spec §10), driver switching (§3) and the drivers collection (§11.1).
import { collectionsOf, providersOf, type CollectionName, type DriverDeclaration } from '../../../core/driver.js';
import { AuthenticationFailure, NotFound } from '../../../core/errors.js';
import { advertisedFeatures } from '../../../core/features.js';
import { renderEntryPage } from '../html.js';
import { consoleChrome } from '../console.js';
import type { ApiRequest, Operation } from '../operation.js';
import { optParam } from '../operation.js';
import { documentReply, type Reply } from '../reply.js';
import { el, cdataEl, textEl, type XmlElement } from '../xml.js';
import { call } from '../../../core/kit/pipeline.js';
import { documentOf, redirect } from '../openapi/responses.js';
import { arrayOf, object, string, stringMap } from '../openapi/json-schema.js';

export const API_VERSION = '1.1.3';

const ENTRY_SCHEMA = object({
  api: object({
    version: string, driver: string, provider: string,
    links: arrayOf(object({
      rel: string, href: string,
      features: arrayOf(arrayOf(object({ name: string, rel: string, params: arrayOf(string), constraints: { type: 'object' } }))),
    })),
  }),
});
const DRIVER_OPTIONAL = { entrypoints: { type: 'object', additionalProperties: stringMap }, username: string, password: string };


/** The collections the entry point lists: the driver's, narrowed to what this provider's back end offers. */
export async function offeredCollections(req: ApiRequest): Promise<CollectionName[]> {
  const all = collectionsOf(req.driver);
  if (!req.driver.supported_collections) return all;
  const supported = await call(req.driver, 'supported_collections', req.ctx);
  return all.filter((c) => c === 'drivers' || supported.includes(c));
}

function entryPoint(req: ApiRequest, collections: CollectionName[]): Reply {
  const { declaration } = req.driver;
  const featuresOf = (c: string) => advertisedFeatures(declaration.features[c as CollectionName], c);
  const constraintsOf = (feature: string) => declaration.constraints?.[feature] ?? {};
  const links = collections.map((rel) => ({ rel, href: req.view.href(rel) }));
  return documentReply(200, {
    xml: () =>
      el('api', { driver: req.driverId, provider: req.provider, version: API_VERSION }, links.map(({ rel, href }) =>
        el('link', { href, rel }, featuresOf(rel).map((f) =>
          el('feature', { name: f.name, rel: f.operation }, [
            ...f.params.map((p) => el('param', { name: p.name })),
            ...Object.entries(constraintsOf(f.name)).map(([name, value]) => textEl('constraint', value, { name })),
          ]))))),
    json: () => ({
      api: {
        version: API_VERSION,
        driver: req.driverId,
        provider: req.provider ?? 'default',
        links: links.map(({ rel, href }) => ({
          rel,
          href,
          features: featuresOf(rel).map((f) => [{
            name: f.name, rel: f.operation, params: f.params.map((p) => `${p.name}:${p.type}:optional`), constraints: constraintsOf(f.name),
          }]),
        })),
      },
    }),
    xmlDeclaration: false,
    title: `Deltacloud API ${API_VERSION}`,
  });
}

/** `?force_auth`: a rejected login answers a plain-text 401 (spec §4). */
async function forceAuth(req: ApiRequest): Promise<Reply | undefined> {
  req.ctx.requireCredentials();
  try {
    if (req.driver.verify_credentials) await call(req.driver, 'verify_credentials', req.ctx);
  } catch (e) {
    if (e instanceof AuthenticationFailure) return { status: 401, body: { kind: 'text', text: 'Authentication failed', contentType: 'text/plain' } };
    throw e;
  }
  return undefined;
}

const entry: Operation = {
  collection: 'api', name: 'index', method: 'GET', path: '',
  params: [{ name: 'force_auth', description: 'Check the credentials: a rejected login answers 401.' }],
  responses: [documentOf('api', ENTRY_SCHEMA)],
  async run(req) {
    if (req.params.force_auth !== undefined) {
      const refused = await forceAuth(req);
      if (refused) return refused;
    }
    const collections = await offeredCollections(req);
    if (req.format === 'html') {
      const links = collections.map((rel) => ({ rel, href: req.view.href(rel) }));
      const html = renderEntryPage(links, req.driverIds, {
        apiUrl: req.base, selfUrl: req.base, driver: req.driverId, provider: req.provider, version: API_VERSION,
        chrome: { ...consoleChrome(req), collections: links.filter((l) => l.rel !== 'drivers') },
      });
      return { status: 200, body: { kind: 'html', html } };
    }
    return entryPoint(req, collections);
  },
};

/**
 * The HTML pickers post here; answer with the URL that selects the choice
 * (spec §3). The driver in effect is the one the pickers' page chose (they
 * post to `/api;driver=D`) or, from older pages, the one in the Referer.
 */
const switchDriver: Operation = {
  collection: 'api', name: 'switch', method: 'POST', path: '', formats: ['xml', 'json', 'html', 'png', 'gv'],
  params: [{ name: 'driver', description: 'The driver to switch to.' }, { name: 'provider', description: 'The provider to switch to.' }],
  responses: [redirect(301)],
  async run(req) {
    const api = req.params.api;
    const current = (api && typeof api === 'object' && !Array.isArray(api) ? api.driver : undefined)
      ?? /;driver=([A-Za-z0-9_.-]+)/.exec(String(req.headers.referer ?? ''))?.[1];
    const driver = optParam(req, 'driver');
    const provider = optParam(req, 'provider');
    const origin = req.mount;
    const withDriver = (d: string | undefined) => (d ? `${origin};driver=${encodeURIComponent(d)}` : origin);
    let location: string;
    if (driver && driver !== current) location = withDriver(driver); // another driver: its own default provider
    else if (provider && provider !== 'default') location = `${withDriver(current)};provider=${encodeURIComponent(provider)}`;
    else location = current ? withDriver(current) : `${origin}/`;
    return { status: 301, headers: { Location: location } };
  },
};

function driverXml(d: DriverDeclaration, href: string, withEntrypoints: boolean): XmlElement {
  const providers = providersOf(d);
  return el('driver', { href, id: d.id }, [
    textEl('name', d.name),
    ...providers.map((p) =>
      el('provider', { id: p }, withEntrypoints
        ? Object.entries(d.entrypoints ?? {}).filter(([, byProvider]) => byProvider[p] !== undefined)
            .map(([kind, byProvider]) => cdataEl('entrypoint', byProvider[p], { kind }))
        : [])),
  ]);
}

/** The static configuration of a driver, as the original's JSON showed it. */
function driverConfigJson(d: DriverDeclaration): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (d.entrypoints) json.entrypoints = d.entrypoints;
  json.name = d.name;
  if (d.usernameLabel) json.username = d.usernameLabel;
  if (d.passwordLabel) json.password = d.passwordLabel;
  return json;
}

export function makeDriverOperations(declarations: () => DriverDeclaration[]): Operation[] {
  return [
    {
      collection: 'drivers', name: 'index', method: 'GET', path: '/drivers',
      responses: [documentOf('drivers', { type: 'object', additionalProperties: object({ name: string }, DRIVER_OPTIONAL) })],
      async run(req) {
        const all = [...declarations()].sort((a, b) => a.id.localeCompare(b.id));
        return documentReply(200, {
          xml: () => el('drivers', {}, all.map((d) => driverXml(d, req.view.href('drivers', d.id), false))),
          json: () => Object.fromEntries(all.map((d) => [d.id, driverConfigJson(d)])),
          xmlDeclaration: false,
          title: 'Drivers',
        });
      },
    },
    {
      collection: 'drivers', name: 'show', method: 'GET', path: '/drivers/:id', params: [{ name: 'id', required: true }],
      responses: [documentOf('driver', object({ driver: object({ name: string, id: string }, DRIVER_OPTIONAL) }))],
      async run(req) {
        const d = declarations().find((x) => x.id === req.pathParams.id!.toLowerCase());
        if (!d) throw new NotFound();
        return documentReply(200, {
          xml: () => driverXml(d, req.view.href('drivers', d.id), true),
          json: () => ({ driver: { ...driverConfigJson(d), id: d.id } }),
          xmlDeclaration: false,
          title: `Driver ${d.name}`,
        });
      },
    },
  ];
}

export const entryOperations: Operation[] = [entry, switchDriver];
