// One fuzz session: a real server on the mock (short body deadline and a
// small upload limit, so hostile bodies resolve quickly), the fuzz run, the
// before/after comparison of normal answers, and the server's log checked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../helpers/server.js';
import { baseline, closeConnections, fuzz, type FuzzOptions, type FuzzReport } from './hostile.js';

export interface Session extends FuzzReport {
  /** Normal answers after the run that differ from before it. */
  changedAnswers: string[];
  /** Server log lines at error level, or holding a secret. */
  badLogLines: string[];
  /** The server exited during the run. */
  crashed: boolean;
}

export async function fuzzSession(opts: Omit<FuzzOptions, 'port'> & { verbose?: boolean }): Promise<Session> {
  const configDir = mkdtempSync(join(tmpdir(), 'deltacloud-test-'));
  const config = join(configDir, 'config.json');
  writeFileSync(config, JSON.stringify({ bodyIdleTimeoutMs: 2000, maxUploadBytes: 2_000_000 }));
  const server = await startServer({ args: ['-c', config, ...(opts.verbose ? ['-V'] : [])] });
  try {
    const before = await baseline(server.port);
    const report = await fuzz({ ...opts, port: server.port });
    const crashed = server.process.exitCode !== null || server.process.signalCode !== null;
    const after = crashed ? [] : await baseline(server.port);
    const changedAnswers = crashed ? ['server gone'] : after.filter((a, i) => a !== before[i]).map((a) => a.slice(0, 400));
    const secrets = /S3cr3t-|mockpassword/;
    const badLogLines = server.output().split('\n').filter((line) => line.includes('"level":50') || line.includes('"level":60') || secrets.test(line))
      .map((line) => line.slice(0, 400));
    return { ...report, changedAnswers, badLogLines, crashed };
  } finally {
    closeConnections();
    await server.stop();
    rmSync(configDir, { recursive: true, force: true });
  }
}
