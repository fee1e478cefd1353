// The EC2 front end over a second driver: libvirt's `test:///default`
// connection (an in-process fake hypervisor of libvirt itself, no daemon).
// The front end must translate whatever the driver declares, and answer
// UnsupportedOperation for what it lacks (libvirt has no elastic addresses).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  AllocateAddressCommand, CreateKeyPairCommand, DeleteKeyPairCommand, DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand, DescribeInstanceTypesCommand, DescribeKeyPairsCommand,
} from '@aws-sdk/client-ec2';
import { startServer, type TestServer } from '../../helpers/server.js';
import { ec2Client, rejectsWith } from './helpers.js';

const KEY = { accessKeyId: 'AKIDLIBVIRTTEST', secretAccessKey: 'libvirt-test-secret' };

function virshPresent(): boolean {
  try {
    execFileSync('virsh', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const present = virshPresent();
if (!present) {
  const message = '!!! virsh (libvirt-clients) is not installed: the EC2-over-libvirt tests cannot run';
  if (process.env.CI) throw new Error(message);
  console.error(message);
}

let server: TestServer;
let scratch: string;
before(async () => {
  if (!present) return;
  scratch = mkdtempSync(join(tmpdir(), 'deltacloud-ec2-libvirt-'));
  const file = join(scratch, 'credentials.json');
  // libvirt reaches this host: the operator enables it and sets its credentials, which the access key's back end carries.
  const operator = { user: 'operator', password: 'second-driver-secret' };
  writeFileSync(file, JSON.stringify({ credentials: { [KEY.accessKeyId]: { secret: KEY.secretAccessKey, driver: 'libvirt', provider: 'test:///default', ...operator } } }));
  chmodSync(file, 0o600);
  server = await startServer({
    args: ['-f', 'deltacloud,ec2', '--enable-drivers', 'libvirt'],
    env: {
      DELTACLOUD_EC2_CREDENTIALS_FILE: file, DELTACLOUD_DATA_DIR: join(scratch, 'data'),
      DELTACLOUD_LIBVIRT_USER: operator.user, DELTACLOUD_LIBVIRT_PASSWORD: operator.password,
    },
  });
});
after(async () => {
  if (server) await server.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('the host is the availability zone and the hardware profiles are the instance types', { skip: !present }, async () => {
  const ec2 = ec2Client(server.port, { credentials: KEY });
  const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
  assert.ok((zones.AvailabilityZones ?? []).length >= 1);
  assert.ok(zones.AvailabilityZones!.every((z) => z.State === 'available' && z.ZoneName));
  const types = await ec2.send(new DescribeInstanceTypesCommand({}));
  const names = (types.InstanceTypes ?? []).map((t) => t.InstanceType);
  assert.ok(names.includes('small' as never), `libvirt's profiles as instance types, got ${names.join(', ')}`);
  const small = types.InstanceTypes!.find((t) => t.InstanceType === ('small' as never))!;
  assert.equal(small.VCpuInfo?.DefaultVCpus, 1);
  assert.equal(small.MemoryInfo?.SizeInMiB, 512);
});

test('instances and key pairs go through libvirt; addresses are UnsupportedOperation', { skip: !present }, async () => {
  const ec2 = ec2Client(server.port, { credentials: KEY });
  const { Reservations } = await ec2.send(new DescribeInstancesCommand({}));
  // Without listAllDomains the driver lists only domains it created: none yet.
  assert.deepEqual(Reservations, []);
  const created = await ec2.send(new CreateKeyPairCommand({ KeyName: 'ec2-over-libvirt' }));
  assert.equal(created.KeyName, 'ec2-over-libvirt');
  assert.match(created.KeyMaterial ?? '', /BEGIN (RSA |OPENSSH )?PRIVATE KEY/);
  const listed = await ec2.send(new DescribeKeyPairsCommand({}));
  assert.ok((listed.KeyPairs ?? []).some((k) => k.KeyName === 'ec2-over-libvirt'));
  await ec2.send(new DeleteKeyPairCommand({ KeyName: 'ec2-over-libvirt' }));
  const after = await ec2.send(new DescribeKeyPairsCommand({}));
  assert.ok(!(after.KeyPairs ?? []).some((k) => k.KeyName === 'ec2-over-libvirt'));
  await rejectsWith(ec2.send(new AllocateAddressCommand({})), 'UnsupportedOperation', 400);
});
