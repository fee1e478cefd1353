// A provider's own OpenAPI document served by Stoplight Prism (tools/prism,
// `npm ci --prefix tools/prism`), behind a small recording proxy:
//   * Prism validates every request against the document and answers with the
//     document's examples; a request it finds wrong carries `sl-violations`.
//     The proxy records each request's method, path, status and violations so
//     tests can assert that the driver sent nothing the provider would reject;
//   * Prism only checks that a bearer token is present. The proxy asks Prism
//     for the document's own 401 answer (`Prefer: code=401`) when the token is
//     not the test's, so wrong credentials are refused as the provider would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { RequestContext, type Driver } from '../../../src/core/driver.js';
import { assertNoLeak, JSON_TYPE, req, type ReqOptions, type Res } from '../../helpers/api.js';
import { ROOT, startDriverServer, type TestServer } from '../../helpers/server.js';
import type { ConformanceTarget } from '../conformance/conformance.js';

export const PRISM_BIN = join(ROOT, 'tools', 'prism', 'node_modules', '.bin', 'prism');

export interface Recorded {
  method: string;
  path: string;
  status: number;
  /** What Prism found wrong with the request (from `sl-violations`; absent: nothing). */
  violations?: string;
}

export interface PrismStub {
  /** The proxy's origin: the provider's API base URL for the driver. */
  origin: string;
  /** Requests since the last call, removed from the record. */
  take(): Recorded[];
  /** From now on, ask Prism for this documented answer (`code=404`, `example=<name>`); undefined: the default answer. */
  prefer(value: string | undefined): void;
  stop(): Promise<void>;
}

/** Why Prism cannot run here, or undefined when it can. */
export function prismUnavailable(): string | undefined {
  return existsSync(PRISM_BIN) ? undefined : `Prism is not installed (${PRISM_BIN}): run npm ci --prefix tools/prism`;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startPrismProcess(spec: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(PRISM_BIN, ['mock', spec, '-h', '127.0.0.1', '-p', String(port), '--errors', 'false'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Prism did not start within 180 s:\n${out.slice(-2000)}`)), 180_000);
    const check = (d: Buffer) => {
      out += d;
      if (out.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Prism exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
  // Its per-request log is not needed; keep the pipes drained.
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, port };
}

/**
 * The violations of an `sl-violations` header that concern the request. Prism
 * also checks its answer against the document; where a document's examples do
 * not match its own schemas (Linode's dates without a time zone) that is the
 * document's matter, not the driver's.
 */
function requestViolations(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const all: Array<{ location?: string[] }> = JSON.parse(String(header));
  const ofRequest = all.filter((v) => v.location?.[0] !== 'response');
  return ofRequest.length > 0 ? JSON.stringify(ofRequest) : undefined;
}

/** Prism on `spec` behind the recording proxy; `token` is the only bearer token accepted. */
export async function startPrism(spec: string, token: string): Promise<PrismStub> {
  const { child, port } = await startPrismProcess(spec);
  let recorded: Recorded[] = [];
  let preferred: string | undefined;
  const proxy: Server = createServer((req, res) => {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: `127.0.0.1:${port}` };
    if (preferred !== undefined) headers.prefer = preferred;
    if (req.headers.authorization !== undefined && req.headers.authorization !== `Bearer ${token}`) headers.prefer = 'code=401';
    const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (answer) => {
      const violations = requestViolations(answer.headers['sl-violations']);
      recorded.push({ method: req.method ?? '', path: req.url ?? '', status: answer.statusCode ?? 0, ...(violations ? { violations: String(violations) } : {}) });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyPort = (proxy.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${proxyPort}`,
    prefer(value) {
      preferred = value;
    },
    take() {
      const taken = recorded;
      recorded = [];
      return taken;
    },
    async stop() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/**
 * The conformance target of a REST driver on Prism: the server on `driver`
 * with the stub as its only provider (`prism`), and, after the suite, the
 * check that Prism rejected none of the requests the driver sent.
 */
export function prismConformanceTarget(opts: {
  driver: string;
  provider: string;
  spec: string;
  token: string;
  expect: ConformanceTarget['expect'];
}): ConformanceTarget {
  let stub: PrismStub | undefined;
  after(() => {
    const wrong = stub?.take().filter((r) => r.violations !== undefined) ?? [];
    assert.deepEqual(wrong, [], `requests ${opts.provider} would reject`);
  });
  return {
    name: `${opts.driver} (Prism on ${opts.provider}'s OpenAPI document)`,
    unavailable: async () => prismUnavailable(),
    async start() {
      stub = await startPrism(opts.spec, opts.token);
      return startDriverServer(opts.driver, { endpoints: { prism: stub.origin }, defaultProvider: 'prism' }, { args: ['-P', 'prism'] });
    },
    stop: async () => stub?.stop(),
    // The user name is only a label; the token is the password.
    user: 'conformance-team',
    password: opts.token,
    driver: opts.driver,
    provider: 'prism',
    expect: opts.expect,
  };
}

/** Why a contract suite skips (outside CI, without Prism), else false. */
export const prismSkip = (): string | false => (!process.env.CI && prismUnavailable()) || false;

/**
 * A contract suite's setup, in the calling `describe`: Prism on `spec` behind
 * the recording proxy, our server on `driver` with it as provider `prism`, and
 * the driver itself (`create`) for calls the API would refuse in the examples'
 * states. Its tools: `api` (a request to our server as the client, every answer
 * checked for the token), `sent` (the requests the provider got since the last
 * check: exactly `expected`, as "METHOD /path" without query, none rejected by
 * the document), `ctx` (a request context for direct driver calls).
 */
export function prismContract<D extends Driver>(opts: {
  driver: string;
  spec: string;
  user: string;
  token: string;
  create: (options: Record<string, unknown>) => D;
}) {
  const auth = 'Basic ' + Buffer.from(`${opts.user}:${opts.token}`).toString('base64');
  const secrets = [opts.token, auth.slice('Basic '.length)];
  let stub: PrismStub | undefined;
  let server: TestServer | undefined;
  let driver: D | undefined;
  before(async () => {
    const missing = prismUnavailable();
    if (missing) throw new Error(`CI: ${missing}`);
    stub = await startPrism(opts.spec, opts.token);
    const options = { endpoints: { prism: stub.origin }, defaultProvider: 'prism' };
    server = await startDriverServer(opts.driver, options, { args: ['-P', 'prism'] });
    driver = opts.create(options);
  });
  after(async () => {
    await driver?.close?.();
    await server?.stop();
    assert.ok(!server || !secrets.some((s) => server!.output().includes(s)), 'the token is never in the server log');
    await stub?.stop();
  });
  return {
    secrets,
    stub: () => stub!,
    driver: () => driver!,
    ctx: () => new RequestContext('prism', { user: opts.user, password: opts.token }, undefined, {}, { timeoutMs: 10_000 }),
    async api(method: string, path: string, reqOpts: ReqOptions = {}): Promise<Res> {
      const res = await req(server!, method, path, { auth, accept: JSON_TYPE, ...reqOpts });
      assertNoLeak(res, secrets);
      return res;
    },
    sent(expected: string[]): Recorded[] {
      const requests = stub!.take();
      assert.deepEqual(requests.filter((r) => r.violations), [], 'requests the provider\'s specification rejects');
      assert.deepEqual(requests.map((r) => `${r.method} ${r.path.split('?')[0]}`), expected);
      return requests;
    },
  };
}
