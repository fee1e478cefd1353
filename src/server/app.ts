// Assembles the HTTP server: Fastify, logging with secrets redacted, the
// driver registry and the front ends.
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Driver, DriverFactory } from '../core/driver.js';
import { DRIVER_FACTORIES } from '../drivers/index.js';
import { STYLESHEET, STYLESHEET_PATH } from '../frontends/deltacloud/html.js';
import { CONSOLE_SCRIPT, CONSOLE_SCRIPT_PATH } from '../frontends/deltacloud/console-script.js';
import { addSecurityHeaders } from '../frontends/deltacloud/browser-safety.js';
import { MOUNT, registerDeltacloud, type DeltacloudHandle, type DriverSource } from '../frontends/deltacloud/plugin.js';
import type { EarlyResponder } from '../frontends/deltacloud/render-cache.js';
import { DeltacloudError } from '../core/errors.js';
import { redactUrl } from '../core/kit/redact.js';
import { ec2OptionsFrom, registerEc2 } from '../frontends/ec2/plugin.js';
import { ConfigError, type ServerConfig } from './config.js';
import { guardRequestBodies, makeClientErrorHandler, PARSER_HEADER_BYTES, refuseNonConforming } from './http-hardening.js';
import { DriverOffering } from './offering.js';
import { prepareUploadsDir } from './uploads-dir.js';
import { registerHealth } from './health.js';
import { Cors } from './cors.js';
import { setUpTeam, type TeamHandle } from './team/index.js';

/** Loads each offered driver once, on first use, and closes them at shutdown. */
export class DriverRegistry implements DriverSource {
  private readonly loaded = new Map<string, Promise<Driver>>();
  /** Which drivers this server offers, and behind which credentials (fixed at start). */
  private readonly offering: DriverOffering;
  constructor(private readonly factories: readonly DriverFactory[], private readonly config: ServerConfig) {
    this.offering = new DriverOffering(factories, config);
  }

  /** Declarations of the offered drivers only. */
  declarations() {
    return [...this.offering.declarations];
  }

  async get(id: string): Promise<Driver | undefined> {
    const factory = this.factories.find((f) => f.declaration.id === id);
    if (!factory || !this.offering.offers(id)) return undefined;
    let driver = this.loaded.get(id);
    if (!driver) {
      driver = factory.load({
        options: this.config.driverOptions[id] ?? {},
        dataDir: id === 'mock' ? this.config.mockStorage : join(this.config.dataDir, id),
        databaseUrl: this.config.databaseUrl,
      }).then((loaded) => this.offering.guard(loaded));
      this.loaded.set(id, driver);
      driver.catch(() => this.loaded.delete(id));
    }
    return driver;
  }

  async close(): Promise<void> {
    for (const driver of this.loaded.values()) {
      try {
        await (await driver).close?.();
      } catch {
        // A driver that failed to load has nothing to close.
      }
    }
    this.loaded.clear();
  }
}

export interface BuiltServer {
  app: FastifyInstance;
  registry: DriverRegistry;
  /** Where Prometheus metrics are served (--metrics-port), if they are. */
  metricsUrl?: string;
  close(): Promise<void>;
}

