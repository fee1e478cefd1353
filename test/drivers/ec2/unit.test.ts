// Unit tests of the ec2 driver's translations: instance states and the EC2
// state machine, hardware profiles from instance types, AWS error codes →
// statuses, firewall rule ids, provider resolution (the operator allow-list),
// credentials (colon rule, session token), options.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import { RequestContext, type Credentials } from '../../../src/core/driver.js';
import { DeltacloudError } from '../../../src/core/errors.js';
import { awsCredentials, SESSION_TOKEN_HEADER } from '../../../src/drivers/ec2/clients.js';
import { parseOptions, resolveProvider } from '../../../src/drivers/ec2/config.js';
import { EC2_DECLARATION, EC2_STATE_MACHINE } from '../../../src/drivers/ec2/declaration.js';
import { DEFAULT_RETRY_AFTER, mapAwsError, statusForCode } from '../../../src/drivers/ec2/errors.js';
import {
  compatibleTypes, cpuOptionsFor, ec2StatesFor, instanceState, parseRuleId, profileAdmits, ruleId, toFirewall, toHardwareProfile, toInstance, toIpPermission,
  vcpuChoices,
} from '../../../src/drivers/ec2/mappings.js';
import { clientTokenFor } from '../../../src/drivers/ec2/ops/compute.js';
import { copySource, s3Metadata } from '../../../src/drivers/ec2/ops/buckets.js';
import { metricWindow, toSample } from '../../../src/drivers/ec2/ops/metrics.js';
import { capacityGiB } from '../../../src/drivers/ec2/ops/volumes.js';

const ctx = (provider?: string, credentials?: Credentials) => new RequestContext(provider, credentials, new AbortController().signal);

describe('instance states and the EC2 state machine (drivers-matrix §4)', () => {
  test('EC2 state names → Deltacloud states, and back for filters', () => {
    assert.deepEqual(
      ['pending', 'running', 'stopping', 'shutting-down', 'stopped', 'terminated', undefined].map(instanceState),
      ['PENDING', 'RUNNING', 'STOPPING', 'STOPPING', 'STOPPED', 'FINISH', undefined],
    );
    assert.deepEqual(ec2StatesFor('STOPPING'), ['stopping', 'shutting-down']);
    assert.deepEqual(ec2StatesFor('finish'), ['terminated']);
  });

  test('the machine, in the matrix\'s order', () => {
    assert.deepEqual(EC2_STATE_MACHINE.states.map((s) => s.name), ['start', 'pending', 'running', 'stopping', 'stopped', 'finish']);
    assert.deepEqual(EC2_STATE_MACHINE.actionsFor('RUNNING'), ['reboot', 'stop']);
    assert.deepEqual(EC2_STATE_MACHINE.actionsFor('STOPPED'), ['start', 'destroy']);
    assert.deepEqual(EC2_STATE_MACHINE.actionsFor('PENDING'), []);
    assert.deepEqual(EC2_STATE_MACHINE.actionsFor('STOPPING'), []);
    assert.ok(EC2_STATE_MACHINE.transitions.some((t) => t.from === 'start' && t.to === 'pending' && 'auto' in t));
  });

  test('EBS instances follow the machine; instance-store ones get destroy instead of stop, never start', () => {
    const base = { InstanceId: 'i-1', ImageId: 'ami-1', State: { Name: 'running' as const } };
    assert.equal(toInstance({ ...base, RootDeviceType: 'ebs' }).actions, undefined);
    assert.deepEqual(toInstance({ ...base, RootDeviceType: 'instance-store' }).actions, ['reboot', 'destroy']);
    assert.deepEqual(toInstance({ ...base, RootDeviceType: 'instance-store', State: { Name: 'stopped' } }).actions, ['destroy']);
    assert.equal(toInstance({ ...base, RootDeviceType: 'instance-store' }).canCreateImage, false);
    assert.equal(toInstance({ ...base, RootDeviceType: 'ebs' }).canCreateImage, true);
  });

  test('instance fields: Name tag (else the image id), zone, type, addresses, groups, volumes', () => {
    const i = toInstance({
      InstanceId: 'i-1', ImageId: 'ami-1', InstanceType: 't3.small', State: { Name: 'stopped' }, RootDeviceType: 'ebs',
      Placement: { AvailabilityZone: 'eu-west-1b' }, Tags: [{ Key: 'Name', Value: 'web' }], KeyName: 'k',
      PublicDnsName: 'ec2-1-2-3-4.compute.amazonaws.com', PublicIpAddress: '1.2.3.4', PrivateDnsName: '', PrivateIpAddress: '10.0.0.5',
      SecurityGroups: [{ GroupId: 'sg-1', GroupName: 'web' }], BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-1' } }],
      LaunchTime: new Date('2026-01-02T03:04:05Z'), Architecture: 'arm64',
    }, '1234');
    assert.equal(i.name, 'web');
    assert.equal(i.ownerId, '1234');
    assert.equal(i.realmId, 'eu-west-1b');
    assert.equal(i.hardwareProfileId, 't3.small');
    assert.deepEqual(i.publicAddresses, [{ address: 'ec2-1-2-3-4.compute.amazonaws.com', type: 'hostname' }, { address: '1.2.3.4', type: 'ipv4' }]);
    assert.deepEqual(i.privateAddresses, [{ address: '10.0.0.5', type: 'ipv4' }]);
    assert.deepEqual(i.firewallIds, ['sg-1']);
    assert.deepEqual(i.storageVolumes, [{ id: 'vol-1', device: '/dev/xvda' }]);
    assert.equal(i.launchTime, '2026-01-02T03:04:05.000Z');
    assert.deepEqual(i.profileOverrides, { architecture: 'arm64' });
    assert.equal(toInstance({ InstanceId: 'i-2', ImageId: 'ami-9' }).name, 'ami-9');
  });
});

