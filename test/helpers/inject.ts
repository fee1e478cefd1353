// The server built in this process, as the CLI builds it (parseCommandLine,
// then buildServer), on a free loopback port: no child process and no Node
// start-up per suite. Requests still go through node:http (api.ts `req`), so
// the raw headers, the Host header and the render cache's fast path in front
// of Fastify are exercised as in production; `inject` reaches Fastify
// directly for tests that want no socket. A few suites stay end-to-end
// through the real CLI (server.ts): start-up, signals, logs, persistence.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.js';
import { parseCommandLine } from '../../src/server/config.js';
import type { StartOptions, TestServer } from './server.js';
import { testDatabaseEnv } from './database.js';

export interface AppServer extends Omit<TestServer, 'process' | 'stop'> {
  app: FastifyInstance;
  inject: FastifyInstance['inject'];
  stop(): Promise<void>;
}

/** The server with `opts.args` and `opts.env` (as for startServer), in this process, listening on 127.0.0.1. */
export async function startApp(opts: Omit<StartOptions, 'storage'> = {}): Promise<AppServer> {
  const storage = mkdtempSync(join(tmpdir(), 'deltacloud-test-'));
  const logDir = mkdtempSync(join(tmpdir(), 'deltacloud-test-log-'));
  const logFile = join(logDir, 'server.log');
  const cleanUp = () => {
    rmSync(storage, { recursive: true, force: true });
    rmSync(logDir, { recursive: true, force: true });
  };
  try {
    const { config } = parseCommandLine(['-p', '0', '-r', '127.0.0.1', '-L', logFile, ...(opts.args ?? [])],
      { ...process.env, DELTACLOUD_MOCK_STORAGE: storage, ...(await testDatabaseEnv(storage)), ...opts.env });
    const server = await buildServer(config);
    await server.registry.get(config.driver);
    await server.app.listen({ host: config.host, port: 0 });
    const address = server.app.server.address();
    if (!address || typeof address !== 'object') throw new Error('the server has no TCP address');
    return {
      origin: `http://localhost:${address.port}`,
      port: address.port,
      storage,
      app: server.app,
      inject: server.app.inject.bind(server.app),
      output: () => {
        try {
          return readFileSync(logFile, 'utf8');
        } catch {
          return '';
        }
      },
      async stop() {
        try {
          await server.close();
        } finally {
          cleanUp();
        }
      },
    };
  } catch (error) {
    cleanUp();
    throw error;
  }
}
