// The ec2 driver through the Deltacloud API against recorded AWS answers
// (test/fixtures/aws/, SDK v3 ↔ moto): Classic ELB, CloudWatch, and EC2
// requests whose exact parameters matter (RunInstances with every option,
// instance types, VPCs, security group rules, error answers). A local stub
// serves the recordings and checks each request's Action, key parameters and
// SigV4 scope; it also shows that a provider outside the operator's
// allow-list is refused without any connection.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { req, type Res } from '../../helpers/api.js';
import { startEc2Server, type Ec2Server } from './helpers.js';
import { FIXTURE_AUTH, ReplayStub } from './replay-stub.js';

const stub = new ReplayStub();
let ec2: Ec2Server;
let A: string;
const LB = 'dc-classic-lb';
const I1 = 'i-690f20947fa8599d0';
const I2 = 'i-117e1688005340ce2';
const SG = 'sg-aa6f34beb779dd2f6';

const call = (method: string, path: string, opts: Parameters<typeof req>[3] = {}): Promise<Res> =>
  req(ec2.server.port, method, path, { auth: FIXTURE_AUTH, ...opts });
const json = { accept: 'application/json' };
const xml = { accept: 'application/xml' };

before(async () => {
  await stub.start();
  ec2 = await startEc2Server({
    endpoints: { replay: { ec2: stub.url, elb: stub.url, cloudwatch: stub.url, region: 'us-east-1', imageOwners: ['amazon'] } },
    maxAttempts: 2,
  }, 'replay');
  A = `http://localhost:${ec2.server.port}/api`;
});
after(async () => {
  await ec2?.stop();
  await stub.stop();
});

describe('images list their compatible hardware profiles (fresh server: no cached instance types)', () => {
  let fresh: Ec2Server;
  before(async () => {
    fresh = await startEc2Server({
      endpoints: { replay: { ec2: stub.url, elb: stub.url, cloudwatch: stub.url, region: 'us-east-1', imageOwners: ['amazon'] } },
      maxAttempts: 2,
    }, 'replay');
  });
  after(async () => fresh?.stop());
  const get = (path: string, accept: string) => req(fresh.server.port, 'GET', path, { auth: FIXTURE_AUTH, accept });
  const X86_HVM_EBS = ['c5.xlarge', 'm5.large', 't2.micro', 't3.small'];

  test('listing: DescribeImages, then DescribeInstanceTypes; each image lists the types of its architecture, virtualization and root device', async () => {
    stub.expect([{ file: '004', check: ['Owner.1'] }, { file: '003' }]);
    const res = await get('/api/images', 'application/json');
    stub.assertDone();
    assert.equal(res.status, 200, res.text);
    const images = res.json().images as Array<{ id: string; architecture: string; root_type: string; hardware_profiles: Array<{ id: string; href: string }> }>;
    assert.equal(images.length, 44);
    // The recording holds 40 x86_64 HVM EBS images, and 4 that none of its 4 types (all x86_64, HVM, EBS-only) can run.
    const runnable = images.filter((i) => i.hardware_profiles.length > 0);
    assert.equal(runnable.length, 40);
    for (const image of runnable) {
      assert.equal(image.architecture, 'x86_64');
      assert.deepEqual(image.hardware_profiles.map((p) => p.id), X86_HVM_EBS, image.id);
    }
    assert.equal(runnable[0]!.hardware_profiles[0]!.href, `http://localhost:${fresh.server.port}/api/hardware_profiles/c5.xlarge`);
    const arm = images.find((i) => i.architecture === 'arm64');
    assert.ok(arm, 'the recording has an arm64 image');
    assert.deepEqual(arm.hardware_profiles, [], 'no recorded type runs arm64');
    assert.ok(images.some((i) => i.root_type === 'transient' && i.hardware_profiles.length === 0), 'instance-store image: no EBS-only type');
  });

  test('show in XML: <hardware_profiles> with one link per compatible type (types now cached)', async () => {
    stub.expect([{ file: '005', check: ['ImageId.1'] }]);
    const res = await get('/api/images/ami-04681a1dbd79675a5', 'application/xml');
    stub.assertDone();
    assert.equal(res.status, 200, res.text);
    const profiles = res.xml().child('hardware_profiles').all('hardware_profile');
    assert.deepEqual(profiles.map((p) => [p.attrs.id, p.attrs.rel]), X86_HVM_EBS.map((id) => [id, 'hardware_profile']));
  });
});

