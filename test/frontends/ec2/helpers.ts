// Shared by the EC2 front-end tests: an SDK client for a test server, an
// independent SigV4 signer (the AWS SDK's own) for hand-made requests, and
// checks of EC2 error answers.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { EC2Client, EC2ServiceException, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { SignatureV4 } from '@smithy/signature-v4';

export const REGION = 'us-east-1';
export const MOCK_KEYS = { accessKeyId: 'mockuser', secretAccessKey: 'mockpassword' };

export function ec2Client(port: number, config: Partial<EC2ClientConfig> = {}): EC2Client {
  return new EC2Client({
    endpoint: `http://127.0.0.1:${port}/ec2`,
    region: REGION,
    credentials: MOCK_KEYS,
    // One attempt per call: a retry would hide which answer the server gave.
    maxAttempts: 1,
    ...config,
  });
}

/** Awaits `work` and checks it failed with this EC2 error code (and HTTP status when given). */
export async function rejectsWith(work: Promise<unknown>, code: string, status?: number): Promise<EC2ServiceException> {
  try {
    await work;
  } catch (error) {
    const e = error as EC2ServiceException;
    assert.equal(e.name, code, `expected ${code}, got ${e.name}: ${e.message}`);
    if (status !== undefined) assert.equal(e.$metadata?.httpStatusCode, status, `HTTP status of ${code}`);
    return e;
  }
  assert.fail(`expected the EC2 error ${code}, but the call succeeded`);
}

/** SHA-256 for the SDK signer, from node:crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

export function signer(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = MOCK_KEYS): SignatureV4 {
  return new SignatureV4({ service: 'ec2', region: REGION, credentials, sha256: Sha256 as never, uriEscapePath: true });
}

export interface RawAnswer {
  status: number;
  text: string;
  code?: string;
}

function answer(status: number, text: string): RawAnswer {
  return { status, text, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

/** A form POST to /ec2, signed by the SDK's signer (or not at all with `sign: false`). */
export async function postForm(
  port: number,
  params: Record<string, string>,
  opts: { credentials?: typeof MOCK_KEYS; signingDate?: Date; sign?: boolean; alter?: (body: string) => string } = {},
): Promise<RawAnswer> {
  const body = new URLSearchParams({ Version: '2016-11-15', ...params }).toString();
  const request = {
    method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path: '/ec2/', query: {},
    headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded' } as Record<string, string>,
    body,
  };
  const signed = opts.sign === false ? request : await signer(opts.credentials).sign(request, { signingDate: opts.signingDate });
  const sent = opts.alter ? opts.alter(body) : body;
  const res = await fetch(`http://127.0.0.1:${port}/ec2/`, { method: 'POST', headers: signed.headers, body: sent });
  return answer(res.status, await res.text());
}

/** A presigned GET URL for these Query parameters. */
export async function presignedUrl(
  port: number, params: Record<string, string>, opts: { expiresIn?: number; signingDate?: Date; credentials?: Parameters<typeof signer>[0] } = {},
): Promise<string> {
  const request = {
    method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port, path: '/ec2/',
    query: { Version: '2016-11-15', ...params }, headers: { host: `127.0.0.1:${port}` }, body: undefined,
  };
  const signed = await signer(opts.credentials).presign(request, { expiresIn: opts.expiresIn ?? 300, signingDate: opts.signingDate });
  const query = Object.entries(signed.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  return `http://127.0.0.1:${port}/ec2/?${query}`;
}

export async function get(url: string): Promise<RawAnswer> {
  const res = await fetch(url);
  return answer(res.status, await res.text());
}