describe('hardware profiles from DescribeInstanceTypes', () => {
  const c5: InstanceTypeInfo = {
    InstanceType: 'c5.xlarge', ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, MemoryInfo: { SizeInMiB: 8192 }, InstanceStorageSupported: false,
    VCpuInfo: { DefaultVCpus: 4, DefaultCores: 2, DefaultThreadsPerCore: 2, ValidCores: [2], ValidThreadsPerCore: [1, 2] },
  };
  const m6i: InstanceTypeInfo = {
    InstanceType: 'm6i.4xlarge', ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, MemoryInfo: { SizeInMiB: 65536 },
    VCpuInfo: { DefaultVCpus: 16, DefaultCores: 8, DefaultThreadsPerCore: 2, ValidCores: [1, 2, 3, 4, 5, 6, 7, 8], ValidThreadsPerCore: [1, 2] },
  };
  const m1: InstanceTypeInfo = {
    InstanceType: 'm1.small', ProcessorInfo: { SupportedArchitectures: ['i386', 'x86_64'] }, MemoryInfo: { SizeInMiB: 1740 },
    InstanceStorageSupported: true, InstanceStorageInfo: { TotalSizeInGB: 160 }, VCpuInfo: { DefaultVCpus: 1 },
  };

  test('cpu: the vCPU counts CpuOptions allow — fixed, enum or range', () => {
    assert.deepEqual(vcpuChoices(c5), [2, 4]);
    assert.deepEqual(toHardwareProfile(c5).properties.find((p) => p.name === 'cpu'), { name: 'cpu', kind: 'enum', value: 4, values: [2, 4] });
    const cpu = toHardwareProfile(m6i).properties.find((p) => p.name === 'cpu')!;
    assert.equal(cpu.kind, 'enum', '1–8 cores × 1–2 threads: 1..8, 10, 12, 14, 16');
    assert.deepEqual(cpu.values, [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16]);
    assert.deepEqual(toHardwareProfile(m1).properties.find((p) => p.name === 'cpu'), { name: 'cpu', kind: 'fixed', value: 1 });
    const small: InstanceTypeInfo = { ...c5, VCpuInfo: { DefaultVCpus: 2, ValidCores: [1], ValidThreadsPerCore: [1, 2] } };
    assert.deepEqual(toHardwareProfile(small).properties.find((p) => p.name === 'cpu'), { name: 'cpu', kind: 'range', value: 2, first: 1, last: 2 });
  });

  test('memory fixed (MiB); storage = instance store, or the EBS root size as a range; architecture enum when several', () => {
    const p = toHardwareProfile(m1);
    assert.deepEqual(p.properties.map((x) => x.name), ['cpu', 'memory', 'storage', 'architecture']);
    assert.deepEqual(p.properties[1], { name: 'memory', kind: 'fixed', value: 1740 });
    assert.deepEqual(p.properties[2], { name: 'storage', kind: 'fixed', value: 160 });
    assert.deepEqual(p.properties[3], { name: 'architecture', kind: 'enum', value: 'x86_64', values: ['i386', 'x86_64'] });
    assert.deepEqual(toHardwareProfile(c5).properties[2], { name: 'storage', kind: 'range', value: 8, first: 1, last: 16384 });
    assert.deepEqual(toHardwareProfile(c5).properties[3], { name: 'architecture', kind: 'fixed', value: 'x86_64' });
  });

  test('images: compatible types by architecture (i386 → types that run i386), virtualization and root device type', () => {
    const t2: InstanceTypeInfo = { InstanceType: 't2.micro', ProcessorInfo: { SupportedArchitectures: ['i386', 'x86_64'] }, SupportedVirtualizationTypes: ['hvm'], SupportedRootDeviceTypes: ['ebs'] };
    const m1pv: InstanceTypeInfo = { InstanceType: 'm1.small', ProcessorInfo: { SupportedArchitectures: ['i386', 'x86_64'] }, SupportedVirtualizationTypes: ['hvm', 'paravirtual'], SupportedRootDeviceTypes: ['ebs', 'instance-store'] };
    const c5only: InstanceTypeInfo = { InstanceType: 'c5.large', ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, SupportedVirtualizationTypes: ['hvm'], SupportedRootDeviceTypes: ['ebs'] };
    const graviton: InstanceTypeInfo = { InstanceType: 't4g.nano', ProcessorInfo: { SupportedArchitectures: ['arm64'] } };
    const types = [t2, m1pv, c5only, graviton];
    assert.deepEqual(compatibleTypes({ Architecture: 'x86_64', VirtualizationType: 'hvm', RootDeviceType: 'ebs' }, types), ['c5.large', 'm1.small', 't2.micro']);
    assert.deepEqual(compatibleTypes({ Architecture: 'i386', VirtualizationType: 'hvm', RootDeviceType: 'ebs' }, types), ['m1.small', 't2.micro']);
    assert.deepEqual(compatibleTypes({ Architecture: 'i386', VirtualizationType: 'paravirtual', RootDeviceType: 'instance-store' }, types), ['m1.small']);
    assert.deepEqual(compatibleTypes({ Architecture: 'arm64' }, types), ['t4g.nano'], 'a type that does not say runs any virtualization');
    assert.deepEqual(compatibleTypes({}, types), [], 'an image of unknown architecture: none');
  });

  test('hwp_* values: admitted by the profile, and hwp_cpu → CpuOptions', () => {
    const p = toHardwareProfile(c5);
    assert.ok(profileAdmits(p, 'cpu', '2'));
    assert.ok(!profileAdmits(p, 'cpu', '3'));
    assert.ok(profileAdmits(p, 'storage', '100'));
    assert.ok(!profileAdmits(p, 'storage', '20000'));
    assert.ok(!profileAdmits(p, 'memory', '4096'));
    assert.equal(cpuOptionsFor(c5, 4), undefined, 'the default needs no CpuOptions');
    assert.deepEqual(cpuOptionsFor(c5, 2), { CoreCount: 2, ThreadsPerCore: 1 });
    assert.deepEqual(cpuOptionsFor(m6i, 6), { CoreCount: 3, ThreadsPerCore: 2 });
    assert.throws(() => cpuOptionsFor(c5, 3), /cannot run with 3 vCPUs/);
  });
});

