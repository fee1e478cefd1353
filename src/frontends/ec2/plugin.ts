// The EC2 Query API front end, mounted at /ec2: GET or form-POST requests
// with `Action`, every one SigV4-verified before anything else happens, then
// the action run on the driver the access key maps to, answered in EC2's XML.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasCapability, RequestContext, type Credentials } from '../../core/driver.js';
import { DeltacloudError } from '../../core/errors.js';
import type { ServerConfig } from '../../server/config.js';
import { redactUrl } from '../../core/kit/redact.js';
import type { DriverSource } from '../deltacloud/plugin.js';
import { ACTIONS } from './actions/index.js';
import type { ActionRequest } from './actions/common.js';
import { loadCredentialStore, type Ec2Account, type Ec2CredentialStore } from './credentials.js';
import { authFailure, Ec2Error, invalidValue, missingParameter, toEc2Error, unsupported } from './errors.js';
import { sharedClientTokens } from './shared-tokens.js';
import { ClientTokens, DEFAULT_TERMINATED_VISIBLE_SECONDS, terminatedVisibleSeconds } from './memory.js';
import { ec2Placements } from './shared-placements.js';
import { addParams, emptyParams, flag, type QueryParams } from './params.js';
import { checkRequestTime, parseSignature, verifySessionToken, verifySignature, type RawRequest } from './sigv4.js';
import { errorResponse, response } from './xml.js';

export const EC2_MOUNT = '/ec2';
const CONTENT_TYPE = 'text/xml;charset=UTF-8';
const FORM = 'application/x-www-form-urlencoded';

export interface Ec2Options {
  drivers: DriverSource;
  defaultDriver: string;
  defaultProvider?: string;
  /** Per-request limit for driver calls. */
  timeoutMs: number;
  credentials: Ec2CredentialStore;
  /** How long terminated instances stay visible (config `ec2.terminatedVisibleSeconds`; default an hour). */
  terminatedVisibleSeconds?: number;
  /** The server's clock (tests move it). */
  now?: () => Date;
  /** `--database` postgres://…: ClientTokens, reservations and terminated instances shared by replicas. */
  databaseUrl?: string;
  /** Access keys of API tokens (server/team): the token's profile, the derived secret, whether it may only read. */
  tokenKeys?: (accessKeyId: string) => Promise<{ backend: { driver: string; provider?: string; credentials?: Credentials }; secret: string; readOnly: boolean } | undefined>;
  /** Told of every verified action before it runs (server/team: rate limits, audit); throws to refuse it. */
  admitAction?: (req: IncomingMessage, action: Ec2ActionInfo) => Promise<void>;
}

/** A verified request's action, for rate limits and the audit log: never a parameter value but the resource's id. */
export interface Ec2ActionInfo {
  accessKeyId: string;
  action: string;
  driver: string;
  provider?: string;
  /** The id of the resource the action names first, when it names one. */
  resource?: string;
}

/** Whether an action only reads (what a read-scoped token may run; not audited). */
export const isReadAction = (action: string) => /^(Describe|Get)/.test(action);

/** Parameters naming the resource an action is about, in the order they are looked for. */
const RESOURCE_PARAMS = ['InstanceId.1', 'InstanceId', 'VolumeId', 'SnapshotId', 'ImageId', 'KeyName', 'GroupId', 'AllocationId', 'PublicIp'];

/** Options from the server configuration: its `ec2` section and DELTACLOUD_EC2_CREDENTIALS_FILE. */
export function ec2OptionsFrom(config: ServerConfig, drivers: DriverSource, env: NodeJS.ProcessEnv = process.env): Ec2Options {
  const known = drivers.declarations().map((d) => d.id);
  return {
    drivers,
    defaultDriver: config.driver,
    defaultProvider: config.provider,
    timeoutMs: config.timeoutMs,
    credentials: loadCredentialStore(config.ec2, env, config.driver, known),
    terminatedVisibleSeconds: terminatedVisibleSeconds(config.ec2),
    databaseUrl: config.databaseUrl,
  };
}

function rawRequest(req: FastifyRequest): RawRequest {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: req.method,
    rawPath: q < 0 ? url : url.slice(0, q),
    rawQuery: q < 0 ? '' : url.slice(q + 1),
    rawHeaders: req.raw.rawHeaders,
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
  };
}

/** Query parameters (less the presigning ones) and, for form POSTs, the body's. */
function requestParams(raw: RawRequest, contentType: string | undefined): QueryParams {
  const params = emptyParams();
  addParams(params, new URLSearchParams(raw.rawQuery), (k) => k.startsWith('X-Amz-'));
  if (raw.body.length > 0) {
    if ((contentType ?? '').split(';')[0]!.trim().toLowerCase() !== FORM) throw invalidValue(`Send parameters in the query string or as ${FORM}`);
    addParams(params, new URLSearchParams(raw.body.toString('utf8')));
  }
  return params;
}

