// The Deltacloud front end mounted on a Fastify app: request processing in
// the order of spec §2, and the one place where replies become XML, JSON or
// HTML bytes.
import { hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasCapability, providersOf, RequestContext, type Credentials, type Driver, type DriverDeclaration } from '../../core/driver.js';
import { CapabilityMissing, CredentialsRequired, DeltacloudError, PayloadTooLarge, RangeNotSatisfiable, UnsupportedMediaType } from '../../core/errors.js';
import { advertisedFeatures } from '../../core/features.js';
import { OWNER_TAG } from '../../core/owned-files.js';
import { addSecurityHeaders, refuseCrossOrigin } from './browser-safety.js';
import { errorJson, errorXml, genericMessage, type ErrorInfo } from './errors.js';
import { renderErrorPage, renderResourcePage } from './html.js';
import { HtmlNavigation, selectionOf } from './html-navigation.js';
import { chooseFormat, CONTENT_TYPES, rankFormats, type Format } from './negotiation.js';
import { DEFAULT_FORMATS, validateParams, type ApiRequest, type HttpMethod, type Operation, type UploadedFile } from './operation.js';
import { computeOperations } from './operations/compute.js';
import { entryOperations, makeDriverOperations } from './operations/entry.js';
import { makeFormOperations } from './operations/forms.js';
import { networkOperations } from './operations/network.js';
import { makeOpenApiOperations } from './openapi/operations.js';
import { storageOperations } from './operations/storage.js';
import { addParam, BadPath, dropEmptyValues, emptyParams, parsePath, parseQuery, str, withoutMatrix, type Params } from './params.js';
import { checkHeaderSafe, hasBody, isClientAbort, isMalformedMultipart } from './request-checks.js';
import { discardRest, limitUpload } from './upload-limit.js';
import type { Reply } from './reply.js';
import { RenderCache } from './render-cache.js';
import { Router } from './router.js';
import { ViewContext } from './views/view.js';
import { serializeXml } from './xml.js';

export interface DriverSource {
  /** Declarations of every driver this server ships. */
  declarations(): DriverDeclaration[];
  /** The loaded driver, or undefined for an unknown id. */
  get(id: string): Promise<Driver | undefined>;
}

export interface DeltacloudOptions {
  drivers: DriverSource;
  defaultDriver: string;
  defaultProvider?: string;
  /** Per-request limit for driver calls. */
  timeoutMs: number;
  /** Credentials the operator fixed for every request (API_USER/API_PASSWORD). */
  fixedCredentials?: Credentials;
  /** Used in the WWW-Authenticate realm. */
  serverHostname: string;
  /** Largest form body accepted (bytes); more → 413. */
  bodyLimit: number;
  /** Largest multipart file accepted (form uploads). */
  maxUploadBytes: number;
  /** Where form uploads are spooled (the server's own folder, swept at start); default the OS temp folder. */
  uploadsDir?: string;
}

export const MOUNT = '/api';
/** Names of the per-request folders of spooled form uploads (followed by the owner tag). */
export const UPLOAD_PREFIX = 'deltacloud-upload-';
const SERVER_HEADER = 'Apache-Deltacloud/1.1.3';
/** Marker for bodies left unparsed for the operation to stream. */
const RAW_BODY = Symbol('raw body');

function collectionClassName(collection: string): string {
  return `Deltacloud::Rabbit::${collection.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}Collection`;
}

function credentialsFrom(header: string | undefined): Credentials | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Absolute URL of the mount from the request, honouring X-Forwarded-* (spec §1.1). */
function mountUrl(req: FastifyRequest): string {
  const h = req.headers;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
  const proto = first(h['x-forwarded-proto']) || req.protocol;
  let host = first(h['x-forwarded-host']) || h.host || 'localhost';
  const port = first(h['x-forwarded-port']);
  if (port && /^\d+$/.test(port) && !/:\d+$/.test(host)) {
    const defaultPort = proto === 'https' ? '443' : '80';
    if (port !== defaultPort) host = `${host}:${port}`;
  }
  // Only a plausible host[:port] may become part of links; anything else falls back.
  if (!/^[A-Za-z0-9.\-_[\]:]+$/.test(host)) host = 'localhost';
  return `${proto === 'https' ? 'https' : 'http'}://${host}${MOUNT}`;
}