describe('load balancers = Classic ELB (replayed)', () => {
  test('create: CreateLoadBalancer with the listener and zone, then the balancer with its instances', async () => {
    stub.expect([
      { file: '044', check: ['LoadBalancerName', 'Listeners.member.1.Protocol', 'Listeners.member.1.LoadBalancerPort', 'Listeners.member.1.InstancePort', 'Listeners.member.1.InstanceProtocol', 'AvailabilityZones.member.1'] },
      { file: '048', check: ['LoadBalancerNames.member.1'] },
      { file: '019', check: ['InstanceId.1'] },
    ]);
    const res = await call('POST', '/api/load_balancers', {
      ...xml, body: { name: LB, realm_id: 'us-east-1a', listener_protocol: 'HTTP', listener_balancer_port: '80', listener_instance_port: '8080' },
    });
    stub.assertDone();
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.location, `${A}/load_balancers/${LB}`);
    const lb = res.xml();
    assert.equal(lb.attrs.id, LB);
    assert.deepEqual(lb.child('actions').all('link').map((l) => l.attrs.rel), ['destroy', 'register']);
    assert.equal(lb.child('public_addresses').child('address').text, 'dc-classic-lb.us-east-1.elb.amazonaws.com');
    assert.equal(lb.child('realm').attrs.id, 'us-east-1a');
    const listener = lb.child('listeners').child('listener');
    assert.equal(listener.attrs.protocol, 'HTTP');
    assert.equal(listener.child('load_balancer_port').text, '80');
    assert.equal(listener.child('instance_port').text, '8080');
    const instances = lb.child('instances').all('instance');
    assert.deepEqual(instances.map((i) => i.attrs.id), [I1]);
    assert.equal(instances[0]!.child('link').attrs.rel, 'unregister');
  });

  test('register: RegisterInstancesWithLoadBalancer, answered with both instances described', async () => {
    stub.expect([
      { file: '045', check: ['LoadBalancerName', 'Instances.member.1.InstanceId'] },
      { file: '046' },
      { file: '065', check: ['InstanceId.1', 'InstanceId.2'] },
    ]);
    const res = await call('POST', `/api/load_balancers/${LB}/register`, { ...json, body: { instance_id: I1 } });
    stub.assertDone();
    assert.equal(res.status, 200, res.text);
    const lb = res.json().load_balancer;
    assert.deepEqual(lb.instances.map((i: { id: string }) => i.id), [I1, I2]);
    assert.equal(lb.instances[0].state, 'FINISH', 'full instances, as EC2 described them (terminated in that recording)');
  });

  test('unregister: DeregisterInstancesFromLoadBalancer', async () => {
    stub.expect([
      { file: '047', check: ['LoadBalancerName', 'Instances.member.1.InstanceId'] },
      { file: '048', check: ['LoadBalancerNames.member.1'] },
      { file: '019', check: ['InstanceId.1'] },
    ]);
    const res = await call('POST', `/api/load_balancers/${LB}/unregister`, { ...json, body: { instance_id: I2 } });
    stub.assertDone();
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json().load_balancer.instances.map((i: { id: string }) => i.id), [I1]);
  });

  test('list in JSON: realms, listeners, instances, addresses, creation time', async () => {
    stub.expect([{ file: '046' }, { file: '065', check: ['InstanceId.1', 'InstanceId.2'] }]);
    const res = await call('GET', '/api/load_balancers', json);
    stub.assertDone();
    assert.equal(res.status, 200, res.text);
    const [lb] = res.json().load_balancers;
    assert.equal(lb.id, LB);
    assert.deepEqual(lb.realms, [{ id: 'us-east-1a', href: `${A}/realms/us-east-1a`, rel: 'realm' }]);
    assert.deepEqual(lb.listeners, [{ id: null, protocol: 'HTTP', load_balancer_port: '80', instance_port: '8080' }]);
    assert.deepEqual(lb.public_addresses, ['dc-classic-lb.us-east-1.elb.amazonaws.com']);
    assert.equal(lb.created_at, '2026-11-26T18:33:48.312Z');
    assert.equal(lb.instances.length, 2);
  });

  test('destroy: the balancer is looked up, then DeleteLoadBalancer', async () => {
    stub.expect([{ file: '048', check: ['LoadBalancerNames.member.1'] }, { file: '049', check: ['LoadBalancerName'] }]);
    const res = await call('DELETE', `/api/load_balancers/${LB}`);
    stub.assertDone();
    assert.equal(res.status, 204, res.text);
  });
});

