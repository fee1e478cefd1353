// The team settings: how clients authenticate, metrics, rate limits, audit.
// From the command line, the environment (DELTACLOUD_*) and the config file's
// `team` section, in that order.
import { ConfigError } from '../config.js';
import { corsOriginsFrom } from '../cors.js';
import { profileDeclarationsFrom, type ConfigProfileDeclaration } from './config-profiles.js';

export type AuthMode = 'passthrough' | 'tokens' | 'both';
const AUTH_MODES: readonly AuthMode[] = ['passthrough', 'tokens', 'both'];

export interface TeamConfig {
  /** passthrough: Basic credentials go to the back end (as always); tokens: only Bearer tokens; both. */
  auth: AuthMode;
  /** Port of the Prometheus endpoint (its own listener); off when undefined. */
  metricsPort?: number;
  /** Address the metrics listener binds (default: the API's). */
  metricsHost?: string;
  /** Audit log: a file path, or `-` for standard output; off when undefined. */
  auditLog?: string;
  /** Requests per minute per token, Basic user or client address; 0 = unlimited. */
  readsPerMinute: number;
  writesPerMinute: number;
  /** Profiles declared in the config file (`team.profiles`): where their secrets are, not the secrets. */
  profiles: ConfigProfileDeclaration[];
  /** Origins allowed to call the API from scripts (CORS, server/cors.ts); none by default. */
  corsOrigins: string[];
}

/** The options `parseArgs` must know (merged into the server's own). */
export const TEAM_OPTIONS = {
  auth: { type: 'string' },
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string' },
  'audit-log': { type: 'string' },
  'rate-limit-reads': { type: 'string' },
  'rate-limit-writes': { type: 'string' },
  'cors-origins': { type: 'string' },
} as const;

export const TEAM_USAGE = `
Team (see docs/team.md):
      --auth MODE          passthrough (default; clients send the cloud's credentials), tokens
                           (only Bearer tokens of profiles) or both (env DELTACLOUD_AUTH)
      --metrics-port PORT  serve Prometheus metrics at /metrics on PORT (off unless set)
      --metrics-host HOST  address of the metrics listener (default: the API's)
      --audit-log FILE     one JSON line per write and per refused credential; - for stdout
      --rate-limit-reads N, --rate-limit-writes N
                           requests per minute per token or client (default: unlimited)
      --cors-origins LIST  origins (scheme://host[:port], comma-separated) whose pages may call
                           the API from scripts (CORS; off unless set; env DELTACLOUD_CORS_ORIGINS)
  deltacloudd profiles add|list|remove …, deltacloudd tokens create|list|revoke …
                           manage credential profiles and API tokens (--help for each)`;

type TeamValues = { [K in keyof typeof TEAM_OPTIONS]?: string };

function count(value: unknown, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${what} must be a whole number, got '${String(value)}'`);
  return n;
}

function text(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${what} must be a string`);
  return value;
}

export function teamConfigFrom(values: TeamValues, env: NodeJS.ProcessEnv, file: unknown): TeamConfig {
  if (file !== undefined && (typeof file !== 'object' || file === null || Array.isArray(file))) throw new ConfigError('team must be an object');
  const section = new Map(Object.entries(file ?? {}));
  const auth = values.auth ?? env.DELTACLOUD_AUTH ?? text(section.get('auth'), 'team.auth') ?? 'passthrough';
  const mode = AUTH_MODES.find((m) => m === auth);
  if (!mode) throw new ConfigError(`--auth must be one of ${AUTH_MODES.join(', ')}, got '${auth}'`);
  const metricsPort = count(values['metrics-port'] ?? env.DELTACLOUD_METRICS_PORT ?? section.get('metricsPort'), 'metrics port');
  if (metricsPort !== undefined && metricsPort > 65535) throw new ConfigError('metrics port must be at most 65535');
  const limits = section.get('rateLimit');
  const limit = (name: 'reads' | 'writes') => {
    const fromFile = limits && typeof limits === 'object' ? new Map(Object.entries(limits)).get(name) : undefined;
    const option = name === 'reads' ? values['rate-limit-reads'] : values['rate-limit-writes'];
    return count(option ?? env[`DELTACLOUD_RATE_LIMIT_${name.toUpperCase()}`] ?? fromFile, `rate limit for ${name}`) ?? 0;
  };
  return {
    auth: mode,
    metricsPort,
    metricsHost: values['metrics-host'] ?? env.DELTACLOUD_METRICS_HOST ?? text(section.get('metricsHost'), 'team.metricsHost'),
    auditLog: values['audit-log'] ?? env.DELTACLOUD_AUDIT_LOG ?? text(section.get('auditLog'), 'team.auditLog'),
    readsPerMinute: limit('reads'),
    writesPerMinute: limit('writes'),
    profiles: profileDeclarationsFrom(section.get('profiles')),
    corsOrigins: corsOriginsFrom(values['cors-origins'] ?? env.DELTACLOUD_CORS_ORIGINS ?? section.get('corsOrigins'), 'CORS origins'),
  };
}

/** Whether any team feature is on (otherwise the server runs exactly as without them). */
export const teamEnabled = (c: TeamConfig) =>
  c.auth !== 'passthrough' || c.metricsPort !== undefined || c.auditLog !== undefined || c.readsPerMinute > 0 || c.writesPerMinute > 0;
