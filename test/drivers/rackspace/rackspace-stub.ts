// Rackspace for the rackspace driver's tests: Identity v2.0 and the Cloud
// Files CDN management API replayed from Rackspace's documented examples
// (test/fixtures/rackspace/, with request checks), the region DFW's cloudFiles
// endpoint pointing at the real Swift on this machine (tempauth,
// scripts/swift-s3/setup.sh) so that every object operation is live, and its
// cloudServersOpenStack / cloudImages endpoints at the openstack driver's
// replay stub of recorded Nova and Glance answers.
//
// What the stub changes in the documented token response, and why (also in
// the fixtures README): the token id becomes a token local Swift accepts; the
// expiry becomes a future time; DFW's cloudFiles URLs become the local Swift
// account, its cloudFilesCDN URL the CDN replay's port, its
// cloudServersOpenStack and cloudImages URLs the Nova/Glance replay. Nothing
// else in the body changes.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStubServer, type StubServer } from '../../helpers/stub-server.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'rackspace');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

/** The documented sample credentials (the API reference's request example). */
const documented = JSON.parse(fixture('auth-request-apikey.json')).auth['RAX-KSKEY:apiKeyCredentials'];
export const USER: string = documented.username;
export const API_KEY: string = documented.apiKey;
/** The documented token id: Swift here has never issued it, so it refuses it with 401. */
export const DOCUMENTED_TOKEN: string = JSON.parse(fixture('auth-response-apikey.json')).access.token.id;
/** The Cloud Files tenant of the documented catalogue (the CDN paths carry it). */
export const CDN_TENANT = 'MossoCloudFS_9c24e3db-52bf-4f26-8dc1-220871796e9f';

