// HTTP-level defences below the front ends: answers for requests the parser
// refuses (in the Deltacloud error document, in order on pipelined
// connections), refusal of requests HTTP/1.1 forbids but Node lets through,
// and deadlines for request bodies, which Node leaves unbounded once the
// headers are in.
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorJson, errorXml } from '../frontends/deltacloud/errors.js';
import { rankFormats } from '../frontends/deltacloud/negotiation.js';
import { emptyParams } from '../frontends/deltacloud/params.js';
import { hasBody } from '../frontends/deltacloud/request-checks.js';


/** An error document as raw bytes, for places where neither Fastify nor the front end runs. */
function errorDocument(status: number, message: string, driver: string, accept?: string): { type: string; body: string } {
  const info = { status, message, url: '/', driver, params: emptyParams() };
  return rankFormats(undefined, accept)[0] === 'json'
    ? { type: 'application/json', body: errorJson(info) }
    : { type: 'application/xml', body: errorXml(info) };
}

/** Status and message for what Node's parser (or its timers) refused. */
function clientErrorStatus(code: string | undefined): { status: number; message: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT': return { status: 408, message: 'Request Timeout' };
    case 'HPE_HEADER_OVERFLOW': return { status: 431, message: 'Request Header Fields Too Large' };
    case 'HPE_INVALID_METHOD': return { status: 400, message: 'Unknown HTTP method' };
    default: return { status: 400, message: 'Malformed HTTP request' };
  }
}

type Logger = { debug(obj: object, msg: string): void };

/**
 * Fastify's `clientErrorHandler`: the error document instead of Fastify's JSON, logged at debug
 * (malformed requests are the client's business). On a pipelined connection an earlier request still
 * being answered gets its answer first; the error answer follows and closes the connection.
 */
export function makeClientErrorHandler(driver: string, log: () => Logger) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    log().debug({ err: { type: error.name, code: error.code } }, 'client error');
    const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (current && !current.writableFinished && current.req?.complete) {
      current.once('finish', () => writeAndClose(socket, error, driver));
      current.once('close', () => socket.destroy());
      return;
    }
    if (current?.headersSent) {
      socket.destroy(); // the request being answered is the broken one; its answer cannot be replaced
      return;
    }
    writeAndClose(socket, error, driver);
  };
}

