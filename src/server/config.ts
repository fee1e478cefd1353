// Server configuration: command-line options over environment over an
// optional JSON file. Operator secrets come from the environment or from files
// only the owner can read; they are never logged.
import { readFileSync, statSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Credentials } from '../core/driver.js';
import { DRIVER_FACTORIES } from '../drivers/index.js';
import { operatorCredentialsFrom } from './offering.js';
import { parseDatabaseUrl } from '../storage/database-url.js';
import { isRecord, isStringArray } from '../core/guards.js';
import { TEAM_OPTIONS, TEAM_USAGE, teamConfigFrom, type TeamConfig } from './team/config.js';

export interface ServerConfig {
  driver: string;
  provider?: string;
  host: string;
  port: number;
  frontends: string[];
  timeoutMs: number;
  ssl?: { keyFile: string; certFile: string };
  logFile?: string;
  verbose: boolean;
  environment: string;
  /** Root of the server's own state (driver stores live in `<dataDir>/<driver>`); env DELTACLOUD_DATA_DIR. */
  dataDir: string;
  /** The mock driver's store: DELTACLOUD_MOCK_STORAGE, else `<dataDir>/mock`. */
  mockStorage: string;
  /** `--database` / DELTACLOUD_DATABASE_URL: `sqlite:PATH` or `postgres://…` (undefined: SQLite in mockStorage). */
  databaseUrl?: string;
  fixedCredentials?: { user: string; password: string };
  /** Largest form body (bytes); bigger → 413. */
  bodyLimit: number;
  /** Largest upload (bytes): multipart files and raw blob bodies, chunked or not. */
  maxUploadBytes: number;
  /** Request-body deadlines (see server/http-hardening.ts). */
  bodyIdleTimeoutMs: number;
  bodyMinBytesPerSecond: number;
  requestBodyTimeoutMs: number;
  /** SIGTERM: how long in-flight requests may still take before the process exits anyway (--shutdown-timeout-seconds). */
  shutdownTimeoutMs: number;
  /** Per-driver operator settings from the config file (allow-lists, endpoints). */
  driverOptions: Record<string, Record<string, unknown>>;
  /** Drivers offered besides `driver` (--enable-drivers, DELTACLOUD_DRIVERS, `drivers.enabled`); default: the remote ones. */
  enabledDrivers?: string[];
  /** Basic credentials the operator set per host-reaching driver (see server/offering.ts); never logged. */
  operatorCredentials: Record<string, Credentials>;
  /** The config file's `ec2` section (EC2 access keys → back ends), checked by the EC2 front end. */
  ec2?: unknown;
  hostname: string;
  /** Tokens, metrics, rate limits, audit (server/team). */
  team: TeamConfig;
}

export interface CliRequest {
  config: ServerConfig;
  listDrivers: boolean;
  reset: boolean;
  help: boolean;
}

export const USAGE = `Usage: deltacloudd [options]

Options:
  -i, --driver DRIVER      driver to serve by default (default: mock; env API_DRIVER)
  -P, --provider PROVIDER  default provider for the driver (env API_PROVIDER)
  -r, --hostname HOST      address to bind (default: localhost; env API_HOST)
  -p, --port PORT          port to listen on (default: 3001; 0 picks a free one; env API_PORT)
  -f, --frontends LIST     front ends to mount, comma-separated (default: deltacloud)
      --enable-drivers LIST drivers offered besides -i, comma-separated (default: the drivers
                           reaching only remote providers: ec2, openstack; env DELTACLOUD_DRIVERS)
  -c, --config FILE        JSON configuration file (see README)
  -e, --env ENV            environment: production or development (default: development)
  -l, --drivers            list the available drivers and exit
  -L, --log FILE           write the log to FILE instead of standard output
  -s, --ssl                serve HTTPS (needs --ssl-key and --ssl-cert)
  -k, --ssl-key FILE       TLS private key (PEM)
  -C, --ssl-cert FILE      TLS certificate (PEM)
  -t, --timeout SECONDS    per-request limit for back-end calls (default: 60)
  -V, --verbose            log debugging detail
      --reset              restore the mock driver's seed data and exit
      --database URL       sqlite:PATH (default: the mock storage directory) or postgres://… shared by
                           replicas (env DELTACLOUD_DATABASE_URL); \`deltacloudd db migrate|status\`
      --shutdown-timeout-seconds N  on SIGTERM, in-flight requests get N seconds before the
                           process exits anyway (default: 25; env DELTACLOUD_SHUTDOWN_TIMEOUT_SECONDS)
  -h, --help               show this help and exit
${TEAM_USAGE}

Environment: API_DRIVER, API_PROVIDER, API_HOST, API_PORT, API_USER and API_PASSWORD
(fixed back-end credentials for every request), DELTACLOUD_MOCK_STORAGE (mock state directory), DELTACLOUD_DATA_DIR (server state root),
DELTACLOUD_<DRIVER>_USER and DELTACLOUD_<DRIVER>_PASSWORD (operator credentials clients must
present to a driver reaching this host, e.g. libvirt).`;

