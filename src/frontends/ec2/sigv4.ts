// AWS Signature Version 4 verification, for the Authorization header and for
// presigned (query-string) requests, following AWS's "Create a signed AWS API
// request" (canonical request → string to sign → HMAC chain). The secret is
// never sent: we recompute the signature with the secret the operator
// configured for the access key and compare in constant time.
import { createHash, createHmac } from 'node:crypto';
import { sameSecret } from '../../core/secrets.js';
import { firstRawHeader } from '../../server/raw-header.js';
import { Ec2Error, signatureMismatch } from './errors.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const SERVICE = 'ec2';
/** AWS rejects requests whose time is further than this from the server's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Longest validity AWS allows a presigned URL (7 days). */
const MAX_PRESIGNED_EXPIRY_S = 7 * 24 * 3600;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** The parts of an HTTP request that a signature covers, exactly as received. */
export interface RawRequest {
  method: string;
  /** Path before `?`, still percent-encoded. */
  rawPath: string;
  /** Query after `?`, still percent-encoded ('' when none). */
  rawQuery: string;
  /** Node's alternating name/value list, so repeated headers keep their separate values. */
  rawHeaders: string[];
  body: Buffer;
}

/** What the client claims: parsed from the Authorization header or the X-Amz-* query parameters. */
export interface SignatureClaim {
  accessKeyId: string;
  /** `YYYYMMDDTHHMMSSZ` */
  amzDate: string;
  time: Date;
  region: string;
  /** `date/region/ec2/aws4_request` */
  scope: string;
  signedHeaders: string[];
  signature: string;
  presigned: boolean;
  /** Presigned only: seconds the URL stays valid. */
  expiresSeconds?: number;
}

const incomplete = (message: string) => new Ec2Error('IncompleteSignature', message);

/** Decoded query pairs in order; throws on malformed percent-encoding. */
export function queryPairs(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    try {
      pairs.push([decodeURIComponent(k), decodeURIComponent(v)]);
    } catch {
      throw new Ec2Error('InvalidParameterValue', 'The query string is not correctly percent-encoded');
    }
  }
  return pairs;
}

function parseAmzDate(value: string | undefined): { amzDate: string; time: Date } {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) throw incomplete("The request must carry an X-Amz-Date of the form YYYYMMDD'T'HHMMSS'Z'");
  const time = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  if (Number.isNaN(time.getTime())) throw incomplete('X-Amz-Date is not a valid date');
  return { amzDate: value!, time };
}

/** `AKID/20260101/us-east-1/ec2/aws4_request` → its parts, checked against the request date. */
function parseCredential(credential: string, amzDate: string) {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw incomplete('Credential must have the form <access key id>/<date>/<region>/<service>/aws4_request');
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== 'aws4_request') throw signatureMismatch("Credential should be scoped with a valid terminator: 'aws4_request'");
  if (service !== SERVICE) throw signatureMismatch(`Credential should be scoped to correct service: '${SERVICE}'`);
  if (date !== amzDate.slice(0, 8)) {
    throw signatureMismatch('Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP');
  }
  return { accessKeyId, region, scope: parts.slice(1).join('/') };
}

function parseSignedHeaders(list: string): string[] {
  const names = list.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase())) throw incomplete('SignedHeaders must be lower-case names separated by ;');
  // The Host header binds the signature to this server; AWS requires it signed.
  if (!names.includes('host')) throw signatureMismatch("'Host' must be a signed header");
  return names;
}

/**
 * The claimed signature, or undefined when the request carries no SigV4 at
 * all (the caller answers AuthFailure: every request must be signed).
 */
export function parseSignature(req: RawRequest): SignatureClaim | undefined {
  const authorization = firstRawHeader(req, 'authorization');
  if (authorization !== undefined) {
    if (!authorization.startsWith(`${ALGORITHM} `)) {
      throw new Ec2Error('AuthFailure', `Only Signature Version 4 (${ALGORITHM}) is supported`, 401);
    }
    const fields: Record<string, string> = {};
    for (const item of authorization.slice(ALGORITHM.length + 1).split(',')) {
      const eq = item.indexOf('=');
      if (eq > 0) fields[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
    }
    for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
      if (!fields[name]) throw incomplete(`Authorization header requires '${name}' parameter`);
    }
    const { amzDate, time } = parseAmzDate(firstRawHeader(req, 'x-amz-date'));
    return {
      ...parseCredential(fields.Credential!, amzDate),
      amzDate, time, signedHeaders: parseSignedHeaders(fields.SignedHeaders!), signature: fields.Signature!, presigned: false,
    };
  }
  const query = new Map(queryPairs(req.rawQuery));
  if (!query.has('X-Amz-Signature') && !query.has('X-Amz-Credential')) return undefined;
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw new Ec2Error('AuthFailure', `X-Amz-Algorithm must be ${ALGORITHM}`, 401);
  for (const name of ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Expires']) {
    if (!query.get(name)) throw incomplete(`A presigned request must carry ${name}`);
  }
  const { amzDate, time } = parseAmzDate(query.get('X-Amz-Date'));
  const expiresSeconds = Number(query.get('X-Amz-Expires'));
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGNED_EXPIRY_S) {
    throw incomplete(`X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_EXPIRY_S}`);
  }
  return {
    ...parseCredential(query.get('X-Amz-Credential')!, amzDate),
    amzDate, time, signedHeaders: parseSignedHeaders(query.get('X-Amz-SignedHeaders')!),
    signature: query.get('X-Amz-Signature')!, presigned: true, expiresSeconds,
  };
}