describe('AWS errors → statuses (spec §8.3)', () => {
  test('codes', () => {
    const cases: Array<[string, number | undefined]> = [
      ['AuthFailure', 401], ['InvalidClientTokenId', 401], ['SignatureDoesNotMatch', 401], ['InvalidAccessKeyId', 401], ['ExpiredToken', 401],
      ['UnauthorizedOperation', 403], ['AccessDenied', 403],
      ['InvalidInstanceID.NotFound', 404], ['InvalidInstanceID.Malformed', 404], ['InvalidAMIID.NotFound', 404], ['InvalidKeyPair.NotFound', 404],
      ['NoSuchBucket', 404], ['NoSuchKey', 404], ['NotFound', 404], ['LoadBalancerNotFound', 404], ['InvalidGroup.NotFound', 404],
      ['InvalidParameterValue', 400], ['InvalidParameterCombination', 400], ['MissingParameter', 400], ['ValidationError', 400], ['InvalidBucketName', 400],
      ['InvalidKeyPair.Duplicate', 409], ['InvalidGroup.Duplicate', 409], ['BucketAlreadyExists', 409], ['BucketAlreadyOwnedByYou', 409],
      ['BucketNotEmpty', 409], ['DuplicateLoadBalancerName', 409], ['DependencyViolation', 409], ['IncorrectState', 409], ['VolumeInUse', 409],
      ['IncorrectInstanceState', 405],
      ['Throttling', 503], ['ThrottlingException', 503], ['RequestLimitExceeded', 503], ['SlowDown', 503], ['ServiceUnavailable', 503],
      ['UnsupportedOperation', 501], ['InvalidAction', 501],
      ['InternalError', 502], ['SomethingNew', undefined],
    ];
    for (const [code, status] of cases) assert.equal(statusForCode(code), status, code);
    assert.equal(statusForCode('SomethingNew', 500), 502);
    assert.equal(statusForCode('SomethingNew', 404), 404);
    assert.equal(statusForCode('SomethingNew', 422), 400);
  });

  const serviceError = (name: string, message: string, status: number, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });

  test('service errors become typed errors with the provider\'s message, secrets scrubbed', () => {
    const e = mapAwsError(serviceError('AuthFailure', 'AWS was not able to validate the provided access credentials for s3cr3tKEY', 401), ['s3cr3tKEY']);
    assert.ok(e instanceof DeltacloudError);
    assert.equal(e.status, 401);
    assert.equal(e.message, 'AuthFailure: AWS was not able to validate the provided access credentials for [FILTERED]');
    const nf = mapAwsError(serviceError('InvalidInstanceID.NotFound', "The instance ID 'i-1' does not exist", 400)) as DeltacloudError;
    assert.equal(nf.status, 404);
    assert.equal(nf.message, "InvalidInstanceID.NotFound: The instance ID 'i-1' does not exist");
    const head = mapAwsError(serviceError('UnknownError', 'UnknownError', 400)) as DeltacloudError;
    assert.equal(head.status, 400);
    assert.equal(head.message, 'Bad Request (HTTP 400)', 'bodiless answers (HEAD) say what the status means');
  });

  test('throttling after the SDK\'s retries → 503 with Retry-After', () => {
    const t = mapAwsError(serviceError('ThrottlingException', 'Rate exceeded', 400, { $retryable: { throttling: true } })) as DeltacloudError;
    assert.equal(t.status, 503);
    assert.equal(t.retryAfter, DEFAULT_RETRY_AFTER);
    const withHeader = mapAwsError(serviceError('SlowDown', 'Reduce your request rate', 503, { $response: { statusCode: 503, headers: { 'retry-after': '12' } } })) as DeltacloudError;
    assert.equal(withHeader.status, 503);
    assert.equal(withHeader.retryAfter, 12);
  });

  test('network failures → 502, timeouts and aborts → 504, programming errors untouched', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal((mapAwsError(refused) as DeltacloudError).status, 502);
    const wrapped = Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }) });
    assert.equal((mapAwsError(wrapped) as DeltacloudError).status, 502);
    const timeout = Object.assign(new Error('Connection timed out after 10000 ms'), { name: 'TimeoutError' });
    assert.equal((mapAwsError(timeout) as DeltacloudError).status, 504);
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    assert.equal((mapAwsError(abort) as DeltacloudError).status, 504);
    const bug = new TypeError('x is undefined');
    assert.equal(mapAwsError(bug), bug);
  });
});

