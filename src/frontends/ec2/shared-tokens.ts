// ClientToken runs shared by replicas through PostgreSQL: the first replica
// to insert a token's row runs the action and stores its answer; a request
// with the same token on any replica (then or after a restart) gets that
// answer, waiting while the run is still going. A failed run deletes its row
// so the client may retry; a row whose replica died mid-run is taken over
// once it is older than ORPHANED_RUN_MS.
import type pg from 'pg';
import { acquirePool, registerMigrations, releasePool, whenMigrated, withDatabase } from '../../storage/postgres.js';
import { parseDatabaseUrl } from '../../storage/database-url.js';

registerMigrations([{
  version: 2,
  name: 'EC2 front end ClientTokens',
  sql: `
CREATE TABLE ec2_client_tokens (
  key text PRIMARY KEY,
  fingerprint text NOT NULL,
  answer text,
  started_at timestamptz NOT NULL DEFAULT now()
);`,
}]);

const WAIT_STEP_MS = 50;
const ORPHANED_RUN_MS = 5 * 60 * 1000;

export type SharedRun<T> = { answer: T } | { mismatch: true };

export class SharedClientTokens {
  private readonly pool: pg.Pool;

  constructor(private readonly url: string) {
    this.pool = acquirePool(url);
  }

  async once<T>(key: string, fingerprint: string, run: () => Promise<T>): Promise<SharedRun<T>> {
    return withDatabase(async () => {
      await whenMigrated(this.pool);
      for (;;) {
        const claimed = await this.pool.query('INSERT INTO ec2_client_tokens (key, fingerprint) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, fingerprint]);
        if (claimed.rowCount === 1) return { answer: await this.runClaimed(key, run) };
        const { rows } = await this.pool.query<{ fingerprint: string; answer: string | null; orphaned: boolean }>(
          'SELECT fingerprint, answer, started_at < now() - make_interval(secs => $2) AS orphaned FROM ec2_client_tokens WHERE key = $1',
          [key, ORPHANED_RUN_MS / 1000]);
        const row = rows[0];
        if (!row) continue; // the run failed and let go: claim it ourselves
        if (row.fingerprint !== fingerprint) return { mismatch: true };
        if (row.answer !== null) return { answer: parseAnswer<T>(row.answer) };
        if (row.orphaned) await this.pool.query('DELETE FROM ec2_client_tokens WHERE key = $1 AND answer IS NULL', [key]);
        else await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
      }
    });
  }

  private async runClaimed<T>(key: string, run: () => Promise<T>): Promise<T> {
    let answer: T;
    try {
      answer = await run();
    } catch (err) {
      await this.pool.query('DELETE FROM ec2_client_tokens WHERE key = $1', [key]).catch(() => undefined);
      throw err;
    }
    await this.pool.query('UPDATE ec2_client_tokens SET answer = $2 WHERE key = $1', [key, JSON.stringify(answer)]);
    return answer;
  }

  async close(): Promise<void> {
    await releasePool(this.url);
  }
}

/** An answer this class stored (JSON of what the action returned). */
function parseAnswer<T>(text: string): T {
  return JSON.parse(text);
}

/** Shared tokens when the server runs on PostgreSQL; undefined (this process only) otherwise. */
export function sharedClientTokens(databaseUrl: string | undefined): SharedClientTokens | undefined {
  return databaseUrl && parseDatabaseUrl(databaseUrl).kind === 'postgres' ? new SharedClientTokens(databaseUrl) : undefined;
}
