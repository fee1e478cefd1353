// A local Resource Manager and Entra ID that replay Microsoft's own published
// examples (test/fixtures/azure-arm/, see its README) over TLS, and check
// every request the SDKs send against them:
//
//   * ARM: each expected step names an example file, the method and the
//     operation's path template. A request must be one of the expected steps
//     (the first it matches: concurrent reads may arrive in either order): same
//     method, path parameters equal to the example's `parameters` (values
//     written as `{placeholder}` match anything; a flow that works on one
//     resource across several examples names it in `bind`, literally, or
//     `{any}` for a name the driver generates), the example's
//     `api-version`, no query parameter the example does not carry, and a
//     JSON body whose every property exists in the example's body parameter
//     with the same scalar values (`vary` lists the properties a test may
//     choose itself; `extra` the ones the operation's Swagger allows that the
//     example lacks, which must be sent with the exact values the test expects). A mismatch
//     answers 418 (the SDKs do not retry it) and is recorded in `problems`.
//   * A step with `fail` is checked the same way, then answered with a
//     published error body (test/fixtures/azure-arm/errors/) instead of the
//     example's success: Azure refusing a request that was right.
//   * Long-running operations: the example's 201/202 answer first, its
//     `Location` / `Azure-AsyncOperation` headers pointed at this server;
//     polling that URL answers the example's final 200/204 (or, with
//     `stallPoll`, nothing until the server stops: Azure slower than a deadline).
//   * Served steps (`serve`, for the conformance suite, whose requests come in
//     its own order): checked the same way, answered every time they match,
//     never used up. A GET that matches none, on a path shaped like a served
//     step's, is a resource the examples do not have: Resource Manager's
//     documented ResourceNotFound (404); so is one deleted by a served DELETE.
//   * A `nextLink` to a host no example answers (`disksvchost:99`, the
//     examples' stand-in for Azure's next page) is left out of the answer:
//     the listing is the example's page alone.
//   * Entra ID: the OpenID metadata and token answers recorded from
//     login.microsoftonline.com (hosts rewritten to this server); the token
//     request must carry the expected client id, secret and scope, else the
//     documented error answer.
//
// The certificate is self-signed, made here with openssl; the driver trusts
// it through the provider's `caFile`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startApp, type AppServer } from '../../helpers/inject.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'azure-arm');
/** The tenant Microsoft's recording was made with; replaced by the requested one. */
const RECORDED_TENANT = '88888888-8888-8888-8888-888888888888';
const RECORDED_AUTHORITY = 'https://login.microsoftonline.com';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ExampleResponse {
  headers?: Record<string, string>;
  body?: Json;
}

interface Example {
  parameters: Record<string, Json>;
  responses: Record<string, ExampleResponse>;
  operationId?: string;
}

export interface ReplayStep {
  /** The example file under test/fixtures/azure-arm/, e.g. `compute/VirtualMachine_Get.json`. */
  example: string;
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** The operation's path template from its Swagger file. */
  path: string;
  /** Path parameters a multi-step flow uses instead of the example's (one resource across examples), literally; `{any}`: any. */
  bind?: Record<string, string>;
  /** The example parameter holding the request body. */
  body?: string;
  /** Dotted body properties whose values the test chooses (their presence is still checked). */
  vary?: string[];
  /**
   * Dotted body properties the example's request lacks, with the exact values the test expects: another variant the
   * operation's Swagger allows (a frontend on a public IP where the example's is on a subnet); in arrays, every item.
   */
  extra?: Record<string, Json>;
  /** Query parameters whose values the test chooses and checks itself (a time window): their presence in the example is still checked. */
  varyQuery?: string[];
  /** A read-modify-write: the body expected is this other example's 200 answer (what the test's read got), not `body`'s parameter. */
  bodyFrom?: string;
  /** Answer this published error (status, file under test/fixtures/azure-arm/) instead of the example's success. */
  fail?: { status: number; body: string };
  /** The operation's poll is never answered (Azure slower than the request's deadline); the connection closes at stop. */
  stallPoll?: boolean;
  /** The request itself is checked, then never answered (a VM creation polled by a GET of the VM that outlives the deadline). */
  stall?: boolean;
}