function writeAndClose(socket: Socket, error: Error & { code?: string; rawPacket?: Buffer }, driver: string): void {
  if (!socket.writable) return void socket.destroy();
  const { status, message } = clientErrorStatus(error.code);
  const { type, body } = errorDocument(status, message, driver);
  // No body for a HEAD, as far as the bytes the parser refused tell (the request line is usually among them).
  const head = error.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Deltacloud-Driver: ${driver}\r\nConnection: close\r\n\r\n${head ? '' : body}`);
  // What the client still sends is read and dropped: closing on unread data resets the connection, and a
  // reset can destroy the answer before the client reads it. A client that keeps sending is cut off.
  socket.on('data', () => undefined);
  socket.resume();
  setTimeout(() => socket.destroy(), 2000).unref();
}

/**
 * Requests Node accepts although HTTP/1.1 forbids them: a repeated Host header (RFC 9112 section 3.2, a
 * smuggling vector behind proxies that pick the other one) and any major version other than 1.
 * Answers 400 and returns true for those.
 */
export function refuseNonConforming(req: IncomingMessage, res: ServerResponse, driver: string): boolean {
  let message: string | undefined;
  let status = 400;
  if (req.httpVersionMajor !== 1) message = `HTTP version ${req.httpVersion} is not supported`;
  else {
    let hosts = 0;
    let headerBytes = req.url?.length ?? 0;
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
      headerBytes += req.rawHeaders[i]!.length + req.rawHeaders[i + 1]!.length + 4;
    }
    if (hosts > 1) message = 'More than one Host header';
    else if (headerBytes > MAX_HEADER_BYTES) [status, message] = [431, STATUS_CODES[431]!];
  }
  if (message === undefined) return false;
  answerAndClose(req, res, status, message, driver);
  return true;
}

/**
 * The largest request line and headers served. Node's parser is given PARSER_HEADER_BYTES, more room than
 * this, so that oversized requests are refused here, where the method is known (no body for a HEAD);
 * the parser's own 431 (beyond PARSER_HEADER_BYTES) cannot always tell a HEAD apart.
 */
export const MAX_HEADER_BYTES = 16 * 1024;
export const PARSER_HEADER_BYTES = 128 * 1024;

function answerAndClose(req: IncomingMessage, res: ServerResponse, status: number, message: string, driver: string): void {
  const { type, body } = errorDocument(status, message, driver, req.headers.accept);
  res.shouldKeepAlive = false;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'X-Deltacloud-Driver': driver, Connection: 'close' });
  res.end(body);
}

export interface BodyDeadlines {
  /** Longest a request body may go without progress before the connection is closed (408). */
  bodyIdleTimeoutMs: number;
  /** Least rate (bytes per second) a body must keep over each idle window; 0 = only idleness counts. */
  bodyMinBytesPerSecond: number;
  /** Longest a request body may take in all; 0 = no limit (big uploads on slow links). */
  requestBodyTimeoutMs: number;
}

interface TrackedBody {
  req: IncomingMessage;
  res: ServerResponse;
  started: number;
  windowStarted: number;
  windowStartBytes: number;
}

/**
 * Watches every request that has a body until it is complete. The client must keep the body moving:
 * at least max(1, rate × window) bytes per idle window, and finish within the overall limit. Windows
 * in which the server itself is not reading (backpressure from a slow back end) do not count against
 * the client. One timer for the whole server; requests without a body cost nothing.
 */
export function guardRequestBodies(server: Server, limits: BodyDeadlines, driver: string): void {
  if (limits.bodyIdleTimeoutMs <= 0 && limits.requestBodyTimeoutMs <= 0) return;
  const tracked = new Set<TrackedBody>();
  const window = limits.bodyIdleTimeoutMs;
  const leastBytes = Math.max(1, Math.floor((limits.bodyMinBytesPerSecond * window) / 1000));
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const now = Date.now();
    for (const entry of tracked) {
      const { req, res } = entry;
      if (req.complete || req.destroyed || req.socket.destroyed) {
        tracked.delete(entry);
        continue;
      }
      const bytes = req.socket.bytesRead;
      const overall = limits.requestBodyTimeoutMs > 0 && now - entry.started >= limits.requestBodyTimeoutMs;
      let stalled = false;
      if (window > 0 && now - entry.windowStarted >= window) {
        const ourBackpressure = !res.writableFinished && (req.readableLength > 0 || req.socket.isPaused());
        stalled = !ourBackpressure && bytes - entry.windowStartBytes < leastBytes;
        entry.windowStarted = now;
        entry.windowStartBytes = bytes;
      }
      if (!overall && !stalled) continue;
      tracked.delete(entry);
      if (!res.headersSent) answerAndClose(req, res, 408, 'Request body timed out', driver);
      // Whatever the answer, the connection goes: the rest of the body is not awaited.
      setTimeout(() => req.socket.destroy(), res.headersSent ? 0 : 200).unref();
    }
    if (tracked.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const interval = Math.max(50, Math.min(1000, Math.floor((window || limits.requestBodyTimeoutMs) / 4)));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!hasBody(req.headers)) return;
    const now = Date.now();
    tracked.add({ req, res, started: now, windowStarted: now, windowStartBytes: req.socket.bytesRead });
    // Answered before its body was read (an early 4xx): read the rest and drop it, or the connection
    // stalls with the body unread (and the deadlines below, not the client, decide when it closes).
    res.once('finish', () => {
      if (req.complete || req.destroyed) return;
      req.unpipe(); // a consumer that gave up (the driver refused before reading) no longer holds it back
      req.resume();
    });
    timer ??= setInterval(check, interval).unref();
  });
}
