// SDK clients, cached per (service, provider endpoint, region, access key id,
// keyed hash of secret + session token), sharing two keep-alive agents. Each
// request gets an AwsSession: the clients for its provider and credentials,
// and `call`/`pages` helpers that pass the request's AbortSignal and turn
// every failure into a DeltacloudError.
import http from 'node:http';
import https from 'node:https';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { S3Client } from '@aws-sdk/client-s3';
import type { Credentials, RequestContext } from '../../core/driver.js';
import { NotSupported } from '../../core/errors.js';
import { mapAwsError } from '../shared/s3/aws-errors.js';
import { s3ClientOptions, sdkClientConfig } from '../shared/s3/client.js';
import { credentialKey, keyAndSecret, type AwsCredentials } from '../shared/s3/credentials.js';
import { SdkCalls } from '../shared/s3/session.js';
import { offers, resolveProvider, type Ec2Options, type ResolvedProvider, type ServiceKind } from './config.js';
import { isRecord } from '../../core/guards.js';
import { httpOutcome, measureServiceCall } from '../../core/kit/service-calls.js';

export { credentialKey, type AwsCredentials };

/**
 * The session token travels in this request header (documented in the
 * README). The driver reads it from the request context when the front end
 * exposes request headers (`ctx.headers`) or from `credentials.sessionToken`.
 */
export const SESSION_TOKEN_HEADER = 'x-deltacloud-aws-session-token';

export function headerOf(ctx: RequestContext, name: string): string | undefined {
  return ctx.header(name);
}

/**
 * Basic user = access key id, password = secret access key; optional session
 * token. Basic auth ends the user name at the first `:`, but some S3-compatible
 * stores have access keys with a colon (Swift's tempauth: `account:user`). AWS
 * secrets never contain `:`, so a password with colons is read as the rest of
 * the access key up to its last `:`, then the secret: `test:tester:testing` →
 * access key `test:tester`, secret `testing`.
 */
export function awsCredentials(ctx: RequestContext): AwsCredentials {
  const basic = ctx.requireCredentials() as Credentials & { sessionToken?: string };
  const token = basic.sessionToken ?? headerOf(ctx, SESSION_TOKEN_HEADER);
  return {
    ...(keyAndSecret(`${basic.user}:${basic.password}`) ?? { accessKeyId: basic.user, secretAccessKey: basic.password }),
    ...(token ? { sessionToken: token.trim() } : {}),
  };
}

type AnyClient = EC2Client | S3Client | ElasticLoadBalancingClient | CloudWatchClient;

/** The HTTP status of a raw answer or of an SDK error, when there is one. */
function statusOf(value: unknown): number | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.statusCode === 'number') return value.statusCode;
  const metadata = value.$metadata;
  return isRecord(metadata) && typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** A middleware reporting each HTTP attempt of an SDK client to the back-end service metrics (core/kit/service-calls.ts). */
const measuring = (service: string) => <A, R extends { response: unknown }>(next: (args: A) => Promise<R>) => (args: A) =>
  measureServiceCall(service, 'ec2', () => next(args), (out) => {
    const status = statusOf(out.response);
    return status === undefined ? 'ok' : httpOutcome(status);
  }, statusOf);
/** After the SDK retry middleware: one report per attempt. */
const MEASURED = { step: 'finalizeRequest', priority: 'low', name: 'deltacloudServiceCalls' } as const;

export class ClientPool {
  private readonly clients = new Map<string, AnyClient>();
  readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32 });
  readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32 });

  constructor(readonly options: Ec2Options) {}

  get<K extends ServiceKind>(kind: K, provider: ResolvedProvider, creds: AwsCredentials): ClientOf<K> {
    const endpoint = provider.custom?.[kind];
    const key = [kind, provider.name, endpoint ?? '', provider.region, credentialKey(creds)].join('|');
    let client = this.clients.get(key);
    if (client) {
      // Most recently used last.
      this.clients.delete(key);
      this.clients.set(key, client);
      return client as ClientOf<K>;
    }
    client = this.create(kind, provider, creds, endpoint);
    this.clients.set(key, client);
    // Evicted clients are only dropped, never destroyed: their agents are shared, and a request may still use them.
    while (this.clients.size > this.options.clientCacheSize) this.clients.delete(this.clients.keys().next().value!);
    return client as ClientOf<K>;
  }

  private create(kind: ServiceKind, provider: ResolvedProvider, creds: AwsCredentials, endpoint: string | undefined): AnyClient {
    const common = sdkClientConfig({ region: provider.region, credentials: creds, endpoint, agents: this, options: this.options });
    switch (kind) {
      case 'ec2': {
        const client = new EC2Client(common);
        client.middlewareStack.add(measuring('EC2'), MEASURED);
        return client;
      }
      case 'elb': {
        const client = new ElasticLoadBalancingClient(common);
        client.middlewareStack.add(measuring('ELB'), MEASURED);
        return client;
      }
      case 'cloudwatch': {
        const client = new CloudWatchClient(common);
        client.middlewareStack.add(measuring('CloudWatch'), MEASURED);
        return client;
      }
      case 's3': {
        const client = new S3Client({
          ...common,
          ...s3ClientOptions({ aws: provider.custom === undefined, forcePathStyle: provider.custom?.forcePathStyle ?? false }),
        });
        client.middlewareStack.add(measuring('S3'), MEASURED);
        return client;
      }
    }
  }

  close(): void {
    this.clients.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

export type ClientOf<K extends ServiceKind> =
  K extends 'ec2' ? EC2Client : K extends 's3' ? S3Client : K extends 'elb' ? ElasticLoadBalancingClient : CloudWatchClient;

const SERVICE_NAMES: Record<ServiceKind, string> = { ec2: 'EC2', s3: 'S3', elb: 'Elastic Load Balancing', cloudwatch: 'CloudWatch' };

/** One request's view of AWS. */
export class AwsSession extends SdkCalls {
  readonly provider: ResolvedProvider;
  readonly creds: AwsCredentials;
  readonly options: Ec2Options;

  constructor(ctx: RequestContext, private readonly pool: ClientPool) {
    super(ctx);
    this.options = pool.options;
    // Provider first: an unknown provider is refused before credentials are even looked at.
    this.provider = resolveProvider(pool.options, ctx.provider);
    this.creds = awsCredentials(ctx);
  }

  has(kind: ServiceKind): boolean {
    return offers(this.provider, kind);
  }

  client<K extends ServiceKind>(kind: K): ClientOf<K> {
    if (!offers(this.provider, kind)) {
      throw new NotSupported(`Provider '${this.provider.name}' offers no ${SERVICE_NAMES[kind]} endpoint`);
    }
    return this.pool.get(kind, this.provider, this.creds);
  }

  ec2(): EC2Client { return this.client('ec2'); }
  s3(): S3Client { return this.client('s3'); }
  elb(): ElasticLoadBalancingClient { return this.client('elb'); }
  cloudwatch(): CloudWatchClient { return this.client('cloudwatch'); }

  /** Errors → DeltacloudErrors with the provider's message (secret and token scrubbed). */
  mapError(error: unknown): unknown {
    return mapAwsError(error, [this.creds.secretAccessKey, this.creds.sessionToken]);
  }
}
