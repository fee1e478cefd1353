// The server's upload limit for raw bodies (blob PUT), enforced while the
// body streams: one place for every driver, chunked bodies included (a
// Content-Length is only a promise, and chunked uploads make none).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { PayloadTooLarge } from '../../core/errors.js';

/**
 * The request body as a stream that fails with PayloadTooLarge (413) as soon as more than `maxBytes`
 * arrive, so the driver's pipeline aborts and stores nothing. A declared Content-Length above the
 * limit is refused before anything is read. The request itself is left intact for the 413 answer.
 */
export function limitUpload(raw: IncomingMessage, res: ServerResponse, maxBytes: number): Readable {
  const declared = Number(raw.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discardRest(raw, res);
    throw tooLarge(maxBytes);
  }
  let received = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > maxBytes) {
        raw.unpipe(counted);
        discardRest(raw, res);
        done(tooLarge(maxBytes));
      } else done(null, chunk);
    },
  });
  raw.on('error', (error) => counted.destroy(error));
  raw.on('aborted', () => counted.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  return raw.pipe(counted);
}

/** How much of a refused body is read and dropped once the 413 is out, and for how long at least, before the connection is cut. */
const DISCARD_BUDGET_BYTES = 8 * 1024 * 1024;
const DISCARD_GRACE_MS = 2000;

/**
 * Reads and drops the rest of a refused body: closing with unread data would reset the connection and
 * could destroy the 413 before the client reads it. A client still flooding past the budget and the
 * grace (counted from the answer, or from now when the answer is not at hand) is cut off; a slow one
 * is left to the server's body deadlines.
 */
export function discardRest(raw: IncomingMessage, res?: ServerResponse): void {
  let dropped = 0;
  let answeredAt = res ? 0 : Date.now();
  res?.once('finish', () => (answeredAt = Date.now()));
  raw.on('data', (chunk: Buffer) => {
    if (answeredAt === 0) return;
    dropped += chunk.length;
    if (dropped > DISCARD_BUDGET_BYTES && Date.now() - answeredAt > DISCARD_GRACE_MS) raw.socket?.destroy();
  });
  raw.resume();
}

function tooLarge(maxBytes: number): PayloadTooLarge {
  return new PayloadTooLarge(`Upload exceeds the limit of ${maxBytes} bytes`);
}
