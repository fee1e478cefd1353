#!/usr/bin/env node
// `deltacloudd`: parse options, start the server, stop cleanly on SIGTERM/SIGINT.
import { DRIVER_FACTORIES } from '../drivers/index.js';
import { resetMockStorage } from '../drivers/mock/index.js';
import { buildServer } from './app.js';
import { ConfigError, parseCommandLine, USAGE } from './config.js';
import { runDbCommand } from './db-command.js';
import { runTeamCommand, TEAM_COMMANDS } from './team/cli.js';

async function main(): Promise<number> {
  if (process.argv[2] === 'db') return runDbCommand(process.argv.slice(3));
  if (TEAM_COMMANDS.includes(process.argv[2] ?? '')) return runTeamCommand(process.argv.slice(2));
  const { config, listDrivers, reset, help } = parseCommandLine(process.argv.slice(2));
  if (help) {
    console.log(USAGE);
    return 0;
  }
  if (listDrivers) {
    for (const f of DRIVER_FACTORIES) console.log(`${f.declaration.id}\t${f.declaration.name}`);
    return 0;
  }
  if (reset) {
    await resetMockStorage(config.mockStorage, config.databaseUrl);
    console.log(`Mock driver state reset to the seed in ${config.databaseUrl ? 'the database' : config.mockStorage}`);
    return 0;
  }
  const server = await buildServer(config);
  // Open the default driver now, so a broken back end shows at start-up, not on the first request.
  await server.registry.get(config.driver);
  const address = await server.app.listen({ host: config.host, port: config.port });
  const url = new URL(address);
  if (config.host === 'localhost') url.hostname = 'localhost';
  console.log(`Deltacloud TS listening on ${url.origin}/api (driver: ${config.driver})`);
  if (server.metricsUrl) console.log(`Prometheus metrics on ${server.metricsUrl}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    // In-flight requests get this long (--shutdown-timeout-seconds); a replica behind a load balancer must not hang its rollout.
    setTimeout(() => {
      server.app.log.warn({ deadlineSeconds: config.shutdownTimeoutMs / 1000 }, 'shutdown deadline passed: requests still in flight are cut');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    await server.close(); // in-flight requests finish, then drivers (databases) close
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(`deltacloudd: ${error.message}`);
    else console.error(`deltacloudd: failed to start: ${(error as Error).message}`);
    process.exit(1);
  },
);
