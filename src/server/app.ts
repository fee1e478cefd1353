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
import { MOUNT, registerDeltacloud, type DeltacloudHandle, type DriverSource } from '../frontends/deltacloud/plugin.js';
import { redactUrl } from '../core/kit/redact.js';
import { ec2OptionsFrom, registerEc2 } from '../frontends/ec2/plugin.js';
import { ConfigError, type ServerConfig } from './config.js';
import { guardRequestBodies, makeClientErrorHandler, PARSER_HEADER_BYTES, refuseNonConforming } from './http-hardening.js';
import { DriverOffering } from './offering.js';
import { prepareUploadsDir } from './uploads-dir.js';
import { registerHealth } from './health.js';

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
  close(): Promise<void>;
}

export async function buildServer(config: ServerConfig): Promise<BuiltServer> {
  const unknown = config.frontends.filter((f) => f !== 'deltacloud' && f !== 'ec2');
  if (unknown.length > 0) throw new ConfigError(`Unknown front end(s): ${unknown.join(', ')} (available: deltacloud, ec2)`);
  const registry = new DriverRegistry(DRIVER_FACTORIES, config);
  // Repeated reads are answered before Fastify sees them (see RenderCache); everything else goes to Fastify.
  let answerEarly: (req: IncomingMessage, res: ServerResponse) => boolean = () => false;
  let answerFrameworkError: DeltacloudHandle['answerError'] = () => undefined;
  const tls = config.ssl ? { key: readFileSync(config.ssl.keyFile), cert: readFileSync(config.ssl.certFile) } : undefined;
  const app = Fastify({
    bodyLimit: config.bodyLimit,
    serverFactory: (fastifyHandler, opts) => {
      const listener = (req: IncomingMessage, res: ServerResponse) => {
        if (refuseNonConforming(req, res, config.driver)) return;
        if (!answerEarly(req, res)) fastifyHandler(req, res);
      };
      const server = tls ? https.createServer({ ...tls, maxHeaderSize: PARSER_HEADER_BYTES }, listener) : http.createServer({ maxHeaderSize: PARSER_HEADER_BYTES }, listener);
      // What Fastify does to a server it creates itself (it has filled in the defaults by now).
      const timeouts = opts as unknown as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number };
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.setTimeout(timeouts.connectionTimeout);
      guardRequestBodies(server, config, config.driver);
      return server;
    },
    return503OnClosing: true,
    // Requests the parser or the router refuses get the error document too (see http-hardening.ts).
    clientErrorHandler: makeClientErrorHandler(config.driver, () => app.log),
    frameworkErrors: (error, req, reply) => void answerFrameworkError(error, req as never, reply as never),
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
  }) as unknown as FastifyInstance;

  // Let a request without Host reach the API, which answers the spec's 400 text (§2 step 1), not Node's bare 400.
  (app.server as { requireHostHeader?: boolean }).requireHostHeader = false;

  const deltacloud = await registerDeltacloud(app, {
    drivers: registry,
    defaultDriver: config.driver,
    defaultProvider: config.provider,
    timeoutMs: config.timeoutMs,
    fixedCredentials: config.fixedCredentials,
    serverHostname: config.hostname,
    maxUploadBytes: config.maxUploadBytes,
    bodyLimit: config.bodyLimit,
    uploadsDir: prepareUploadsDir(config.dataDir),
  });

  answerEarly = deltacloud.answerRepeat;
  answerFrameworkError = deltacloud.answerError;
  // With --verbose every request takes the full path, so each one is logged.
  if (config.verbose) deltacloud.stopRepeats();

  if (config.frontends.includes('ec2')) await registerEc2(app, ec2OptionsFrom(config, registry));

  app.get(STYLESHEET_PATH, async (_req, reply) => reply.type('text/css').header('Cache-Control', 'public, max-age=3600').send(STYLESHEET));
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
    async close() {
      // From now on Fastify answers every request (503 on connections still open).
      deltacloud.stopRepeats();
      // In-flight requests finish; keep-alive connections are dropped as soon as they go idle, so a client
      // holding one open cannot delay the shutdown (Node closes only the connections idle at close time).
      const dropIdle = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await app.close();
      } finally {
        clearInterval(dropIdle);
      }
      await registry.close();
    },
  };
}
