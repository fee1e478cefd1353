// The Deltacloud front end's request processing, in the order of spec §2,
// as the steps of Fastify's lifecycle (plugin.ts wires them):
//
//   onRequest   readTarget      Host check, path and matrix parameters, query
//   (body)      body-parsers.ts form data, multipart, raw bodies left to stream
//   preHandler  chooseBackEnd   body parameters, driver and provider (§3), acceptable formats (§5)
//   handler     handle          routing → capability check (412) → parameters (400)
//                               → render cache → the operation (driver call) → rendering
import { consoleChrome } from './console.js';
import { rm } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { hasCapability, providersOf, RequestContext, type Driver } from '../../core/driver.js';
import { CapabilityMissing, DeltacloudError, UnsupportedMediaType } from '../../core/errors.js';
import { formParams, readMultipart, UNPARSED_BODY, type BodyLimits } from './body-parsers.js';
import { selectionOf, type HtmlNavigation } from './html-navigation.js';
import { chooseFormat, rankFormats } from './negotiation.js';
import { DEFAULT_FORMATS, validateParams, type ApiRequest, type HttpMethod, type Operation } from './operation.js';
import type { OptionsAnswers } from './options-answer.js';
import type { Reply } from './reply.js';
import { addParam, BadPath, dropEmptyValues, emptyParams, parsePath, parseQuery, str, withoutMatrix } from './params.js';
import { documentFormat, Renderer, type CacheSlot } from './render.js';
import { RenderCache, type Revisioned } from './render-cache.js';
import { checkHeaderSafe, hasBody, isMalformedMultipart } from './request-checks.js';
import { credentialsFrom, headerOf, mountUrl, SERVER_HEADER, splitUrl, stateOf, type RequestState } from './request-state.js';
import type { Router } from './router.js';
import type { DeltacloudOptions } from './plugin.js';
import { limitUpload } from './upload-limit.js';
import { ViewContext } from './views/view.js';

/** What routing decided for a request. */
type Route =
  | { kind: 'options'; below: string[] }
  | { kind: 'operation'; op: Operation; method: HttpMethod; pathParams: Record<string, string> }
  | { kind: 'head-of-action' }
  | { kind: 'none' };

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);
const isHttpMethod = (m: string): m is HttpMethod => METHODS.has(m);

/** Drivers that can tell cheaply when their state changed: their reads' renderings may be cached. */
function reportsRevision(driver: Driver): driver is Driver & Revisioned {
  return typeof driver.revision === 'function';
}

export class DeltacloudFrontEnd {
  /** The driver pickers' data: declarations are fixed at start, so computed once. */
  private readonly driverChoices: ApiRequest['driverIds'];
  private readonly offered: string;

  constructor(
    private readonly options: DeltacloudOptions & BodyLimits,
    private readonly router: Router,
    private readonly navigation: HtmlNavigation,
    private readonly optionsAnswers: OptionsAnswers,
    private readonly renderer: Renderer,
    private readonly cache: RenderCache,
  ) {
    const declarations = options.drivers.declarations();
    this.driverChoices = declarations.map((d) => ({ id: d.id, name: d.name, providers: providersOf(d) }));
    this.offered = declarations.map((d) => d.id).join(', ');
  }

  /** onRequest: Host check, then the path (with matrix parameters) and the query (spec §2 steps 1–2). */
  readonly readTarget = (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const rawUrl = req.raw.url ?? '/';
    const { path, query } = splitUrl(rawUrl);
    const state: RequestState = {
      rawUrl, segments: [], matrix: {}, lastSegmentMatrix: {}, driverId: this.options.defaultDriver, provider: this.options.defaultProvider,
      params: emptyParams(), presentNames: [], urlPath: path, format: 'xml', ranked: [], uploads: [], rawBody: false,
    };
    req.deltacloud = state;
    reply.header('Server', SERVER_HEADER).header('X-Deltacloud-Driver', state.driverId);
    if (!req.headers.host) {
      reply.code(400).type('text/plain').send('Unable to find HTTP Host header');
      return done();
    }
    try {
      const parsed = parsePath(path);
      parseQuery(query, state.params);
      state.segments = parsed.segments;
      state.matrix = parsed.matrix;
      state.lastSegmentMatrix = parsed.lastSegmentMatrix;
      state.urlPath = '/' + parsed.segments.join('/');
      // Errors of the body parsers (413, 415) come in the format the query and Accept ask for (§5); the body may still change it.
      state.format = documentFormat(rankFormats(str(state.params, 'format'), req.headers.accept));
      if (parsed.segments[0] !== 'api') return done(new DeltacloudError(404));
      // `/api/realms/` is not the collection (the original's clients rely on the 404); `/api/` is the entry point (spec §1).
      if (parsed.trailingSlash && parsed.segments.length > 1) return done(new DeltacloudError(404));
    } catch (e) {
      state.urlPath = withoutMatrix(path); // what error documents show of a path that did not parse
      if (e instanceof BadPath) return done(new DeltacloudError(400, e.message));
      if (e instanceof URIError) return done(new DeltacloudError(400, 'Malformed request path'));
      return done(e instanceof Error ? e : new Error(String(e)));
    }
    done();
  };

