// HTTP helpers for the API integration tests: raw requests with full control
// over headers (no default Accept, unlike fetch), an XML reader, and the
// checks every error response must pass (spec §8.1, §15).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MOCK_AUTH, type TestServer } from './server.js';
import { checkAgainstDocument, openApiCheckEnabled } from '../openapi/integration-hook.js';

/** A running server, in a child process (server.ts) or in this one (inject.ts). */
export type Reachable = Pick<TestServer, 'port'>;

export { MOCK_AUTH };
export const XML = 'application/xml';
export const JSON_TYPE = 'application/json';
export const WRONG_AUTH = 'Basic ' + Buffer.from('mockuser:wrongpassword').toString('base64');

export interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names as sent, in order: [name, value, name, value, ...]. */
  rawHeaders: string[];
  body: Buffer;
  text: string;
  json<T = any>(): T;
  xml(): XNode;
}

export interface ReqOptions {
  /** Accept header; omitted when undefined (the server then negotiates XML). */
  accept?: string;
  headers?: Record<string, string | string[]>;
  /** Body; objects are sent url-encoded, FormData as multipart/form-data. */
  body?: string | Buffer | Record<string, string> | URLSearchParams | FormData;
  /** Authorization header value; default the mock credentials, false for none. */
  auth?: string | false;
  /** Do not send a Host header. */
  noHost?: boolean;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** One request with node:http, so nothing is added behind our back. */
export async function req(server: Reachable | number, method: string, path: string, opts: ReqOptions = {}): Promise<Res> {
  const res = await send(server, method, path, opts);
  // Checked against the OpenAPI document in the suites that ask for it (test/openapi/integration-hook.ts).
  if (openApiCheckEnabled()) {
    const port = typeof server === 'number' ? server : server.port;
    await checkAgainstDocument(port, method, path, opts.headers ?? {}, res.status, res.headers, res.text, (p) => send(server, 'GET', p, { auth: false }));
  }
  return res;
}

async function send(server: Reachable | number, method: string, path: string, opts: ReqOptions = {}): Promise<Res> {
  const port = typeof server === 'number' ? server : server.port;
  const headers: Record<string, string | string[]> = { ...opts.headers };
  const hasContentType = () => Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (opts.accept !== undefined) headers.Accept = opts.accept;
  if (opts.auth !== false) headers.Authorization = opts.auth ?? MOCK_AUTH;
  let body: Buffer | undefined;
  if (opts.body !== undefined) {
    if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) body = Buffer.from(opts.body);
    else if (opts.body instanceof FormData) {
      // The platform's own multipart encoder (boundary included in its Content-Type).
      const encoded = new Response(opts.body);
      body = Buffer.from(await encoded.arrayBuffer());
      if (!hasContentType()) headers['Content-Type'] = encoded.headers.get('content-type')!;
    } else {
      body = Buffer.from(new URLSearchParams(opts.body as Record<string, string>).toString());
      if (!hasContentType()) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    headers['Content-Length'] = String(body.length);
  }
  if (!opts.noHost && !Object.keys(headers).some((h) => h.toLowerCase() === 'host')) headers.Host = `localhost:${port}`;
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path, headers, agent, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        const text = data.toString('utf8');
        const result: Res = {
          status: res.statusCode!,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: data,
          text,
          json: () => JSON.parse(text),
          xml: () => parseXml(text),
        };
        // Every error response any test sees is checked for leaks (stack traces, paths, credentials).
        try {
          if (result.status >= 400) assertNoLeak(result);
          resolve(result);
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** A response as fetch shows it (`headers.get(name)`), for tests written against that shape. */
export interface Call {
  status: number;
  headers: Headers;
  text: string;
  json<T = any>(): T;
}

/** One request (through req()), answered in the Call shape. */
export async function call(server: Reachable, method: string, path: string, opts: ReqOptions = {}): Promise<Call> {
  const res = await req(server, method, path, opts);
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  return { status: res.status, headers, text: res.text, json: res.json };
}

export const get = (s: Reachable | number, path: string, opts: ReqOptions = {}) => req(s, 'GET', path, opts);
export const getXml = (s: Reachable | number, path: string, opts: ReqOptions = {}) => req(s, 'GET', path, { accept: XML, ...opts });
export const getJson = (s: Reachable | number, path: string, opts: ReqOptions = {}) => req(s, 'GET', path, { accept: JSON_TYPE, ...opts });
export const post = (s: Reachable | number, path: string, body?: ReqOptions['body'], opts: ReqOptions = {}) => req(s, 'POST', path, { body, ...opts });

// ---------------------------------------------------------------- XML

export interface XNode {
  name: string;
  attrs: Record<string, string>;
  children: XNode[];
  /** Concatenated text and CDATA directly inside this element. */
  text: string;
  /** First child element of that name (asserts it exists). */
  child(name: string): XNode;
  /** First child element of that name, if any. */
  maybe(name: string): XNode | undefined;
  /** All child elements of that name. */
  all(name: string): XNode[];
  /** Names of the child elements, in order. */
  names(): string[];
  /** Whether the text was (partly) CDATA. */
  cdata: boolean;
}

const parser = new XMLParser({
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', cdataPropName: '#cdata',
  parseTagValue: false, parseAttributeValue: false, trimValues: false, processEntities: true, ignoreDeclaration: true,
  ignorePiTags: true,
});

type Raw = Record<string, unknown>;

function build(entry: Raw): XNode {
  const name = Object.keys(entry).find((k) => k !== ':@')!;
  const attrs = (entry[':@'] as Record<string, string> | undefined) ?? {};
  const children: XNode[] = [];
  let text = '';
  let cdata = false;
  for (const c of entry[name] as Raw[]) {
    if ('#text' in c) text += String(c['#text']);
    else if ('#cdata' in c) {
      cdata = true;
      for (const t of c['#cdata'] as Raw[]) text += String(t['#text'] ?? '');
    } else children.push(build(c));
  }
  const node: XNode = {
    name, attrs, children, text: text.trim(), cdata,
    child(n) {
      const found = children.find((c) => c.name === n);
      assert.ok(found, `<${name}> has a <${n}> child (children: ${children.map((c) => c.name).join(', ')})`);
      return found;
    },
    maybe: (n) => children.find((c) => c.name === n),
    all: (n) => children.filter((c) => c.name === n),
    names: () => children.map((c) => c.name),
  };
  return node;
}

/** Parses a document (asserting it is well-formed) into its root element. */
export function parseXml(text: string): XNode {
  const valid = XMLValidator.validate(text);
  assert.equal(valid, true, `well-formed XML: ${JSON.stringify(valid)}\n${text.slice(0, 500)}`);
  const roots = (parser.parse(text) as Raw[]).filter((e) => !('#text' in e));
  assert.equal(roots.length, 1, 'one root element');
  return build(roots[0]!);
}

export const XML_DECLARATION = /^<\?xml version=['"]1\.0['"] encoding=['"]utf-8['"] \?>/;

// ---------------------------------------------------------------- common checks

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** ETag = unquoted lower-case hex MD5 of the body, plus Cache-Control (spec §6). */
export function assertEtag(res: Res): void {
  assert.equal(res.headers.etag, md5(res.body), 'ETag is the MD5 of the body');
  assert.equal(res.headers['cache-control'], 'max-age=0, private, must-revalidate');
}

export function assertType(res: Res, type: string): void {
  assert.equal(res.headers['content-type'], type, `Content-Type of ${res.status} response`);
}

/** Nothing from the server's insides and no credential anywhere in the response (spec §8.1, §15). */
export function assertNoLeak(res: Res, secrets: string[] = []): void {
  const headerText = Object.entries(res.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`).join('\n');
  for (const [where, text] of [['body', res.text], ['headers', headerText]] as const) {
    assert.doesNotMatch(text, /^\s*at\s+\S/m, `no stack frame in ${where}`);
    assert.doesNotMatch(text, /\bat [^\n]*\(?[^\s()]+:\d+:\d+\)?/, `no stack frame in ${where}`);
    assert.doesNotMatch(text, /\.(ts|js|mjs|cjs):\d+/, `no source position in ${where}`);
    for (const path of ['/work/', '/tmp/', 'node_modules', '/home/', '/usr/']) {
      assert.ok(!text.includes(path), `no local path ${path} in ${where}: ${text.slice(0, 300)}`);
    }
    for (const secret of [...secrets, 'mockpassword', Buffer.from('mockuser:mockpassword').toString('base64'),
      'wrongpassword', Buffer.from('mockuser:wrongpassword').toString('base64')]) {
      assert.ok(!text.includes(secret), `credential ${secret} not echoed in ${where}`);
    }
  }
}

export interface ErrorExpect {
  status: number;
  message?: string | RegExp;
  /** JSON `error` class (spec §8.1 table); checked when given. */
  error?: string;
  url?: string;
  driver?: string;
  provider?: string;
  secrets?: string[];
}

/** An XML error document per §8.1, with no leaks. Returns the parsed root. */
export function assertXmlError(res: Res, e: ErrorExpect): XNode {
  assert.equal(res.status, e.status, `status (body: ${res.text.slice(0, 300)})`);
  assertNoLeak(res, e.secrets);
  assertType(res, XML);
  assert.match(res.text, XML_DECLARATION, 'error documents carry the XML declaration');
  const doc = res.xml();
  assert.equal(doc.name, 'error');
  assert.equal(doc.attrs.status, String(e.status));
  if (e.url !== undefined) assert.equal(doc.attrs.url, e.url);
  const backend = doc.child('backend');
  assert.equal(backend.attrs.driver, e.driver ?? 'mock');
  assert.equal(backend.attrs.provider, e.provider ?? 'default');
  assert.equal(doc.child('code').text, String(e.status));
  const message = doc.child('message');
  assert.ok(message.cdata, '<message> in CDATA');
  if (typeof e.message === 'string') assert.equal(message.text, e.message);
  else if (e.message) assert.match(message.text, e.message);
  assert.equal(doc.child('backtrace').text, '', 'empty backtrace');
  doc.child('request');
  assert.deepEqual(doc.names(), ['backend', 'code', 'message', 'backtrace', 'request']);
  return doc;
}

/** A JSON error document per §8.1, with no leaks. */
export function assertJsonError(res: Res, e: ErrorExpect): { code: number; message: string; error: string } {
  assert.equal(res.status, e.status, `status (body: ${res.text.slice(0, 300)})`);
  assertNoLeak(res, e.secrets);
  assertType(res, JSON_TYPE);
  const doc = res.json();
  assert.deepEqual(Object.keys(doc), ['code', 'message', 'error']);
  assert.equal(doc.code, e.status);
  if (typeof e.message === 'string') assert.equal(doc.message, e.message);
  else if (e.message) assert.match(doc.message, e.message);
  if (e.error) assert.equal(doc.error, e.error);
  return doc;
}

export const ERROR_CLASS: Record<number, string> = {
  400: 'Deltacloud::Exceptions::ValidationFailure',
  401: 'Deltacloud::Exceptions::AuthenticationFailure',
  403: 'Deltacloud::Exceptions::ForbiddenError',
  404: 'Deltacloud::Exceptions::ObjectNotFound',
  405: 'Deltacloud::Exceptions::MethodNotAllowed',
  409: 'Deltacloud::Exceptions::Conflict',
  500: 'Deltacloud::Exceptions::BackendError',
  501: 'Deltacloud::Exceptions::NotImplemented',
  502: 'Deltacloud::Exceptions::ProviderError',
  504: 'Deltacloud::Exceptions::ProviderTimeout',
};

/** Checks the same request in XML and in JSON. */
export async function assertErrorBoth(
  server: Reachable, method: string, path: string, e: ErrorExpect, opts: ReqOptions = {},
): Promise<void> {
  assertXmlError(await req(server, method, path, { ...opts, accept: XML }), e);
  assertJsonError(await req(server, method, path, { ...opts, accept: JSON_TYPE }), { error: ERROR_CLASS[e.status], ...e });
}

/** `href` of a member: absolute, ending in its id (spec §1.1, §14 item 6). */
export function assertHref(href: string | undefined, expected: string): void {
  assert.equal(href, expected);
  assert.match(href!, /^http/);
}

/** Seconds as a decimal number (spec §6). */
export function assertRuntime(res: Res): void {
  assert.match(String(res.headers['x-backend-runtime']), /^\d+(\.\d+)?$/);
}

/** Response headers whose name starts with `prefix` (case-insensitive), names as sent. */
export function headersWithPrefix(res: Res, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    if (res.rawHeaders[i]!.toLowerCase().startsWith(prefix.toLowerCase())) out[res.rawHeaders[i]!] = res.rawHeaders[i + 1]!;
  }
  return out;
}

/** Sends `request` verbatim over a socket and returns everything the server answered (for requests fetch/http cannot make). */
export async function rawHttp(port: number, request: string): Promise<string> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (data += c));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}
