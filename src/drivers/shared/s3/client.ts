// S3 clients of drivers whose object store is S3-compatible (DigitalOcean
// Spaces, Linode Object Storage, …): one per (endpoint, caller), sharing two
// keep-alive agents, each request's calls bound to its context. The ec2
// driver keeps its own pool (one per AWS service) but builds S3 clients with
// the same `s3ClientOptions`.
import http from 'node:http';
import https from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { RequestContext } from '../../../core/driver.js';
import { mapAwsError } from './aws-errors.js';
import { credentialKey, type AwsCredentials } from './credentials.js';
import { SdkCalls } from './session.js';

/** What distinguishes AWS S3 from the S3-compatible stores, for the client. */
export function s3ClientOptions(store: { aws: boolean; forcePathStyle: boolean }): Pick<S3ClientConfig,
  'forcePathStyle' | 'requestChecksumCalculation' | 'responseChecksumValidation' | 'followRegionRedirects'> {
  return {
    forcePathStyle: store.forcePathStyle,
    // S3-compatible stores differ in checksum support; AWS itself gets the SDK's default integrity checks.
    requestChecksumCalculation: store.aws ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    responseChecksumValidation: store.aws ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    followRegionRedirects: store.aws,
  };
}

/** What every AWS SDK client of ours is configured with (S3, and the ec2 driver's EC2, ELB and CloudWatch). */
export function sdkClientConfig(c: {
  region: string;
  credentials: AwsCredentials;
  endpoint?: string;
  agents: { httpAgent: http.Agent; httpsAgent: https.Agent };
  options: Pick<S3StoreOptions, 'maxAttempts' | 'connectTimeoutMs' | 'socketTimeoutMs'>;
}) {
  return {
    region: c.region,
    credentials: { ...c.credentials },
    maxAttempts: c.options.maxAttempts,
    retryMode: 'standard',
    // Only our configuration decides endpoints (not AWS_ENDPOINT_URL* or ~/.aws/config).
    ignoreConfiguredEndpointUrls: true,
    requestHandler: {
      httpAgent: c.agents.httpAgent,
      httpsAgent: c.agents.httpsAgent,
      connectionTimeout: c.options.connectTimeoutMs,
      requestTimeout: c.options.socketTimeoutMs,
    },
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
  } as const;
}

/** An S3-compatible store's endpoint, as the operator (or the driver, for official ones) names it. */
export interface S3Endpoint {
  /** http(s) base URL, e.g. `https://nyc3.digitaloceanspaces.com`. */
  url: string;
  /** Signing region. */
  region: string;
  /** Path-style addressing (`/bucket/key`), which most stores other than the provider's own need. */
  forcePathStyle: boolean;
}

export interface S3StoreOptions {
  /** Milliseconds to wait for a TCP connection; socket idle limit. */
  connectTimeoutMs: number;
  socketTimeoutMs: number;
  /** SDK attempts per call (first try + retries, with jittered back-off). */
  maxAttempts: number;
  /** Most distinct (endpoint, credentials) clients kept. */
  clientCacheSize: number;
}

export const DEFAULT_S3_STORE_OPTIONS: S3StoreOptions = { connectTimeoutMs: 10_000, socketTimeoutMs: 120_000, maxAttempts: 3, clientCacheSize: 64 };

/** The S3 clients of one driver. */
export class S3Store {
  private readonly clients = new Map<string, S3Client>();
  readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32 });
  readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32 });

  constructor(private readonly options: S3StoreOptions = DEFAULT_S3_STORE_OPTIONS) {}

  client(endpoint: S3Endpoint, creds: AwsCredentials): S3Client {
    const key = [endpoint.url, endpoint.region, String(endpoint.forcePathStyle), credentialKey(creds)].join('|');
    const cached = this.clients.get(key);
    // Most recently used last; evicted clients are only dropped (their agents are shared, a request may still use them).
    if (cached) this.clients.delete(key);
    const client = cached ?? new S3Client({
      ...sdkClientConfig({ region: endpoint.region, credentials: creds, endpoint: endpoint.url, agents: this, options: this.options }),
      ...s3ClientOptions({ aws: false, forcePathStyle: endpoint.forcePathStyle }),
    });
    this.clients.set(key, client);
    while (this.clients.size > this.options.clientCacheSize) this.clients.delete(this.clients.keys().next().value!);
    return client;
  }

  /** One request's calls to `endpoint` as `creds`; `secrets` are scrubbed from every error message too. */
  session(ctx: RequestContext, endpoint: S3Endpoint, creds: AwsCredentials, secrets: readonly string[] = []): S3StoreSession {
    return new S3StoreSession(ctx, () => this.client(endpoint, creds), [creds.secretAccessKey, ...secrets]);
  }

  close(): void {
    this.clients.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

export class S3StoreSession extends SdkCalls {
  constructor(ctx: RequestContext, private readonly clientOf: () => S3Client, private readonly secrets: readonly string[]) {
    super(ctx);
  }

  s3(): S3Client {
    return this.clientOf();
  }

  mapError(error: unknown): unknown {
    return mapAwsError(error, [...this.secrets]);
  }
}
