// A 1 GiB blob through the Deltacloud API to Swift's S3 API and back:
// byte-exact (streaming SHA-256 on both sides) with the server's resident
// memory growing by less than 64 MB. Live; needs scripts/swift-s3/setup.sh.
// Run alone with: node --test --import tsx test/drivers/ec2/s3-1gib.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { req } from '../../helpers/api.js';
import {
  assertBigRoundTrip, getDigest, MiB, patternStream, putStream, startEc2Server, swiftAvailable, SWIFT_AUTH, SWIFT_S3, type Ec2Server,
} from './helpers.js';

const available = await swiftAvailable();
const PROVIDER = 'swift-s3';
const SIZE = 1024 * MiB;
const LIMIT = 64 * 1000 * 1000;
const BUCKET = `dc-ec2-1gib-${Date.now().toString(36)}`;
const BLOB = 'one-gibibyte.bin';

let ec2: Ec2Server;

describe('ec2 driver: a 1 GiB blob through the API to Swift S3', { skip: !available && 'Swift S3 not running' }, () => {
  before(async () => {
    ec2 = await startEc2Server({ endpoints: { [PROVIDER]: { s3: SWIFT_S3, region: 'us-east-1', forcePathStyle: true } } }, PROVIDER);
    const made = await req(ec2.server.port, 'POST', '/api/buckets', { auth: SWIFT_AUTH, body: { name: BUCKET } });
    assert.equal(made.status, 201, made.text);
    // Warm up: load the SDK paths an upload and a download use, so the baseline is the idle server.
    const small = patternStream(9 * MiB, 3);
    const warm = await putStream(ec2.server.port, `/api/buckets/${BUCKET}/warm.bin`, small.stream, 9 * MiB, { Authorization: SWIFT_AUTH });
    assert.equal(warm.status, 200, warm.body);
    const back = await getDigest(ec2.server.port, `/api/buckets/${BUCKET}/warm.bin/content`, { Authorization: SWIFT_AUTH });
    assert.equal(back.sha256, small.digest());
  });
  after(async () => {
    for (const blob of [BLOB, 'warm.bin']) await req(ec2.server.port, 'DELETE', `/api/buckets/${BUCKET}/${blob}`, { auth: SWIFT_AUTH }).catch(() => undefined);
    await req(ec2.server.port, 'DELETE', `/api/buckets/${BUCKET}`, { auth: SWIFT_AUTH }).catch(() => undefined);
    await ec2?.stop();
  });

  test('upload and download 1 GiB byte-exact, server RSS growth < 64 MB', { timeout: 15 * 60_000 }, async () => {
    await assertBigRoundTrip(ec2.server, `/api/buckets/${BUCKET}/${BLOB}`, SWIFT_AUTH, SIZE, LIMIT);
  });
});
