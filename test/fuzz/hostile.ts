// A reproducible fuzzer for the Deltacloud front end: hostile requests
// against a real server on the mock, with checks on every answer. Used by
// `npm run fuzz` (test/fuzz/run.ts, 100,000 requests) and by a bounded run in
// the normal suite (test/fuzz/fuzz.test.ts).
//
// Each request comes from a seeded PRNG, so a seed and a count replay the
// same run. Violations: a crash or hang, a 5xx that is not a back-end fault, an
// error not in the Deltacloud error document (Fastify's JSON included), a
// response carrying a stack trace, a local path or a secret sent in the
// request, and afterwards any difference in normal answers (prototype
// pollution shows there).
import { Agent, request as httpRequest } from 'node:http';
import net from 'node:net';
import { computeOperations } from '../../src/frontends/deltacloud/operations/compute.js';
import { networkOperations } from '../../src/frontends/deltacloud/operations/network.js';
import { storageOperations } from '../../src/frontends/deltacloud/operations/storage.js';
import { MOCK_AUTH } from '../helpers/server.js';

/** mulberry32: small, fast, good enough to pick fuzz cases reproducibly. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

export interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent verbatim over its own socket instead (requests an HTTP client would refuse to make). */
  raw?: string;
  /** Secret values this request carried: none may come back. */
  secrets: string[];
}

export interface FuzzAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// Paths of every operation, from the front end's own declarations (`:id` etc. filled in per request).
const ROUTES = [...computeOperations, ...storageOperations, ...networkOperations].map((op) => ({ method: op.method, path: op.path }));
const COLLECTIONS = [...new Set(ROUTES.map((r) => r.path.split('/')[1]!))];
const IDS = ['us', 'eu', 'img1', 'img2', 'inst0', 'inst1', 'inst2', 'm1-small', 'm1-large', 'opaque', 'bucket1', 'bucket2', 'blob1',
  'blob3', 'vol1', 'vol2', 'snap1', 'key1', '192.168.0.1', 'mock', 'nope', '', '..', '%2e%2e', 'a%2Fb', 'x'.repeat(300), '%00', 'ü', '%E2%82%AC'];
const ACTIONS = ['start', 'stop', 'reboot', 'destroy', 'run', 'attach', 'detach', 'associate', 'disassociate', 'content', 'metadata',
  'stream', 'new', 'rules', 'new_rule', 'register', 'unregister'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'MKCOL', 'LINK'];
const ACCEPTS = [undefined, 'application/xml', 'application/json', 'text/html', '*/*', '', 'image/png', 'text/plain', 'application/*;q=0',
  'application/json;q=0.5, application/xml;q=0.9', '*/*;q=nonsense', ';;;,,,', 'a'.repeat(2000), 'application/xml, application/json;q=2'];
const HOSTILE_NAMES = ['__proto__[polluted]', 'constructor[prototype][polluted]', '__proto__', 'prototype', 'constructor',
  'a[__proto__][b]', 'x[constructor]', '__proto__[]', 'a[b][c][d][e][f][g]', '[]', '[', ']]', 'a]b[c', '%5F_proto__[x]'];
const PARAM_NAMES = ['image_id', 'realm_id', 'hwp_id', 'hwp_memory', 'hwp_cpu', 'hwp_storage', 'name', 'keyname', 'state', 'id',
  'format', '_method', 'api[driver]', 'api[provider]', 'blob_id', 'capacity', 'instance_id', 'device', 'force_auth', 'meta_params',
  'meta_name1', 'meta_value1', 'location', 'address_block', 'network', 'subnet', 'user_data', 'a[]', 'a[]', 'x[y]'];
const VALUES = ['', 'img1', 'us', 'm1-small', 'STOPPED', 'running', 'json', 'xml', 'delete', 'put', 'DELETE', 'mock', 'ec2', 'libvirt',
  '0', '-1', '99999999999999999999', '1e309', 'NaN', 'null', 'true', '<x/>', "']]><evil/>", '"', '\\', '%', '%zz', '\u0000', '\r\n',
  'ü', '💥', 'a'.repeat(5000), '../../../etc/passwd', '${x}', '{{x}}'];
const BAD_ENCODINGS = ['%', '%Z', '%ZZ', '%E2%82', '%C0%AF', '%ED%A0%80', '%FF', '%%41', '%u0041'];
const CONTROL = ['\u0000', '\u0001', '\n', '\r', '\r\n', '\t', '\u007f', '\u001b[31m'];

