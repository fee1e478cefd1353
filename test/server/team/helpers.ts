// Shared by the team tests: a server data directory with profiles and tokens
// made by the operator's CLI (`deltacloudd profiles|tokens`, run in-process
// for speed; tokens.test.ts also runs the built binary), and servers started
// on it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTeamCommand } from '../../../src/server/team/cli.js';
import { freshSchemaUrl, TEST_DATABASE_URL } from '../../helpers/database.js';
import { startServer, type StartOptions, type TestServer } from '../../helpers/server.js';

/** The mock driver's own credentials: the "cloud secret" a mock profile holds. */
export const MOCK_PASSWORD = 'mockpassword';

export interface TeamDir {
  dir: string;
  env: Record<string, string>;
  /** Runs `deltacloudd profiles|tokens …` on this directory; returns what it printed. */
  cli(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  /** `tokens create …` → the printed token and EC2 key pair. */
  token(...args: string[]): Promise<{ id: string; token: string; accessKeyId: string; secretAccessKey: string }>;
  start(opts?: StartOptions): Promise<TestServer>;
  remove(): void;
}

/**
 * A data directory, its CLI and its servers. The team store follows `--database` as the server's
 * does: in the PostgreSQL lane (DELTACLOUD_TEST_DATABASE_URL) a schema of this directory's own,
 * shared by the CLI and every server started here; `store: 'sqlite'` keeps it in `<dir>/team.sqlite`
 * in every lane (for tests that read that file).
 */
export async function teamDir(extraEnv: Record<string, string> = {}, { store = 'lane' }: { store?: 'lane' | 'sqlite' } = {}): Promise<TeamDir> {
  const dir = mkdtempSync(join(tmpdir(), 'deltacloud-team-'));
  const database = store === 'lane' && TEST_DATABASE_URL
    ? await freshSchemaUrl(`team_${createHash('sha256').update(dir).digest('hex').slice(0, 20)}`)
    : '';
  const env = { DELTACLOUD_DATA_DIR: dir, PROFILE_PASSWORD: MOCK_PASSWORD, DELTACLOUD_DATABASE_URL: database, ...extraEnv };
  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runTeamCommand(args, { ...process.env, ...env }, {
      out: (l) => out.push(l), err: (l) => err.push(l), secret: async () => assert.fail('no prompt expected'),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  return {
    dir, env, cli,
    async token(...args) {
      const { code, out } = await cli('tokens', 'create', ...args);
      assert.equal(code, 0, out);
      const token = /^dct_[0-9a-f]{16}_\S+$/m.exec(out)?.[0];
      const ec2 = /access key: (\S+)\s+secret key: (\S+)/.exec(out);
      assert.ok(token && ec2, out);
      return { id: token.slice(4, 20), token, accessKeyId: ec2[1]!, secretAccessKey: ec2[2]! };
    },
    start: (opts = {}) => startServer({ ...opts, env: { ...env, ...opts.env } }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const bearer = (token: string) => `Bearer ${token}`;
