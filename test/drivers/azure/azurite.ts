// Azurite's Blob service (npm `azurite`, a devDependency), started by the
// tests themselves on a free port of 127.0.0.1 with a temporary folder, and
// the server on the azure driver pointed at it. The account is Azurite's
// well-known development account (documented by Microsoft; not a secret).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, startDriverServer, type StartOptions, type TestServer } from '../../helpers/server.js';

export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const AZURITE_AUTH = 'Basic ' + Buffer.from(`${AZURITE_ACCOUNT}:${AZURITE_KEY}`).toString('base64');
export const PROVIDER = 'azurite';

/** Azurite's blob entry point, or undefined when the package is not installed. */
function azuriteMain(): string | undefined {
  try {
    const main = join(dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
    return existsSync(main) ? main : undefined;
  } catch {
    return undefined;
  }
}

export interface Azurite {
  port: number;
  /** The blob endpoint template for the driver's configuration. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Why Azurite cannot run here (undefined: it can). */
export function azuriteMissing(): string | undefined {
  return azuriteMain() ? undefined : 'the azurite package is not installed (npm ci installs it as a devDependency)';
}

export async function startAzurite(): Promise<Azurite> {
  const main = azuriteMain();
  if (!main) throw new Error(azuriteMissing());
  const port = await freePort();
  const location = mkdtempSync(join(tmpdir(), 'azurite-'));
  const child: ChildProcess = spawn(process.execPath, [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location, '--skipApiVersionCheck', '--loose', '--silent', '--disableTelemetry'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  try {
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`Azurite did not start:\n${output}`)), 30_000);
      child.stdout!.on('data', () => {
        if (output.includes('successfully listens')) {
          clearTimeout(timer);
          ok();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`Azurite exited with ${code}:\n${output}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(location, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    endpoint: `http://127.0.0.1:${port}/{account}`,
    async stop() {
      // Azurite takes seconds to exit on SIGTERM; its folder is thrown away anyway.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(location, { recursive: true, force: true });
    },
  };
}

/** The server on the azure driver with Azurite as provider `azurite` (the default), plus `extra` providers. */
export function startAzureServer(azurite: Azurite, extra: Record<string, unknown> = {}, opts: StartOptions = {}): Promise<TestServer> {
  return startDriverServer('azure', {
    providers: { [PROVIDER]: { blobEndpoint: azurite.endpoint }, ...extra },
    defaultProvider: PROVIDER,
  }, { ...opts, args: ['-P', PROVIDER, ...(opts.args ?? [])] });
}
