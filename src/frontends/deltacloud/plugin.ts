// The Deltacloud front end as an encapsulated Fastify plugin under `/api`:
// its body parsers, hooks, error handler and security headers live in its own
// scope and change nothing for the rest of the server. The steps themselves
// are in front-end.ts (request processing), render.ts (bytes out),
// body-parsers.ts, options-answer.ts and render-cache.ts.
//
// Routing is deliberately one catch-all route per mount form (`/api`,
// `/api/*`, `/api;*`) followed by the front end's own Router (router.ts,
// compiled once from the operation declarations), not a Fastify route per
// operation: matrix parameters may sit on any segment (`/api;driver=ec2/
// instances`), which find-my-way cannot match; the spec orders driver choice
// and format negotiation before routing, and answers 404 (not 405) for an
// unknown method, HEAD on an action URL, and `_method` overrides, which all
// need the parsed request first. Measured, the Router's match is well under
// 1 % of a request.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Credentials, Driver, DriverDeclaration } from '../../core/driver.js';
import { addSecurityHeaders, refuseCrossOrigin } from './browser-safety.js';
import { registerBodyParsers, type BodyLimits } from './body-parsers.js';
import { DeltacloudFrontEnd } from './front-end.js';
import type { Operation } from './operation.js';
import { HtmlNavigation } from './html-navigation.js';
import { computeOperations } from './operations/compute.js';
import { entryOperations, makeDriverOperations } from './operations/entry.js';
import { makeFormOperations } from './operations/forms.js';
import { networkOperations } from './operations/network.js';
import { makeOpenApiOperations } from './openapi/operations.js';
import { storageOperations } from './operations/storage.js';
import { OptionsAnswers } from './options-answer.js';
import { Renderer } from './render.js';
import { RenderCache, type EarlyResponder } from './render-cache.js';
import { MOUNT, mountUrl, type BoundBackend } from './request-state.js';
import type { IncomingMessage } from 'node:http';
import { Router } from './router.js';

export { UPLOAD_PREFIX } from './body-parsers.js';
export { MOUNT } from './request-state.js';

export interface DriverSource {
  /** Declarations of every driver this server offers (fixed at start). */
  declarations(): DriverDeclaration[];
  /** The loaded driver, or undefined for an unknown id. */
  get(id: string): Promise<Driver | undefined>;
}

export interface DeltacloudOptions extends BodyLimits {
  drivers: DriverSource;
  defaultDriver: string;
  defaultProvider?: string;
  /** Per-request limit for driver calls. */
  timeoutMs: number;
  /** Credentials the operator fixed for every request (API_USER/API_PASSWORD). */
  fixedCredentials?: Credentials;
  /** Used in the WWW-Authenticate realm. */
  serverHostname: string;
  /** The back end a request's API token binds it to (server/team): it replaces the client's driver, provider and credentials. */
  boundBackend?: (req: IncomingMessage) => BoundBackend | undefined;
  /** The enclosing scope already adds the security headers to every answer: the plugin's own hook would add them twice. */
  securityHeadersInherited?: boolean;
}

/** What the server assembly needs from this front end besides its plugin. */
export interface DeltacloudHandle {
  /** Answers repeated reads before Fastify sees them (the render cache's repeats); see render-cache.ts. */
  early: EarlyResponder;
  /** Answers an error in the error document: for requests outside every front end and Fastify's `frameworkErrors`. */
  answerError(error: Error, req: FastifyRequest, reply: FastifyReply): unknown;
}

export interface DeltacloudFrontEndParts extends DeltacloudHandle {
  /** Register with `{ prefix: MOUNT }`. */
  plugin: FastifyPluginAsync;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];

/** Builds the front end from the operation declarations (once, at start). */
export function createDeltacloud(options: DeltacloudOptions): DeltacloudFrontEndParts {
  const declarations = options.drivers.declarations();
  const apiOperations: Operation[] = [...entryOperations, ...makeDriverOperations(() => declarations), ...computeOperations, ...storageOperations, ...networkOperations];
  apiOperations.push(...makeOpenApiOperations(() => apiOperations));
  const helperForms = makeFormOperations(apiOperations);
  const router = new Router([...apiOperations, ...helperForms.map((f) => f.form)]);
  const navigation = new HtmlNavigation(router, apiOperations, helperForms);
  const cache = new RenderCache();
  const renderer = new Renderer(navigation, cache, {
    defaultDriver: options.defaultDriver, defaultProvider: options.defaultProvider, serverHostname: options.serverHostname,
    defaultProviders: new Map(declarations.map((d) => [d.id, d.defaultProvider])),
  });
  const frontEnd = new DeltacloudFrontEnd(options, router, navigation, new OptionsAnswers(router, apiOperations), renderer, cache);

  const plugin = async (api: FastifyInstance) => {
    await registerBodyParsers(api, options);
    api.decorateRequest('deltacloud', null);
    api.setErrorHandler(renderer.answerError);
    // Every answer of the front end gets the security headers (browser-safety.ts), once.
    if (!options.securityHeadersInherited) api.addHook('onSend', addSecurityHeaders);
    const onRequest = [
      frontEnd.readTarget,
      // Browsers: cross-origin state changes are refused before any body is read (CSRF).
      refuseCrossOrigin((req) => mountUrl(req).slice(0, -MOUNT.length)),
    ];
    const route = { method: METHODS, onRequest, preHandler: frontEnd.chooseBackEnd, handler: frontEnd.handle };
    api.route({ ...route, url: '/' });
    api.route({ ...route, url: '/*' });
    // Matrix parameters on the mount itself: `/api;driver=ec2/...`.
    api.route({ ...route, url: ';*' });
  };
  return { plugin, early: cache, answerError: renderer.answerError };
}

/** Mounts the front end on `app` under `/api`, in its own encapsulated scope. */
export async function registerDeltacloud(app: FastifyInstance, options: DeltacloudOptions): Promise<DeltacloudHandle> {
  const { plugin, early, answerError } = createDeltacloud(options);
  await app.register(plugin, { prefix: MOUNT });
  return { early, answerError };
}