export class ConfigError extends Error {}

function checkedDatabaseUrl(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  try {
    parseDatabaseUrl(url);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  return url;
}

function defaultDataDir(env: NodeJS.ProcessEnv): string {
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(dataHome, 'deltacloud-ts');
}

interface FileConfig {
  driver?: string;
  provider?: string;
  host?: string;
  port?: number;
  timeout?: number;
  frontends?: string[];
  bodyLimit?: number;
  maxUploadBytes?: number;
  /** Per-driver options, and `enabled`: the list of drivers offered besides `driver`. */
  drivers?: Record<string, unknown>;
  bodyIdleTimeoutMs?: number;
  bodyMinBytesPerSecond?: number;
  requestBodyTimeoutMs?: number;
  shutdownTimeoutSeconds?: number;
  ec2?: unknown;
  team?: unknown;
}

const SECRET_KEY = /secret|password|token|credential/i;

function containsSecrets(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => SECRET_KEY.test(k) || containsSecrets(v));
}

/** A config file holding secrets must not be readable by group or others. */
export function readConfigFile(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`Cannot read configuration file ${path}`);
  }
  let parsed: FileConfig;
  try {
    parsed = JSON.parse(text) as FileConfig;
  } catch {
    throw new ConfigError(`Configuration file ${path} is not valid JSON`);
  }
  if (containsSecrets(parsed) && (statSync(path).mode & 0o077) !== 0) {
    throw new ConfigError(`Configuration file ${path} holds secrets but is readable by others; chmod 600 it`);
  }
  return parsed;
}