/** RequestExpired for a stale request, SignatureDoesNotMatch for one from the future (as AWS answers). */
export function checkRequestTime(claim: SignatureClaim, now: Date): void {
  const skew = claim.time.getTime() - now.getTime();
  if (skew > MAX_CLOCK_SKEW_MS) throw signatureMismatch(`Signature not yet current: ${claim.amzDate} is still later than the server time plus 15 minutes`);
  const expiresMs = claim.presigned ? claim.expiresSeconds! * 1000 : MAX_CLOCK_SKEW_MS;
  if (-skew > expiresMs) {
    throw new Ec2Error('RequestExpired', claim.presigned
      ? `Request has expired: the presigned URL was valid for ${claim.expiresSeconds} seconds from ${claim.amzDate}`
      : `Request has expired: ${claim.amzDate} is more than 15 minutes before the server time`);
  }
}

/** RFC 3986 encoding, as SigV4 requires (encodeURIComponent leaves !'()* alone). */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Non-S3 services double-encode: the received (already encoded) path is encoded once more, `/` kept. */
function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const s of rawPath.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return '/' + segments.map(rfc3986).join('/') + trailing;
}

function canonicalQuery(rawQuery: string, presigned: boolean): string {
  return queryPairs(rawQuery)
    .filter(([k]) => !(presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function canonicalHeaders(req: RawRequest, names: string[]): string {
  return names.map((name) => {
    const values: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() === name) values.push(req.rawHeaders[i + 1]!.trim().replace(/\s+/g, ' '));
    }
    return `${name}:${values.join(',')}\n`;
  }).join('');
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * The payload hashes the signature may have used. The body is always hashed
 * by us, so an altered body never verifies; `UNSIGNED-PAYLOAD` is accepted
 * only for an empty body (presigned GETs), where there is nothing to alter.
 */
function payloadHashes(req: RawRequest): string[] {
  const actual = sha256Hex(req.body);
  const allowed = req.body.length === 0 ? [actual, UNSIGNED_PAYLOAD] : [actual];
  const declared = firstRawHeader(req, 'x-amz-content-sha256');
  if (declared === undefined) return allowed;
  if (!allowed.includes(declared)) throw signatureMismatch('The provided x-amz-content-sha256 header does not match what was computed.');
  return [declared];
}

export function signingKey(secret: string, date: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), SERVICE), 'aws4_request');
}

const INVALID_TOKEN = 'The security token included in the request is invalid';

/**
 * Checks the session token of temporary credentials, after the signature:
 * a key configured with one must present it (signed, as SDKs send it), and a
 * key without one must not present any, as AWS answers for long-term keys.
 */
export function verifySessionToken(req: RawRequest, claim: SignatureClaim, expected: string | undefined): void {
  let given: string | undefined;
  if (claim.presigned) given = new URLSearchParams(req.rawQuery).get('X-Amz-Security-Token') ?? undefined; // the whole query is signed
  else {
    given = firstRawHeader(req, 'x-amz-security-token');
    if (given !== undefined && !claim.signedHeaders.includes('x-amz-security-token')) {
      throw signatureMismatch("'X-Amz-Security-Token' must be a signed header");
    }
  }
  if (given === undefined && expected === undefined) return;
  if (given === undefined || expected === undefined || !sameSecret(given, expected)) throw new Ec2Error('AuthFailure', INVALID_TOKEN, 401);
}

/** Throws SignatureDoesNotMatch unless `claim.signature` is what `secret` produces for this request. */
export function verifySignature(req: RawRequest, claim: SignatureClaim, secret: string): void {
  const head = [
    req.method.toUpperCase(),
    canonicalUri(req.rawPath),
    canonicalQuery(req.rawQuery, claim.presigned),
    canonicalHeaders(req, claim.signedHeaders),
    claim.signedHeaders.join(';'),
  ].join('\n');
  const key = signingKey(secret, claim.amzDate.slice(0, 8), claim.region);
  const ok = payloadHashes(req).some((payloadHash) => {
    const stringToSign = [ALGORITHM, claim.amzDate, claim.scope, sha256Hex(`${head}\n${payloadHash}`)].join('\n');
    return sameSecret(createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex'), claim.signature);
  });
  if (!ok) throw signatureMismatch();
}
