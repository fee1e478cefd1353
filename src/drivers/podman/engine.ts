// One container engine (Podman's service or a Docker Engine) reached over its
// REST API, the Docker Engine API that both speak, through undici: a unix
// socket or TCP (TLS with client certificates when the operator configured
// them). Engine answers outside 2xx become core errors with the engine's
// message; a socket that is missing or refuses becomes 502 naming the
// provider, never the socket's path.
import { Agent, request, type Dispatcher } from 'undici';
import { BackendUnreachable, MethodNotAllowed, type DeltacloudError } from '../../core/errors.js';
import { errorForHttp, transportError } from '../../core/kit/classify.js';
import type { EngineEndpoint } from './options.js';
import { httpOutcome, measureServiceCall } from '../../core/kit/service-calls.js';

/** The Docker Engine API version asked for: Docker 20.10 and later, and Podman's compatible service, serve it. */
const API = '/v1.41';

/** Largest command output kept from `run` (the rest is cut). */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

/** Codes of a socket that is not there or not ours to open (the engine is down or not installed). */
const ABSENT_SOCKET_CODES = new Set(['ENOENT', 'EACCES', 'ENOTSOCK', 'ECONNREFUSED']);

export interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal: AbortSignal;
  /** Longer than the default for calls that wait (a graceful stop). */
  timeoutMs?: number;
}

/** Absolute paths of the engine's host in a message (a storage root, a socket) are not the client's business. */
export function scrubPaths(message: string): string {
  return message.replace(/(?<![\w.:@-])(?:\/[\w.@-]+){2,}\/?/g, '…');
}

export class Engine {
  private readonly dispatcher: Agent;
  private readonly origin: string;

  constructor(readonly provider: string, endpoint: EngineEndpoint, private readonly timeoutMs: number) {
    if (endpoint.kind === 'unix') {
      this.dispatcher = new Agent({ connect: { socketPath: endpoint.socketPath } });
      this.origin = 'http://localhost';
    } else {
      this.dispatcher = new Agent({ connect: endpoint.tls ? { ...endpoint.tls } : {} });
      this.origin = endpoint.origin;
    }
  }

  /** The parsed JSON answer (undefined for an empty one, e.g. 204 or 304). */
  async json<T>(method: Dispatcher.HttpMethod, path: string, options: CallOptions): Promise<T | undefined> {
    const text = (await this.send(method, path, options)).toString('utf8');
    // The engine's JSON is trusted to have the documented shape; readers treat every field as optional.
    return text === '' ? undefined : (JSON.parse(text) as T);
  }

  /** The answer's bytes (an exec's multiplexed output stream). */
  async bytes(method: Dispatcher.HttpMethod, path: string, options: CallOptions): Promise<Buffer> {
    return this.send(method, path, options);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async send(method: Dispatcher.HttpMethod, path: string, options: CallOptions): Promise<Buffer> {
    const query = Object.fromEntries(Object.entries(options.query ?? {}).filter((e): e is [string, string | number | boolean] => e[1] !== undefined));
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    let status: number;
    let body: Buffer;
    try {
      const res = await measureServiceCall('podman', 'podman', () => request(`${this.origin}${API}${path}`, {
        method,
        dispatcher: this.dispatcher,
        query,
        headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.any([options.signal, timeout]),
      }), (r) => httpOutcome(r.statusCode));
      status = res.statusCode;
      body = Buffer.from(await res.body.arrayBuffer());
    } catch (error) {
      throw this.transportFailure(error);
    }
    if (status >= 400) throw engineError(status, body);
    return body;
  }

  private transportFailure(error: unknown): DeltacloudError | unknown {
    const code = socketCode(error);
    if (code !== undefined && ABSENT_SOCKET_CODES.has(code)) {
      const unreachable = new BackendUnreachable(`Container engine not reachable at provider '${this.provider}' (${code})`);
      unreachable.transient = code === 'ECONNREFUSED';
      return unreachable;
    }
    return transportError(error, `The container engine of provider '${this.provider}'`) ?? error;
  }
}

/** The code of a socket that is absent or refuses, anywhere in the cause chain (the rest is classify.ts's). */
function socketCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const code: unknown = Reflect.get(e, 'code');
    if (typeof code === 'string' && ABSENT_SOCKET_CODES.has(code)) return code;
    e = Reflect.get(e, 'cause');
  }
  return undefined;
}

/** An engine's error answer (`{"message": …, "cause": …}`) → the core error for its status. */
export function engineError(status: number, body: Buffer): DeltacloudError {
  let message = '';
  let cause = '';
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object') {
      const m: unknown = Reflect.get(parsed, 'message');
      const c: unknown = Reflect.get(parsed, 'cause');
      message = typeof m === 'string' ? m : '';
      cause = typeof c === 'string' ? c : '';
    }
  } catch {
    message = body.toString('utf8').slice(0, 500);
  }
  message = scrubPaths(message.trim());
  // Podman answers an action the container's state forbids with 500 "container state improper"; Docker with 409.
  if (cause === 'container state improper') return new MethodNotAllowed(message);
  return errorForHttp(status, message);
}

/**
 * The output of a non-TTY exec: frames of an 8-byte header (stream type,
 * 3 zero bytes, big-endian length) and the payload; stdout and stderr in the
 * order the engine wrote them.
 */
export function demultiplex(stream: Buffer, limit = MAX_OUTPUT_BYTES): string {
  const parts: Buffer[] = [];
  let size = 0;
  for (let at = 0; at + 8 <= stream.length && size < limit;) {
    const length = stream.readUInt32BE(at + 4);
    const payload = stream.subarray(at + 8, at + 8 + length);
    parts.push(payload.subarray(0, limit - size));
    size += payload.length;
    at += 8 + length;
  }
  return Buffer.concat(parts).toString('utf8');
}