describe('metrics = CloudWatch (replayed)', () => {
  test('list: the AWS/EC2 metrics of existing instances, names only', async () => {
    stub.expect([{ file: '060', check: ['Namespace'] }, { file: '018' }]);
    const res = await call('GET', '/api/metrics', json);
    stub.assertDone();
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json().metrics, [{
      id: I1, href: `${A}/metrics/${I1}`, entity: 'dc-web-1',
      properties: [{ name: 'CPUUtilization', values: null }, { name: 'NetworkIn', values: null }],
    }]);
  });

  test('show: GetMetricStatistics per metric, samples newest first', async () => {
    stub.expect([
      { file: '060', check: ['Namespace', 'Dimensions'] },
      { file: '019', check: ['InstanceId.1'] },
      { file: '061', check: ['Namespace', 'MetricName', 'Dimensions', 'Period'] },
      { file: '062', check: ['Namespace', 'MetricName', 'Dimensions', 'Period'] },
    ]);
    const res = await call('GET', `/api/metrics/${I1}`, json);
    stub.assertDone();
    assert.equal(res.status, 200, res.text);
    const metric = res.json().metric;
    assert.equal(metric.entity, 'dc-web-1');
    const cpu = metric.properties.find((p: { name: string }) => p.name === 'CPUUtilization');
    assert.equal(cpu.values.length, 6);
    assert.deepEqual(cpu.values[0], { minimum: 18, maximum: 18, average: 18, timestamp: 1795717800, unit: 'Percent' });
    assert.deepEqual(cpu.values[5], { minimum: 12.5, maximum: 12.5, average: 12.5, timestamp: 1795716300, unit: 'Percent' });
    const net = metric.properties.find((p: { name: string }) => p.name === 'NetworkIn');
    assert.deepEqual(net.values[0], { minimum: 512, maximum: 512, average: 512, timestamp: 1795717800, unit: 'Bytes' }, 'statistics CloudWatch left out fall back to the average');
  });

  test('show: the window runs to now; the running period\'s sample is included and flagged partial (JSON and XML)', async () => {
    // The recording's datapoints (newest at 1795717800), moved so that the newest falls in the running 5-minute period.
    const running = Math.floor(Date.now() / 300_000) * 300;
    const shift = (body: string) => body.replace(/"Timestamp": (\d+)/g, (_m, t: string) => `"Timestamp": ${Number(t) - 1795717800 + running}`);
    for (const accept of ['application/json', 'application/xml']) {
      stub.expect([{ file: '060' }, { file: '019' }, { file: '061', check: ['MetricName'], rewrite: shift }, { file: '062', check: ['MetricName'], rewrite: shift }]);
      const asked = Date.now() / 1000;
      const res = await call('GET', `/api/metrics/${I1}`, { accept });
      stub.assertDone();
      assert.equal(res.status, 200, res.text);
      const [request] = stub.attemptsOf('061') as Array<{ StartTime: number; EndTime: number }>;
      assert.ok(request!.EndTime >= asked - 1 && request!.EndTime <= Date.now() / 1000 + 1, `EndTime ${request!.EndTime} is now, not the last whole minute`);
      assert.equal(request!.StartTime, running - 3600, 'an hour of whole periods before the running one');
      if (accept === 'application/json') {
        const cpu = res.json().metric.properties.find((p: { name: string }) => p.name === 'CPUUtilization');
        assert.deepEqual(cpu.values[0], { minimum: 18, maximum: 18, average: 18, timestamp: running, unit: 'Percent', partial: true });
        assert.deepEqual(cpu.values[1], { minimum: 41.75, maximum: 41.75, average: 41.75, timestamp: running - 300, unit: 'Percent' });
      } else {
        const samples = res.xml().child('properties').child('CPUUtilization').all('sample');
        assert.deepEqual(samples[0]!.all('property').map((p) => [p.attrs.name, p.attrs.value]),
          [['minimum', '18'], ['maximum', '18'], ['average', '18'], ['timestamp', String(running)], ['unit', 'Percent'], ['partial', 'true']]);
        assert.equal(samples[1]!.all('property').length, 5, 'complete samples keep the five fields');
      }
    }
  });

  test('show in XML: one element per metric, samples with the five fields', async () => {
    stub.expect([{ file: '060' }, { file: '019' }, { file: '061', check: ['MetricName'] }, { file: '062', check: ['MetricName'] }]);
    const res = await call('GET', `/api/metrics/${I1}`, xml);
    stub.assertDone();
    const props = res.xml().child('properties');
    assert.deepEqual(props.names(), ['CPUUtilization', 'NetworkIn']);
    const sample = props.child('CPUUtilization').all('sample')[0]!;
    assert.deepEqual(sample.all('property').map((p) => [p.attrs.name, p.attrs.value]),
      [['minimum', '18'], ['maximum', '18'], ['average', '18'], ['timestamp', '1795717800'], ['unit', 'Percent']]);
  });
});