describe('firewall rules (spec §11.13)', () => {
  test('security group permissions → rules with EC2-style ids', () => {
    const fw = toFirewall({
      GroupId: 'sg-1', GroupName: 'web', Description: 'web servers', OwnerId: '111',
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
        { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupName: 'lb', UserId: '222' }] },
        { IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: 'pl-1' }] },
      ],
    });
    assert.equal(fw.id, 'sg-1');
    assert.deepEqual(fw.rules.map((r) => r.id), [
      '111~tcp~22~22~@address,ipv4,0.0.0.0,0,@address,ipv6,::,0',
      '111~tcp~8080~8080~@group,222,lb',
      '111~all~~~@address,ipv4,10.0.0.0,8',
    ]);
    assert.deepEqual(fw.rules[1]!.sources, [{ type: 'group', name: 'lb', owner: '222' }]);
  });

  test('rule ids parse back into the permission to revoke; separators inside names survive', () => {
    const id = ruleId('111', 'tcp', '80', '81', [{ type: 'group', owner: '222', name: 'a,b~c' }, { type: 'address', family: 'ipv4', address: '1.2.3.4', prefix: '32' }]);
    const parsed = parseRuleId(id)!;
    assert.deepEqual(parsed.sources, [{ type: 'group', owner: '222', name: 'a,b~c' }, { type: 'address', family: 'ipv4', address: '1.2.3.4', prefix: '32' }]);
    assert.deepEqual(toIpPermission(parsed.protocol, parsed.from, parsed.to, parsed.sources), {
      IpProtocol: 'tcp', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '1.2.3.4/32' }], UserIdGroupPairs: [{ GroupName: 'a,b~c', UserId: '222' }],
    });
    assert.deepEqual(toIpPermission('all', '', '', [{ type: 'group', owner: '1', name: 'sg-9' }]), { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-9', UserId: '1' }] });
    assert.equal(parseRuleId('not-a-rule'), undefined);
    assert.throws(() => toIpPermission('gre!', '1', '2', []), /Unsupported protocol/);
    assert.throws(() => toIpPermission('tcp', 'x', '2', []), /port_from/);
  });
});