interface Pending {
  id: number;
  step: ReplayStep;
  example: Example;
  /** An operation answered 201/202 and awaits its poll. */
  polling: boolean;
}

export function loadExample(file: string): Example {
  const parsed: unknown = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
  if (!parsed || typeof parsed !== 'object' || !('parameters' in parsed) || !('responses' in parsed)) throw new Error(`${file} is not an ARM example`);
  // The shape was just checked; the rest is plain JSON.
  return parsed as Example;
}

const isPlaceholder = (value: Json | undefined) => typeof value === 'string' && /^\{[^}]+\}$/.test(value);

/** Every property of `actual` must exist in `example`, scalars equal (unless varied or a placeholder). */
export function bodyProblems(actual: Json, example: Json | undefined, vary: string[], path = ''): string[] {
  // An empty object sets nothing (the SDKs send a flattened model's `properties: {}` when it has none).
  if (example === undefined) return isObject(actual) && Object.keys(actual).length === 0 ? [] : [`body property '${path}' is not in the example`];
  if (vary.includes(path) || isPlaceholder(example)) return [];
  if (Array.isArray(actual)) {
    if (!Array.isArray(example)) return [`body property '${path}' is an array, the example's is not`];
    return actual.flatMap((item, i) => bodyProblems(item, example[i] ?? example[0], vary, path));
  }
  if (isObject(actual)) {
    if (!isObject(example)) return [`body property '${path}' is an object, the example's is not`];
    return Object.entries(actual).flatMap(([key, value]) => bodyProblems(value, example[key], vary, path ? `${path}.${key}` : key));
  }
  return actual === example ? [] : [`body property '${path}' is ${JSON.stringify(actual)}, the example's ${JSON.stringify(example)}`];
}

/** `example` with `extra`'s properties added at their dotted paths (every item of an array on the way). */
export function withExtra(example: Json | undefined, extra: Record<string, Json>): Json | undefined {
  const copy: Json | undefined = example === undefined ? undefined : JSON.parse(JSON.stringify(example));
  const put = (at: Json | undefined, keys: string[], value: Json): void => {
    if (Array.isArray(at)) return at.forEach((item) => put(item, keys, value));
    if (!isObject(at)) return;
    const [key, ...rest] = keys;
    if (rest.length === 0) at[key!] = value;
    else put(at[key!], rest, value);
  };
  for (const [path, value] of Object.entries(extra)) put(copy, path.split('.'), value);
  return copy;
}

/**
 * What of `extra` the request lacks: each property at its dotted path (in some item of each array on the way) with
 * exactly its value. An extra is what the test expects the driver to send, not only what it may.
 */
export function missingExtras(actual: Json, extra: Record<string, Json>): string[] {
  const check = (at: Json | undefined, keys: string[], path: string, value: Json): string[] => {
    if (keys.length === 0) {
      return JSON.stringify(at) === JSON.stringify(value) ? [] : [`body property '${path}' is ${JSON.stringify(at)}, the test expects ${JSON.stringify(value)}`];
    }
    if (Array.isArray(at)) {
      // Sent in one item is enough (a pool on the primary IP configuration only).
      const perItem = at.map((item) => check(item, keys, path, value));
      return perItem.some((problems) => problems.length === 0) ? [] : perItem[0] ?? [`body property '${path}' is in an empty array`];
    }
    const [key, ...rest] = keys;
    if (!isObject(at) || !(key! in at)) return [`body property '${path}' is missing (the test expects ${JSON.stringify(value)})`];
    return check(at[key!], rest, path, value);
  };
  return Object.entries(extra).flatMap(([path, value]) => check(actual, path.split('.'), path, value));
}

/** The path parameters of `template` in `path`, or undefined when the path does not have its shape. */
function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = decodeURIComponent(got[i]!);
    if (w.startsWith('{') && w.endsWith('}')) params[w.slice(1, -1)] = g;
    // Resource Manager paths are case-insensitive.
    else if (w.toLowerCase() !== g.toLowerCase()) return undefined;
  }
  return params;
}