export async function buildServer(config: ServerConfig): Promise<BuiltServer> {
  const unknown = config.frontends.filter((f) => f !== 'deltacloud' && f !== 'ec2');
  if (unknown.length > 0) throw new ConfigError(`Unknown front end(s): ${unknown.join(', ')} (available: deltacloud, ec2)`);
  const registry = new DriverRegistry(DRIVER_FACTORIES, config);
  // Repeated reads are answered before Fastify sees them (the render cache's EarlyResponder); everything else goes to Fastify.
  let early: EarlyResponder | undefined;
  let answerFrameworkError: DeltacloudHandle['answerError'] = () => undefined;
  let team: TeamHandle | undefined;
  const cors = config.team.corsOrigins.length > 0 ? new Cors(config.team.corsOrigins) : undefined;
  const tls = config.ssl ? { key: readFileSync(config.ssl.keyFile), cert: readFileSync(config.ssl.certFile) } : undefined;
  const serverFactory = (fastifyHandler: (req: IncomingMessage, res: ServerResponse) => void, opts: Record<string, unknown>): http.Server => {
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      if (refuseNonConforming(req, res, config.driver) || cors?.handle(req, res)) return;
      // Team mode (docs/team.md) admits the token first: a revoked token's repeated read gets its 401, not the cached page.
      if (team) team.route(req, res, early, fastifyHandler);
      else if (!early?.answer(req, res)) fastifyHandler(req, res);
    };
    // A request without Host reaches the API, which answers the spec's 400 text (§2 step 1), not Node's bare 400.
    const serverOptions = { maxHeaderSize: PARSER_HEADER_BYTES, requireHostHeader: false };
    const server = tls ? https.createServer({ ...tls, ...serverOptions }, listener) : http.createServer(serverOptions, listener);
    // What Fastify does to a server it creates itself (it has filled in the defaults by now).
    server.keepAliveTimeout = numberOption(opts, 'keepAliveTimeout', 72_000);
    server.requestTimeout = numberOption(opts, 'requestTimeout', 0);
    server.setTimeout(numberOption(opts, 'connectionTimeout', 0));
    guardRequestBodies(server, config, config.driver);
    return server;
  };
  const app: FastifyInstance = Fastify({
    bodyLimit: config.bodyLimit,
    serverFactory,
    return503OnClosing: true,
    // Requests the parser or the router refuses get the error document too (see http-hardening.ts).
    clientErrorHandler: makeClientErrorHandler(config.driver, () => app.log),
    frameworkErrors: (error, req, reply) => void answerFrameworkError(error, req, reply),
    // Access logs cost throughput; they are on with --verbose.
    logController: new LogController({ disableRequestLogging: !config.verbose }),
    logger: {
      level: config.verbose ? 'debug' : config.environment === 'production' ? 'warn' : 'info',
      ...(config.logFile ? { file: config.logFile } : {}),
      // Never log headers (Authorization) or secret query values.
      serializers: {
        req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  });

  // Tokens, rate limits, metrics, audit (docs/team.md): hooks that must precede the front ends' routes.
  team = await setUpTeam(app, config, registry.declarations().map((d) => d.id));
  // Every answer (front ends, `/`, unknown paths, methods no route takes) gets the security headers; scopes inherit the hook.
  app.addHook('onSend', addSecurityHeaders);
  const deltacloud = await registerDeltacloud(app, {
    boundBackend: team?.boundBackend,
    drivers: registry,
    defaultDriver: config.driver,
    defaultProvider: config.provider,
    timeoutMs: config.timeoutMs,
    fixedCredentials: config.fixedCredentials,
    serverHostname: config.hostname,
    maxUploadBytes: config.maxUploadBytes,
    bodyLimit: config.bodyLimit,
    uploadsDir: prepareUploadsDir(config.dataDir),
    securityHeadersInherited: true,
  });
  answerFrameworkError = deltacloud.answerError;
  // With --verbose every request takes the full path, so each one is logged.
  if (!config.verbose) early = deltacloud.early;
  // Outside the front ends (`/`, unknown paths, methods no route takes): the Deltacloud error document.
  app.setErrorHandler(deltacloud.answerError);
  app.setNotFoundHandler((req, reply) => deltacloud.answerError(new DeltacloudError(404), req, reply));

  if (config.frontends.includes('ec2')) await registerEc2(app, { ...ec2OptionsFrom(config, registry), tokenKeys: team && ((id) => team!.auth.ec2Key(id)), admitAction: team?.admitEc2Action });

  app.get(STYLESHEET_PATH, async (_req, reply) => reply.type('text/css').header('Cache-Control', 'public, max-age=3600').send(STYLESHEET));
  app.get(CONSOLE_SCRIPT_PATH, async (_req, reply) => reply.type('text/javascript').header('Cache-Control', 'public, max-age=3600').send(CONSOLE_SCRIPT));
  registerHealth(app, registry, config.driver);
  app.get('/robots.txt', async (_req, reply) => reply.type('text/plain').send('User-agent: *\nDisallow: /\n'));
  // `/` is a page for browsers; API clients are sent to the API (spec §1).
  app.get('/', async (req, reply) => {
    const accept = req.headers.accept ?? '';
    if (!/text\/html|\*\/\*/.test(accept)) return reply.redirect(MOUNT, 302);
    return reply.type('text/html').send(
      `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>Deltacloud API</title><link rel="stylesheet" href="${STYLESHEET_PATH}"></head><body><main><h1>Deltacloud API</h1>` +
      `<ul><li><a href="${MOUNT}">deltacloud</a> — the Deltacloud REST API</li></ul></main></body></html>`,
    );
  });

  return {
    app,
    registry,
    metricsUrl: team?.metricsUrl,
    async close() {
      // From now on Fastify answers every request (503 on connections still open).
      deltacloud.early.stop();
      // In-flight requests finish; keep-alive connections are dropped as soon as they go idle, so a client
      // holding one open cannot delay the shutdown (Node closes only the connections idle at close time).
      const dropIdle = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await app.close();
      } finally {
        clearInterval(dropIdle);
      }
      await registry.close();
      await team?.close();
    },
  };
}

/** A numeric option Fastify filled in for its server (`serverFactory` gets them untyped). */
function numberOption(opts: Record<string, unknown>, name: string, fallback: number): number {
  const value = opts[name];
  return typeof value === 'number' ? value : fallback;
}
