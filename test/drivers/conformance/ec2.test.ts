// The ec2 driver against two live back ends: EC2 is this server's own EC2
// Query front end on the mock driver (`-f deltacloud,ec2`, as in
// test/drivers/ec2/ec2-live.test.ts), S3 is Swift's s3api (as in
// s3-live.test.ts). One provider has both endpoints; Swift's tempauth key
// (`test:tester` / `testing`) is also a key of the EC2 front end, so one
// set of credentials serves every collection.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDriverServer, startServer, type TestServer } from '../../helpers/server.js';
import { swiftAnswers, SWIFT_ACCESS_KEY, SWIFT_S3, SWIFT_SECRET } from '../ec2/helpers.js';
import { describeConformance } from './conformance.js';

const PROVIDER = 'conformance';
const keysDir = mkdtempSync(join(tmpdir(), 'conformance-ec2-keys-'));
let frontEnd: TestServer | undefined;

describeConformance({
  name: 'ec2 (EC2 front end on the mock + Swift s3api)',
  async unavailable() {
    return (await swiftAnswers()) ? undefined : `Swift's S3 API is not answering at ${SWIFT_S3} (scripts/swift-s3/setup.sh)`;
  },
  async start() {
    const keys = join(keysDir, 'credentials.json');
    writeFileSync(keys, JSON.stringify({
      credentials: { [SWIFT_ACCESS_KEY]: { secret: SWIFT_SECRET, driver: 'mock', user: 'mockuser', password: 'mockpassword' } },
    }), { mode: 0o600 });
    frontEnd = await startServer({ args: ['-i', 'mock', '-f', 'deltacloud,ec2'], env: { DELTACLOUD_EC2_CREDENTIALS_FILE: keys } });
    return startDriverServer('ec2', {
      endpoints: { [PROVIDER]: { ec2: `http://127.0.0.1:${frontEnd.port}/ec2`, s3: SWIFT_S3, region: 'us-east-1', forcePathStyle: true } },
    }, { args: ['-P', PROVIDER] });
  },
  async stop() {
    await frontEnd?.stop();
    rmSync(keysDir, { recursive: true, force: true });
  },
  // Basic auth ends the user name at the first colon; the ec2 driver puts `test:tester` back together.
  user: SWIFT_ACCESS_KEY.split(':')[0]!,
  password: `${SWIFT_ACCESS_KEY.split(':')[1]}:${SWIFT_SECRET}`,
  driver: 'ec2',
  provider: PROVIDER,
  // The EC2 front end on the mock offers the mock's images and profiles as AMIs and instance types.
  fixtures: { imageId: 'img1', profileId: 'm1-small' },
  expect: {
    // Real EC2 has VPCs, subnets and network interfaces; this server's EC2 front end (the back end
    // here) does not implement those actions, so the driver answers 501 as it would for a region without them.
    backendLacks: {
      networks: 'the EC2 front end used as back end has no DescribeVpcs',
      subnets: 'the EC2 front end used as back end has no DescribeSubnets',
      network_interfaces: 'the EC2 front end used as back end has no DescribeNetworkInterfaces',
    },
  },
});
