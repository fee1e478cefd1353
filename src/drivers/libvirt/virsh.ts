// Running virsh: argument arrays only (execFile, never a shell), a time limit
// per call, the request's AbortSignal, and libvirt's errors mapped to the
// API's statuses.
import { execFile } from 'node:child_process';
import { startServiceCall } from '../../core/kit/service-calls.js';
import {
  BackendUnreachable, Conflict, DeltacloudError, NotFound, ProviderError, ProviderTimeout, ValidationFailure,
} from '../../core/errors.js';

export const VIRSH_MISSING = 'libvirt is not installed (virsh not found)';

export interface RunOptions {
  /** Aborts the call (the request's signal); background work passes none. */
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A libvirt error the driver may need to tell apart from others. */
export type LibvirtErrorKind = 'no-domain' | 'no-volume' | 'no-pool' | 'no-network' | 'invalid-state' | 'exists' | 'connect' | 'timeout' | 'invalid' | 'other';

/** A libvirt failure, already carrying the API status it maps to. */
export interface LibvirtFailure {
  kind: LibvirtErrorKind;
  message: string;
}

const RULES: Array<[RegExp, LibvirtErrorKind]> = [
  [/Domain not found|no domain with matching|failed to get domain/i, 'no-domain'],
  [/Storage volume not found|no storage vol with matching/i, 'no-volume'],
  [/Storage pool not found|no storage pool with matching/i, 'no-pool'],
  [/Network not found|no network with matching/i, 'no-network'],
  [/failed to connect to the hypervisor|Failed to connect socket|unable to connect to server|Cannot recv data|End of file while reading data|Connection reset by peer|no connection driver available|authentication (failed|unavailable)|Cannot read CA certificate/i, 'connect'],
  [/Timed out during operation|cannot acquire state change lock|timed out/i, 'timeout'],
  [/already exists|exists already|is already in use|is already running|already active/i, 'exists'],
  [/Requested operation is not valid|domain is not running|not running|Operation not supported|another job|job .* is active|domain has active block job/i, 'invalid-state'],
  [/invalid argument|XML error|unsupported configuration|XML document failed to validate|expected unsigned integer|malformed|does not match schema/i, 'invalid'],
];

/** Kind and message of virsh's stderr (the last `error:` line is the most specific). */
export function classifyVirshError(stderr: string): LibvirtFailure {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => l.startsWith('error:')).map((l) => l.slice('error:'.length).trim());
  const message = (errors.length > 0 ? errors.join(': ') : lines.join(' ')) || 'virsh failed';
  for (const [pattern, kind] of RULES) if (pattern.test(stderr)) return { kind, message };
  return { kind: 'other', message };
}

/** The typed error (NotFound, Conflict, ProviderError, …) remembers which libvirt failure it was. */
const FAILURES = new WeakMap<object, LibvirtFailure>();

export function failureOf(err: unknown): LibvirtFailure | undefined {
  return err !== null && typeof err === 'object' ? FAILURES.get(err) : undefined;
}

export function mapFailure(failure: LibvirtFailure, uri: string): DeltacloudError {
  const { kind, message } = failure;
  let mapped: DeltacloudError;
  switch (kind) {
    case 'no-domain':
    case 'no-volume':
    case 'no-network':
      mapped = new NotFound(message);
      break;
    case 'no-pool':
      mapped = new ProviderError(`${message} on ${uri} (create it with scripts/libvirt/setup.sh, or set drivers.libvirt.pool/imagePool)`);
      break;
    case 'connect':
      mapped = new BackendUnreachable(`Cannot connect to libvirt at ${uri}: ${message} (is libvirtd running?)`);
      break;
    case 'timeout':
      mapped = new ProviderTimeout(`libvirt at ${uri} did not answer in time: ${message}`);
      break;
    case 'exists':
    case 'invalid-state':
      mapped = new Conflict(message);
      break;
    case 'invalid':
      mapped = new ValidationFailure(message);
      break;
    default:
      mapped = new ProviderError(message);
  }
  FAILURES.set(mapped, failure);
  return mapped;
}

export function isKind(err: unknown, ...kinds: LibvirtErrorKind[]): boolean {
  const failure = failureOf(err);
  return failure !== undefined && kinds.includes(failure.kind);
}

/** One libvirt connection URI, reached through the virsh binary. */
export class Virsh {
  constructor(
    readonly uri: string,
    private readonly binary: string,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** Runs `virsh -c URI ARGS...`; resolves with stdout, rejects with a DeltacloudError. */
  run(args: string[], opts: RunOptions = {}): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(new ProviderTimeout(`libvirt call cancelled: the request timed out`));
        return;
      }
      const done = startServiceCall('virsh', 'libvirt');
      execFile(
        this.binary,
        ['--quiet', '--connect', this.uri, ...args],
        {
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          signal: opts.signal,
          maxBuffer: 64 * 1024 * 1024,
          encoding: 'utf8',
          // English messages (the error mapping reads them); no pager or editor.
          env: { ...process.env, LC_ALL: 'C', LANG: 'C', VIRSH_DEFAULT_CONNECT_URI: '', PAGER: 'cat' },
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          done?.(error ? 'error' : 'ok');
          if (!error) {
            resolve(stdout);
            return;
          }
          const e = error;
          if (e.code === 'ENOENT') reject(new BackendUnreachable(VIRSH_MISSING));
          else if (e.name === 'AbortError' || opts.signal?.aborted) reject(new ProviderTimeout('libvirt call cancelled: the request timed out'));
          else if (e.killed) reject(new ProviderTimeout(`virsh ${args[0] ?? ''} on ${this.uri} took longer than ${Math.round(timeoutMs / 1000)} s`));
          else if (e.code === 'EACCES') reject(new ProviderError(`cannot run ${this.binary}: permission denied`));
          else reject(mapFailure(classifyVirshError(String(stderr || e.message)), this.uri));
        },
      );
    });
  }
}

/** Whether the virsh binary can be run at all. */
export function virshAvailable(binary: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (error) => {
      resolve(!error || error.code !== 'ENOENT');
    });
  });
}
