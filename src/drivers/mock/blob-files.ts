// Blob content lives in files under `<dataDir>/blobs/`, never in memory.
// File names are derived from a hash of (bucket, blob id) plus a random
// suffix per version, never from client-supplied text, so an overwrite
// writes a new file and the old one stays readable until the new record
// is committed.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync, createReadStream, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync,
  statSync, writeSync, type ReadStream,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ByteRange } from '../../core/byte-range.js';
import { ValidationFailure } from '../../core/errors.js';
import { OWNER_TAG, sweepLeftovers } from '../../core/owned-files.js';

const TEMP_SUFFIX = '.tmp';

export interface ReceivedFile {
  file: string;
  length: number;
}

/**
 * Where blob content lives, by content-file name (the record names the
 * file): files in the data directory (BlobFiles) or chunked rows in
 * PostgreSQL (postgres-content.ts). Content is streamed both ways.
 */
export interface BlobContent {
  receive(bucketId: string, blobId: string, data: Readable, expectedLength?: number, signal?: AbortSignal): Promise<ReceivedFile>;
  /** Small content (the seed). */
  writeSmall(bucketId: string, blobId: string, content: string): Promise<ReceivedFile>;
  /** Undefined when missing. */
  openRead(file: string, range?: ByteRange): Promise<Readable | undefined>;
  readText(file: string): Promise<string | undefined>;
  remove(file: string): Promise<void>;
  /** Deletes content no record references (see BlobFiles.sweep). */
  sweep(referenced: Set<string>, minAgeMs: number): Promise<void>;
}

/** A content-file name derived from (bucket, blob id) plus a random suffix per version, never from client text. */
export function newContentName(bucketId: string, blobId: string): string {
  const key = createHash('sha256').update(`${bucketId}\0${blobId}`).digest('hex');
  return `${key}.${randomBytes(6).toString('hex')}`;
}

export class BlobFiles implements BlobContent {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'blobs');
    mkdirSync(this.dir, { recursive: true, mode: 0o750 });
  }

  /**
   * Streams `data` into a new content file: temp file, fsync, rename. On any
   * failure (aborted upload, short body, disk error) the temp file is
   * removed and nothing else is touched.
   */
  async receive(bucketId: string, blobId: string, data: Readable, expectedLength?: number, signal?: AbortSignal): Promise<ReceivedFile> {
    const file = newContentName(bucketId, blobId);
    // The owner tag lets a restarted server remove this file at once if this process dies mid-upload.
    const temp = join(this.dir, `${file}.${OWNER_TAG}${TEMP_SUFFIX}`);
    const handle = await open(temp, 'wx', 0o640);
    let length = 0;
    try {
      for await (const chunk of data) {
        signal?.throwIfAborted();
        const bytes: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        length += bytes.length;
        await handle.write(bytes);
      }
      signal?.throwIfAborted();
      if (expectedLength !== undefined && length !== expectedLength) {
        throw new ValidationFailure(`Received ${length} bytes, Content-Length said ${expectedLength}`);
      }
      await handle.sync();
      await handle.close();
      await rename(temp, join(this.dir, file));
      this.syncDirectory();
      return { file, length };
    } catch (err) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
  }

  async writeSmall(bucketId: string, blobId: string, content: string): Promise<ReceivedFile> {
    const file = newContentName(bucketId, blobId);
    const bytes = Buffer.from(content);
    const fd = openSync(join(this.dir, file), 'wx', 0o640);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { file, length: bytes.length };
  }

  /**
   * Opens the content synchronously (so a concurrent overwrite cannot unlink
   * it between lookup and open), then streams it. Undefined when missing.
   */
  async openRead(file: string, range?: ByteRange): Promise<ReadStream | undefined> {
    let fd: number;
    try {
      fd = openSync(join(this.dir, file), 'r');
    } catch {
      return undefined;
    }
    return createReadStream('', { fd, autoClose: true, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async readText(file: string): Promise<string | undefined> {
    try {
      return readFileSync(join(this.dir, file), 'utf8');
    } catch {
      return undefined;
    }
  }

  async remove(file: string): Promise<void> {
    rmSync(join(this.dir, file), { force: true });
  }

  /**
   * Deletes files no record references: at once the temp files of uploads
   * whose process is gone (a crash mid-upload), and any other unreferenced
   * file (left by a crash between rename and commit) once older than
   * `minAgeMs`, so an upload still running in another process keeps its file.
   */
  async sweep(referenced: Set<string>, minAgeMs: number): Promise<void> {
    const now = Date.now();
    sweepLeftovers(this.dir, (name) => name.endsWith(TEMP_SUFFIX));
    for (const name of readdirSync(this.dir)) {
      if (referenced.has(name)) continue;
      const path = join(this.dir, name);
      try {
        if (now - statSync(path).mtimeMs >= minAgeMs) rmSync(path, { force: true });
      } catch {
        // Removed concurrently: nothing to do.
      }
    }
  }

  /** Makes the rename itself durable. */
  private syncDirectory(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
