// `deltacloudd db migrate|status [--database URL]`: schema migrations of a
// PostgreSQL database by hand (the server also applies them at start).
import { parseArgs } from 'node:util';
import '../drivers/mock/postgres-store.js'; // registers the mock's migrations
import './team/postgres-store.js'; // registers the team store's
import { describeDatabase, parseDatabaseUrl } from '../storage/database-url.js';
import { acquirePool, migrate, migrationStatus, releasePool } from '../storage/postgres.js';
import { ConfigError } from './config.js';

export const DB_USAGE = 'Usage: deltacloudd db migrate|status [--database postgres://…] (or env DELTACLOUD_DATABASE_URL)';

export async function runDbCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { database: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const [command, ...extra] = parsed.positionals;
  if ((command !== 'migrate' && command !== 'status') || extra.length > 0) throw new ConfigError(DB_USAGE);
  const url = parsed.values.database ?? env.DELTACLOUD_DATABASE_URL;
  if (!url) throw new ConfigError(`no database given. ${DB_USAGE}`);
  let target;
  try {
    target = parseDatabaseUrl(url);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (target.kind !== 'postgres') {
    console.log(`${describeDatabase(target)}: SQLite creates its schema on open; nothing to migrate`);
    return 0;
  }
  const pool = acquirePool(target.url);
  try {
    if (command === 'migrate') {
      const applied = await migrate(pool);
      console.log(applied.length === 0 ? 'Schema up to date' : `Applied migration(s) ${applied.join(', ')}`);
    } else {
      for (const m of await migrationStatus(pool)) {
        console.log(`${m.version}\t${m.appliedAt ? `applied ${m.appliedAt.toISOString()}` : 'pending'}\t${m.name}`);
      }
    }
    return 0;
  } finally {
    await releasePool(target.url);
  }
}
