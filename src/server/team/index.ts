// Running the server for a team (docs/team.md): API tokens over credential
// profiles, rate limits, Prometheus metrics and the audit log, set up around
// the front ends. The server assembly hooks this in at three points: the
// request listener (`route`, before repeats are answered early), the
// Deltacloud front end (`boundBackend`) and the EC2 front end (`ec2Key`).
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { observeCalls } from '../../core/kit/pipeline.js';
import { observeServiceCalls } from '../../core/kit/service-calls.js';
import { MOUNT } from '../../frontends/deltacloud/plugin.js';
import type { EarlyResponder } from '../../frontends/deltacloud/render-cache.js';
import { isReadAction, type Ec2ActionInfo } from '../../frontends/ec2/plugin.js';
import { ConfigError, type ServerConfig } from '../config.js';
import { AuditLog, type AuditEntry } from './audit.js';
import { checkStore, isWrite, TeamAuth, type Admission, type BoundBackend } from './auth.js';
import { teamEnabled } from './config.js';
import { resolveConfigProfiles } from './config-profiles.js';
import { LOGIN_PATH, registerLogin } from './login.js';
import { ServerMetrics } from './metrics.js';
import { RateLimiter, type RequestLimiter } from './rate-limit.js';
import { SharedRateLimiter } from './shared-rate-limit.js';
import { parseDatabaseUrl } from '../../storage/database-url.js';
import { keyFilePath, loadSecretBox, SECRET_KEY_ENV } from './secret-box.js';
import { openTeamStore } from './open-store.js';
import { tokenIdOfAccessKey } from './tokens.js';
import type { TeamStore } from './store.js';

/** Where a repeated read is counted (the series of the answer it repeats). */
interface RepeatSeries { requests: { inc(): void }; seconds: { observe(seconds: number): void } }

export interface TeamHandle {
  /**
   * For the server's request listener: a repeat is answered by `early` only when the request is
   * admitted; anything else goes to `fastify`. (Plain arguments rather than closures: this runs on
   * every request, and a repeat's whole answer costs a few tens of microseconds.)
   */
  route(req: IncomingMessage, res: ServerResponse, early: EarlyResponder | undefined, fastify: RequestListener): void;
  /** The back end a request's token binds it to (driver, provider, credentials), once admitted. */
  boundBackend(req: IncomingMessage): BoundBackend | undefined;
  auth: TeamAuth;
  /** For the EC2 front end: rate limits its actions (throws the throttling error) and keeps them for the audit log. */
  admitEc2Action(req: IncomingMessage, action: Ec2ActionInfo): Promise<void>;
  /** `http://host:port/metrics` when metrics are on. */
  metricsUrl?: string;
  close(): Promise<void>;
}

const isApi = (url: string | undefined) =>
  url !== undefined && url.startsWith(MOUNT) && (url.length === MOUNT.length || '/;?'.includes(url[MOUNT.length]!));

const pathOf = (url: string | undefined) => {
  const q = (url ?? '').indexOf('?');
  return q < 0 ? url ?? '' : url!.slice(0, q);
};

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** The route template of an answered request (never a resource id or a name from the URL). */
function routeOf(req: FastifyRequest): string {
  const op = req.deltacloud?.operation;
  if (op) return MOUNT + op.path;
  if (isApi(req.raw.url)) return `${MOUNT} (unrouted)`;
  if (pathOf(req.raw.url).startsWith('/ec2')) return '/ec2';
  const template = req.routeOptions.url;
  return template !== undefined && !template.includes('*') ? template : '(unmatched)';
}