export interface ReplayOptions {
  clientId: string;
  clientSecret: string;
}

export class ArmReplay {
  readonly problems: string[] = [];
  /** Every request, `METHOD path?query`, in order. */
  readonly seen: string[] = [];
  /** Every request body sent to Resource Manager, `METHOD path` → its JSON, in order. */
  readonly bodies: Array<{ request: string; body: Json }> = [];
  readonly caFile: string;
  private readonly dir: string;
  private readonly queue: Pending[] = [];
  private readonly served: Array<{ step: ReplayStep; example: Example }> = [];
  /** Paths (lower case) a served DELETE removed: Azure no longer finds them. */
  private readonly gone = new Set<string>();
  private nextId = 1;
  /** Polls held open (`stallPoll`). */
  private readonly stalled: ServerResponse[] = [];
  private server: Server | undefined;
  private port = 0;
  tokensIssued = 0;

  private constructor(private readonly options: ReplayOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'arm-replay-'));
    this.caFile = join(this.dir, 'cert.pem');
  }

  static async start(options: ReplayOptions): Promise<ArmReplay> {
    const replay = new ArmReplay(options);
    const key = join(replay.dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', replay.caFile, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    replay.server = createServer({ key: readFileSync(key), cert: readFileSync(replay.caFile) }, (req, res) => {
      replay.handle(req, res).catch((error: unknown) => {
        replay.problems.push(`replay failed on ${req.method} ${req.url}: ${String(error)}`);
        if (!res.headersSent) res.writeHead(418).end();
      });
    });
    await new Promise<void>((ok) => replay.server!.listen(0, '127.0.0.1', ok));
    const address = replay.server.address();
    if (!address || typeof address !== 'object') throw new Error('the replay server has no address');
    replay.port = address.port;
    return replay;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Queues the steps a test expects next, in order. */
  expect(...steps: ReplayStep[]): void {
    for (const step of steps) this.queue.push({ id: this.nextId++, step, example: loadExample(step.example), polling: false });
  }

  /** Steps answered whenever a request matches them, in any order and any number of times. */
  serve(...steps: ReplayStep[]): void {
    for (const step of steps) this.served.push({ step, example: loadExample(step.example) });
  }

  /** What is still expected (empty when the flow was replayed to its end). */
  pending(): string[] {
    return this.queue.map((p) => `${p.step.method} ${p.step.example}${p.polling ? ' (awaiting its poll)' : ''}`);
  }

  /** The problems and the steps still expected, then a clean slate (one test's leftovers do not fail the next). */
  reset(): { problems: string[]; pending: string[] } {
    const state = { problems: this.problems.splice(0), pending: this.pending() };
    this.queue.splice(0);
    return state;
  }

  async stop(): Promise<void> {
    for (const res of this.stalled) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private refuse(res: ServerResponse, problem: string): void {
    this.problems.push(problem);
    res.writeHead(418, { 'content-type': 'text/plain' }).end(`replay: ${problem}`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    this.seen.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname.endsWith('/v2.0/.well-known/openid-configuration') && req.method === 'GET') return this.openidConfiguration(url, res);
    if (url.pathname.endsWith('/oauth2/v2.0/token') && req.method === 'POST') return this.token(url, body, res);

    if (body) this.bodies.push({ request: `${req.method} ${url.pathname}`, body: JSON.parse(body) });
    const token = JSON.parse(readFileSync(join(FIXTURES, 'entra-id', 'token.json'), 'utf8')).access_token;
    if (req.headers.authorization !== `Bearer ${token}`) return this.refuse(res, `${req.method} ${url.pathname} without the issued bearer token`);
    if (this.queue.length === 0 && this.served.length === 0) return this.refuse(res, `${req.method} ${url.pathname}${url.search} was not expected (no step left)`);
    const poll = /^\/_operations\/(\d+)$/.exec(url.pathname);
    if (poll) {
      const waiting = this.queue.find((p) => p.polling && p.id === Number(poll[1]));
      if (!waiting || req.method !== 'GET') return this.refuse(res, `${req.method} ${url.pathname} polls no pending operation`);
      if (waiting.step.stallPoll) {
        this.stalled.push(res);
        return;
      }
      this.queue.splice(this.queue.indexOf(waiting), 1);
      return this.answer(res, waiting, waiting.example.responses['200'] ? '200' : '204');
    }
    // The first expected step this request is (concurrent reads may arrive in either order); else the next step's problems.
    const candidates = this.queue.filter((p) => !p.polling);
    let next = candidates.find((p) => this.check(p, req.method ?? '', url, body).length === 0);
    if (!next && this.served.length > 0) {
      const path = url.pathname.toLowerCase();
      if (req.method === 'PUT') this.gone.delete(path);
      const isGone = req.method === 'GET' && [...this.gone].some((g) => path === g || path.startsWith(`${g}/`));
      const served = isGone ? undefined : this.served.find((p) => this.check({ id: 0, polling: false, ...p }, req.method ?? '', url, body).length === 0);
      if (served) {
        next = { id: this.nextId++, ...served, polling: false };
        this.queue.push(next);
        if (req.method === 'DELETE') this.gone.add(path);
      } else if (req.method === 'GET' && (isGone || this.served.some((p) => p.step.method === 'GET' && matchPath(p.step.path, url.pathname)))) {
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(readFileSync(join(FIXTURES, 'errors', 'ResourceNotFound.json')));
        return;
      }
    }
    if (!next) {
      const head = candidates[0];
      const problems = head ? this.check(head, req.method ?? '', url, body) : ['every expected step awaits its poll'];
      return this.refuse(res, `${req.method} ${url.pathname}${url.search} against ${head?.step.example ?? '-'}: ${problems.join('; ')}`);
    }
    if (next.step.stall) {
      this.queue.splice(this.queue.indexOf(next), 1);
      this.stalled.push(res);
      return;
    }
    if (next.step.fail) {
      this.queue.splice(this.queue.indexOf(next), 1);
      res.writeHead(next.step.fail.status, { 'content-type': 'application/json; charset=utf-8' }).end(readFileSync(join(FIXTURES, next.step.fail.body)));
      return;
    }
    const responses = next.example.responses;
    const first = ['202', '201'].find((status) => responses[status]) ?? ['200', '204'].find((status) => responses[status]);
    if (!first) return this.refuse(res, `${next.step.example} has no success response`);
    const pollable = Object.keys(responses[first]!.headers ?? {}).some((h) => ['location', 'azure-asyncoperation'].includes(h.toLowerCase()));
    if (pollable) next.polling = true;
    else this.queue.splice(this.queue.indexOf(next), 1);
    return this.answer(res, next, first);
  }

  private check(next: Pending, method: string, url: URL, body: string): string[] {
    const { step, example } = next;
    const problems: string[] = [];
    if (method !== step.method) problems.push(`method ${method}, the example's ${step.method}`);
    const params = matchPath(step.path, url.pathname);
    if (!params) return [...problems, `path does not match ${step.path}`];
    for (const [name, value] of Object.entries(params)) {
      const bound = step.bind?.[name];
      const expected = bound ?? example.parameters[name];
      if (bound !== undefined) {
        if (bound !== '{any}' && bound !== value) problems.push(`${name} '${value}', the step's '${bound}'`);
      } else if (expected === undefined) problems.push(`path parameter ${name} is not in the example`);
      else if (!isPlaceholder(expected) && String(expected) !== value) problems.push(`${name} '${value}', the example's '${String(expected)}'`);
    }
    const apiVersion = url.searchParams.get('api-version');
    if (apiVersion !== example.parameters['api-version']) problems.push(`api-version ${apiVersion}, the example's ${String(example.parameters['api-version'])}`);
    for (const [name, value] of url.searchParams) {
      if (name === 'api-version') continue;
      const expected = example.parameters[name];
      if (expected === undefined) problems.push(`query parameter ${name} is not in the example`);
      else if (String(expected) !== value && !step.varyQuery?.includes(name)) problems.push(`query ${name}=${value}, the example's ${String(expected)}`);
    }
    if (step.body) {
      if (!body) problems.push('no request body');
      else {
        const expected = step.bodyFrom ? loadExample(step.bodyFrom).responses['200']?.body : example.parameters[step.body];
        const sent: Json = JSON.parse(body);
        problems.push(...bodyProblems(sent, withExtra(expected, step.extra ?? {}), step.vary ?? []), ...missingExtras(sent, step.extra ?? {}));
      }
    } else if (body) {
      problems.push('a request body the example does not have');
    }
    return problems;
  }

  private answer(res: ServerResponse, pending: Pending, status: string): void {
    const response = pending.example.responses[status] ?? {};
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers ?? {})) {
      // The operation's status URL is this server's (the example's points at Azure or foo.com).
      headers[name] = ['location', 'azure-asyncoperation'].includes(name.toLowerCase()) ? `${this.url}/_operations/${pending.id}` : value;
    }
    if (response.body === undefined) {
      res.writeHead(Number(status), headers).end();
      return;
    }
    let body = response.body;
    if (isObject(body) && typeof body.nextLink === 'string' && !body.nextLink.startsWith(this.url)) {
      const { nextLink: _unanswered, ...page } = body;
      body = page;
    }
    res.writeHead(Number(status), { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  }

  /** Microsoft's recorded metadata, its authority pointed at this server and the requested tenant. */
  private openidConfiguration(url: URL, res: ServerResponse): void {
    const tenant = url.pathname.split('/')[1] ?? '';
    const text = readFileSync(join(FIXTURES, 'entra-id', 'openid-configuration.json'), 'utf8')
      .split(RECORDED_AUTHORITY).join(this.url).split(RECORDED_TENANT).join(tenant);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(text);
  }

  private token(url: URL, body: string, res: ServerResponse): void {
    const form = new URLSearchParams(body);
    const problems: string[] = [];
    if (form.get('grant_type') !== 'client_credentials') problems.push(`grant_type ${form.get('grant_type')}`);
    if (form.get('client_id') !== this.options.clientId) problems.push('another client id');
    if (form.get('scope') !== `${this.url}/.default`) problems.push(`scope ${form.get('scope')}`);
    const secretOk = form.get('client_secret') === this.options.clientSecret;
    if (problems.length > 0) this.problems.push(`token request to ${url.pathname}: ${problems.join('; ')}`);
    if (problems.length > 0 || !secretOk) {
      // Entra ID's documented error answer (OAuth 2.0 errors are 400).
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' }).end(readFileSync(join(FIXTURES, 'entra-id', 'token-error.json')));
      return;
    }
    this.tokensIssued++;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(readFileSync(join(FIXTURES, 'entra-id', 'token.json')));
  }

  /** Writes a configuration file for `-c` with one provider on this server; answers its path. */
  writeConfig(extra: Record<string, unknown> = {}): string {
    const file = join(this.dir, 'config.json');
    writeFileSync(file, JSON.stringify({ drivers: { azure: {
      providers: { replay: { armEndpoint: this.url, authorityHost: this.url, caFile: this.caFile, images: ['Canonical:ubuntu-24_04-lts:server:latest'], ...extra } },
      defaultProvider: 'replay', pollIntervalMs: 10, retries: 1,
    } } }), { mode: 0o600 });
    return file;
  }
}

/**
 * A suite's replay and the server (`-i azure`, in this process) on it: started before the suite's tests, stopped after
 * them; after each test, every request matched an example and every expected one was sent.
 */
export function replayedServer(options: ReplayOptions, provider: Record<string, unknown> = {}): { readonly replay: ArmReplay; readonly server: AppServer } {
  let replay: ArmReplay | undefined;
  let server: AppServer | undefined;
  before(async () => {
    replay = await ArmReplay.start(options);
    server = await startApp({ args: ['-i', 'azure', '-c', replay.writeConfig(provider)] });
  });
  after(async () => {
    await server?.stop();
    await replay?.stop();
  });
  afterEach(() => assert.deepEqual(replay?.reset(), { problems: [], pending: [] }));
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the replay starts before the suite\'s tests');
    return value;
  };
  return { get replay() { return started(replay); }, get server() { return started(server); } };
}