function positiveInt(value: string | number | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${what} must be a whole number, got '${value}'`);
  return n;
}

function driverList(ids: readonly unknown[]): string[] {
  if (!isStringArray(ids)) throw new ConfigError('drivers.enabled must be a list of driver ids');
  return ids.map((id) => id.trim().toLowerCase()).filter(Boolean);
}

/** The config file's `drivers`: options per driver id, and the `enabled` list. */
function driverSection(section: Record<string, unknown> | undefined): { enabled?: string[]; options: Record<string, Record<string, unknown>> } {
  const options: Record<string, Record<string, unknown>> = {};
  let enabled: string[] | undefined;
  for (const [key, value] of Object.entries(section ?? {})) {
    if (key === 'enabled') {
      if (!Array.isArray(value)) throw new ConfigError('drivers.enabled must be a list of driver ids');
      enabled = driverList(value);
    } else if (isRecord(value)) options[key] = value;
    else throw new ConfigError(`drivers.${key} must be an object of options`);
  }
  return { enabled, options };
}

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): CliRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        driver: { type: 'string', short: 'i' },
        provider: { type: 'string', short: 'P' },
        hostname: { type: 'string', short: 'r' },
        port: { type: 'string', short: 'p' },
        frontends: { type: 'string', short: 'f' },
        'enable-drivers': { type: 'string' },
        config: { type: 'string', short: 'c' },
        env: { type: 'string', short: 'e' },
        drivers: { type: 'boolean', short: 'l' },
        log: { type: 'string', short: 'L' },
        ssl: { type: 'boolean', short: 's' },
        'ssl-key': { type: 'string', short: 'k' },
        'ssl-cert': { type: 'string', short: 'C' },
        timeout: { type: 'string', short: 't' },
        verbose: { type: 'boolean', short: 'V' },
        reset: { type: 'boolean' },
        database: { type: 'string' },
        'shutdown-timeout-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...TEAM_OPTIONS,
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const file = values.config ? readConfigFile(values.config) : {};
  const port = positiveInt(values.port ?? env.API_PORT ?? file.port, 'port') ?? 3001;
  if (port > 65535) throw new ConfigError('port must be at most 65535');
  const timeout = positiveInt(values.timeout ?? file.timeout, 'timeout') ?? 60;
  if (values.ssl && !(values['ssl-key'] && values['ssl-cert'])) throw new ConfigError('--ssl needs --ssl-key and --ssl-cert');
  const dataDir = resolve(env.DELTACLOUD_DATA_DIR || defaultDataDir(env));
  const { enabled, options: driverOptions } = driverSection(file.drivers);
  const enabledList = values['enable-drivers'] ?? env.DELTACLOUD_DRIVERS;
  const enabledDrivers = enabledList !== undefined ? driverList(enabledList.split(',')) : enabled;
  const user = env.API_USER;
  const password = env.API_PASSWORD;
  const config: ServerConfig = {
    driver: (values.driver ?? env.API_DRIVER ?? file.driver ?? 'mock').toLowerCase(),
    provider: values.provider ?? env.API_PROVIDER ?? file.provider,
    host: values.hostname ?? env.API_HOST ?? file.host ?? 'localhost',
    port,
    frontends: (values.frontends?.split(',') ?? file.frontends ?? ['deltacloud']).map((f) => f.trim().toLowerCase()).filter(Boolean),
    timeoutMs: (timeout || 60) * 1000,
    ssl: values.ssl ? { keyFile: resolve(values['ssl-key']!), certFile: resolve(values['ssl-cert']!) } : undefined,
    logFile: values.log,
    verbose: values.verbose ?? false,
    environment: values.env ?? env.RACK_ENV ?? 'development',
    dataDir,
    mockStorage: resolve(env.DELTACLOUD_MOCK_STORAGE || join(dataDir, 'mock')),
    databaseUrl: checkedDatabaseUrl(values.database ?? env.DELTACLOUD_DATABASE_URL),
    fixedCredentials: user && password ? { user, password } : undefined,
    bodyLimit: file.bodyLimit ?? 1024 * 1024,
    maxUploadBytes: file.maxUploadBytes ?? 1024 * 1024 * 1024,
    bodyIdleTimeoutMs: positiveInt(file.bodyIdleTimeoutMs, 'bodyIdleTimeoutMs') ?? 30_000,
    bodyMinBytesPerSecond: positiveInt(file.bodyMinBytesPerSecond, 'bodyMinBytesPerSecond') ?? 1024,
    requestBodyTimeoutMs: positiveInt(file.requestBodyTimeoutMs, 'requestBodyTimeoutMs') ?? 3_600_000,
    shutdownTimeoutMs: (positiveInt(values['shutdown-timeout-seconds'] ?? env.DELTACLOUD_SHUTDOWN_TIMEOUT_SECONDS ?? file.shutdownTimeoutSeconds,
      'shutdown-timeout-seconds') ?? 25) * 1000,
    driverOptions,
    enabledDrivers,
    operatorCredentials: operatorCredentialsFrom(driverOptions, DRIVER_FACTORIES.map((f) => f.declaration.id), env),
    ec2: file.ec2,
    hostname: hostname(),
    team: teamConfigFrom(values, env, file.team),
  };
  return { config, listDrivers: values.drivers ?? false, reset: values.reset ?? false, help: values.help ?? false };
}