  /** preHandler: all parameters, the driver and provider (spec §3), and the formats the client accepts (§5). */
  readonly chooseBackEnd = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const state = stateOf(req);
    const form = formParams(req.body);
    if (form) for (const name in form) state.params[name] = form[name]!;
    state.rawBody = req.body === UNPARSED_BODY;
    if (req.method !== 'PUT' && req.isMultipart()) {
      try {
        await readMultipart(req, state, this.options);
      } catch (e) {
        if (isMalformedMultipart(e)) throw new DeltacloudError(400, 'Malformed multipart body');
        throw e;
      }
    }
    // Matrix parameters nest under their segment; the last segment's also count as plain ones (spec §1.2).
    for (const segment in state.matrix) {
      const values = state.matrix[segment]!;
      for (const name in values) addParam(state.params, `${segment}[${name}]`, values[name]!);
    }
    for (const name in state.lastSegmentMatrix) if (state.params[name] === undefined) state.params[name] = state.lastSegmentMatrix[name]!;
    // Required parameters count by name even when empty (§7.3); past that check, empty means absent.
    state.presentNames = Object.keys(state.params);
    dropEmptyValues(state.params);

    const api = state.params.api;
    const apiChoice = api && typeof api === 'object' && !Array.isArray(api) ? api : {};
    const bound = this.options.boundBackend?.(req.raw);
    state.bound = bound;
    const driverId = (bound?.driver ?? (apiChoice.driver || headerOf(req, 'x-deltacloud-driver') || this.options.defaultDriver)).toLowerCase();
    const provider = bound ? bound.provider : apiChoice.provider || headerOf(req, 'x-deltacloud-provider') || this.options.defaultProvider;
    // Both are echoed in response headers: a control character would make Node throw (ERR_INVALID_CHAR).
    checkHeaderSafe('driver', driverId);
    if (provider !== undefined) checkHeaderSafe('provider', provider);
    state.driverId = driverId;
    state.provider = provider;
    reply.header('X-Deltacloud-Driver', driverId);
    if (provider !== undefined) reply.header('X-Deltacloud-Provider', provider);

