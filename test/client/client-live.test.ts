// The client against a live back end: the ec2 driver on OpenStack Swift's S3
// API (scripts/swift-s3/setup.sh). The entry point offers only buckets, so the
// client refuses compute calls before sending; buckets and blobs (streamed,
// with metadata and progress) round-trip. Skips loudly without Swift, fails in CI.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CapabilityMissing, DeltacloudClient } from '../../packages/client/src/index.js';
import { MiB, patternStream, startEc2Server, swiftAvailable, SWIFT_S3, type Ec2Server } from '../drivers/ec2/helpers.js';

const available = await swiftAvailable();
const PROVIDER = 'swift-s3';
const BUCKET = `dc-client-test-${Date.now().toString(36)}`;

describe('client: ec2 driver live against Swift s3api', { skip: !available && 'Swift S3 not running' }, () => {
  let ec2: Ec2Server;
  let client: DeltacloudClient;
  before(async () => {
    ec2 = await startEc2Server({ endpoints: { [PROVIDER]: { s3: SWIFT_S3, region: 'us-east-1', forcePathStyle: true } } }, PROVIDER);
    // Basic credentials `test:tester:testing`: the access key holds a colon, so the header splits after `test`.
    client = new DeltacloudClient({ url: `http://127.0.0.1:${ec2.server.port}/api`, user: 'test', password: 'tester:testing', driver: 'ec2', provider: PROVIDER });
  });
  after(async () => {
    await client?.blobs.destroy(BUCKET, 'data.bin').catch(() => undefined);
    await client?.buckets.destroy(BUCKET).catch(() => undefined);
    await ec2?.stop();
  });

  it('knows the provider offers buckets only, and refuses instances before sending', async () => {
    assert.deepEqual((await client.collections()).sort(), ['buckets', 'drivers']);
    await assert.rejects(client.instances.list(), (e: unknown) => e instanceof CapabilityMissing && /does not offer instances/.test(e.message));
  });

  it('creates a bucket and streams a blob both ways with metadata and progress', async () => {
    const bucket = await client.buckets.create({ name: BUCKET });
    assert.equal(bucket.id, BUCKET);
    const size = 12 * MiB;
    const { stream, digest } = patternStream(size);
    let sent = 0;
    const blob = await client.blobs.put(BUCKET, 'data.bin', stream, { metadata: { origin: 'client' }, onProgress: (n) => (sent = n) });
    assert.equal(sent, size);
    assert.equal(blob.content_length, size);
    assert.equal((await client.blobs.get(BUCKET, 'data.bin')).user_metadata.origin, 'client');
    const hash = createHash('sha256');
    const reader = (await client.blobs.download(BUCKET, 'data.bin')).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) hash.update(r.value);
    assert.equal(hash.digest('hex'), digest());
    await client.blobs.destroy(BUCKET, 'data.bin');
    await client.buckets.destroy(BUCKET);
  });
});
