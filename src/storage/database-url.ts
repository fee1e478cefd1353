// `--database URL`: `sqlite:PATH` (the embedded default: the mock's state
// directory) or `postgres://…` / `postgresql://…` (shared by replicas).

/** A malformed --database value (the CLI reports it as a configuration error). */
export class DatabaseUrlError extends Error {}

export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new DatabaseUrlError('--database sqlite:PATH needs a path');
    return { kind: 'sqlite', path };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  throw new DatabaseUrlError('--database must be sqlite:PATH or postgres://…');
}

/** The URL without its password, for messages. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return `sqlite:${target.path}`;
  const url = new URL(target.url);
  url.password = '';
  return url.toString();
}
