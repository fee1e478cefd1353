// Blob content in PostgreSQL: one row per content file, its bytes in chunks
// of CHUNK_BYTES, written as they arrive and read back one chunk at a time,
// so no whole blob is ever in memory. A reader holds one snapshot for the
// whole stream: an overwrite committed meanwhile cannot cut it short.
import type pg from 'pg';
import { Readable } from 'node:stream';
import type { ByteRange } from '../../core/byte-range.js';
import { ValidationFailure } from '../../core/errors.js';
import { withDatabase } from '../../storage/postgres.js';
import { newContentName, type BlobContent, type ReceivedFile } from './blob-files.js';

const CHUNK_BYTES = 256 * 1024;

export class PostgresContent implements BlobContent {
  constructor(private readonly pool: pg.Pool) {}

  async receive(bucketId: string, blobId: string, data: Readable, expectedLength?: number, signal?: AbortSignal): Promise<ReceivedFile> {
    const file = newContentName(bucketId, blobId);
    // A NULL length marks an upload in progress; the sweep removes one whose process died.
    await withDatabase(() => this.pool.query('INSERT INTO mock_content_files (file) VALUES ($1)', [file]));
    let length = 0;
    let seq = 0;
    let buffered: Buffer[] = [];
    let bufferedBytes = 0;
    const flush = async (all: boolean) => {
      while (bufferedBytes >= CHUNK_BYTES || (all && bufferedBytes > 0)) {
        const joined = Buffer.concat(buffered);
        const chunk = joined.subarray(0, CHUNK_BYTES);
        const rest = joined.subarray(chunk.length);
        await withDatabase(() => this.pool.query('INSERT INTO mock_content_chunks (file, seq, data) VALUES ($1, $2, $3)', [file, seq++, chunk]));
        buffered = rest.length > 0 ? [rest] : [];
        bufferedBytes = rest.length;
      }
    };
    try {
      for await (const piece of data) {
        signal?.throwIfAborted();
        const bytes: Buffer = typeof piece === 'string' ? Buffer.from(piece) : piece;
        length += bytes.length;
        buffered.push(bytes);
        bufferedBytes += bytes.length;
        await flush(false);
      }
      signal?.throwIfAborted();
      if (expectedLength !== undefined && length !== expectedLength) {
        throw new ValidationFailure(`Received ${length} bytes, Content-Length said ${expectedLength}`);
      }
      await flush(true);
      await withDatabase(() => this.pool.query('UPDATE mock_content_files SET length = $2 WHERE file = $1', [file, length]));
      return { file, length };
    } catch (err) {
      await this.remove(file).catch(() => undefined);
      throw err;
    }
  }

  async writeSmall(bucketId: string, blobId: string, content: string): Promise<ReceivedFile> {
    return this.receive(bucketId, blobId, Readable.from([Buffer.from(content)]));
  }

  async openRead(file: string, range?: ByteRange): Promise<Readable | undefined> {
    const client = await withDatabase(() => this.pool.connect());
    let open = true;
    const done = async () => {
      if (!open) return;
      open = false;
      await client.query('COMMIT').catch(() => undefined);
      client.release();
    };
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const found = await client.query<{ length: string | null }>('SELECT length FROM mock_content_files WHERE file = $1', [file]);
      const length = found.rows[0]?.length;
      if (length === undefined || length === null) {
        await done();
        return undefined;
      }
      const start = range?.start ?? 0;
      const end = range ? range.end : Number(length) - 1;
      return Readable.from(chunksOf(client, file, start, end, done));
    } catch (err) {
      await done();
      throw err;
    }
  }

  async readText(file: string): Promise<string | undefined> {
    return withDatabase(async () => {
      const found = await this.pool.query<{ length: string | null }>('SELECT length FROM mock_content_files WHERE file = $1', [file]);
      if (found.rows[0]?.length == null) return undefined;
      const { rows } = await this.pool.query<{ data: Buffer }>('SELECT data FROM mock_content_chunks WHERE file = $1 ORDER BY seq', [file]);
      return Buffer.concat(rows.map((r) => r.data)).toString('utf8');
    });
  }

  async remove(file: string): Promise<void> {
    await withDatabase(() => this.pool.query('DELETE FROM mock_content_files WHERE file = $1', [file]));
  }

  async sweep(referenced: Set<string>, minAgeMs: number): Promise<void> {
    const { rows } = await withDatabase(() => this.pool.query<{ file: string }>(
      `SELECT file FROM mock_content_files WHERE created_at <= now() - make_interval(secs => $1)`, [minAgeMs / 1000]));
    const orphans = rows.map((r) => r.file).filter((f) => !referenced.has(f));
    if (orphans.length > 0) await withDatabase(() => this.pool.query('DELETE FROM mock_content_files WHERE file = ANY($1)', [orphans]));
  }
}

/** Bytes start..end (inclusive) of `file`, one chunk query at a time; `done` ends the snapshot however the stream ends. */
async function* chunksOf(client: pg.PoolClient, file: string, start: number, end: number, done: () => Promise<void>): AsyncGenerator<Buffer> {
  try {
    for (let seq = Math.floor(start / CHUNK_BYTES); seq * CHUNK_BYTES <= end; seq++) {
      const { rows } = await client.query<{ data: Buffer }>('SELECT data FROM mock_content_chunks WHERE file = $1 AND seq = $2', [file, seq]);
      const data = rows[0]?.data;
      if (!data) throw new Error('Blob content is incomplete');
      const from = Math.max(0, start - seq * CHUNK_BYTES);
      const to = Math.min(data.length, end - seq * CHUNK_BYTES + 1);
      yield data.subarray(from, to);
    }
  } finally {
    await done();
  }
}