describe('EC2 requests checked against the recordings', () => {
  test('hardware profiles come from DescribeInstanceTypes (every page), then from the cache', async () => {
    stub.expect([{ file: '003' }]);
    const res = await call('GET', '/api/hardware_profiles', xml);
    stub.assertDone();
    assert.equal(res.status, 200, res.text);
    const profiles = res.xml().all('hardware_profile');
    assert.deepEqual(profiles.map((p) => p.attrs.id).sort(), ['c5.xlarge', 'm5.large', 't2.micro', 't3.small']);
    const prop = (id: string, name: string) => profiles.find((p) => p.attrs.id === id)!.all('property').find((x) => x.attrs.name === name)!;
    // c5.xlarge: 2 cores × 1 or 2 threads → 2 or 4 vCPUs (default 4); 8 GiB; EBS only; x86_64.
    assert.deepEqual(prop('c5.xlarge', 'cpu').attrs, { kind: 'enum', name: 'cpu', unit: 'count', value: '4' });
    assert.deepEqual(prop('c5.xlarge', 'cpu').child('enum').all('entry').map((e) => e.attrs.value), ['2', '4']);
    assert.deepEqual(prop('c5.xlarge', 'memory').attrs, { kind: 'fixed', name: 'memory', unit: 'MB', value: '8192' });
    assert.deepEqual(prop('c5.xlarge', 'storage').child('range').attrs, { first: '1', last: '16384' });
    assert.deepEqual(prop('c5.xlarge', 'architecture').attrs, { kind: 'fixed', name: 'architecture', unit: 'label', value: 'x86_64' });
    // m5.large: 1 core × 1 or 2 threads → a range 1–2.
    assert.deepEqual(prop('m5.large', 'cpu').child('range').attrs, { first: '1', last: '2' });
    // t2.micro runs i386 and x86_64.
    assert.deepEqual(prop('t2.micro', 'architecture').child('enum').all('entry').map((e) => e.attrs.value), ['i386', 'x86_64']);
    assert.deepEqual(prop('t2.micro', 'memory').attrs.value, '1024');

    stub.expect([]);
    const one = await call('GET', '/api/hardware_profiles/t3.small', json);
    stub.assertDone();
    assert.deepEqual(one.json().hardware_profile.properties, { cpu: '2', memory: '2048', storage: '8', architecture: 'x86_64' });
    const arch = await call('GET', '/api/hardware_profiles?architecture=i386', json);
    assert.deepEqual(arch.json().hardware_profiles.map((p: { id: string }) => p.id), ['t2.micro']);
  });

  test('realms are the availability zones', async () => {
    stub.expect([{ file: '002' }]);
    const res = await call('GET', '/api/realms', json);
    stub.assertDone();
    assert.deepEqual(res.json().realms.map((r: { id: string }) => r.id), ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f']);
    assert.equal(res.json().realms[0].state, 'AVAILABLE');
  });

  test('images: the default owners (as on AWS: amazon) when the request names none, sorted by owner and name', async () => {
    stub.expect([{ file: '004', check: ['Owner.1'] }]);
    const res = await call('GET', '/api/images', json);
    stub.assertDone();
    const images = res.json().images as Array<{ owner: string; name: string; root_type: string }>;
    assert.equal(images.length, 44);
    const keys = images.map((i) => `${i.owner}\u0000${i.name}`);
    assert.deepEqual(keys, [...keys].sort((a, b) => a.localeCompare(b)));
    assert.ok(images.some((i) => i.root_type === 'persistent') && images.some((i) => i.root_type === 'transient'));
  });

  const RUN_CHECK = ['ImageId', 'InstanceType', 'KeyName', 'MinCount', 'MaxCount', 'Placement.AvailabilityZone', 'SecurityGroupId.1', 'UserData',
    'TagSpecification.1.ResourceType', 'TagSpecification.1.Tag.1.Key', 'TagSpecification.1.Tag.1.Value'];
  const RUN_BODY = {
    image_id: 'ami-04681a1dbd79675a5', hwp_id: 't2.micro', keyname: 'dc-key-1', realm_id: 'us-east-1a', firewalls1: SG,
    user_data: Buffer.from("#!/bin/sh\necho 'hello from deltacloud'\n").toString('base64'), name: 'dc-web-1', instance_count: '2',
  };

  test('create: RunInstances with key, firewall, user data, zone, Name tag, count and the client\'s idempotency token', async () => {
    stub.expect([{ file: '017', check: [...RUN_CHECK, 'ClientToken'] }]);
    const res = await call('POST', '/api/instances', { ...xml, body: { ...RUN_BODY, client_token: 'deltacloud-fixture-run-0001' } });
    stub.assertDone();
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.location, undefined, 'several instances: a list, no Location');
    const list = res.xml();
    assert.equal(list.name, 'instances');
    const instances = list.all('instance');
    assert.deepEqual(instances.map((i) => i.attrs.id), [I1, I2]);
    assert.equal(instances[0]!.child('state').text, 'PENDING');
    assert.equal(instances[0]!.child('name').text, 'dc-web-1');
    assert.equal(instances[0]!.child('realm').attrs.id, 'us-east-1a');
    assert.equal(instances[0]!.child('hardware_profile').attrs.id, 't2.micro');
    assert.deepEqual(instances[0]!.child('firewalls').all('firewall').map((f) => f.attrs.id), [SG]);
    assert.equal(instances[0]!.child('authentication').child('login').child('keyname').text, 'dc-key-1');
    assert.deepEqual(instances[0]!.child('actions').all('link').map((l) => l.attrs.rel), [], 'PENDING offers no action');
  });

  test('a create retried by the SDK after a broken connection sends the same ClientToken (no second launch)', async () => {
    stub.expect([{ file: '017', check: RUN_CHECK, dropFirstAttempt: true }]);
    const res = await call('POST', '/api/instances', { ...json, body: RUN_BODY });
    stub.assertDone();
    assert.equal(res.status, 201, res.text);
    const attempts = stub.attemptsOf('017');
    assert.equal(attempts.length, 2, 'the SDK retried once');
    assert.match(String(attempts[0]!.ClientToken), /^[0-9a-f-]{36}$/);
    assert.equal(attempts[1]!.ClientToken, attempts[0]!.ClientToken);
  });

  test('instances: Name tags, states, addresses, volumes from DescribeInstances', async () => {
    stub.expect([{ file: '018' }]);
    const res = await call('GET', '/api/instances', json);
    stub.assertDone();
    const [first] = res.json().instances;
    assert.equal(first.id, I1);
    assert.equal(first.name, 'dc-web-1');
    assert.equal(first.state, 'RUNNING');
    assert.equal(first.owner, '123456789012');
    assert.deepEqual(first.actions.map((a: { rel: string }) => a.rel), ['reboot', 'stop', 'create_image']);
    assert.ok(first.public_addresses.some((a: { type: string; address: string }) => a.type === 'ipv4' && a.address === '54.214.209.158'));
    // The recording's one EBS root volume.
    assert.deepEqual(first.storage_volumes.map((v: { id: string }) => v.id), ['vol-f4d7bbdac899213a5']);
  });

  test('an unknown instance (InvalidInstanceID.NotFound) → 404', async () => {
    stub.expect([{ file: '021', check: ['InstanceId.1'] }]);
    const res = await call('GET', '/api/instances/i-0123456789abcdef0', json);
    stub.assertDone();
    assert.equal(res.status, 404);
  });

  test('a duplicate key name (InvalidKeyPair.Duplicate) → 409 with EC2\'s message', async () => {
    stub.expect([{ file: '009', check: ['KeyName'] }]);
    const res = await call('POST', '/api/keys', { ...json, body: { name: 'dc-key-1' } });
    stub.assertDone();
    assert.equal(res.status, 409);
    assert.equal(res.json().message, "InvalidKeyPair.Duplicate: The keypair 'dc-key-1' already exists.");
    assert.doesNotMatch(res.text, /wJalrXUtnFEMI/);
  });

  test('networks (VPCs) and subnets', async () => {
    stub.expect([{ file: '010' }, { file: '011' }]);
    const nets = await call('GET', '/api/networks', json);
    stub.assertDone();
    assert.equal(nets.status, 200, nets.text);
    const [net] = nets.json().networks;
    assert.equal(net.id, 'vpc-02c2863292708bf11');
    assert.equal(net.state, 'UP');
    assert.deepEqual(net.address_blocks, ['172.31.0.0/16']);
    // The six subnets of the recorded VPC (fixture 011).
    assert.deepEqual(net.subnets.map((s: { id: string }) => s.id).sort(), [
      'subnet-13a8e2113c891ba21', 'subnet-5a81aa19a5831aec2', 'subnet-6f682bbe3ad4bfcb6', 'subnet-72fc4a38d71526e0f',
      'subnet-926821fbfaf16bf24', 'subnet-ae9df06bd5ea2329c',
    ]);

    stub.expect([{ file: '011' }]);
    const subnets = await call('GET', '/api/subnets', json);
    stub.assertDone();
    const first = subnets.json().subnets[0];
    assert.deepEqual([first.id, first.address_block, first.type, first.network.id], ['subnet-13a8e2113c891ba21', '172.31.0.0/20', 'PUBLIC', 'vpc-02c2863292708bf11']);
  });

  test('firewalls: security group rules with spec §11.13 ids; adding a rule = AuthorizeSecurityGroupIngress', async () => {
    stub.expect([{ file: '015', check: ['GroupId.1'] }]);
    const res = await call('GET', `/api/firewalls/${SG}`, xml);
    stub.assertDone();
    const fw = res.xml();
    assert.equal(fw.child('name').text, 'dc-web');
    assert.equal(fw.child('owner_id').text, '123456789012');
    assert.deepEqual(fw.child('rules').all('rule').map((r) => r.attrs.id), [
      '123456789012~tcp~22~22~@address,ipv4,0.0.0.0,0',
      '123456789012~tcp~80~80~@address,ipv4,0.0.0.0,0',
      `123456789012~tcp~8080~8080~@group,123456789012,${SG}`,
    ]);

    stub.expect([
      { file: '015', check: ['GroupId.1'] },
      { file: '013', check: ['GroupId', 'IpPermissions.1.IpProtocol', 'IpPermissions.1.FromPort', 'IpPermissions.1.ToPort', 'IpPermissions.1.IpRanges.1.CidrIp'] },
      { file: '015', check: ['GroupId.1'] },
    ]);
    const added = await call('POST', `/api/firewalls/${SG}/rules`, { ...json, body: { protocol: 'tcp', port_from: '22', port_to: '22', ip_address1: '0.0.0.0/0' } });
    stub.assertDone();
    assert.equal(added.status, 201, added.text);
    assert.equal(added.json().firewall.rules.length, 3);
  });
});

