// Where replies and errors become XML, JSON or HTML bytes, with the headers
// every answer carries (ETag, Cache-Control, X-Backend-Runtime, …), and
// where fresh renderings of cacheable reads are stored in the render cache.
import { consoleChrome } from './console.js';
import { hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CapabilityMissing, CredentialsRequired, DeltacloudError, PayloadTooLarge, RangeNotSatisfiable, UnsupportedMediaType } from '../../core/errors.js';
import { FormBodyTooLarge } from './body-parsers.js';
import { errorJson, errorXml, genericMessage, type ErrorInfo } from './errors.js';
import { renderErrorPage, renderResourcePage } from './html.js';
import { selectionOf, type HtmlNavigation } from './html-navigation.js';
import { CONTENT_TYPES, rankFormats, type Format } from './negotiation.js';
import type { ApiRequest, Operation } from './operation.js';
import { emptyParams, parsePath, parseQuery, str, type Params } from './params.js';
import type { DocumentBody, Reply } from './reply.js';
import { CachedRendering, RenderCache, type Revisioned } from './render-cache.js';
import { errorDetails, isClientAbort } from './request-checks.js';
import { MOUNT, mountUrl, SERVER_HEADER, splitUrl, type RequestState } from './request-state.js';
import { serializeXml } from './xml.js';
import { DocumentEtags } from './etag.js';

/** Where a fresh rendering of a cacheable read goes. */
export interface CacheSlot {
  key: string;
  revision: string;
  source: Revisioned;
  identity: Record<string, string>;
}

const CACHE_CONTROL = 'max-age=0, private, must-revalidate';
const BLOB_METADATA_HEADER = /^x-deltacloud-blobmeta-/i;
/** Document formats: the ones a `document` reply renders to and errors come in. */
const isDocumentFormat = (f: Format): f is 'xml' | 'json' | 'html' => f === 'xml' || f === 'json' || f === 'html';

/** The best document format of a ranking (errors and document replies), XML when none is ranked. */
export function documentFormat(ranked: readonly Format[]): 'xml' | 'json' | 'html' {
  return ranked.find(isDocumentFormat) ?? 'xml';
}