function secretValue(rng: Rng): string {
  return `S3cr3t-${rng.int(1e9).toString(36)}-${rng.int(1e9).toString(36)}`;
}

function fillPath(rng: Rng, template: string): string {
  return template.split('/').map((segment) => (segment.startsWith(':') ? encodeURIComponent(rng.pick(IDS)).replace(/%25/g, '%') : segment)).join('/');
}

function randomPath(rng: Rng): string {
  if (rng.chance(0.6)) return '/api' + fillPath(rng, rng.pick(ROUTES).path);
  const parts = ['/api', rng.pick(COLLECTIONS)];
  if (rng.chance(0.7)) parts.push(fillPath(rng, ':id'));
  if (rng.chance(0.4)) parts.push(rng.pick(ACTIONS));
  if (rng.chance(0.1)) parts.push(fillPath(rng, ':id'));
  return parts.join('/') + (rng.chance(0.1) ? '/' : '');
}

function formEncode(params: Array<[string, string]>): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

function randomParams(rng: Rng, secrets: string[]): Array<[string, string]> {
  const params: Array<[string, string]> = [];
  for (let i = rng.int(6); i > 0; i--) params.push([rng.pick(PARAM_NAMES), rng.pick(VALUES)]);
  if (rng.chance(0.3)) params.push([rng.pick(HOSTILE_NAMES), rng.pick(['yes', 'polluted', '1'])]);
  if (rng.chance(0.05)) params.push(['k'.repeat(1 + rng.int(20_000)), 'huge-key']);
  if (rng.chance(0.05)) params.push([`a${'[b]'.repeat(1 + rng.int(200))}`, 'deep']);
  if (rng.chance(0.25)) {
    const secret = secretValue(rng);
    secrets.push(secret);
    params.push([rng.pick(['password', 'x[password]', 'password[]', 'api[password]', 'creds[secret_key]', 'token', 'a[token]']), secret]);
  }
  return params;
}