describe('provider allow-list', () => {
  test('a provider that is neither an AWS region nor configured → 400, and nothing is contacted', async () => {
    stub.expect([]);
    const before = stub.connections;
    for (const provider of [stub.url, `127.0.0.1:${stub.port}`, 'evil.example.com', 'http://169.254.169.254/latest']) {
      const byHeader = await call('GET', '/api/instances/i-1', { ...json, headers: { 'X-Deltacloud-Provider': provider } });
      assert.equal(byHeader.status, 400, `${provider}: ${byHeader.text}`);
      assert.match(byHeader.json().message, /is not allowed on this server; it offers AWS regions and the configured endpoints \(replay\)/);
      const byMatrix = await call('GET', `/api;provider=${encodeURIComponent(provider)}/buckets`, json);
      assert.equal(byMatrix.status, 400, `${provider} (matrix): ${byMatrix.text}`);
    }
    const entry = await call('GET', '/api', { ...json, headers: { 'X-Deltacloud-Provider': stub.url } });
    assert.equal(entry.status, 400);
    assert.equal(stub.connections, before, 'no connection was attempted');
    stub.assertDone();
  });

  test('/api/drivers/ec2 lists the regions with their entry points, and the operator\'s endpoint set with its own', async () => {
    const res = await call('GET', '/api/drivers/ec2', xml);
    const providers = res.xml().all('provider');
    assert.deepEqual(providers.map((p) => p.attrs.id), ['us-west-1', 'us-west-2', 'ap-southeast-1', 'ap-northeast-1', 'eu-west-1', 'us-east-1', 'sa-east-1', 'replay']);
    const replay = providers.find((p) => p.attrs.id === 'replay')!;
    assert.deepEqual(replay.all('entrypoint').map((e) => [e.attrs.kind, e.text]), [['elb', stub.url], ['ec2', stub.url], ['mon', stub.url]]);
    const east = providers.find((p) => p.attrs.id === 'us-east-1')!;
    assert.deepEqual(east.all('entrypoint').map((e) => [e.attrs.kind, e.text]), [
      ['s3', 's3.amazonaws.com'], ['elb', 'elasticloadbalancing.us-east-1.amazonaws.com'], ['ec2', 'ec2.us-east-1.amazonaws.com'], ['mon', 'monitoring.us-east-1.amazonaws.com'],
    ]);
  });

  test('the secret never appears in the server output', () => {
    assert.doesNotMatch(ec2.server.output(), /wJalrXUtnFEMI/);
  });
});