/** Codes of Fastify and @fastify/multipart for a body over a limit. */
const TOO_LARGE_CODES = new Set(['FST_ERR_CTP_BODY_TOO_LARGE', 'FST_REQ_FILE_TOO_LARGE', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT', 'FST_PARTS_LIMIT']);

export interface RendererOptions {
  defaultDriver: string;
  defaultProvider?: string;
  /** Used in the WWW-Authenticate realm. */
  serverHostname: string;
  /** Ids of the offered drivers and their default providers (fixed at start). */
  defaultProviders: ReadonlyMap<string, string | undefined>;
}

export class Renderer {
  private readonly etags = new DocumentEtags();

  constructor(private readonly navigation: HtmlNavigation, private readonly cache: RenderCache, private readonly options: RendererOptions) {}

  /** The headers naming who answered: the same on every answer to the same request. */
  static identity(state: RequestState): Record<string, string> {
    const identity: Record<string, string> = { server: SERVER_HEADER, 'x-deltacloud-driver': state.driverId };
    if (state.provider !== undefined) identity['x-deltacloud-provider'] = state.provider;
    return identity;
  }

  /** Sends an operation's reply in the negotiated format; a 200 document of a cacheable read is stored under `slot`. */
  reply(req: FastifyRequest, reply: FastifyReply, apiReq: ApiRequest, op: Operation, result: Reply, runtime: number, slot?: CacheSlot) {
    const format = apiReq.format;
    let extraHeaders = false;
    for (const name in result.headers) {
      extraHeaders = true;
      const value = result.headers[name]!;
      // Fastify lower-cases header names; the blob metadata key in the name is data and keeps its case (§11.10.4).
      if (BLOB_METADATA_HEADER.test(name)) reply.raw.setHeader(name, value);
      else reply.header(name, value);
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
        return sendBody(reply, 'text/html', Buffer.from(body.html, 'utf8'), result.status);
      case 'document': {
        reply.header('X-Backend-Runtime', runtime.toFixed(6));
        const documentType = isDocumentFormat(format) ? format : 'xml';
        const text = this.document(req, apiReq, op, body, documentType);
        const etag = this.etags.of(text); // of the UTF-8 bytes, as the client receives them
        const contentType = CONTENT_TYPES[documentType];
        if (slot && result.status === 200 && !extraHeaders) this.cache.set(slot.key, slot.revision, new CachedRendering(contentType, text, etag));
        // Fastify would add `; charset=utf-8` to a JSON string's type (spec §5 wants the bare type): JSON goes as bytes.
        // XML goes as text: a Buffer per answer was measured to cost more (its allocation) than it saves.
        return sendBody(reply, contentType, documentType === 'json' ? Buffer.from(text, 'utf8') : text, result.status, etag);
      }
    }
  }

  /** A 200 from a cached rendering, exactly as `reply` sent it; its repeats may now be answered early. */
  cached(req: FastifyRequest, reply: FastifyReply, slot: CacheSlot, rendering: CachedRendering) {
    this.cache.rememberRepeat(req.raw, slot.key, slot.source, slot.identity);
    return reply.code(200).headers(RenderCache.headers(slot.identity, rendering)).send(rendering.bytes);
  }

  private document(req: FastifyRequest, apiReq: ApiRequest, op: Operation, body: DocumentBody, format: 'xml' | 'json' | 'html'): string {
    if (format === 'json') return JSON.stringify(body.json());
    if (format === 'xml') return body.xmlText ? body.xmlText() : serializeXml(body.xml(), body.xmlDeclaration);
    const page = this.navigation.page(apiReq, op, body.xml());
    const urlPath = req.deltacloud?.urlPath ?? MOUNT;
    return renderResourcePage(page.doc, {
      title: body.title, newFormUrl: page.newFormUrl, filters: page.filters, apiUrl: apiReq.base,
      selfUrl: apiReq.base + urlPath.slice(MOUNT.length), driver: apiReq.driverId, provider: apiReq.provider,
      chrome: consoleChrome(apiReq),
    });
  }

  /** The error document in the request's format, with the headers its class calls for. */
  error(req: FastifyRequest, reply: FastifyReply, error: DeltacloudError) {
    const state = req.deltacloud;
    const status = error.status;
    // Listings answer the generic text of the status (spec §8.2), unless the cause is the same for any request.
    const message = state?.operation?.genericErrors && !error.specific ? genericMessage(status) : error.message;
    const driverId = state?.driverId ?? this.options.defaultDriver;
    if (error instanceof CredentialsRequired) reply.header('WWW-Authenticate', `Basic realm="${driverId}-deltacloud@${this.options.serverHostname}"`);
    if (error instanceof CapabilityMissing) reply.header('Expect', error.capability);
    if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
    if (error instanceof RangeNotSatisfiable) reply.header('Content-Range', `bytes */${error.size}`);
    const info: ErrorInfo = {
      status, message, url: state?.urlPath ?? '/', driver: driverId, provider: state?.provider ?? this.options.defaultProviders.get(driverId),
      params: state?.params ?? {},
    };
    const format = state?.format ?? 'xml';
    reply.code(status);
    // A Buffer: Fastify would append `; charset=utf-8` to a JSON string's type (spec §5 wants the bare type).
    if (format === 'json') return reply.type('application/json').send(Buffer.from(errorJson(info), 'utf8'));
    if (format === 'html') {
      // The page's links stay on the chosen back end, unless the choice is what failed (an unknown driver).
      const known = this.options.defaultProviders.has(driverId);
      const base = mountUrl(req) + (known ? selectionOf(state?.params) : '');
      const self = base + (state?.urlPath ?? MOUNT).slice(MOUNT.length);
      return reply.type('text/html').send(renderErrorPage(status, message, {
        apiUrl: base, selfUrl: self, driver: info.driver, provider: info.provider, requestUri: self, chrome: known ? state?.chrome : undefined,
      }));
    }
    return reply.type('application/xml').send(errorXml(info));
  }

  /**
   * The error handler of the front end's scope (and Fastify's `frameworkErrors`, which bypass it):
   * every failure becomes an error document; never a stack trace.
   */
  readonly answerError = (error: Error, req: FastifyRequest, reply: FastifyReply) => {
    if (reply.sent) return;
    if (!reply.getHeader('Server')) reply.header('Server', SERVER_HEADER);
    // Fastify closes the connection after a body parser's error; readLimited discards the
    // rest, so the connection can stay open and the client, still sending, gets the 413 instead of a reset.
    if (error instanceof FormBodyTooLarge) reply.removeHeader('connection');
    if (!req.deltacloud) {
      // Failed before the front end's hooks ran (the router refused the request): still negotiate the error's format (§5, §6).
      req.deltacloud = this.fallbackState(req);
      reply.header('X-Deltacloud-Driver', this.options.defaultDriver);
    }
    if (error instanceof DeltacloudError) return this.error(req, reply, error);
    const { code = '', statusCode } = errorDetails(error);
    if (TOO_LARGE_CODES.has(code) || statusCode === 413) return this.error(req, reply, new PayloadTooLarge());
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || statusCode === 415) return this.error(req, reply, new UnsupportedMediaType());
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return this.error(req, reply, new DeltacloudError(400, 'Bad Request'));
    // A client that went away is routine, not a server fault: logged below the error level, answered to nobody.
    if (isClientAbort(error, req.raw)) {
      req.log.debug({ err: { type: error.name, message: error.message } }, 'client aborted the request');
      return this.error(req, reply, new DeltacloudError(400, 'Bad Request'));
    }
    // Unexpected: log the class and message (never the stack or the request's secrets), answer neutrally.
    req.log.error({ err: { type: error.name, message: error.message } }, 'unhandled error');
    return this.error(req, reply, new DeltacloudError(500, 'Internal Server Error'));
  };

  private fallbackState(req: FastifyRequest): RequestState {
    const { path, query } = splitUrl(req.raw.url ?? '/');
    let urlPath = MOUNT;
    let params: Params = emptyParams();
    try {
      urlPath = '/' + parsePath(path).segments.join('/');
      params = parseQuery(query);
    } catch {
      // keep the defaults
    }
    const format = documentFormat(rankFormats(str(params, 'format'), req.headers.accept));
    return {
      rawUrl: req.raw.url ?? '/', segments: [], matrix: {}, lastSegmentMatrix: {}, driverId: this.options.defaultDriver, provider: this.options.defaultProvider,
      params: emptyParams(), presentNames: [], urlPath, format, ranked: [], uploads: [], rawBody: false,
    };
  }
}

/** A body with ETag (unquoted MD5) and Cache-Control on 200/201 (spec §6). */
function sendBody(reply: FastifyReply, contentType: string, body: Buffer | string, status: number, etag?: string) {
  if ((status === 200 || status === 201) && body.length > 0) {
    reply.header('ETag', etag ?? hash('md5', body));
    reply.header('Cache-Control', CACHE_CONTROL);
  }
  return reply.type(contentType).send(body);
}