/** Where a fresh rendering of a cacheable read goes. */
type RevisionedDriver = Driver & { revision(): string };

/** Drivers that can tell cheaply when their state changed: their reads may be cached. */
function reportsRevision(driver: Driver): driver is RevisionedDriver {
  return typeof driver.revision === 'function';
}

interface CacheSlot {
  key: string;
  revision: string;
  driver: RevisionedDriver;
  identity: Record<string, string>;
}

interface RequestState {
  driverId: string;
  provider?: string;
  params: Params;
  urlPath: string;
  format: Format;
  operation?: Operation;
  uploads: UploadedFile[];
  uploadDir?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    deltacloud?: RequestState;
  }
}

/** What the server assembly needs from this front end besides its routes. */
export interface DeltacloudHandle {
  /** Answers a repeated read before the framework sees it (see RenderCache); false if it is not one. */
  answerRepeat(req: IncomingMessage, res: ServerResponse): boolean;
  /** Stops answering repeats early (every request then takes the full path: access logs, shutdown 503s). */
  stopRepeats(): void;
  /** Answers an error in the error document (for Fastify's `frameworkErrors`, which bypass the error handler). */
  answerError(error: Error, req: FastifyRequest, reply: FastifyReply): unknown;
}

export async function registerDeltacloud(app: FastifyInstance, options: DeltacloudOptions): Promise<DeltacloudHandle> {
  const apiOperations: Operation[] = [...entryOperations, ...makeDriverOperations(() => options.drivers.declarations()), ...computeOperations, ...storageOperations, ...networkOperations];
  apiOperations.push(...makeOpenApiOperations(() => apiOperations));
  const helperForms = makeFormOperations(apiOperations);
  const router = new Router([...apiOperations, ...helperForms.map((f) => f.form)]);
  const navigation = new HtmlNavigation(router, apiOperations, helperForms);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', (req, payload, done) => {
    // A PUT body is blob data whatever its type (curl --data-binary labels it a form): leave it to stream.
    if (req.method === 'PUT') return done(null, RAW_BODY);
    readLimited(req.raw, payload, options.bodyLimit).then(parseQuery).then((params) => done(null, params), (e: Error) => done(e, undefined));
  });
  // Everything else (blob uploads, manifests) is streamed by the operation itself.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, RAW_BODY));
  await app.register((await import('@fastify/multipart')).default, {
    limits: { fileSize: options.maxUploadBytes, files: 10, fields: 1000, fieldSize: 1024 * 1024 },
  });

  const renderCache = new RenderCache();
  // Declarations are static: the driver pickers' data is computed once.
  const driverChoices = options.drivers.declarations().map((d) => ({ id: d.id, name: d.name, providers: providersOf(d) }));

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('Server', SERVER_HEADER);
    const rawUrl = req.raw.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? '' : rawUrl.slice(q + 1);
    const state: RequestState = {
      driverId: options.defaultDriver, provider: options.defaultProvider, params: emptyParams(), urlPath: withoutMatrix(rawPath), format: 'xml', uploads: [],
    };
    req.deltacloud = state;
    reply.header('X-Deltacloud-Driver', state.driverId);

    if (!req.headers.host) return reply.code(400).type('text/plain').send('Unable to find HTTP Host header');

    let parsed;
    try {
      parsed = parsePath(rawPath);
      parseQuery(query, state.params);
    } catch (e) {
      if (e instanceof BadPath) return sendError(req, reply, new DeltacloudError(400, e.message));
      if (e instanceof URIError) return sendError(req, reply, new DeltacloudError(400, 'Malformed request path'));
      throw e;
    }
    state.urlPath = '/' + parsed.segments.join('/');
    if (parsed.segments[0] !== 'api') return sendError(req, reply, new DeltacloudError(404));
    // `/api/realms/` is not the collection (the original's clients rely on the 404); `/api/` is the entry point (spec §1).
    if (parsed.trailingSlash && parsed.segments.length > 1) return sendError(req, reply, new DeltacloudError(404));

    // Form body, multipart fields and files.
    const body: unknown = req.body;
    if (body && typeof body === 'object') {
      for (const [k, v] of Object.entries(body as Params)) state.params[k] = v;
    }
    if (req.method !== 'PUT' && req.isMultipart()) {
      try {
        await readMultipart(req, state);
      } catch (e) {
        if (isMalformedMultipart(e)) throw new DeltacloudError(400, 'Malformed multipart body');
        throw e;
      }
    }

    // Matrix parameters nest under their segment; the last segment's also count as plain ones (spec §1.2).
    for (const [segment, values] of Object.entries(parsed.matrix)) {
      for (const [k, v] of Object.entries(values)) addParam(state.params, `${segment}[${k}]`, v);
    }
    for (const [k, v] of Object.entries(parsed.lastSegmentMatrix)) if (state.params[k] === undefined) state.params[k] = v;
    // Required parameters count by name even when empty (§7.3); past that check, empty means absent.
    const presentNames = Object.keys(state.params);
    dropEmptyValues(state.params);

    // Driver and provider for this request (spec §3).
    const api = state.params.api;
    const apiChoice = api && typeof api === 'object' && !Array.isArray(api) ? api : {};
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const driverId = (apiChoice.driver || header('x-deltacloud-driver') || options.defaultDriver).toLowerCase();
    const provider = apiChoice.provider || header('x-deltacloud-provider') || options.defaultProvider;
    // Both are echoed in response headers: a control character would make Node throw (ERR_INVALID_CHAR).
    checkHeaderSafe('driver', driverId);
    if (provider !== undefined) checkHeaderSafe('provider', provider);
    state.driverId = driverId;
    state.provider = provider;
    reply.header('X-Deltacloud-Driver', state.driverId);
    if (state.provider !== undefined) reply.header('X-Deltacloud-Provider', state.provider);
    const driver = await options.drivers.get(state.driverId);
    if (!driver) {
      // The error document still comes in the format the client negotiates (§5 "errors are rendered in the negotiated format").
      state.format = rankFormats(str(state.params, 'format'), req.headers.accept).find((f) => f === 'xml' || f === 'json' || f === 'html') ?? 'xml';
      const offered = options.drivers.declarations().map((d) => d.id).join(', ');
      return sendError(req, reply, new DeltacloudError(400, `Driver '${state.driverId}' is not offered on this server (offered drivers: ${offered})`));
    }

    const ranked = rankFormats(str(state.params, 'format'), req.headers.accept);
    if (ranked.length === 0) return reply.code(406).send();
    state.format = ranked.find((f) => f === 'xml' || f === 'json' || f === 'html') ?? 'xml';

    let method = req.method.toUpperCase() as HttpMethod | 'OPTIONS';
    const override = str(state.params, '_method');
    if (method === 'POST' && override) method = override.toUpperCase() as HttpMethod;

    const below = parsed.segments.slice(1);
    if (method === 'OPTIONS') return answerOptions(reply, driver, below);

    const lookup = method === 'HEAD' ? 'GET' : method;
    let match = router.match(lookup as HttpMethod, below);
    if (method === 'HEAD') {
      const headMatch = router.match('HEAD', below);
      if (headMatch.kind === 'found') match = headMatch;
      else if (match.kind === 'method-not-allowed') return reply.code(200).send(); // HEAD on an action URL (spec §9.1)
    }
    if (match.kind === 'not-found') return sendError(req, reply, new DeltacloudError(404));
    // Unknown path or method → 404 (spec §2 step 5); 405 is for instance states and driver refusals.
    if (match.kind === 'method-not-allowed') return sendError(req, reply, new DeltacloudError(404));
    const op = match.op;
    state.operation = op;

    const format = chooseFormat(ranked, op.formats ?? DEFAULT_FORMATS);
    if (!format) return reply.code(406).send();
    state.format = format;

    const capability = typeof op.capability === 'function' ? op.capability({ params: state.params, headers: req.headers }) : op.capability;
    if (capability !== undefined && capability !== 'instance_states' && !hasCapability(driver, capability)) {
      return sendError(req, reply, new CapabilityMissing(capability));
    }
    if (capability === 'instance_states' && !driver.declaration.stateMachine) return sendError(req, reply, new CapabilityMissing(capability));

    const params = state.params;
    for (const [k, v] of Object.entries(match.pathParams)) params[k] = v;
    const mount = mountUrl(req);
    // HTML links carry the driver and provider chosen on `/api`, so that the next click stays on that back end.
    const base = format === 'html' ? mount + selectionOf(params) : mount;
    try {
      validateParams(op, [...presentNames, ...Object.keys(match.pathParams).filter((k) => !presentNames.includes(k))]);
    } catch (e) {
      const form = format === 'html' ? navigation.formUrl({ base }, op, match.pathParams) : undefined;
      if (form) return reply.redirect(form, 303);
      throw e;
    }
    if (!op.rawBody && body === RAW_BODY && hasBody(req.headers)) {
      return sendError(req, reply, new UnsupportedMediaType(`Unsupported Media Type: send form data (application/x-www-form-urlencoded or multipart/form-data)`));
    }

    // Reads of drivers that report a revision are answered from earlier renderings while nothing changed.
    let cacheSlot: CacheSlot | undefined;
    if (op.method === 'GET' && !op.volatile && reportsRevision(driver) && (format === 'xml' || format === 'json' || format === 'html')) {
      const key = RenderCache.key({
        driver: state.driverId, provider: state.provider, format, base, url: rawUrl,
        authorization: options.fixedCredentials ? undefined : req.headers.authorization,
      });
      await driver.syncRevision?.(); // another replica may have written since
      const revision = driver.revision();
      const identity = identityHeaders(state);
      const hit = renderCache.get(key, revision);
      if (hit) {
        renderCache.rememberRepeat(req.raw, key, driver, identity);
        return reply.code(200).headers(RenderCache.headers(identity, hit)).send(hit.bytes);
      }
      cacheSlot = { key, revision, driver, identity };
    }

    const credentials = options.fixedCredentials ?? credentialsFrom(req.headers.authorization);
    // Streamed uploads last as long as the client sends; other driver calls share the request's deadline (core call pipeline).
    const contextOptions = { timeoutMs: op.rawBody ? undefined : options.timeoutMs, log: req.log };
    const apiRequest: ApiRequest = {
      method: lookup as HttpMethod, driver, driverId: state.driverId, provider: state.provider,
      ctx: new RequestContext(state.provider, credentials, undefined, req.headers, contextOptions), params, pathParams: match.pathParams,
      view: new ViewContext(base, driver), format, headers: req.headers, raw: req.raw, files: state.uploads, base,
      body: op.rawBody ? limitUpload(req.raw, reply.raw, options.maxUploadBytes) : req.raw,
      serverHostname: options.serverHostname, mount,
      driverIds: driverChoices,
    };
    if (state.uploadDir) {
      const dir = state.uploadDir;
      reply.raw.once('close', () => void rm(dir, { recursive: true, force: true }));
    }
    const started = process.hrtime.bigint();
    const result = await op.run(apiRequest);
    const runtime = Number(process.hrtime.bigint() - started) / 1e9;
    return sendReply(req, reply, apiRequest, result, runtime, cacheSlot);
  };

  /** The headers naming who answered: the same on every answer to the same request. */
  function identityHeaders(state: RequestState): Record<string, string> {
    const identity: Record<string, string> = { server: SERVER_HEADER, 'x-deltacloud-driver': state.driverId };
    if (state.provider !== undefined) identity['x-deltacloud-provider'] = state.provider;
    return identity;
  }

  function answerOptions(reply: FastifyReply, driver: Driver, below: string[]) {
    reply.code(200);
    if (below.length === 0) {
      const names = [...new Set(apiOperations.map((o) => o.collection))].filter((c) => c !== 'api')
        .filter((c) => c === 'drivers' || (c === 'instance_states' ? !!driver.declaration.stateMachine : hasCapability(driver, c)));
      return reply.header('Allow', names.sort().map(collectionClassName).join(',')).send();
    }
    const collection = below[0]!;
    const ops = router.ofCollection(collection).filter((o) => !o.name.endsWith('_form'));
    if (ops.length === 0) return sendError(reply.request, reply, new DeltacloudError(404));
    if (below.length === 1) {
      // The collection's own operations (blobs are a sub-collection), in the original's order: index/show, create, destroy (§9.2).
      const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];
      const own = ops.filter((o) => !o.name.includes('blob'));
      const methods = [...new Set(own.map((o) => o.method))].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
      return reply.header('Allow', ['OPTIONS', ...methods].join(',')).send();
    }
    // `/collection/<operation>` for standard operations, `/collection/:id/<action>` for actions.
    const opName = below.length === 2 ? below[1]! : below[2]!;
    const op = ops.find((o) => o.name === opName);
    if (!op) return sendError(reply.request, reply, new DeltacloudError(404));
    const declared = (op.params ?? []).map((p) => `${p.name}:${p.type === 'array' ? 'array' : 'string'}:${p.required ? 'required' : 'optional'}`);
    const features = advertisedFeatures(driver.declaration.features[collection as keyof typeof driver.declaration.features], collection)
      .filter((f) => f.operation === op.name)
      .flatMap((f) => f.params.map((p) => `${p.name}:${p.type}:optional`));
    return reply.header('Allow', [...new Set([...declared, ...features])].join(',')).send();
  }

  async function readMultipart(req: FastifyRequest, state: RequestState) {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        addParam(state.params, part.fieldname, String(part.value));
        continue;
      }
      // Files go to a private temporary directory, never into memory whole.
      state.uploadDir ??= await mkdtemp(join(options.uploadsDir ?? tmpdir(), `${UPLOAD_PREFIX}${OWNER_TAG}-`));
      const path = join(state.uploadDir, String(state.uploads.length));
      await pipeline(part.file, createWriteStream(path, { mode: 0o600 }));
      if (part.file.truncated) throw new PayloadTooLarge(`Uploaded file exceeds ${options.maxUploadBytes} bytes`);
      state.uploads.push({ field: part.fieldname, filename: part.filename, contentType: part.mimetype, path, size: part.file.bytesRead });
      addParam(state.params, part.fieldname, part.filename);
    }
  }

  function sendReply(req: FastifyRequest, reply: FastifyReply, apiReq: ApiRequest, result: Reply, runtime: number, cacheSlot?: CacheSlot) {
    const format = apiReq.format;
    for (const [k, v] of Object.entries(result.headers ?? {})) {
      // Fastify lower-cases header names; the blob metadata key in the name is data and keeps its case (§11.10.4).
      if (/^x-deltacloud-blobmeta-/i.test(k)) reply.raw.setHeader(k, v);
      else reply.header(k, v);
    }
    if (format === 'html' && result.htmlRedirect && result.status < 300) return reply.redirect(result.htmlRedirect, 303);
    reply.code(result.status);
    const body = result.body;
    if (!body) {
      if (result.typedEmpty) return reply.type(CONTENT_TYPES[format]).header('Content-Length', '0').send(Buffer.alloc(0)); // no `; charset` (§5)
      return reply.send();
    }
    switch (body.kind) {
      case 'stream':
        return reply.type(body.contentType).send(body.stream);
      case 'text':
        return reply.type(body.contentType).send(body.text);
      case 'html':
        return sendBytes(reply, 'text/html', Buffer.from(body.html, 'utf8'), result.status);
      case 'document': {
        reply.header('X-Backend-Runtime', runtime.toFixed(6));
        let text: string;
        if (format === 'json') text = JSON.stringify(body.json());
        else if (format === 'html') {
          const page = navigation.page(apiReq, req.deltacloud!.operation!, body.xml());
          text = renderResourcePage(page.doc, {
            title: body.title, newFormUrl: page.newFormUrl, apiUrl: apiReq.base,
            selfUrl: apiReq.base + req.deltacloud!.urlPath.slice(MOUNT.length), driver: apiReq.driverId, provider: apiReq.provider,
          });
        } else text = serializeXml(body.xml(), body.xmlDeclaration);
        const contentType = CONTENT_TYPES[format === 'json' || format === 'html' ? format : 'xml'];
        const bytes = Buffer.from(text, 'utf8');
        const etag = hash('md5', bytes);
        if (cacheSlot && result.status === 200 && isEmpty(result.headers)) {
          renderCache.set(cacheSlot.key, cacheSlot.revision, { contentType, bytes, etag });
          renderCache.rememberRepeat(req.raw, cacheSlot.key, cacheSlot.driver, cacheSlot.identity);
        }
        return sendBytes(reply, contentType, bytes, result.status, etag);
      }
    }
  }

  /** A body with ETag (unquoted MD5) and Cache-Control on 200/201 (spec §6). */
  function sendBytes(reply: FastifyReply, contentType: string, bytes: Buffer, status: number, etag?: string) {
    if ((status === 200 || status === 201) && bytes.length > 0) {
      reply.header('ETag', etag ?? hash('md5', bytes));
      reply.header('Cache-Control', 'max-age=0, private, must-revalidate');
    }
    return reply.type(contentType).send(bytes);
  }

  /** The provider a driver uses when the request names none, as the operator configured it (shown in error documents). */
  function defaultProviderOf(driverId: string): string | undefined {
    return options.drivers.declarations().find((d) => d.id === driverId)?.defaultProvider;
  }

  function sendError(req: FastifyRequest, reply: FastifyReply, error: DeltacloudError) {
    const state = req.deltacloud;
    const status = error.status;
    // Listings answer the generic text of the status (spec §8.2), unless the cause is the same for any request.
    const message = state?.operation?.genericErrors && !error.specific ? genericMessage(status) : error.message;
    if (error instanceof CredentialsRequired) {
      reply.header('WWW-Authenticate', `Basic realm="${state?.driverId ?? options.defaultDriver}-deltacloud@${options.serverHostname}"`);
    }
    if (error instanceof CapabilityMissing) reply.header('Expect', error.capability);
    if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
    if (error instanceof RangeNotSatisfiable) reply.header('Content-Range', `bytes */${error.size}`);
    const driverId = state?.driverId ?? options.defaultDriver;
    const info: ErrorInfo = {
      status, message, url: state?.urlPath ?? '/', driver: driverId, provider: state?.provider ?? defaultProviderOf(driverId),
      params: state?.params ?? {},
    };
    const format = state?.format ?? 'xml';
    reply.code(status);
    // A Buffer: Fastify would append `; charset=utf-8` to a JSON string's type (spec §5 wants the bare type).
    if (format === 'json') return reply.type('application/json').send(Buffer.from(errorJson(info), 'utf8'));
    if (format === 'html') {
      // The page's links stay on the chosen back end, unless the choice is what failed (an unknown driver).
      const known = options.drivers.declarations().some((d) => d.id === state?.driverId);
      const base = mountUrl(req) + (known ? selectionOf(state?.params) : '');
      return reply.type('text/html').send(renderErrorPage(status, message, {
        apiUrl: base, selfUrl: base + (state?.urlPath ?? MOUNT).slice(MOUNT.length), driver: info.driver, provider: info.provider,
        requestUri: base + (state?.urlPath ?? MOUNT).slice(MOUNT.length),
      }));
    }
    return reply.type('application/xml').send(errorXml(info));
  }

  const answerError = (error: Error, req: FastifyRequest, reply: FastifyReply) => {
    if (reply.sent) return;
    if (!reply.getHeader('Server')) reply.header('Server', SERVER_HEADER);
    // Fastify closes the connection after a body parser's error; readLimited discards the
    // rest, so the connection can stay open and the client, still sending, gets the 413 instead of a reset.
    if (error instanceof FormBodyTooLarge) reply.removeHeader('connection');
    if (!req.deltacloud) {
      // The body parser failed before the handler ran (413, 415): still negotiate the error's format and echo the driver (§5, §6).
      const rawUrl = req.raw.url ?? '/';
      const q = rawUrl.indexOf('?');
      let urlPath = MOUNT;
      let query: Params = {};
      try {
        urlPath = '/' + parsePath(q < 0 ? rawUrl : rawUrl.slice(0, q)).segments.join('/');
        query = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
      } catch {
        // keep the defaults
      }
      const format = rankFormats(str(query, 'format'), req.headers.accept).find((f) => f === 'xml' || f === 'json' || f === 'html') ?? 'xml';
      req.deltacloud = { driverId: options.defaultDriver, provider: options.defaultProvider, params: emptyParams(), urlPath, format, uploads: [] };
      reply.header('X-Deltacloud-Driver', options.defaultDriver);
    }
    if (error instanceof DeltacloudError) return sendError(req, reply, error);
    const code = (error as { code?: string }).code ?? '';
    const statusCode = (error as { statusCode?: number }).statusCode;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT' || statusCode === 413) {
      return sendError(req, reply, new PayloadTooLarge());
    }
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || statusCode === 415) return sendError(req, reply, new UnsupportedMediaType());
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      return sendError(req, reply, new DeltacloudError(400, 'Bad Request'));
    }
    // A client that went away is routine, not a server fault: logged below the error level, answered to nobody.
    if (isClientAbort(error, req.raw)) {
      req.log.debug({ err: { type: error.name, message: error.message } }, 'client aborted the request');
      return sendError(req, reply, new DeltacloudError(400, 'Bad Request'));
    }
    // Unexpected: log the class and message (never the stack or the request's secrets), answer neutrally.
    req.log.error({ err: { type: error.name, message: error.message } }, 'unhandled error');
    return sendError(req, reply, new DeltacloudError(500, 'Internal Server Error'));
  };
  app.setErrorHandler(answerError);

  // Paths outside every front end and methods no route takes answer the error document too, not Fastify's JSON.
  app.setNotFoundHandler((_req, reply) => reply.send(new DeltacloudError(404)));
  // Browsers: cross-origin state changes are refused before any body is read (CSRF); every answer gets the security headers.
  const onRequest = refuseCrossOrigin((req) => mountUrl(req).slice(0, -MOUNT.length));
  app.addHook('onSend', addSecurityHeaders);
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'], url: '/api', onRequest, handler });
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'], url: '/api/*', onRequest, handler });
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'], url: '/api;*', onRequest, handler });

  return {
    answerRepeat: (req, res) => renderCache.answerRepeat(req, res),
    stopRepeats: () => {
      renderCache.repeatsEnabled = false;
    },
    answerError,
  };
}

/** A form body as text, refusing more than `limit` bytes (413). */
/** A form body over `bodyLimit`, refused while the rest of it is still being read. */
class FormBodyTooLarge extends PayloadTooLarge {}

function readLimited(raw: IncomingMessage, stream: NodeJS.ReadableStream, limit: number): Promise<string> {
  // Not `for await`: leaving that loop destroys the request, and with it the connection, while the
  // client is still sending; the 413 would never reach it. Past the limit the rest is discarded as for uploads.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stream.removeListener('data', collect);
      stream.removeListener('end', finish);
      discardRest(raw);
      reject(new FormBodyTooLarge());
    };
    const finish = () => resolve(Buffer.concat(chunks).toString('utf8'));
    stream.on('data', collect);
    stream.once('end', finish);
    stream.once('error', reject);
  });
}

/** True for no headers: a cached rendering replays only the standard ones. */
function isEmpty(headers: Record<string, string> | undefined): boolean {
  for (const _ in headers) return false;
  return true;
}

