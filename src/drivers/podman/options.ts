// The operator's settings for the podman driver (`drivers.podman` in the
// server's configuration file), validated once. A client only picks one of
// the named providers; it never supplies a socket path or URL.
import { readFileSync } from 'node:fs';
import { OptionReader } from '../../core/kit/options.js';

/** Where an engine listens: a unix socket, or a TCP endpoint (TLS with client certificates when configured). */
export type EngineEndpoint =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; origin: string; tls?: { ca?: string; cert?: string; key?: string } };

export interface PodmanOptions {
  /** Provider name → engine endpoint (in the operator's order). */
  providers: Record<string, EngineEndpoint>;
  /** The provider used when a request names none. */
  defaultProvider: string;
  /** Graceful stop and reboot: seconds the container has after SIGTERM before the engine kills it. */
  stopTimeoutMs: number;
  /** Limit of one engine call that is not a stop or a reboot (the request's own timeout applies as well). */
  requestTimeoutMs: number;
  /** `HostConfig.NetworkMode` of new containers (`none`: no network; `host`, `bridge`, `slirp4netns`, a network name). */
  networkMode: string;
  /** List every container and volume of the engine, not only those this driver created. */
  listAll: boolean;
  /** Largest `instance_count`. */
  maxInstanceCount: number;
}

export const DEFAULT_PROVIDERS: Record<string, string> = { local: 'unix:///run/podman/podman.sock' };

export class PodmanConfigError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** `unix:///abs/path.sock`, `tcp://host:port` (plain HTTP), `http(s)://host:port`. */
export function parseEndpoint(url: string, tls: { ca?: string; cert?: string; key?: string } | undefined, fail: (problem: string) => never): EngineEndpoint {
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath.startsWith('/') || /[\s\0]/.test(socketPath)) fail(`'${url}' must be unix:///absolute/path`);
    if (tls) fail('TLS files apply to tcp:// and https:// engines only');
    return { kind: 'unix', socketPath };
  }
  let parsed: URL;
  try {
    parsed = new URL(url.startsWith('tcp://') ? `${tls ? 'https' : 'http'}://${url.slice('tcp://'.length)}` : url);
  } catch {
    return fail(`'${url}' is not a URL`);
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.pathname !== '/' || parsed.search || parsed.username) {
    fail(`'${url}' must be unix:///path, tcp://host:port, http://host:port or https://host:port`);
  }
  if (tls && parsed.protocol !== 'https:') fail(`'${url}' needs https:// (or tcp://) for TLS files`);
  return { kind: 'tcp', origin: parsed.origin, ...(tls ? { tls } : {}) };
}

export function parseOptions(raw: Record<string, unknown> = {}): PodmanOptions {
  const o = new OptionReader(raw, 'drivers.podman', PodmanConfigError);
  const given = o.value('providers') ?? DEFAULT_PROVIDERS;
  if (!isRecord(given) || Object.keys(given).length === 0) {
    return o.fail('providers', 'must be an object: provider name → engine URL (or { url, caFile, certFile, keyFile })');
  }
  const providers: Record<string, EngineEndpoint> = {};
  for (const [name, value] of Object.entries(given)) {
    const fail = (problem: string): never => o.fail(`providers.${name}`, problem);
    if (!PROVIDER_NAME.test(name)) fail('must be named with letters, digits, _ . - (at most 64)');
    const fields: Record<string, unknown> | undefined = typeof value === 'string' ? { url: value } : isRecord(value) ? value : undefined;
    if (!fields) return fail('must be a URL or { url, caFile, certFile, keyFile }');
    const entry = new OptionReader(fields, `drivers.podman.providers.${name}`, PodmanConfigError);
    const url = entry.string('url') ?? fail('needs a url');
    const read = (option: string): string | undefined => {
      const path = entry.string(option);
      if (path === undefined) return undefined;
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return fail(`cannot read ${option}`);
      }
    };
    const tls = { ca: read('caFile'), cert: read('certFile'), key: read('keyFile') };
    if ((tls.cert === undefined) !== (tls.key === undefined)) fail('needs both certFile and keyFile');
    const withTls = tls.ca !== undefined || tls.cert !== undefined ? tls : undefined;
    providers[name] = parseEndpoint(url, withTls, fail);
  }
  const names = Object.keys(providers);
  const defaultProvider = o.string('defaultProvider', names[0]!);
  if (!names.includes(defaultProvider)) o.fail('defaultProvider', `'${defaultProvider}' is not one of the providers`);
  const networkMode = o.string('networkMode', 'none');
  if (!PROVIDER_NAME.test(networkMode)) o.fail('networkMode', 'must be a network mode or network name');
  return {
    providers,
    defaultProvider,
    stopTimeoutMs: o.durationMs('stopTimeout', { min: 0, max: 3_600_000 }, 10_000),
    requestTimeoutMs: o.durationMs('requestTimeout', { min: 100 }, 60_000),
    networkMode,
    listAll: o.boolean('listAll', false),
    maxInstanceCount: o.number('maxInstanceCount', { min: 1, integer: true }, 20),
  };
}