describe('providers: AWS regions or operator-listed endpoints only', () => {
  const options = parseOptions({ endpoints: { swift: { s3: 'http://127.0.0.1:8080', region: 'us-east-1', forcePathStyle: true } } });

  test('regions, the default, and configured names resolve', () => {
    assert.deepEqual(resolveProvider(options, undefined), { name: 'us-east-1', region: 'us-east-1' });
    assert.deepEqual(resolveProvider(options, 'eu-central-2'), { name: 'eu-central-2', region: 'eu-central-2' });
    assert.deepEqual(resolveProvider(options, 'us-gov-west-1').region, 'us-gov-west-1');
    assert.equal(resolveProvider(options, 'swift').custom?.s3, 'http://127.0.0.1:8080');
    assert.equal(resolveProvider(parseOptions({ defaultRegion: 'eu-west-1' }), 'default').region, 'eu-west-1');
  });

  test('URLs, host names and unknown names are refused with 400', () => {
    for (const p of ['http://evil.example.com', 'evil.example.com', '127.0.0.1:8080', 's3.amazonaws.com', 'US-EAST-1', 'constructor', '__proto__']) {
      assert.throws(() => resolveProvider(options, p), (e: DeltacloudError) => e.status === 400, p);
    }
    const privateOnly = parseOptions({ awsRegions: false, endpoints: { lab: { ec2: 'https://ec2.lab.example/', region: 'lab-1' } } });
    assert.throws(() => resolveProvider(privateOnly, 'us-east-1'), (e: DeltacloudError) => e.status === 400);
    assert.equal(resolveProvider(privateOnly, 'lab').custom?.ec2, 'https://ec2.lab.example');
  });

  test('bad operator options are refused at load', () => {
    assert.throws(() => parseOptions({ endpoints: { x: { s3: 'ftp://h', region: 'r' } } }), /must be http or https/);
    assert.throws(() => parseOptions({ endpoints: { x: { s3: 'http://u:p@h', region: 'r' } } }), /must not carry credentials/);
    assert.throws(() => parseOptions({ endpoints: { x: { region: 'r' } } }), /lists no service/);
    assert.throws(() => parseOptions({ endpoints: { x: { s3: 'http://h' } } }), /region is required/);
    assert.throws(() => parseOptions({ partSize: 1024 }), /partSize/);
    assert.throws(() => parseOptions({ defaultRegion: 'http://x' }), /defaultRegion/);
    assert.deepEqual(parseOptions({}).imageOwners, ['amazon']);
  });
});

