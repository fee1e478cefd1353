// Operator configuration of the ec2 driver and the one place where a
// request's provider becomes service endpoints.
//
// A provider is either an AWS region name (the SDK then derives the official
// *.amazonaws.com endpoints itself) or the name of an endpoint set the
// operator listed under `options.endpoints`. Nothing a client sends is ever
// used as a URL or host: an unknown provider is refused before any
// connection is made (the original used unknown values as host names).
import { allowProvider } from '../../core/kit/providers.js';
import { emptyRecord, isPrototypeName } from '../../core/safe-keys.js';
import { OptionReader } from '../../core/kit/options.js';
import { isRecord } from '../../core/guards.js';

export type ServiceKind = 'ec2' | 's3' | 'elb' | 'cloudwatch';
export const SERVICE_KINDS: readonly ServiceKind[] = ['ec2', 's3', 'elb', 'cloudwatch'];

/** An operator-listed endpoint set, e.g. an S3-compatible store or a private EC2 API. */
export interface EndpointSet {
  ec2?: string;
  s3?: string;
  elb?: string;
  cloudwatch?: string;
  /** Signing region. */
  region: string;
  /** S3 path-style addressing (most S3-compatible stores need it). */
  forcePathStyle?: boolean;
  /** Image owners listed when the request names none (default: all images of the endpoint). */
  imageOwners?: string[];
}

export interface Ec2Options {
  /** Region used when the request names no provider. */
  defaultRegion: string;
  /** Whether AWS region names are accepted as providers (false: only `endpoints`). */
  awsRegions: boolean;
  endpoints: Record<string, EndpointSet>;
  /** Image owners listed on AWS when the request names none (`owner_id`); default `amazon`, as the original. */
  imageOwners: string[];
  /** SDK attempts per call (first try + retries, with jittered back-off). */
  maxAttempts: number;
  /** Multipart upload part size (bytes) and parts in flight. */
  partSize: number;
  queueSize: number;
  /** Uploaded bytes between requested garbage collections (bounds memory of big uploads; 0 = never). */
  collectEveryBytes: number;
  /** Milliseconds to wait for a TCP connection; socket idle limit. */
  connectTimeoutMs: number;
  socketTimeoutMs: number;
  /** Most distinct (endpoint, credentials) client sets kept. */
  clientCacheSize: number;
  /** How long instance types stay cached (ms). */
  instanceTypeCacheMs: number;
}

/** An AWS region id: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-7` … */
export const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

const MIN_PART = 5 * 1024 * 1024;

export class Ec2ConfigError extends Error {}

/** The option reader's message style for the checks it does not do itself. */
function fail(message: string): never {
  throw new Ec2ConfigError(`drivers.ec2.${message}`);
}

function httpUrl(value: unknown, where: string): string {
  if (typeof value !== 'string') fail(`${where} must be a URL string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${where} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${where} must be http or https`);
  if (url.username || url.password) fail(`${where} must not carry credentials`);
  return value.replace(/\/+$/, '');
}

export function parseOptions(raw: Record<string, unknown>): Ec2Options {
  const o: OptionReader = new OptionReader(raw, 'drivers.ec2', Ec2ConfigError);
  const endpoints = emptyRecord<EndpointSet>();
  const rawEndpoints = raw.endpoints ?? {};
  if (!isRecord(rawEndpoints)) fail('endpoints must be an object');
  for (const [name, value] of Object.entries(rawEndpoints)) {
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(name) || isPrototypeName(name)) fail(`endpoint set name '${name}' may only use letters, digits, '.', '_', ':', '-'`);
    if (!isRecord(value)) fail(`endpoints.${name} must be an object`);
    const v = value;
    if (typeof v.region !== 'string' || v.region === '') fail(`endpoints.${name}.region is required`);
    const set: EndpointSet = { region: v.region };
    for (const kind of SERVICE_KINDS) if (v[kind] !== undefined) set[kind] = httpUrl(v[kind], `endpoints.${name}.${kind}`);
    if (!SERVICE_KINDS.some((k) => set[k] !== undefined)) fail(`endpoints.${name} lists no service (ec2, s3, elb, cloudwatch)`);
    if (v.forcePathStyle !== undefined) {
      if (typeof v.forcePathStyle !== 'boolean') fail(`endpoints.${name}.forcePathStyle must be true or false`);
      set.forcePathStyle = v.forcePathStyle;
    }
    const owners = new OptionReader(v, `drivers.ec2.endpoints.${name}`, Ec2ConfigError).strings('imageOwners');
    if (owners !== undefined) set.imageOwners = owners;
    endpoints[name] = set;
  }
  const defaultRegion = raw.defaultRegion ?? 'us-east-1';
  if (typeof defaultRegion !== 'string' || !AWS_REGION.test(defaultRegion)) fail('defaultRegion must be an AWS region id');
  if (raw.awsRegions !== undefined && typeof raw.awsRegions !== 'boolean') fail('awsRegions must be true or false');
  return {
    defaultRegion,
    awsRegions: raw.awsRegions !== false,
    endpoints,
    imageOwners: o.strings('imageOwners') ?? ['amazon'],
    maxAttempts: o.number('maxAttempts', { min: 1, max: 10, integer: true }, 3),
    partSize: o.number('partSize', { min: MIN_PART, max: 5 * 1024 ** 3, integer: true }, 8 * 1024 * 1024),
    queueSize: o.number('queueSize', { min: 1, max: 16, integer: true }, 2),
    collectEveryBytes: o.number('collectEveryBytes', { min: 0, max: 1024 ** 4, integer: true }, 16 * 1024 * 1024),
    connectTimeoutMs: o.durationMs('connectTimeout', { min: 100, max: 600_000, integer: true }, 10_000),
    socketTimeoutMs: o.durationMs('socketTimeout', { min: 1_000, max: 3_600_000, integer: true }, 120_000),
    clientCacheSize: o.number('clientCacheSize', { min: 1, max: 10_000, integer: true }, 64),
    instanceTypeCacheMs: o.durationMs('instanceTypeCache', { min: 0, max: 86_400_000, integer: true }, 3_600_000),
  };
}

/** Where one request's calls go. */
export interface ResolvedProvider {
  /** The provider as named (region or endpoint set name). */
  name: string;
  region: string;
  /** Operator-listed endpoints; undefined for AWS itself. */
  custom?: EndpointSet;
}

/** The provider of a request → region and endpoints, or 400 without contacting anything. */
export function resolveProvider(options: Ec2Options, provider: string | undefined): ResolvedProvider {
  const name = provider === undefined || provider === '' || provider === 'default' ? options.defaultRegion : provider;
  const custom = Object.prototype.hasOwnProperty.call(options.endpoints, name) ? options.endpoints[name] : undefined;
  if (custom) return { name, region: custom.region, custom };
  const listed = Object.keys(options.endpoints);
  const regions = options.awsRegions ? 'AWS regions' : '';
  const endpoints = listed.length ? `the configured endpoints (${listed.join(', ')})` : '';
  allowProvider(name, (p) => options.awsRegions && AWS_REGION.test(p),
    `it offers ${[regions, endpoints].filter(Boolean).join(' and ') || 'none'}; other endpoints must be added to its configuration by the operator`);
  return { name, region: name };
}

/** Whether the provider offers a service (AWS regions offer all four). */
export function offers(provider: ResolvedProvider, kind: ServiceKind): boolean {
  return provider.custom === undefined || provider.custom[kind] !== undefined;
}
