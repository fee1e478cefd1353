// Which team store a server (and the operator's CLI) uses: PostgreSQL when
// `--database postgres://…` (shared by replicas), else the SQLite file in
// the data directory.
import { parseDatabaseUrl } from '../../storage/database-url.js';
import { PostgresTeamStore } from './postgres-store.js';
import { SqliteTeamStore, teamStorePath } from './sqlite-store.js';
import type { TeamStore } from './store.js';

export async function openTeamStore(config: { dataDir: string; databaseUrl?: string }): Promise<TeamStore> {
  const target = config.databaseUrl === undefined ? undefined : parseDatabaseUrl(config.databaseUrl);
  return target?.kind === 'postgres' ? PostgresTeamStore.open(target.url) : new SqliteTeamStore(teamStorePath(config.dataDir));
}