    state.ranked = rankFormats(str(state.params, 'format'), req.headers.accept);
    // Errors come in the negotiated format from here on, the unknown driver's too (§5).
    state.format = documentFormat(state.ranked);
    state.driver = await this.options.drivers.get(driverId);
    if (!state.driver) throw new DeltacloudError(400, `Driver '${driverId}' is not offered on this server (offered drivers: ${this.offered})`);
    if (state.ranked.length === 0) reply.code(406).send();
  };

  /** The handler: route, check, call, render. */
  readonly handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const state = stateOf(req);
    const driver = state.driver;
    if (!driver) throw new Error('handler without a driver: the preHandler did not run');
    const route = this.route(req, state);
    switch (route.kind) {
      case 'none':
        // Unknown path or method → 404 (spec §2 step 5); 405 is for instance states and driver refusals.
        throw new DeltacloudError(404);
      case 'head-of-action':
        return reply.code(200).send(); // HEAD on an action URL (spec §9.1)
      case 'options':
        return reply.code(200).header('Allow', this.optionsAnswers.allow(driver, route.below)).send();
    }
    const { op, method, pathParams } = route;
    state.operation = op;
    const format = chooseFormat(state.ranked, op.formats ?? DEFAULT_FORMATS);
    if (!format) return reply.code(406).send();
    state.format = format;
    // The console's navigation, for the page and for an error page (a 412 included).
    if (format === 'html') state.chrome = consoleChrome({ driver, driverIds: this.driverChoices, view: new ViewContext(mountUrl(req) + selectionOf(state.params), driver) });
    checkCapability(driver, op, state, req);

    const params = state.params;
    for (const name in pathParams) params[name] = pathParams[name]!;
    const mount = mountUrl(req);
    // HTML links carry the driver and provider chosen on `/api`, so that the next click stays on that back end.
    const base = format === 'html' ? mount + selectionOf(params) : mount;
    // A browser's post of a form (it carries some of the operation's fields) that lacks a field is answered with the
    // form, as any other refusal of it is (below); a post carrying none of them is sent to the form.
    const formPost = format === 'html' && req.method === 'POST' && (op.params ?? []).some((p) => !(p.name in pathParams) && state.presentNames.includes(p.name));
    let invalid: unknown;
    try {
      validateParams(op, [...state.presentNames, ...Object.keys(pathParams).filter((k) => !state.presentNames.includes(k))]);
    } catch (e) {
      const formUrl = format === 'html' && !formPost ? this.navigation.formUrl({ base }, op, pathParams) : undefined;
      if (formUrl) return reply.redirect(formUrl, 303);
      if (!formPost) throw e;
      invalid = e;
    }
    if (!op.rawBody && state.rawBody && hasBody(req.headers)) {
      throw new UnsupportedMediaType(`Unsupported Media Type: send form data (application/x-www-form-urlencoded or multipart/form-data)`);
    }

    if (req.method === 'GET') await driver.syncRevision?.(); // another replica may have written since
    const slot = this.cacheSlot(req, state, driver, op, base);
    if (slot) {
      const hit = this.cache.get(slot.key, slot.revision);
      if (hit) return this.renderer.cached(req, reply, slot, hit);
    }

    const apiRequest = this.apiRequest(req, reply, state, driver, op, method, pathParams, base, mount);
    const started = process.hrtime.bigint();
    let result: Reply;
    try {
      if (invalid !== undefined) throw invalid;
      result = await op.run(apiRequest);
    } catch (e) {
      const refilled = formPost ? await this.navigation.refill(apiRequest, op, e) : undefined;
      if (!refilled) throw e;
      result = refilled;
    }
    const runtime = Number(process.hrtime.bigint() - started) / 1e9;
    return this.renderer.reply(req, reply, apiRequest, op, result, runtime, slot);
  };

  /**
   * The operation for the method and path (the declarations' router), or an OPTIONS answer.
   * `POST` with `_method` stands for another method (HTML forms); HEAD is GET without a body.
   */
  private route(req: FastifyRequest, state: RequestState): Route {
    let method = req.method.toUpperCase();
    const override = str(state.params, '_method');
    if (method === 'POST' && override) method = override.toUpperCase();
    const below = state.segments.slice(1);
    if (method === 'OPTIONS') return { kind: 'options', below };
    if (!isHttpMethod(method)) return { kind: 'none' };
    const lookup = method === 'HEAD' ? 'GET' : method;
    let match = this.router.match(lookup, below);
    if (method === 'HEAD') {
      const headMatch = this.router.match('HEAD', below);
      if (headMatch.kind === 'found') match = headMatch;
      else if (match.kind === 'method-not-allowed') return { kind: 'head-of-action' };
    }
    if (match.kind !== 'found') return { kind: 'none' };
    return { kind: 'operation', op: match.op, method: lookup, pathParams: match.pathParams };
  }

  /**
   * Where a read's rendering is cached, or undefined when it may not be. Only a real GET without a
   * body qualifies (a `POST` with `_method=GET` carries parameters the URL does not show), of a
   * non-volatile operation, rendered as a document, by a driver that reports a revision.
   */
  private cacheSlot(req: FastifyRequest, state: RequestState, driver: Driver, op: Operation, base: string): CacheSlot | undefined {
    if (req.method !== 'GET' || op.method !== 'GET' || op.volatile || hasBody(req.headers)) return undefined;
    if (state.format !== 'xml' && state.format !== 'json' && state.format !== 'html') return undefined;
    if (!reportsRevision(driver)) return undefined;
    const key = RenderCache.key({
      driver: state.driverId, provider: state.provider, format: state.format, base, url: state.rawUrl,
      headers: req.headers, credentialsFixed: this.options.fixedCredentials !== undefined,
      principal: state.bound && `profile ${state.bound.profile}`,
    });
    return { key, revision: driver.revision(), source: driver, identity: Renderer.identity(state) };
  }

  /** The request as the operation sees it. */
  private apiRequest(
    req: FastifyRequest, reply: FastifyReply, state: RequestState, driver: Driver, op: Operation,
    method: HttpMethod, pathParams: Record<string, string>, base: string, mount: string,
  ): ApiRequest {
    const credentials = state.bound ? state.bound.credentials : this.options.fixedCredentials ?? credentialsFrom(req.headers.authorization);
    // Streamed uploads last as long as the client sends; other driver calls share the request's deadline (core call pipeline).
    const contextOptions = { timeoutMs: op.rawBody ? undefined : this.options.timeoutMs, log: req.log };
    if (state.uploadDir) {
      const dir = state.uploadDir;
      reply.raw.once('close', () => void rm(dir, { recursive: true, force: true }));
    }
    return {
      method, driver, driverId: state.driverId, provider: state.provider,
      ctx: new RequestContext(state.provider, credentials, undefined, req.headers, contextOptions), params: state.params, pathParams,
      view: new ViewContext(base, driver), format: state.format, headers: req.headers, raw: req.raw, files: state.uploads, base,
      body: op.rawBody ? limitUpload(req.raw, reply.raw, this.options.maxUploadBytes) : req.raw,
      serverHostname: this.options.serverHostname, mount,
      driverIds: this.driverChoices,
    };
  }
}

/** 412 with the capability in `Expect` when the driver cannot do what the operation needs (spec §2 step 6). */
function checkCapability(driver: Driver, op: Operation, state: RequestState, req: FastifyRequest): void {
  const capability = typeof op.capability === 'function' ? op.capability({ params: state.params, headers: req.headers }) : op.capability;
  if (capability === undefined) return;
  const able = capability === 'instance_states' ? !!driver.declaration.stateMachine : hasCapability(driver, capability);
  if (!able) throw new CapabilityMissing(capability);
}