describe('credentials', () => {
  test('Basic user = access key id, password = secret', () => {
    assert.deepEqual(awsCredentials(ctx(undefined, { user: 'AKIA1', password: 'abc/def+ghi' })), { accessKeyId: 'AKIA1', secretAccessKey: 'abc/def+ghi' });
  });

  test('an access key with colons (Swift tempauth `test:tester`) reads up to the password\'s last colon', () => {
    assert.deepEqual(awsCredentials(ctx(undefined, { user: 'test', password: 'tester:testing' })), { accessKeyId: 'test:tester', secretAccessKey: 'testing' });
  });

  test('no credentials → 401 challenge', () => {
    assert.throws(() => awsCredentials(ctx()), (e: DeltacloudError) => e.status === 401);
  });

  test(`the session token comes from the ${SESSION_TOKEN_HEADER} request header`, () => {
    const c = new RequestContext(undefined, { user: 'ASIA1', password: 'secret' }, new AbortController().signal, { [SESSION_TOKEN_HEADER]: ' TOKEN== ' });
    assert.deepEqual(awsCredentials(c), { accessKeyId: 'ASIA1', secretAccessKey: 'secret', sessionToken: 'TOKEN==' });
    const viaCredentials = ctx(undefined, { user: 'ASIA1', password: 'secret', sessionToken: 'T2' } as Credentials);
    assert.equal(awsCredentials(viaCredentials).sessionToken, 'T2');
  });
});

describe('smaller translations', () => {
  test('client tokens: the client\'s (checked) or a fresh UUID per create', () => {
    assert.equal(clientTokenFor({ client_token: 'abc-123' }), 'abc-123');
    assert.match(clientTokenFor({}), /^[0-9a-f-]{36}$/);
    assert.notEqual(clientTokenFor({}), clientTokenFor({}));
    assert.throws(() => clientTokenFor({ client_token: 'x'.repeat(65) }), /client_token/);
  });

  test('S3 metadata must be header-safe; copy sources keep slashes', () => {
    assert.deepEqual(s3Metadata({ author: 'me' }), { author: 'me' });
    assert.throws(() => s3Metadata({ author: 'm\u00e9' }), /printable ASCII/);
    assert.throws(() => s3Metadata({ 'a b': 'x' }), /not a valid header name/);
    assert.equal(copySource('b', 'dir/a b+c.txt'), 'b/dir/a%20b%2Bc.txt');
  });

  test('CloudWatch: the window ends now (the running period included), starts on a period boundary an hour before it; its sample is partial', () => {
    const now = Date.UTC(2026, 11, 4, 18, 7, 42, 500); // 18:07:42.5 — the running 5-minute period began at 18:05
    const { start, end } = metricWindow(now);
    assert.equal(end.getTime(), now);
    assert.equal(start.toISOString(), '2026-12-04T17:05:00.000Z');
    const at = (iso: string) => toSample({ Timestamp: new Date(iso), Average: 1, Minimum: 1, Maximum: 1, Unit: 'Percent' }, now);
    assert.equal(at('2026-12-04T18:05:00Z').partial, true, 'the running period');
    assert.equal(at('2026-12-04T18:00:00Z').partial, undefined, 'ended at 18:05: complete');
    assert.ok(!('partial' in at('2026-12-04T17:05:00Z')), 'complete samples carry no partial member');
  });

  test('CloudWatch datapoints → samples; volumes in whole GiB', () => {
    assert.deepEqual(toSample({ Timestamp: new Date(1_000_000), Sum: 10, SampleCount: 4, Unit: 'Bytes' }, Date.now()), { minimum: 2.5, maximum: 2.5, average: 2.5, timestamp: 1000, unit: 'Bytes' });
    assert.equal(capacityGiB('1.5'), 2);
    assert.equal(capacityGiB(''), undefined);
    assert.throws(() => capacityGiB('-1'), /capacity/);
  });

  test('the declaration: the original\'s entry points and features', () => {
    assert.deepEqual(Object.keys(EC2_DECLARATION.entrypoints!), ['s3', 'elb', 'ec2', 'mon']);
    assert.equal(EC2_DECLARATION.entrypoints!.s3!['us-east-1'], 's3.amazonaws.com');
    for (const f of ['metrics', 'user_data', 'firewalls', 'authentication_key', 'instance_count', 'attach_snapshot']) {
      assert.ok(EC2_DECLARATION.features.instances!.includes(f), f);
    }
    assert.deepEqual(EC2_DECLARATION.features.images, ['owner_id', 'image_name', 'image_description']);
    assert.deepEqual(EC2_DECLARATION.features.buckets, ['bucket_location']);
  });
});