function multipartBody(rng: Rng, params: Array<[string, string]>, boundary: string): Buffer {
  const parts = params.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  if (rng.chance(0.3)) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="blob_data"; filename="f.txt"\r\nContent-Type: text/plain\r\n\r\n${'z'.repeat(rng.int(3000))}\r\n`);
  return Buffer.from(parts.join('') + `--${boundary}--\r\n`);
}

function matrix(rng: Rng, secrets: string[]): string {
  const pieces: string[] = [];
  for (let i = 1 + rng.int(3); i > 0; i--) {
    const choice = rng.int(6);
    if (choice === 0) pieces.push(`driver=${rng.pick(['mock', 'ec2', 'MOCK', 'nope', ''])}`);
    else if (choice === 1) pieces.push(`provider=${rng.pick(['eu', 'us-east-1', '', 'a%20b'])}`);
    else if (choice === 2) pieces.push(`${rng.pick(['driver', 'provider'])}=x${encodeURIComponent(rng.pick(CONTROL))}y`);
    else if (choice === 3) pieces.push(`${rng.pick(HOSTILE_NAMES)}=x`);
    else if (choice === 4) {
      const secret = secretValue(rng);
      secrets.push(secret);
      pieces.push(`${rng.pick(['password', 'pass%77ord', 'token'])}=${secret}`);
    } else pieces.push(rng.pick([';', '=', '==x', 'a=%ZZ', 'driver=mock;driver=ec2']));
  }
  return ';' + pieces.join(';');
}

function baseHeaders(rng: Rng, secrets: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const accept = rng.pick(ACCEPTS);
  if (accept !== undefined) headers.Accept = accept;
  const auth = rng.int(10);
  if (auth < 7) headers.Authorization = MOCK_AUTH;
  else if (auth === 7) {
    const secret = secretValue(rng);
    secrets.push(secret);
    headers.Authorization = 'Basic ' + Buffer.from(`mockuser:${secret}`).toString('base64');
  } else if (auth === 8) headers.Authorization = rng.pick(['Basic', 'Basic !!!', 'Bearer x', 'Basic ' + Buffer.from('nocolon').toString('base64')]);
  if (rng.chance(0.1)) headers['X-Deltacloud-Driver'] = rng.pick(['mock', 'ec2', 'nope', 'MOCK']);
  if (rng.chance(0.1)) headers['X-Deltacloud-Provider'] = rng.pick(['eu', 'x'.repeat(3000), 'ü']);
  if (rng.chance(0.05)) headers['X-Deltacloud-Blobmeta-Key'] = rng.pick(['v', '', 'ü', '%F0%9F%92%A5']);
  return headers;
}

/** Requests only a raw socket can make: broken framing, odd request lines, smuggling shapes. */
function rawRequest(rng: Rng, secrets: string[]): FuzzRequest {
  const path = randomPath(rng);
  const auth = `Authorization: ${MOCK_AUTH}\r\n`;
  const secret = secretValue(rng);
  secrets.push(secret);
  const shapes = [
    `FOO ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    `GET ${path} HTTP/2.0\r\nHost: localhost\r\n${auth}\r\n`,
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nHost: evil\r\n${auth}\r\n`,
    `POST /api/keys HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    `POST /api/keys HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Length: 5\r\nContent-Length: 6\r\n\r\nname=`,
    `POST /api/keys HTTP/1.1\r\nHost: localhost\r\n${auth}Transfer-Encoding: chunked\r\n\r\nZZ\r\nname=x\r\n0\r\n\r\n`,
    `GET ${path} HTTP/1.1\r\nHost localhost\r\n\r\n`,
    `GET ${path}${rng.pick(CONTROL)}x HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    `GET /api;driver=a${rng.pick(CONTROL)}b/realms HTTP/1.1\r\nHost: localhost\r\n${auth}\r\n`,
    `GET ${path}?password=${secret}&x[password]=${secret} HTTP/1.1\r\nHost: localhost\r\n${auth}\r\n`,
    `GET /api/realms;password=${secret}/nonexist HTTP/1.1\r\nHost: localhost\r\n${auth}\r\n`,
    `GET /${'a'.repeat(20_000 + rng.int(60_000))} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
    `GET ${path} HTTP/1.1\nHost: localhost\n\n`,
    `\r\n\r\nGET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\n ${auth}\r\n`,
    `PUT /api/buckets/bucket1/raw${rng.int(1000)} HTTP/1.1\r\nHost: localhost\r\n${auth}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`,
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${auth}Accept: application/xml\r\n\r\nGET ${path} HTTP/1.1\r\nHost x\r\n\r\n`,
  ];
  const raw = rng.pick(shapes);
  return { kind: 'raw', method: raw.slice(0, raw.indexOf(' ')), path, headers: {}, raw, secrets };
}

export function generate(rng: Rng): FuzzRequest {
  const secrets: string[] = [];
  const category = rng.int(12);
  if (category === 0) return rawRequest(rng, secrets);
  let method = rng.pick(METHODS);
  let path = randomPath(rng);
  const headers = baseHeaders(rng, secrets);
  let body: Buffer | undefined;
  let kind = 'params';
  const params = randomParams(rng, secrets);
  switch (category) {
    case 1: // matrix parameters, possibly conflicting or with control characters
      kind = 'matrix';
      path = path.replace(/^\/api/, '/api' + matrix(rng, secrets));
      if (rng.chance(0.5)) path += matrix(rng, secrets);
      break;
    case 2: { // form body
      kind = 'form';
      method = rng.pick(['POST', 'POST', 'PUT', 'DELETE']);
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = Buffer.from(formEncode(params) + (rng.chance(0.2) ? '&' + rng.pick(BAD_ENCODINGS) + '=' + rng.pick(BAD_ENCODINGS) : ''));
      break;
    }
    case 3: { // multipart, well-formed or broken
      kind = 'multipart';
      method = 'POST';
      const boundary = rng.pick(['XyZ', 'a b', '"quoted b"', '-'.repeat(80), 'x']);
      let payload = multipartBody(rng, params, boundary);
      const breakage = rng.int(5);
      if (breakage === 1) payload = payload.subarray(0, rng.int(payload.length));
      headers['Content-Type'] = breakage === 2 ? 'multipart/form-data' : breakage === 3 ? `multipart/form-data; boundary=${boundary}x`
        : `multipart/form-data; boundary=${boundary.includes(' ') && !boundary.startsWith('"') ? `"${boundary}"` : boundary}`;
      if (breakage === 4) payload = Buffer.from(`--${boundary}\r\ngarbage\r\n\r\n--${boundary}`);
      body = payload;
      break;
    }
    case 4: // bad percent-encoding
      kind = 'encoding';
      path += '/' + rng.pick(BAD_ENCODINGS) + (rng.chance(0.5) ? '?' + rng.pick(BAD_ENCODINGS) + '=' + rng.pick(BAD_ENCODINGS) : '');
      break;
    case 5: // long URL
      kind = 'long-url';
      path += '?' + formEncode([['q', 'x'.repeat(1000 + rng.int(12_000))]]);
      break;
    case 6: // big body
      kind = 'big-body';
      method = rng.pick(['POST', 'PUT']);
      headers['Content-Type'] = rng.pick(['application/x-www-form-urlencoded', 'application/octet-stream', 'application/json', 'text/plain']);
      body = Buffer.alloc(rng.pick([100_000, 1_100_000, 2_500_000]), 0x61);
      if (method === 'PUT') path = `/api/buckets/bucket1/big${rng.int(100)}`;
      break;
    case 7: // odd content types on bodies
      kind = 'content-type';
      method = rng.pick(['POST', 'PUT']);
      headers['Content-Type'] = rng.pick(['application/json', 'application/xml', 'text/plain; charset=utf-7', ';;', 'multipart/mixed', 'x/y; a=b']);
      body = Buffer.from(rng.pick(['{"__proto__":{"polluted":1}}', '<x/>', 'name=x', '']));
      break;
    default: // query parameters on any route
      kind = 'query';
      if (params.length > 0) path += '?' + formEncode(params);
  }
  return { kind, method, path, headers, body, secrets };
}

const STACK = /^\s*at\s+\S.*[:(]\d+/m;
const SOURCE_POSITION = /\.(ts|js|mjs|cjs):\d+/;
const LOCAL_PATHS = ['/work/', '/tmp/', 'node_modules', '/home/', '/usr/lib', '/root/'];

/** What is wrong with an answer (empty when nothing is). */
export function check(req: FuzzRequest, answer: FuzzAnswer): string[] {
  const problems: string[] = [];
  const text = `${Object.entries(answer.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${answer.body}`;
  if (STACK.test(text) || SOURCE_POSITION.test(text)) problems.push('stack trace or source position in the answer');
  for (const path of LOCAL_PATHS) if (text.includes(path)) problems.push(`local path ${path} in the answer`);
  for (const secret of [...req.secrets, 'mockpassword', MOCK_AUTH.slice('Basic '.length)]) {
    if (text.includes(secret)) problems.push(`secret ${secret.slice(0, 12)}… echoed`);
  }
  const { status } = answer;
  if (status >= 500 && ![502, 503, 504].includes(status) && !isBackendFault(answer)) problems.push(`${status} that is no back-end fault`);
  if (status >= 400 && req.method !== 'HEAD' && status !== 406) {
    const type = answer.headers['content-type'] ?? '';
    const isXml = type.startsWith('application/xml') && answer.body.includes(`<error status='${status}'`);
    const isJson = type === 'application/json' && /^\{"code":\d+,"message":.*,"error":"Deltacloud::Exceptions::\w+"\}$/.test(answer.body);
    const isHtml = type.startsWith('text/html') && answer.body.startsWith('<!DOCTYPE html>');
    const isHostText = status === 400 && answer.body === 'Unable to find HTTP Host header';
    if (!(isXml || isJson || isHtml || isHostText)) problems.push(`error ${status} not in the Deltacloud error document (${type}: ${answer.body.slice(0, 80)})`);
  }
  return problems;
}

/** The mock's deliberate back-end failures (spec mock §7) are not server faults. */
function isBackendFault(answer: FuzzAnswer): boolean {
  return /CreateImageNotSupported|Blob content is missing|BucketNotEmpty/.test(answer.body);
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One request over a pooled keep-alive connection. */
function send(port: number, req: FuzzRequest, timeoutMs: number): Promise<FuzzAnswer> {
  if (req.raw !== undefined) return sendRaw(port, req.raw, timeoutMs);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: `localhost:${port}`, ...req.headers };
    if (req.body) headers['Content-Length'] = String(req.body.length);
    const r = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent, setHost: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'),
        headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])),
      }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error('no answer in time')));
    r.on('error', (e) => reject(Object.assign(e, { reusedSocket: r.reusedSocket })));
    r.end(req.body);
  });
}

/** A verbatim request on its own connection; the first answer on it is parsed. */
function sendRaw(port: number, raw: string, timeoutMs: number): Promise<FuzzAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => finish(), timeoutMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*\r\n/.exec(text);
      if (!m) return reject(new Error(text === '' ? 'connection closed without an answer' : `unparsable answer: ${text.slice(0, 80)}`));
      const end = text.indexOf('\r\n\r\n');
      const headers: Record<string, string> = {};
      for (const line of text.slice(m[0].length, end).split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body = text.slice(end + 4);
      const length = Number(headers['content-length']);
      if (Number.isFinite(length)) body = body.slice(0, length);
      resolve({ status: Number(m[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8') });
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One complete answer is enough (pipelined shapes get a second one, checked by the protocol tests).
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (end >= 0 && length && text.length - end - 4 >= Number(length[1])) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => finish());
  });
}

export interface FuzzOptions {
  port: number;
  count: number;
  seed: number;
  concurrency?: number;
  timeoutMs?: number;
  /** Called every 1000 requests. */
  progress?: (done: number) => void;
}

export interface Violation {
  index: number;
  problem: string;
  request: string;
}

export interface FuzzReport {
  count: number;
  byStatus: Record<string, number>;
  byKind: Record<string, number>;
  violations: Violation[];
}

function describe(req: FuzzRequest): string {
  const shown = req.raw ?? `${req.method} ${req.path}\n${Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}` +
    (req.body ? `\n\n${req.body.subarray(0, 300).toString('utf8')}${req.body.length > 300 ? `… (${req.body.length} bytes)` : ''}` : '');
  return shown.length > 600 ? `${shown.slice(0, 600)}… (${shown.length} chars)` : shown;
}

/** Sends `count` generated requests, `concurrency` at a time, and checks every answer. */
export async function fuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const rng = prng(opts.seed);
  const report: FuzzReport = { count: 0, byStatus: {}, byKind: {}, violations: [] };
  // Generated up front in order, so the run is the same whatever the timing.
  let next = 0;
  const requests = (function* () {
    for (; next < opts.count; next++) yield { index: next, req: generate(rng) };
  })();
  const worker = async () => {
    for (const { index, req } of requests) {
      report.byKind[req.kind] = (report.byKind[req.kind] ?? 0) + 1;
      let answer: FuzzAnswer;
      try {
        answer = await send(opts.port, req, opts.timeoutMs ?? 20_000);
      } catch (e) {
        report.byStatus.none = (report.byStatus.none ?? 0) + 1;
        // A raw request the server refused by closing is fine only for shapes Node drops silently (ECONNRESET).
        const message = (e as Error).message + ((e as { reusedSocket?: boolean }).reusedSocket ? ' (reused socket)' : '');
        if (!(req.raw !== undefined && /closed without an answer/.test(message))) {
          report.violations.push({ index, problem: `no answer: ${message}`, request: describe(req) });
        }
        continue;
      } finally {
        report.count++;
        if (report.count % 1000 === 0) opts.progress?.(report.count);
      }
      report.byStatus[answer.status] = (report.byStatus[answer.status] ?? 0) + 1;
      for (const problem of check(req, answer)) report.violations.push({ index, problem, request: describe(req) });
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  return report;
}

export function summary(report: FuzzReport): string {
  const lines = [`${report.count} requests`, `by status: ${JSON.stringify(report.byStatus)}`, `by kind: ${JSON.stringify(report.byKind)}`,
    `violations: ${report.violations.length}`];
  for (const v of report.violations.slice(0, 30)) lines.push(`  #${v.index}: ${v.problem}\n    ${v.request.replace(/\r?\n/g, '\n    ')}`);
  if (report.violations.length > 30) lines.push(`  … and ${report.violations.length - 30} more`);
  return lines.join('\n');
}

/** Normal answers that must be the same before and after the fuzz run. */
export async function baseline(port: number): Promise<string[]> {
  const answers: string[] = [];
  for (const [path, accept] of [['/api/realms', 'application/xml'], ['/api/hardware_profiles', 'application/json'], ['/api', 'application/xml'],
    ['/api/drivers', 'application/xml']]) {
    const a = await send(port, { kind: 'baseline', method: 'GET', path: path!, headers: { Accept: accept!, Authorization: MOCK_AUTH }, secrets: [] }, 20_000);
    answers.push(`${a.status} ${a.headers['content-type']}\n${a.body}`);
  }
  return answers;
}

export function closeConnections(): void {
  agent.destroy();
}
