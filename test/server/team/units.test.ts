// The parts of the team features that need no server: settings, sealing,
// token parsing and the rate limiter's windows.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError, parseCommandLine } from '../../../src/server/config.js';
import { ServerMetrics } from '../../../src/server/team/metrics.js';
import { RateLimiter } from '../../../src/server/team/rate-limit.js';
import { SealBroken, SecretBox } from '../../../src/server/team/secret-box.js';
import { parsePrometheus } from './prometheus.js';
import { sameTextAt } from '../../../src/core/secrets.js';
import { durationMs, ec2AccessKeyId, hashSecret, hasProvenSecret, newToken, parseToken, secretMatches, tokenIdOfAccessKey } from '../../../src/server/team/tokens.js';

test('settings: --auth over DELTACLOUD_AUTH, passthrough by default; bad values are refused', () => {
  assert.equal(parseCommandLine([], {}).config.team.auth, 'passthrough');
  assert.equal(parseCommandLine([], { DELTACLOUD_AUTH: 'both' }).config.team.auth, 'both');
  const team = parseCommandLine(['--auth', 'tokens', '--metrics-port', '9464', '--rate-limit-reads', '10', '--audit-log', '-'], { DELTACLOUD_AUTH: 'both' }).config.team;
  assert.deepEqual(team, { auth: 'tokens', metricsPort: 9464, metricsHost: undefined, auditLog: '-', readsPerMinute: 10, writesPerMinute: 0, profiles: [], corsOrigins: [] });
  assert.throws(() => parseCommandLine(['--auth', 'open']), (e: Error) => e instanceof ConfigError && /--auth must be one of passthrough, tokens, both/.test(e.message));
  assert.throws(() => parseCommandLine(['--metrics-port', '70000']), ConfigError);
  assert.throws(() => parseCommandLine(['--rate-limit-writes', '-1']), ConfigError);
});

test('sealing: opens with the same key and profile name only; tampering is detected', () => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal('s3cr3t', 'aws-prod');
  assert.ok(!sealed.includes('s3cr3t'));
  assert.notEqual(box.seal('s3cr3t', 'aws-prod'), sealed, 'a fresh nonce each time');
  assert.equal(box.open(sealed, 'aws-prod'), 's3cr3t');
  assert.throws(() => box.open(sealed, 'other-profile'), SealBroken);
  assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, 'aws-prod'), SealBroken);
  const [version, nonce, payload] = sealed.split(':');
  const flipped = Buffer.from(payload!, 'base64');
  flipped[0]! ^= 1;
  assert.throws(() => box.open([version, nonce, flipped.toString('base64')].join(':'), 'aws-prod'), SealBroken);
  assert.equal(JSON.stringify({ box }), '{"box":"[SecretBox]"}');
});

test('tokens: shape, hash comparison, EC2 key ids, durations', () => {
  const made = newToken();
  assert.deepEqual(parseToken(made.token), { id: made.id, secret: made.secret });
  for (const bad of ['', 'dct_', `dct_${made.id}_short`, `${made.token}x`, made.token.toUpperCase()]) assert.equal(parseToken(bad), undefined, bad);
  assert.ok(secretMatches(made.secret, hashSecret(made.secret)));
  assert.ok(!secretMatches(newToken().secret, hashSecret(made.secret)));
  assert.ok(!secretMatches(made.secret, 'abc'), 'a stored hash of another length');
  assert.ok(secretMatches(made.secret, Buffer.from(hashSecret(made.secret), 'hex')), 'the stored hash as bytes');
  assert.ok(sameTextAt(made.secret, 0, `${made.secret}`));
  assert.ok(sameTextAt(made.token, made.token.length - made.secret.length, made.secret), 'the secret inside the token');
  const different = (c: string) => (c === 'a' ? 'b' : 'a');
  const changedFirst = different(made.secret[0]!) + made.secret.slice(1);
  const changedLast = made.secret.slice(0, -1) + different(made.secret.at(-1)!);
  // A character outside ASCII whose low byte is the secret's own character (Ł is U+0141, A is 0x41).
  const secretWithA = `A${made.secret.slice(1)}`;
  assert.ok(!sameTextAt(`\u0141${made.secret.slice(1)}`, 0, secretWithA), 'a non-ASCII look-alike');
  for (const other of ['', made.secret.slice(1), `${made.secret}x`, changedFirst, changedLast]) {
    assert.ok(!sameTextAt(other, 0, made.secret), JSON.stringify(other));
    assert.ok(!sameTextAt(made.secret, 0, other), JSON.stringify(other));
  }
  // A proven secret in a token's frame: the frame is checked too.
  assert.ok(hasProvenSecret(made.token, made.secret));
  for (const other of [`xct_${made.token.slice(4)}`, `${made.token.slice(0, 20)}-${made.token.slice(21)}`, `${made.token}x`, made.token.slice(0, -1), `dct_${made.id}_${changedLast}`]) {
    assert.ok(!hasProvenSecret(other, made.secret), other);
  }
  assert.equal(tokenIdOfAccessKey(ec2AccessKeyId(made.id)), made.id);
  assert.equal(tokenIdOfAccessKey('AKIAIOSFODNN7EXAMPLE'), undefined);
  assert.equal(durationMs('30d'), 30 * 86_400_000);
  assert.equal(durationMs('12h'), 12 * 3_600_000);
  assert.equal(durationMs('90m'), 90 * 60_000);
  for (const bad of ['0d', '-1d', '1w', 'soon']) assert.equal(durationMs(bad), undefined, bad);
});