/** `offered`: the ids of the drivers this server offers (fixed at start). */
export async function setUpTeam(app: FastifyInstance, config: ServerConfig, offered: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<TeamHandle | undefined> {
  const settings = config.team;
  if (!teamEnabled(settings)) return undefined;
  if (settings.auth === 'tokens' && config.fixedCredentials) {
    throw new ConfigError('--auth tokens refuses API_USER/API_PASSWORD: with tokens, each token\'s profile holds the cloud credentials; unset them');
  }
  let store: TeamStore | undefined;
  const box = loadSecretBox(config.dataDir, env);
  const configProfiles = resolveConfigProfiles(settings.profiles, env);
  if (settings.auth !== 'passthrough') {
    store = await openTeamStore(config);
    try {
      await checkStore(store, box, `set ${SECRET_KEY_ENV} or create the key file ${keyFilePath(config.dataDir, env)} (mode 0600)`);
      for (const name of configProfiles.keys()) {
        if (await store.profile(name)) throw new ConfigError(`Profile '${name}' is both in the configuration file and in the team store ${store.location}; remove one (deltacloudd profiles remove ${name})`);
      }
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  let limiter: RequestLimiter | undefined;
  let userKey: Buffer | undefined;
  if (settings.readsPerMinute > 0 || settings.writesPerMinute > 0) {
    // On PostgreSQL the windows are shared by the replicas; else in memory.
    const database = config.databaseUrl === undefined ? undefined : parseDatabaseUrl(config.databaseUrl);
    if (database?.kind === 'postgres') {
      const shared = await SharedRateLimiter.open(database.url, settings.readsPerMinute, settings.writesPerMinute, (message) => app.log.warn(message))
        .catch(async (error: unknown) => {
          await store?.close();
          throw new ConfigError(`Rate limits cannot be counted in the database: ${error instanceof Error && 'code' in error ? String(error.code) : 'it did not answer'}`);
        });
      limiter = shared;
      userKey = shared.hashKey;
    } else limiter = new RateLimiter(settings.readsPerMinute, settings.writesPerMinute);
  }
  const auth = new TeamAuth({ mode: settings.auth, store, box, offered, defaultDriver: config.driver, defaultProvider: config.provider, limiter, userKey, configProfiles });
  const audit = settings.auditLog !== undefined ? new AuditLog(settings.auditLog) : undefined;
  const metrics = settings.metricsPort !== undefined ? new ServerMetrics() : undefined;
  const stopObserving = metrics && observeCalls((call) => {
    const labels = { driver: call.driver, capability: call.capability };
    metrics.backendCalls.inc({ ...labels, outcome: call.failedWith === undefined ? 'ok' : String(call.failedWith) });
    if (call.attempts > 1) metrics.backendRetries.inc(labels, call.attempts - 1);
    metrics.backendSeconds.observe(labels, call.ms / 1000);
  });
  const stopObservingServices = metrics && observeServiceCalls((request) => {
    const labels = { driver: request.driver, service: request.service };
    metrics.serviceRequests.inc({ ...labels, outcome: request.outcome });
    metrics.serviceSeconds.observe(labels, request.ms / 1000);
  });
  /** The series a repeat counts into (repeats skip Fastify): those of the answer it repeats, by URL path. */
  const repeatSeries = new Map<string, RepeatSeries>();
  /** The URL of the last repeat counted and its series: a polling client repeats one URL (no hashing then). */
  let lastRepeat: { url: string; series: RepeatSeries } | undefined;
  const seriesOf = (m: ServerMetrics, route: string, driver: string): RepeatSeries => {
    const labels = { route, method: 'GET', driver, status: '200' };
    return { requests: m.requests.series(labels), seconds: m.requestSeconds.series(labels) };
  };
  const unknownRepeat = metrics && seriesOf(metrics, `${MOUNT} (repeat)`, '');
  const cacheHits = metrics?.renderCache.series({ result: 'hit' });

  /** The EC2 front end's verified actions, for rate limits and the audit log. */
  const ec2Actions = new WeakMap<IncomingMessage, Ec2ActionInfo>();
  async function admitEc2Action(req: IncomingMessage, action: Ec2ActionInfo): Promise<void> {
    ec2Actions.set(req, action);
    // A token's key pair shares the token's window with its Bearer requests.
    const tokenId = tokenIdOfAccessKey(action.accessKeyId);
    const refusal = await auth.limit(tokenId !== undefined ? `t:${tokenId}` : `k:${action.accessKeyId}`, !isReadAction(action.action));
    if (refusal) throw refusal;
  }

  const driverLabel = (id: string | undefined) => (id !== undefined && offered.includes(id) ? id : '');

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!isApi(req.raw.url)) return;
    const { refusal, caller } = await auth.admit(req.raw);
    if (!refusal) return;
    if (refusal.status === 401) {
      // A browser without a token is sent to the login form rather than shown an error.
      const browser = req.method === 'GET' && caller.kind === 'anonymous' && !req.headers.authorization && /^text\/html/.test(req.headers.accept ?? '');
      if (browser && settings.auth === 'tokens') return reply.redirect(LOGIN_PATH, 303);
      reply.header('WWW-Authenticate', `Bearer realm="deltacloud@${config.hostname}"`);
    }
    throw refusal;
  });

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = routeOf(req);
    const method = METHODS.has(req.method) ? req.method : 'OTHER';
    const driver = driverLabel(req.deltacloud?.driverId);
    const status = reply.statusCode;
    const seconds = reply.elapsedTime / 1000;
    if (metrics) {
      const labels = { route, method, driver, status: String(status) };
      metrics.requests.inc(labels);
      metrics.requestSeconds.observe(labels, seconds);
      const runtime = reply.getHeader('x-backend-runtime');
      if (method === 'GET' && status === 200 && runtime !== undefined) {
        // A rendering reused by the front end reports no back-end time (RenderCache.headers).
        metrics.renderCache.inc({ result: runtime === '0.000000' ? 'hit' : 'miss' });
        if (repeatSeries.size >= 1000) repeatSeries.clear();
        repeatSeries.set(pathOf(req.raw.url), seriesOf(metrics, route, driver));
        lastRepeat = undefined;
      }
    }
    const admission = auth.admitted(req.raw);
    const authFailure = status === 401 || (admission?.refusal !== undefined && admission.refusal.status === 403 && admission.caller.kind === 'token');
    const durationMs = Math.round(reply.elapsedTime * 1000) / 1000;
    const ec2 = ec2Actions.get(req.raw);
    if (audit && ec2) {
      if (!isReadAction(ec2.action) || status === 401 || status === 403) audit.write(ec2AuditEntry(req, ec2, { route, status, durationMs }));
    } else if (audit && (authFailure || (isWrite(req.method) && !route.startsWith('/ec2')))) {
      audit.write(auditEntry(req, admission, { route, status, durationMs }));
    }
  });

  function auditEntry(req: FastifyRequest, admission: Admission | undefined, done: { route: string; status: number; durationMs: number }): AuditEntry {
    const caller = admission?.caller;
    const state = req.deltacloud;
    const entry: AuditEntry = { time: new Date().toISOString(), caller: caller?.kind ?? 'anonymous', method: req.method, ...done };
    if (caller?.kind === 'token') {
      entry.tokenId = caller.tokenId;
      if (caller.tokenName !== undefined) entry.tokenName = caller.tokenName;
    } else if (caller?.kind === 'basic') entry.basicUser = auth.userHash(caller.user);
    if (state) {
      const driver = driverLabel(state.driverId);
      if (driver) entry.driver = driver;
      if (state.provider !== undefined && driver) entry.provider = state.provider;
      const id = state.params.id;
      if (state.operation?.path.includes(':id') && typeof id === 'string') entry.resource = id;
    }
    if (admission?.refusal) entry.refused = admission.refusal.message;
    return entry;
  }

  /** An EC2 action's line: the same fields, the caller being the token behind the key pair or the access key. */
  function ec2AuditEntry(req: FastifyRequest, ec2: Ec2ActionInfo, done: { route: string; status: number; durationMs: number }): AuditEntry {
    const tokenId = tokenIdOfAccessKey(ec2.accessKeyId);
    const entry: AuditEntry = { time: new Date().toISOString(), caller: tokenId !== undefined ? 'token' : 'ec2-key', method: req.method, ...done, action: ec2.action };
    if (tokenId !== undefined) {
      entry.tokenId = tokenId;
      const name = auth.tokenName(tokenId);
      if (name !== undefined) entry.tokenName = name;
    } else entry.accessKeyId = ec2.accessKeyId;
    const driver = driverLabel(ec2.driver);
    if (driver) entry.driver = driver;
    if (driver && ec2.provider !== undefined) entry.provider = ec2.provider;
    if (ec2.resource !== undefined) entry.resource = ec2.resource;
    return entry;
  }

  if (settings.auth !== 'passthrough') registerLogin(app, auth);

  let metricsServer: http.Server | undefined;
  let metricsUrl: string | undefined;
  if (metrics && settings.metricsPort !== undefined) {
    // Its own listener, so that the operator can keep it off the API's network.
    metricsServer = http.createServer((req, res) => {
      if (pathOf(req.url) !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
        return;
      }
      metrics.render().then((body) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(body) }).end(req.method === 'HEAD' ? undefined : body);
      }, () => void res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics could not be collected\n'));
    });
    const host = settings.metricsHost ?? config.host;
    await new Promise<void>((resolve, reject) => {
      metricsServer!.once('error', (e: Error) => reject(new ConfigError(`Cannot serve metrics on ${host}:${settings.metricsPort}: ${e.message}`)));
      metricsServer!.listen(settings.metricsPort, host, resolve);
    });
    const { port } = metricsServer.address() as AddressInfo;
    metricsUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  }

  /**
   * An admitted repeat answered early (and counted; true), else the request on to Fastify with its
   * admission (none outside the API: nothing there is admitted).
   */
  function answerAdmitted(req: IncomingMessage, res: ServerResponse, admission: Admission | undefined, started: number, early: EarlyResponder | undefined, fastify: RequestListener): boolean {
    if (admission?.refusal || !early?.answer(req, res)) {
      if (admission) auth.keep(req, admission);
      fastify(req, res);
      return false;
    }
    if (!metrics || !cacheHits || !unknownRepeat) return true;
    const url = req.url ?? '';
    if (lastRepeat?.url !== url) lastRepeat = { url, series: repeatSeries.get(pathOf(url)) ?? unknownRepeat };
    const series = lastRepeat.series;
    series.requests.inc();
    series.seconds.observe((performance.now() - started) / 1000);
    cacheHits.inc();
    return true;
  }

  return {
    auth,
    admitEc2Action,
    metricsUrl,
    boundBackend: (req) => auth.boundBackend(req),
    route(req, res, early, fastify) {
      const started = metrics ? performance.now() : 0;
      if (!isApi(req.url)) return void answerAdmitted(req, res, undefined, started, early, fastify);
      // A repeat of a request admitted while the store stays as it was is admitted again without
      // reading its token: the render cache's fingerprint says it carries the same Authorization.
      const noted = early && auth.notedAdmission(early.noteOf(req));
      if (noted) return void answerAdmitted(req, res, noted, started, early, fastify);
      // Decided at once for a cached token, else after reading the store; kept only for a request
      // the front ends will see.
      const now = auth.decideFirst(req);
      if (now) {
        // Answering early is synchronous: the note is made in the turn the decision was.
        if (answerAdmitted(req, res, now, started, early, fastify)) {
          const note = auth.noteFor(now);
          if (note) early!.setNote(req, note);
        }
      } else {
        auth.admit(req).then(
          (admission) => answerAdmitted(req, res, admission, started, early, fastify),
          () => fastify(req, res),
        );
      }
    },
    async close() {
      stopObserving?.();
      stopObservingServices?.();
      if (metricsServer) await new Promise((resolve) => metricsServer!.close(resolve));
      await audit?.close();
      await limiter?.close?.();
      await store?.close();
    },
  };
}
