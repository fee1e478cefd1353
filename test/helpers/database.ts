// The PostgreSQL lane: with DELTACLOUD_TEST_DATABASE_URL set (see
// scripts/postgres/setup.sh), every test server keeps its mock state in a
// schema of its own in that database instead of SQLite in its storage
// directory. The schema is named after the storage directory, so a restart
// test that reuses the directory finds its state again.
import { createHash } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.DELTACLOUD_TEST_DATABASE_URL;

/** `DELTACLOUD_DATABASE_URL` for a server whose storage is `storage` (nothing outside the PostgreSQL lane). */
export async function testDatabaseEnv(storage: string): Promise<Record<string, string>> {
  if (!TEST_DATABASE_URL) return {};
  return { DELTACLOUD_DATABASE_URL: await freshSchemaUrl(`t_${createHash('sha256').update(storage).digest('hex').slice(0, 20)}`) };
}

/** A URL of TEST_DATABASE_URL whose connections work in `schema` (created if missing). */
export async function freshSchemaUrl(schema: string, base = TEST_DATABASE_URL): Promise<string> {
  if (!base) throw new Error('DELTACLOUD_TEST_DATABASE_URL is not set');
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`); // a hex name of ours, never input
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** Why the PostgreSQL at `url` cannot be used by a suite (undefined: it answers). */
export async function postgresUnreachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return undefined;
  } catch {
    return `PostgreSQL is not reachable at ${new URL(url).host} (run scripts/postgres/setup.sh)`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The database the PostgreSQL suites use, and why it cannot be used (said loudly; an error when CI is set). */
export async function postgresForSuite(suite: string): Promise<{ url: string; missing?: string }> {
  const url = TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:55432/deltacloud';
  const missing = await postgresUnreachable(url);
  if (missing) {
    if (process.env.CI) throw new Error(`${suite}: ${missing}`);
    console.warn(`\n*** SKIPPING ${suite}: ${missing} ***\n`);
  }
  return { url, missing };
}