test('rate limiter: N per minute per caller, reads and writes apart; Retry-After to the end of the window', () => {
  let now = 120_000 + 15_000; // 15 s into a window
  const limiter = new RateLimiter(3, 1, () => now);
  for (let i = 0; i < 3; i++) assert.deepEqual(limiter.take('a', false), {});
  assert.deepEqual(limiter.take('a', false), { retryAfter: 45 });
  assert.deepEqual(limiter.take('b', false), {}, 'another caller');
  assert.deepEqual(limiter.take('a', true), {}, 'writes are counted apart');
  assert.deepEqual(limiter.take('a', true), { retryAfter: 45 });
  now += 45_000; // the next window
  assert.deepEqual(limiter.take('a', false), {});
  assert.deepEqual(new RateLimiter(0, 0, () => now).take('a', true), {}, '0 is unlimited');
});

test('histograms counted outside prom-client: cumulative buckets, +Inf, sum and count per label set, escaped label values, parsed as the text format', async () => {
  const metrics = new ServerMetrics();
  const odd = { route: 'a "quoted" \\ path\nwith a newline', method: 'GET', driver: 'mock', status: '200' };
  const plain = { route: '/api/instances', method: 'GET', driver: 'mock', status: '200' };
  // 0.001 sits on a bound: Prometheus buckets are `le`, so it counts in the 0.001 bucket.
  for (const seconds of [0.0001, 0.001, 0.003, 0.003, 40]) metrics.requestSeconds.observe(odd, seconds);
  metrics.requestSeconds.series(plain).observe(0.2);
  const family = parsePrometheus(await metrics.render()).get('deltacloud_http_request_duration_seconds');
  assert.equal(family?.type, 'histogram');
  const of = (labels: Record<string, string>, name: string, le?: string) => family!.samples.filter((s) => s.name === name && s.labels.route === labels.route && s.labels.le === le);
  const bucket = (labels: Record<string, string>, le: string) => of(labels, 'deltacloud_http_request_duration_seconds_bucket', le).map((s) => s.value);
  assert.deepEqual(bucket(odd, '0.0005'), [1]);
  assert.deepEqual(bucket(odd, '0.001'), [2]);
  assert.deepEqual(bucket(odd, '0.005'), [4]);
  assert.deepEqual(bucket(odd, '30'), [4]);
  assert.deepEqual(bucket(odd, '+Inf'), [5]);
  assert.deepEqual(of(odd, 'deltacloud_http_request_duration_seconds_count').map((s) => s.value), [5]);
  assert.ok(Math.abs(of(odd, 'deltacloud_http_request_duration_seconds_sum')[0]!.value - 40.0071) < 1e-9);
  assert.deepEqual(bucket(plain, '0.1'), [0]);
  assert.deepEqual(bucket(plain, '0.25'), [1]);
  assert.equal(family!.samples.filter((s) => s.labels.route === odd.route && s.labels.method === 'GET' && s.labels.driver === 'mock').length, 15 + 1 + 2);
});
