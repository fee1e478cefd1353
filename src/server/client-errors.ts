// Requests Node's HTTP parser refuses before any handler runs (headers or URL
// too long, malformed request lines, slow headers) still get the Deltacloud
// error document (XML: nothing of the request could be read to negotiate),
// instead of Fastify's own JSON.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorXml } from '../frontends/deltacloud/errors.js';

/** The status Node's parser error stands for: 431 for too-long headers or URL, 408 for slow headers, else 400. */
function statusOf(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/** A Fastify `clientErrorHandler` answering with the error document, then closing the connection. */
export function clientErrorHandler(backend: { driver: string; provider?: string }) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status = statusOf(error.code);
    const reason = STATUS_CODES[status]!;
    const body = Buffer.from(errorXml({ status, message: reason, url: '/', ...backend, params: {} }), 'utf8');
    if (socket.writable) {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString('utf8')}`);
    } else socket.destroy();
  };
}