export async function registerEc2(app: FastifyInstance, options: Ec2Options): Promise<void> {
  const now = options.now ?? (() => new Date());
  const clientTokens = new ClientTokens(sharedClientTokens(options.databaseUrl));
  app.addHook('onClose', () => clientTokens.close());
  const { reservations, terminated } = ec2Placements(options.databaseUrl,
    (options.terminatedVisibleSeconds ?? DEFAULT_TERMINATED_VISIBLE_SECONDS) * 1000, () => now().getTime(), app);
  const requestIds = new WeakMap<FastifyRequest, string>();

  /** The account whose secret signed this request; throws before any action runs otherwise. */
  async function authenticate(raw: RawRequest): Promise<{ account: Ec2Account; region: string; readOnly?: boolean }> {
    const claim = parseSignature(raw);
    if (!claim) throw authFailure('The request must be signed with AWS Signature Version 4 (an Authorization header or a presigned URL)');
    const entry = options.credentials.lookup(claim.accessKeyId) ?? await tokenEntry(claim.accessKeyId);
    if (!entry) throw authFailure();
    checkRequestTime(claim, now());
    verifySignature(raw, claim, entry.secret);
    verifySessionToken(raw, claim, entry.sessionToken);
    return { account: entry.account, region: claim.region, readOnly: 'readOnly' in entry && entry.readOnly === true };
  }

  /** An API token's access key as a store entry (its scope decides which actions it may run). */
  async function tokenEntry(accessKeyId: string) {
    const key = await options.tokenKeys?.(accessKeyId);
    if (!key) return undefined;
    const { driver, provider, credentials } = key.backend;
    return { account: { accessKeyId, driver, provider, backend: credentials }, secret: key.secret, sessionToken: undefined, readOnly: key.readOnly };
  }

  function send(reply: FastifyReply, status: number, requestId: string, body: string) {
    return reply.code(status).type(CONTENT_TYPE).header('x-amzn-requestid', requestId).send(body);
  }

  async function handler(req: FastifyRequest, reply: FastifyReply) {
    const requestId = randomUUID();
    requestIds.set(req, requestId);
    const raw = rawRequest(req);
    const { account, region, readOnly } = await authenticate(raw);
    const params = requestParams(raw, req.headers['content-type']);
    const actionName = params.Action;
    if (!actionName) throw missingParameter('Action');
    const provider = account.provider ?? (account.driver === options.defaultDriver ? options.defaultProvider : undefined);
    const resource = RESOURCE_PARAMS.map((name) => params[name]).find((v) => v !== undefined && v !== '');
    // Only an action this front end knows is named (the name is the client's text).
    const known = Object.hasOwn(ACTIONS, actionName) ? actionName : '(unknown)';
    await options.admitAction?.(req.raw, { accessKeyId: account.accessKeyId, action: known, driver: account.driver, provider, resource });
    if (readOnly && !isReadAction(actionName)) throw new Ec2Error('UnauthorizedOperation', 'This access key may only read: its token\'s scope is read', 403);
    const action = Object.hasOwn(ACTIONS, actionName) ? ACTIONS[actionName] : undefined;
    if (!action) throw new Ec2Error('InvalidAction', `The action ${actionName} is not valid for this web service.`);
    const driver = await options.drivers.get(account.driver);
    if (!driver) throw new Ec2Error('InternalError', 'The back end of this access key is not available', 500);
    const missing = action.needs.find((c) => !hasCapability(driver, c));
    if (missing) throw unsupported(`${actionName} (capability '${missing}')`, driver.declaration.id);
    if (flag(params, 'DryRun')) throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);

    // Every driver call of the action shares the request's deadline (core call pipeline).
    const ctx = new RequestContext(provider, account.backend, undefined, {}, { timeoutMs: options.timeoutMs, log: req.log });
    const actionRequest: ActionRequest = {
      action: actionName, params, driver, ctx, account, region,
      endpoint: req.headers.host ?? 'localhost', clientTokens, reservations, terminated,
      backendScope: [account.driver, provider ?? '', account.backend?.user ?? ''].join('\n'),
    };
    let children;
    try {
      children = await action.run(actionRequest);
    } catch (error) {
      if (!(error instanceof Ec2Error) && !(error instanceof DeltacloudError)) {
        // Class and message only: never the stack, parameters or credentials.
        req.log.error({ err: error instanceof Error ? { type: error.name, message: error.message } : { type: typeof error } }, 'EC2 action failed');
      }
      throw toEc2Error(error, action.errors, driver.declaration.id);
    }
    return send(reply, 200, requestId, response(actionName, requestId, children));
  }

  await app.register(async (scope) => {
    // Signatures cover the body's exact bytes: keep them raw, parse them ourselves.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    scope.setErrorHandler((error: Error, req, reply) => {
      const requestId = requestIds.get(req) ?? randomUUID();
      let ec2: Ec2Error;
      const statusCode = (error as { statusCode?: number }).statusCode;
      if (error instanceof Ec2Error || error instanceof DeltacloudError) ec2 = toEc2Error(error);
      else if (statusCode === 413) ec2 = new Ec2Error('InvalidParameterValue', 'The request is too large', 413);
      else if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) ec2 = invalidValue('The request could not be read');
      else {
        req.log.error({ err: { type: error.name, message: error.message } }, 'unhandled error');
        ec2 = toEc2Error(error);
      }
      return send(reply, ec2.status, requestId, errorResponse(ec2.code, ec2.message, requestId));
    });

    for (const url of [EC2_MOUNT, `${EC2_MOUNT}/`]) scope.route({ method: ['GET', 'POST'], url, handler });
  }, {
    // Fastify types serializers as returning strings; pino accepts objects.
    logSerializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
    } as unknown as Record<string, (value: unknown) => string>,
  });
}