export const SWIFT = (process.env.SWIFT_TEST_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SWIFT_USER = process.env.SWIFT_TEST_USER ?? 'test:tester';
const SWIFT_KEY = process.env.SWIFT_TEST_KEY ?? 'testing';

/** A tempauth token and the account URL from the local Swift. */
export async function swiftLogin(): Promise<{ token: string; account: string }> {
  const res = await fetch(`${SWIFT}/auth/v1.0`, { headers: { 'X-Auth-User': SWIFT_USER, 'X-Auth-Key': SWIFT_KEY }, signal: AbortSignal.timeout(5_000) });
  const token = res.headers.get('x-auth-token');
  const account = res.headers.get('x-storage-url');
  await res.body?.cancel();
  if (res.status !== 200 || !token || !account) throw new Error(`Swift tempauth at ${SWIFT} answered ${res.status}`);
  return { token, account };
}

/** Why the live half cannot run (undefined: Swift is there). */
export async function swiftUnavailable(): Promise<string | undefined> {
  try {
    await swiftLogin();
    return undefined;
  } catch (e) {
    return `Swift with tempauth at ${SWIFT} is not available (scripts/swift-s3/setup.sh): ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** A documented HTTP response (status line and headers; the docs show no bodies). */
function documentedResponse(name: string): { status: number; headers: Record<string, string> } {
  const [statusLine, ...lines] = fixture(name).trim().split('\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const header = line.slice(0, colon).trim();
    // Content-Length describes a body the docs do not show; Node sets it for the empty body sent.
    if (header.toLowerCase() !== 'content-length') headers[header] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers };
}

export interface Recorded {
  service: 'identity' | 'cdn';
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export class RackspaceStub {
  readonly requests: Recorded[] = [];
  /** Request-shape problems the stub saw (every test expects none unless it provokes one). */
  readonly violations: string[] = [];
  /** Tokens handed out before a real one (e.g. DOCUMENTED_TOKEN, which Swift refuses). */
  nextTokens: string[] = [];
  /** Lifetime of the tokens handed out. */
  expiresInMs = 3_600_000;
  /** Containers the CDN replay has published. */
  readonly published = new Set<string>();
  /** Tokens issued (the CDN replay accepts these, as the real CDN accepts Identity's tokens). */
  readonly issued = new Set<string>();
  private identityServer?: StubServer;
  private cdnServer?: StubServer;

  /**
   * `compute`/`image`: base URLs of a Nova and a Glance replay (the openstack
   * driver's replay stub); `onToken` learns each real token handed out.
   */
  constructor(private readonly backends: { compute?: string; image?: string; onToken?: (token: string) => void } = {}) {}

  async start(): Promise<void> {
    this.identityServer = await startStubServer((req, body, res) => this.identity(req, body, res));
    this.cdnServer = await startStubServer((req, body, res) => this.cdn(req, body, res));
  }

  async stop(): Promise<void> {
    await this.identityServer?.stop();
    await this.cdnServer?.stop();
  }

  /** The identity URL for the operator's configuration; `/snet` serves a catalogue whose public Cloud Files URL leads nowhere. */
  identityUrl(variant: 'public' | 'snet' = 'public'): string {
    return `${this.identityServer!.url}${variant === 'snet' ? '/snet' : ''}/v2.0`;
  }

  /** Connections the identity and CDN replays accepted (0 when a request was refused before any call). */
  get connections(): number {
    return this.identityServer!.connections + this.cdnServer!.connections;
  }

  logins(): Recorded[] {
    return this.requests.filter((r) => r.service === 'identity' && r.method === 'POST');
  }

  reset(): void {
    this.requests.length = 0;
    this.violations.length = 0;
    this.nextTokens = [];
    this.expiresInMs = 3_600_000;
  }

  private record(service: Recorded['service'], req: IncomingMessage, body: Buffer): Recorded {
    const r: Recorded = { service, method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'http://stub').pathname, headers: req.headers, body: body.toString('utf8') };
    this.requests.push(r);
    return r;
  }

  private violation(res: ServerResponse, problem: string): void {
    this.violations.push(problem);
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(`request check failed: ${problem}`);
  }

  private async identity(req: IncomingMessage, received: Buffer, res: ServerResponse): Promise<void> {
    const r = this.record('identity', req, received);
    const snet = r.path.startsWith('/snet/');
    const path = snet ? r.path.slice('/snet'.length) : r.path;
    if (r.method !== 'POST' || path !== '/v2.0/tokens') return this.violation(res, `${r.method} ${r.path} is not POST /v2.0/tokens`);
    // As documented: Content-Type and Accept application/json, body {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username", "apiKey"}}}.
    if (!/^application\/json\b/.test(String(r.headers['content-type']))) return this.violation(res, `Content-Type ${r.headers['content-type']}`);
    if (r.headers.accept !== 'application/json') return this.violation(res, `Accept ${r.headers.accept}`);
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      return this.violation(res, 'body is not JSON');
    }
    const keys = (o: unknown) => (o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o).sort().join(',') : typeof o);
    const auth = (body as { auth?: Record<string, unknown> }).auth;
    const creds = auth?.['RAX-KSKEY:apiKeyCredentials'] as { username?: unknown; apiKey?: unknown } | undefined;
    if (keys(body) !== 'auth' || keys(auth) !== 'RAX-KSKEY:apiKeyCredentials' || keys(creds) !== 'apiKey,username'
      || typeof creds?.username !== 'string' || typeof creds.apiKey !== 'string') {
      return this.violation(res, `body shape ${r.body.replace(/"apiKey"\s*:\s*"[^"]*"/, '"apiKey":"…"')}`);
    }
    if (creds.username !== USER || creds.apiKey !== API_KEY) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(fixture('auth-unauthorized.json'));
      return;
    }
    const next = this.nextTokens.shift();
    const swift = await swiftLogin();
    const token = next ?? swift.token;
    if (next === undefined) {
      this.issued.add(token);
      this.backends.onToken?.(token);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(this.tokenResponse(token, swift.account, snet)));
  }

  /** The documented response with the changes listed at the top of this file. */
  private tokenResponse(token: string, account: string, snet: boolean): unknown {
    const doc = JSON.parse(fixture('auth-response-apikey.json'));
    doc.access.token.id = token;
    doc.access.token.expires = new Date(Date.now() + this.expiresInMs).toISOString();
    for (const service of doc.access.serviceCatalog as Array<{ name: string; endpoints: Array<Record<string, string>> }>) {
      const dfw = service.endpoints.find((e) => e.region === 'DFW');
      if (!dfw) continue;
      if (service.name === 'cloudFiles') {
        // ServiceNet variant: the public URL is a closed loopback port, so only internalURL works.
        dfw.publicURL = snet ? 'http://127.0.0.1:9/v1/closed' : account;
        dfw.internalURL = account;
      }
      if (service.name === 'cloudFilesCDN') dfw.publicURL = dfw.publicURL!.replace('https://cdn1.clouddrive.com', this.cdnServer!.url);
      if (service.name === 'cloudServersOpenStack' && this.backends.compute) dfw.publicURL = this.backends.compute;
      if (service.name === 'cloudImages' && this.backends.image) dfw.publicURL = this.backends.image;
    }
    return doc;
  }

  /** The CDN management API: the documented answers to PUT (enable), HEAD (show) and POST (disable). */
  private cdn(req: IncomingMessage, received: Buffer, res: ServerResponse): void {
    const r = this.record('cdn', req, received);
    const token = r.headers['x-auth-token'];
    if (typeof token !== 'string' || !this.issued.has(token)) {
      res.writeHead(401);
      res.end();
      return;
    }
    const prefix = `/v1/${CDN_TENANT}/`;
    const container = r.path.startsWith(prefix) ? decodeURIComponent(r.path.slice(prefix.length)) : '';
    if (!container || container.includes('/')) return this.violation(res, `CDN path ${r.path}`);
    const enabled = r.headers['x-cdn-enabled'];
    const ttl = r.headers['x-ttl'];
    let answer: { status: number; headers: Record<string, string> } | undefined;
    if (r.method === 'PUT') {
      if (enabled !== 'True') return this.violation(res, `PUT without X-Cdn-Enabled: True (${enabled})`);
      if (ttl !== undefined && !/^\d+$/.test(String(ttl))) return this.violation(res, `X-Ttl ${ttl}`);
      this.published.add(container);
      answer = documentedResponse('cdn-enable-response.http');
    } else if (r.method === 'POST') {
      if (enabled !== 'False') return this.violation(res, `POST without X-Cdn-Enabled: False (${enabled})`);
      this.published.delete(container);
      answer = documentedResponse('cdn-disable-response.http');
    } else if (r.method === 'HEAD') {
      // A container never published is not found (the documented 404 of this operation, no body).
      answer = this.published.has(container) ? documentedResponse('cdn-head-response.http') : { status: 404, headers: {} };
    } else {
      return this.violation(res, `${r.method} on the CDN API`);
    }
    res.writeHead(answer.status, answer.headers);
    res.end();
  }
}
