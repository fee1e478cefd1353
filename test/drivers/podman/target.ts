// What the podman suites share: a Podman service of their own (started by
// scripts/podman/setup.sh on its own socket with its own storage under /tmp,
// kept running for the next suite), a server on it with the operator's
// credentials, and direct calls to the engine's API to check what the driver did.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { ROOT, startDriverServer, type StartOptions, type TestServer } from '../../helpers/server.js';

export const PODMAN_DIR = process.env.DC_PODMAN_DIR || '/tmp/deltacloud-podman';
export const SOCKET = join(PODMAN_DIR, 'podman.sock');
export const TEST_IMAGE = 'localhost/deltacloud/busybox:latest';
export const PODMAN_OPERATOR = { user: 'operator', password: 'podman-operator-secret' };
/** A provider whose socket does not exist: its requests answer 502. */
export const MISSING_SOCKET = '/tmp/deltacloud-podman-no-such-dir/podman.sock';

let ready: Promise<string | undefined> | undefined;

/** Why there is no Podman service here (undefined: there is one now, started if needed). */
export function podmanUnavailable(): Promise<string | undefined> {
  ready ??= (async () => {
    try {
      execFileSync('podman', ['--version'], { stdio: 'ignore' });
    } catch {
      return 'podman is not installed (scripts/podman/setup.sh installs it)';
    }
    try {
      await promisify(execFile)('bash', [join(ROOT, 'scripts', 'podman', 'setup.sh'), '--no-install'], { timeout: 300_000, env: { ...process.env, DC_PODMAN_DIR: PODMAN_DIR } });
      return undefined;
    } catch (e) {
      const stderr: unknown = e && typeof e === 'object' ? Reflect.get(e, 'stderr') : undefined;
      return `scripts/podman/setup.sh failed: ${String(stderr || e).slice(0, 500)}`;
    }
  })();
  return ready;
}

/** The same check for suites outside describeConformance: loud without podman, fatal under CI. */
export async function requirePodman(): Promise<boolean> {
  const reason = await podmanUnavailable();
  if (!reason) return true;
  if (process.env.CI) throw new Error(`CI: the Podman back end is missing: ${reason}`);
  console.warn(`\n${'*'.repeat(90)}\n*** SKIPPING podman tests: ${reason}\n${'*'.repeat(90)}\n`);
  return false;
}

/** `-i podman -P local` with the test service as `local` and a missing socket as `gone`. */
export function startPodmanServer(options: Record<string, unknown> = {}, start: StartOptions = {}): Promise<TestServer> {
  return startDriverServer('podman', {
    providers: { local: `unix://${SOCKET}`, gone: `unix://${MISSING_SOCKET}` },
    ...PODMAN_OPERATOR,
    ...options,
  }, { ...start, args: ['-P', 'local', '-t', '120', ...(start.args ?? [])] });
}

const agent = new Agent({ connect: { socketPath: SOCKET } });

/** A call to the engine's own API (to check the driver's work, and for the benchmark's baseline). */
export async function engine<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await request(`http://localhost/v1.41${path}`, {
    method, dispatcher: agent,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: (text ? JSON.parse(text) : undefined) as T };
}

export async function closeEngine(): Promise<void> {
  await agent.close();
}

/** The id (hex) of the test image. */
export async function testImageId(): Promise<string> {
  const { json } = await engine<{ Id: string }>('GET', `/images/${encodeURIComponent(TEST_IMAGE)}/json`);
  return json.Id.replace(/^sha256:/, '');
}
