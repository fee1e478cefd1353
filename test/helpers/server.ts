// Starts the real server (the built CLI, dist/server/cli.js) on a free port
// with its own mock storage, and speaks HTTP to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testDatabaseEnv } from './database.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'server', 'cli.js');
export const MOCK_AUTH = 'Basic ' + Buffer.from('mockuser:mockpassword').toString('base64');

export interface TestServer {
  /** e.g. http://localhost:40123 */
  origin: string;
  port: number;
  /** The mock storage directory (kept across restart(), removed by stop()). */
  storage: string;
  process: ChildProcess;
  /** Everything the server printed (stdout + stderr), for leak checks. */
  output(): string;
  /** SIGTERM and wait; pass `keepStorage` to restart on the same state. */
  stop(opts?: { keepStorage?: boolean; signal?: NodeJS.Signals }): Promise<number | null>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Reuse an existing storage directory (for restart tests). */
  storage?: string;
}

/** Servers still running and the storage each owns, so a test that fails before stop() leaves nothing behind. */
const running = new Map<ChildProcess, string | undefined>();
process.on('exit', () => {
  for (const [child, ownStorage] of running) {
    child.kill('SIGKILL');
    if (ownStorage) rmSync(ownStorage, { recursive: true, force: true });
  }
});

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const storage = opts.storage ?? mkdtempSync(join(tmpdir(), 'deltacloud-test-'));
  const child = spawn(process.execPath, [CLI, '-p', '0', '-r', '127.0.0.1', ...(opts.args ?? [])], {
    env: { ...process.env, DELTACLOUD_MOCK_STORAGE: storage, ...(await testDatabaseEnv(storage)), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.set(child, opts.storage ? undefined : storage);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const started = new Promise<number>((resolvePort, reject) => {
    // Generous: a start is slow only when the machine is loaded (CI runs two lanes at once); this is no speed test.
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /listening on https?:\/\/[^:]+:(\d+)\/api/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  let port: number;
  try {
    port = await started;
  } catch (error) {
    // A server that never came up leaves neither a process nor its storage behind.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    if (!opts.storage) rmSync(storage, { recursive: true, force: true });
    running.delete(child);
    throw error;
  }
  return {
    origin: `http://localhost:${port}`,
    port,
    storage,
    process: child,
    output: () => out,
    async stop({ keepStorage = false, signal = 'SIGTERM' } = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      running.delete(child);
      if (!keepStorage && !opts.storage) rmSync(storage, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * The server on one driver (`-i <driver>`), with the operator's
 * `drivers.<driver>` options in a 0600 configuration file (removed by stop()).
 */
export async function startDriverServer(driver: string, options: Record<string, unknown>, opts: StartOptions = {}): Promise<TestServer> {
  const configDir = mkdtempSync(join(tmpdir(), 'deltacloud-test-config-'));
  const config = join(configDir, 'config.json');
  writeFileSync(config, JSON.stringify({ drivers: { [driver]: options } }), { mode: 0o600 });
  try {
    const server = await startServer({ ...opts, args: ['-i', driver, '-c', config, ...(opts.args ?? [])] });
    return {
      ...server,
      async stop(stopOpts) {
        try {
          return await server.stop(stopOpts);
        } finally {
          rmSync(configDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(configDir, { recursive: true, force: true });
    throw error;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for tests needing a port where nothing listens). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address() as AddressInfo;
  await new Promise((ok) => probe.close(ok));
  return port;
}
