// Request bodies of the Deltacloud front end, registered in its own Fastify
// scope: form data is parsed (bounded), multipart files are spooled to a
// private folder, and everything else (blob uploads, manifests) is left for
// the operation to stream.
import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PayloadTooLarge } from '../../core/errors.js';
import { OWNER_TAG } from '../../core/owned-files.js';
import { addParam, parseQuery, type Params } from './params.js';
import type { RequestState } from './request-state.js';
import { discardRest } from './upload-limit.js';

/** Names of the per-request folders of spooled form uploads (followed by the owner tag). */
export const UPLOAD_PREFIX = 'deltacloud-upload-';

export interface BodyLimits {
  /** Largest form body accepted (bytes); more → 413. */
  bodyLimit: number;
  /** Largest multipart file accepted (form uploads). */
  maxUploadBytes: number;
  /** Where form uploads are spooled (the server's own folder, swept at start); default the OS temp folder. */
  uploadsDir?: string;
}

/** The body of a request whose content type is not form data: unread, for a raw-body operation to stream. */
export const UNPARSED_BODY = Symbol('unparsed body');

/** A parsed form body (a class, so the handler can tell it from anything else Fastify may hold in `req.body`). */
export class FormBody {
  constructor(readonly params: Params) {}
}

/** A form body over `bodyLimit`, refused while the rest of it is still being read. */
export class FormBodyTooLarge extends PayloadTooLarge {}

export async function registerBodyParsers(api: FastifyInstance, limits: BodyLimits): Promise<void> {
  api.removeAllContentTypeParsers();
  api.addContentTypeParser('application/x-www-form-urlencoded', (req, payload, done) => {
    // A PUT body is blob data whatever its type (curl --data-binary labels it a form): leave it to stream.
    if (req.method === 'PUT') return done(null, UNPARSED_BODY);
    readLimited(req.raw, payload, limits.bodyLimit)
      .then((text) => new FormBody(parseQuery(text)))
      .then((body) => done(null, body), (e: Error) => done(e, undefined));
  });
  api.addContentTypeParser('*', (_req, _payload, done) => done(null, UNPARSED_BODY));
  await api.register((await import('@fastify/multipart')).default, {
    limits: { fileSize: limits.maxUploadBytes, files: 10, fields: 1000, fieldSize: 1024 * 1024 },
  });
}

/** The parsed form body's parameters, if the body was form data. */
export function formParams(body: unknown): Params | undefined {
  return body instanceof FormBody ? body.params : undefined;
}

/** Multipart fields become parameters; files go to a private temporary directory, never into memory whole. */
export async function readMultipart(req: FastifyRequest, state: RequestState, limits: BodyLimits): Promise<void> {
  for await (const part of req.parts()) {
    if (part.type === 'field') {
      addParam(state.params, part.fieldname, String(part.value));
      continue;
    }
    state.uploadDir ??= await mkdtemp(join(limits.uploadsDir ?? tmpdir(), `${UPLOAD_PREFIX}${OWNER_TAG}-`));
    const path = join(state.uploadDir, String(state.uploads.length));
    await pipeline(part.file, createWriteStream(path, { mode: 0o600 }));
    if (part.file.truncated) throw new PayloadTooLarge(`Uploaded file exceeds ${limits.maxUploadBytes} bytes`);
    state.uploads.push({ field: part.fieldname, filename: part.filename, contentType: part.mimetype, path, size: part.file.bytesRead });
    addParam(state.params, part.fieldname, part.filename);
  }
}

function readLimited(raw: IncomingMessage, stream: NodeJS.ReadableStream, limit: number): Promise<string> {
  // Not `for await`: leaving that loop destroys the request, and with it the connection, while the
  // client is still sending; the 413 would never reach it. Past the limit the rest is discarded as for uploads.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stream.removeListener('data', collect);
      stream.removeListener('end', finish);
      discardRest(raw);
      reject(new FormBodyTooLarge());
    };
    const finish = () => resolve(Buffer.concat(chunks).toString('utf8'));
    stream.on('data', collect);
    stream.once('end', finish);
    stream.once('error', reject);
  });
}
