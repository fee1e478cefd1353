// A local stand-in for EC2, Classic ELB and CloudWatch that answers with the
// recorded exchanges of test/fixtures/aws/ (SDK v3 ↔ moto), never with
// invented bodies (a test may derive one from a recording: `rewrite`). A test lists the exchanges it expects; each request must
// match the first unused one of its service and Action (requests may arrive
// in parallel), and the listed key parameters must equal the recorded ones.
// It also checks the SigV4 credential scope and counts TCP connections.
import { readdirSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { startStubServer, type StubServer } from '../../helpers/stub-server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'aws');

/** The dummy credentials the corpus was recorded with. */
export const FIXTURE_ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
export const FIXTURE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const FIXTURE_AUTH = 'Basic ' + Buffer.from(`${FIXTURE_ACCESS_KEY}:${FIXTURE_SECRET}`).toString('base64');

interface Exchange {
  service: 'ec2' | 'elb' | 'cloudwatch' | string;
  action: string;
  request: { params?: Record<string, string>; body?: unknown };
  response: { status: number; headers: Record<string, string>; body: string; bodyEncoding?: string };
}

export interface Expectation {
  /** The fixture's number, e.g. '017'. */
  file: string;
  /** Parameters (query protocol) or top-level JSON members (CloudWatch) that must equal the recording's. */
  check?: string[];
  /** Hang up on the first matching attempt without answering (the SDK retries), then answer. */
  dropFirstAttempt?: boolean;
  /** Derives the answer from the recorded body (e.g. datapoints moved to the present); the test says how. */
  rewrite?: (body: string) => string;
}

interface Pending extends Expectation {
  exchange: Exchange;
  used: boolean;
  attempts: Array<Record<string, unknown>>;
}

const SIGNING_NAME: Record<string, string> = { ec2: 'ec2', elb: 'elasticloadbalancing', cloudwatch: 'monitoring' };
const VERSION_SERVICE: Record<string, string> = { '2016-11-15': 'ec2', '2012-06-01': 'elb' };

export function loadExchange(file: string): Exchange {
  const name = readdir().find((f) => f.startsWith(`${file}-`));
  if (!name) throw new Error(`no fixture ${file} in ${FIXTURES}`);
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Exchange;
}

let listing: string[] | undefined;
function readdir(): string[] {
  listing ??= readdirSync(FIXTURES).filter((f) => /^\d{3}-.*\.json$/.test(f)).sort();
  return listing;
}

export class ReplayStub {
  private server!: StubServer;
  private pending: Pending[] = [];
  /** Problems seen (unexpected requests, parameter mismatches, bad signatures). */
  readonly failures: string[] = [];

  async start(): Promise<void> {
    this.server = await startStubServer((req, body, res) => this.handle(req, body, res));
  }

  get port(): number {
    return this.server.port;
  }

  get url(): string {
    return this.server.url;
  }

  /** TCP connections accepted so far. */
  get connections(): number {
    return this.server.connections;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Replaces the expected exchanges (and clears earlier failures). */
  expect(list: Expectation[]): void {
    this.failures.length = 0;
    this.pending = list.map((e) => ({ ...e, exchange: loadExchange(e.file), used: false, attempts: [] }));
  }

  /** Every expected exchange was requested, and nothing went wrong. */
  assertDone(): void {
    const unused = this.pending.filter((p) => !p.used).map((p) => `${p.file} ${p.exchange.action}`);
    const problems = [...this.failures, ...(unused.length ? [`not requested: ${unused.join(', ')}`] : [])];
    if (problems.length) throw new Error(`replay stub:\n  ${problems.join('\n  ')}`);
  }

  /** The request parameters of each attempt at an expectation (for checks beyond equality). */
  attemptsOf(file: string): Array<Record<string, unknown>> {
    return this.pending.find((p) => p.file === file)?.attempts ?? [];
  }

  private handle(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    const text = raw.toString('utf8');
    const target = req.headers['x-amz-target'];
    let service: string;
    let action: string;
    let params: Record<string, unknown>;
    if (typeof target === 'string') {
      service = 'cloudwatch';
      action = target.slice(target.lastIndexOf('.') + 1);
      params = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } else {
      params = Object.fromEntries(new URLSearchParams(text));
      service = VERSION_SERVICE[String(params.Version)] ?? 'unknown';
      action = String(params.Action ?? '');
    }
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
    if (!scope || scope[1] !== FIXTURE_ACCESS_KEY || scope[2] !== 'us-east-1' || scope[3] !== SIGNING_NAME[service]) {
      this.failures.push(`${service} ${action}: unexpected signature scope ${scope ? scope.slice(1).join('/') : '(none)'}`);
    }
    // Concurrent requests of one action (GetMetricStatistics per metric) arrive in any order: pair each
    // with the expectation whose checked parameters it carries, else take the first of that action.
    const candidates = this.pending.filter((p) => !p.used && p.exchange.service === service && p.exchange.action === action);
    const recordedOf = (p: Pending) => (p.exchange.request.params ?? p.exchange.request.body ?? {}) as Record<string, unknown>;
    const match = candidates.find((p) => p.check?.length && p.check.every((k) => isDeepStrictEqual(params[k], recordedOf(p)[k]))) ?? candidates[0];
    if (!match) {
      this.failures.push(`unexpected request: ${service} ${action} ${JSON.stringify(params)}`);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('replay stub: no recorded exchange for this request');
      return;
    }
    match.attempts.push(params);
    if (match.dropFirstAttempt && match.attempts.length === 1) {
      req.socket.destroy(); // as if the connection broke before the answer
      return;
    }
    match.used = true;
    const recorded = (match.exchange.request.params ?? match.exchange.request.body ?? {}) as Record<string, unknown>;
    for (const key of match.check ?? []) {
      if (!isDeepStrictEqual(params[key], recorded[key])) {
        this.failures.push(`${match.file} ${action}: ${key} = ${JSON.stringify(params[key])}, recorded ${JSON.stringify(recorded[key])}`);
      }
    }
    const r = match.exchange.response;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) if (!['content-length', 'date', 'status'].includes(k)) headers[k] = v;
    const body = r.bodyEncoding === 'base64' ? Buffer.from(r.body, 'base64') : Buffer.from(match.rewrite ? match.rewrite(r.body) : r.body, 'utf8');
    res.writeHead(r.status, { ...headers, 'content-length': String(body.length) }).end(body);
  }
}
