// The azure driver's load balancers, virtual networks / subnets and Azure
// Monitor metrics against Microsoft's own published examples (network
// 2025-05-01, the api-version of @azure/arm-network 36.0.0; monitor
// 2018-01-01, the one @azure/arm-monitor 7.0.0 sends for metrics), replayed by
// test/drivers/azure/arm-suite.replay.ts, which checks every request against the
// example it answers with. The network examples name the resource group `rg1`
// (and the subscription `subid`, which is no subscription id: the requests'
// is bound): the provider here is that group, in eastus (the load balancer
// example's location).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoLeak, JSON_TYPE, req, type Res } from '../../helpers/api.js';
import { bodyProblems, replayedServer, withExtra, type ReplayStep } from './arm-replay.js';

const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const TENANT = 'contoso.onmicrosoft.com';
const SECRET = 'replay-client-secret-value';
const AUTH = 'Basic ' + Buffer.from(`${CLIENT_ID}@${TENANT}:${SECRET}`).toString('base64');
const SUB = '00000000-1111-2222-3333-444444444444';
const SCOPE = `replay;${SUB};rg1;eastus`;

const NETWORK = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network';
const LB = `${NETWORK}/loadBalancers/{loadBalancerName}`;
const PUBLIC_IP = `${NETWORK}/publicIPAddresses/{publicIpAddressName}`;
const NIC = `${NETWORK}/networkInterfaces/{networkInterfaceName}`;
const VNET = `${NETWORK}/virtualNetworks/{virtualNetworkName}`;
const VM = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}';
const LIST = (template: string) => template.slice(0, template.lastIndexOf('/'));

/** A network example on the test's subscription. */
const net = (step: ReplayStep): ReplayStep => ({ ...step, bind: { subscriptionId: SUB, ...step.bind } });
const lbGet = net({ example: 'network/LoadBalancerGet.json', method: 'GET', path: LB });
/** Microsoft's `myVM` (its example's group is `myResourceGroup`), asked for in the provider's group. */
const vmGet: ReplayStep = { example: 'compute/VirtualMachine_Get.json', method: 'GET', path: VM, bind: { resourceGroupName: 'rg1' } };
/** The VM example's NIC (`{myNIC}` in `myResourceGroup`) answered by the NIC example. */
const nicGet = net({ example: 'network/NetworkInterfaceGet.json', method: 'GET', path: NIC, bind: { resourceGroupName: 'myResourceGroup', networkInterfaceName: '{myNIC}' } });

const suite = replayedServer({ clientId: CLIENT_ID, clientSecret: SECRET });

/** Create = the balancer's public IP address, then the balancer. */
const createSteps: ReplayStep[] = [
  net({ example: 'network/PublicIpAddressCreateDefaults.json', method: 'PUT', path: PUBLIC_IP, body: 'parameters', bind: { publicIpAddressName: 'lb-ip' } }),
  net({
    example: 'network/LoadBalancerCreate.json', method: 'PUT', path: LB, body: 'parameters',
    // The rule is named after its port and points at parts of this subscription's balancer (checked in the create test);
    // the frontend is on the address just made (the example's is on a subnet).
    vary: ['properties.loadBalancingRules.name', 'properties.loadBalancingRules.properties.frontendIPConfiguration.id', 'properties.loadBalancingRules.properties.backendAddressPool.id'],
    extra: { 'properties.frontendIPConfigurations.properties.publicIPAddress': { id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/publicIPAddresses/test-ip' } },
  }),
];

/** Requests to Resource Manager so far (Entra ID's aside). */
const armCalls = () => suite.replay.seen.filter((line) => !line.includes('oauth2') && !line.includes('openid')).length;

async function api(method: string, path: string, body?: Record<string, string>): Promise<Res> {
  const res = await req(suite.server, method, path, { auth: AUTH, accept: JSON_TYPE, headers: { 'X-Deltacloud-Provider': SCOPE }, ...(body ? { body } : {}) });
  assertNoLeak(res, [SECRET, 'Bearer access_token']);
  return res;
}

describe('azure load balancers, networks and metrics: Microsoft\'s examples replayed', () => {

  test('GET /api offers load balancers, networks and subnets for a service principal in a scope', async () => {
    const links: Array<{ rel: string }> = JSON.parse((await api('GET', '/api')).text).api.links;
    const rels = links.map((l) => l.rel);
    for (const rel of ['load_balancers', 'networks', 'subnets']) assert.ok(rels.includes(rel), `${rel} in ${rels.join(', ')}`);
  });

  test('list = LoadBalancers_List; show = LoadBalancers_Get: listeners from the load-balancing rules, realms the location\'s zones', async () => {
    suite.replay.expect(net({ example: 'network/LoadBalancerList.json', method: 'GET', path: LIST(LB) }));
    const listed = await api('GET', '/api/load_balancers');
    assert.equal(listed.status, 200, listed.text);
    const balancers = JSON.parse(listed.text).load_balancers;
    assert.deepEqual(balancers.map((b: { id: string }) => b.id), ['lb', 'lb2']);
    assert.deepEqual(balancers[1].listeners, []);

    suite.replay.expect(lbGet);
    const shown = await api('GET', '/api/load_balancers/lb');
    assert.equal(shown.status, 200, shown.text);
    const lb = JSON.parse(shown.text).load_balancer;
    assert.equal(lb.id, 'lb');
    assert.deepEqual(lb.listeners.map((l: { protocol: string; load_balancer_port: string; instance_port: string }) => [l.protocol, String(l.load_balancer_port), String(l.instance_port)]), [['TCP', '80', '80']]);
    assert.deepEqual(lb.realms.map((r: { id: string }) => r.id), ['westus-1', 'westus-2', 'westus-3']);
    // The example's frontend is on a subnet: no public address, nothing more asked for.
    assert.deepEqual(lb.public_addresses, []);
  });

  test('a name Azure could not hold is no load balancer: 404 without a call, for show, destroy and register', async () => {
    const before = armCalls();
    for (const [method, path, body] of [
      ['GET', '/api/load_balancers/no.such.', undefined],
      ['DELETE', '/api/load_balancers/-bad-', undefined],
      ['POST', '/api/load_balancers/bad%20name/register', { instance_id: 'myVM' }],
    ] as const) {
      const res = await api(method, path, body);
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
    }
    assert.equal(armCalls(), before);
  });

  test('create = a public IP address for the frontend (PublicIPAddresses_CreateOrUpdate), then LoadBalancers_CreateOrUpdate with one pool and the listener\'s rule', async () => {
    suite.replay.expect(...createSteps);
    const created = await api('POST', '/api/load_balancers', { name: 'lb', realm_id: 'eastus-1', listener_protocol: 'TCP', listener_balancer_port: '80', listener_instance_port: '80' });
    assert.equal(created.status, 201, created.text);
    const lb = JSON.parse(created.text).load_balancer;
    assert.equal(lb.id, 'lb');
    assert.deepEqual(lb.realms.map((r: { id: string }) => r.id), ['eastus-1', 'eastus-2', 'eastus-3']);
    const sent = suite.replay.bodies.at(-1);
    assert.ok(sent?.request.endsWith('/loadBalancers/lb'), sent?.request);
    const own = `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Network/loadBalancers/lb`;
    assert.deepEqual(JSON.parse(JSON.stringify(sent?.body)).properties.loadBalancingRules, [{
      name: 'rule-80',
      properties: {
        frontendIPConfiguration: { id: `${own}/frontendIPConfigurations/fe-lb` }, backendAddressPool: { id: `${own}/backendAddressPools/be-lb` },
        protocol: 'Tcp', frontendPort: 80, backendPort: 80,
      },
    }]);
  });

  test('a balancer Azure refuses takes its new public IP address with it (PublicIPAddresses_Delete)', async () => {
    // Then the address the public IP example answered (`test-ip`) deleted.
    suite.replay.expect(...createSteps, net({ example: 'network/PublicIpAddressDelete.json', method: 'DELETE', path: PUBLIC_IP }));
    // Port 8080 is not the example's 80: the replay refuses the balancer, as Azure would refuse one.
    const res = await api('POST', '/api/load_balancers', { name: 'lb', realm_id: 'eastus-1', listener_protocol: 'TCP', listener_balancer_port: '8080', listener_instance_port: '80' });
    assert.ok(res.status >= 400, res.text);
    const problems = suite.replay.problems.splice(0);
    assert.ok(problems.length > 0 && problems.every((p) => p.includes('/loadBalancers/lb') && p.includes('frontendPort')), problems.join('\n'));
    // Left: only the balancer's step (it was refused); the address was deleted and the delete polled.
    assert.deepEqual(suite.replay.pending(), ['PUT network/LoadBalancerCreate.json']);
    suite.replay.reset();
    assert.ok(suite.replay.seen.some((line) => line.startsWith('DELETE ') && line.includes('/publicIPAddresses/test-ip')), 'the address was deleted');
  });

  test('create refuses before any call: no listener, an unknown protocol, a port out of range, a realm elsewhere', async () => {
    const before = armCalls();
    const base = { name: 'lb', realm_id: 'eastus-1', listener_protocol: 'TCP', listener_balancer_port: '80', listener_instance_port: '80' };
    const { listener_protocol: _p, listener_balancer_port: _b, listener_instance_port: _i, ...noListener } = base;
    for (const body of [noListener, { ...base, listener_protocol: 'SCTP' }, { ...base, listener_balancer_port: '70000' }, { ...base, realm_id: 'westus-1' }, { ...base, name: 'bad name' }]) {
      const res = await api('POST', '/api/load_balancers', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    }
    assert.equal(armCalls(), before);
  });

  test('destroy = LoadBalancers_Get (for its own public IP address) then LoadBalancers_Delete, polled to its end', async () => {
    suite.replay.expect(lbGet, net({ example: 'network/LoadBalancerDelete.json', method: 'DELETE', path: LB }));
    const res = await api('DELETE', '/api/load_balancers/lb');
    assert.equal(res.status, 204, res.text);
    assert.ok(suite.replay.seen.at(-1)?.startsWith('GET /_operations/'), 'the delete was polled to its end');
  });

  test('register = the VM\'s primary NIC written back (NetworkInterfaces_CreateOrUpdate) with the pool on its primary IP configuration', async () => {
    const pool = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/be-lb';
    suite.replay.expect(lbGet, vmGet, nicGet, net({
      example: 'network/NetworkInterfaceCreate.json', method: 'PUT', path: NIC, body: 'parameters',
      bind: { resourceGroupName: 'myResourceGroup', networkInterfaceName: '{myNIC}' },
      // A read-modify-write: the body is the NIC as NetworkInterfaces_Get answered it, plus the pool.
      bodyFrom: 'network/NetworkInterfaceGet.json',
      extra: { 'properties.ipConfigurations.properties.loadBalancerBackendAddressPools': [{ id: pool }] },
    }), lbGet);
    const res = await api('POST', '/api/load_balancers/lb/register', { instance_id: 'myVM' });
    assert.equal(res.status, 200, res.text);
    const put = suite.replay.bodies.at(-1)?.body;
    const configs = JSON.stringify(put);
    assert.ok(configs.includes(pool), 'the pool is on the NIC');
    assert.equal(configs.split(pool).length - 1, 1, 'on one IP configuration (the primary)');
  });

  test('unregister of a VM whose NIC is in no pool writes nothing back; an instance name Azure could not hold is 404', async () => {
    suite.replay.expect(lbGet, vmGet, nicGet, lbGet);
    const before = suite.replay.seen.length;
    const res = await api('POST', '/api/load_balancers/lb/unregister', { instance_id: 'myVM' });
    assert.equal(res.status, 200, res.text);
    assert.ok(!suite.replay.seen.slice(before).some((line) => line.startsWith('PUT ')), 'no NIC update');

    const unknown = await api('POST', '/api/load_balancers/lb/register', { instance_id: 'no.such.' });
    assert.equal(unknown.status, 404, unknown.text);
  });

  test('networks = VirtualNetworks_List / _Get (address space, subnets); subnets are `<network>:<subnet>`', async () => {
    suite.replay.expect(net({ example: 'network/VirtualNetworkList.json', method: 'GET', path: LIST(VNET) }));
    const networks = JSON.parse((await api('GET', '/api/networks')).text).networks;
    assert.deepEqual(networks.map((n: { id: string }) => n.id), ['vnet1', 'vnet2']);
    assert.deepEqual(networks[0].address_blocks, ['10.0.0.0/8']);

    suite.replay.expect(net({ example: 'network/VirtualNetworkGet.json', method: 'GET', path: VNET }));
    const shown = await api('GET', '/api/networks/test-vnet');
    assert.equal(shown.status, 200, shown.text);
    assert.equal(JSON.parse(shown.text).network.state, 'AVAILABLE');

    suite.replay.expect(net({ example: 'network/VirtualNetworkList.json', method: 'GET', path: LIST(VNET) }));
    const subnets = JSON.parse((await api('GET', '/api/subnets')).text).subnets;
    assert.deepEqual(subnets.map((s: { id: string; address_block: string }) => [s.id, s.address_block]), [['vnet1:test-1', '10.0.0.0/24']]);

    suite.replay.expect(net({ example: 'network/VirtualNetworkGet.json', method: 'GET', path: VNET }));
    const subnet = await api('GET', '/api/subnets/test-vnet:subnet1');
    assert.equal(subnet.status, 200, subnet.text);
    assert.equal(JSON.parse(subnet.text).subnet.address_block, '10.0.1.0/24');
    assert.equal((await api('GET', '/api/subnets/no-network-part')).status, 404);
  });

  test('create/destroy network = VirtualNetworks_CreateOrUpdate / _Delete (polled); subnets = Subnets_CreateOrUpdate / _Delete', async () => {
    suite.replay.expect(net({ example: 'network/VirtualNetworkCreate.json', method: 'PUT', path: VNET, body: 'parameters' }));
    const created = await api('POST', '/api/networks', { name: 'test-vnet', address_block: '10.0.0.0/16' });
    // The API answers a created network or subnet with 200 (its operation declares no 201).
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(JSON.parse(created.text).network.address_blocks, ['10.0.0.0/16']);
    assert.deepEqual(suite.replay.bodies.at(-1)?.body, { location: 'eastus', properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] } } });

    suite.replay.expect(net({ example: 'network/VirtualNetworkDelete.json', method: 'DELETE', path: VNET }));
    const deleted = await api('DELETE', '/api/networks/test-vnet');
    assert.equal(deleted.status, 204, deleted.text);
    assert.ok(suite.replay.seen.at(-1)?.startsWith('GET /_operations/'), 'the delete was polled to its end');

    // Microsoft's subnet examples are in the group `subnet-test`: bound to the provider's.
    const inGroup = { resourceGroupName: 'rg1' };
    suite.replay.expect(net({ example: 'network/SubnetCreate.json', method: 'PUT', path: `${VNET}/subnets/{subnetName}`, body: 'subnetParameters', bind: inGroup }));
    const subnet = await api('POST', '/api/subnets', { network_id: 'vnetname', address_block: '10.0.0.0/16', name: 'subnet1' });
    assert.equal(subnet.status, 200, subnet.text);
    assert.equal(JSON.parse(subnet.text).subnet.id, 'vnetname:subnet1');

    suite.replay.expect(net({ example: 'network/SubnetDelete.json', method: 'DELETE', path: `${VNET}/subnets/{subnetName}`, bind: inGroup }));
    const gone = await api('DELETE', '/api/subnets/vnetname:subnet1');
    assert.equal(gone.status, 204, gone.text);
  });

  test('network and subnet creation refuse bad names and address blocks before any call; a subnet id without its network is 404', async () => {
    const before = armCalls();
    for (const [path, body] of [
      ['/api/networks', { name: 'bad name' }],
      ['/api/networks', { name: 'n1', address_block: '10.0.0.0/33' }],
      ['/api/networks', { name: 'n1', address_block: 'ten/8' }],
      ['/api/subnets', { network_id: 'n1', address_block: '10.0.0.0' }],
      ['/api/subnets', { network_id: 'bad name', address_block: '10.0.0.0/24' }],
    ] as const) {
      const res = await api('POST', path, body);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${res.text}`);
    }
    assert.equal((await api('DELETE', '/api/subnets/no-network-part')).status, 404);
    assert.equal(armCalls(), before);
  });

  test('metrics = each VM (VirtualMachines_List) with its metric names; a show = one Metrics_List of the last hour, replayed from GetMetricError.json', async () => {
    suite.replay.expect({ example: 'compute/VirtualMachine_List_MinimumSet_Gen.json', method: 'GET', path: LIST(VM), bind: { resourceGroupName: 'rg1' } });
    const listed = await api('GET', '/api/metrics');
    assert.equal(listed.status, 200, listed.text);
    const metrics = JSON.parse(listed.text).metrics;
    // Microsoft's minimum-set example gives its two VMs only an id with a placeholder name.
    assert.equal(metrics.length, 2);
    assert.equal(metrics[0].id, '{virtualMachineName}');

    suite.replay.expect({
      example: 'monitor/GetMetricError.json', method: 'GET',
      path: `${VM}/providers/Microsoft.Insights/metrics`,
      // The example reads a Cosmos DB account; here the resource is the VM (its resourceUri spans these three).
      bind: { subscriptionId: SUB, resourceGroupName: 'rg1', vmName: 'myVM' },
      varyQuery: ['timespan', 'interval', 'metricnames', 'metricnamespace', 'aggregation'],
    });
    const asked = Date.now();
    const shown = await api('GET', '/api/metrics/myVM');
    assert.equal(shown.status, 200, shown.text);
    const query = new URL(suite.replay.seen.filter((line) => line.includes('/Microsoft.Insights/metrics')).at(-1)!.split(' ')[1]!, 'https://x').searchParams;
    assert.equal(query.get('metricnames'), 'Percentage CPU,Network In Total,Network Out Total,Disk Read Bytes,Disk Write Bytes');
    assert.equal(query.get('metricnamespace'), 'Microsoft.Compute/virtualMachines');
    assert.equal(query.get('aggregation'), 'average,minimum,maximum');
    assert.equal(query.get('interval'), 'PT5M');
    const [from, to] = (query.get('timespan') ?? '').split('/').map((t) => Date.parse(t));
    assert.ok(Math.abs(to! - asked) < 60_000 && to! - from! === 3_600_000, `the last hour: ${query.get('timespan')}`);

    const metric = JSON.parse(shown.text).metric;
    assert.equal(metric.id, 'myVM');
    // The example's answer: a metric Azure could not read (no values) and one with one reading.
    const byName = Object.fromEntries(metric.properties.map((p: { name: string }) => [p.name, p]));
    assert.deepEqual(Object.keys(byName), ['MongoRequestsCount', 'MongoRequests']);
    assert.deepEqual(byName.MongoRequestsCount.values, []);
    assert.equal(byName.MongoRequests.values.length, 1);
    assert.equal(Number(byName.MongoRequests.values[0].average), 0);
    assert.equal(byName.MongoRequests.values[0].unit, 'Count');

    assert.equal((await api('GET', '/api/metrics/no.such.')).status, 404, 'a name Azure could not hold: no call');
  });
});

describe('arm-replay: the checks these steps add', () => {
  test('extra adds exact properties to the example (every array item); an empty object sets nothing', () => {
    const example = { properties: { items: [{ name: 'a' }, { name: 'b' }] } };
    const extended = withExtra(example, { 'properties.items.ref': { id: 'x' } });
    assert.deepEqual(extended, { properties: { items: [{ name: 'a', ref: { id: 'x' } }, { name: 'b', ref: { id: 'x' } }] } });
    assert.deepEqual(example.properties.items[0], { name: 'a' }, 'the example itself is unchanged');
    assert.deepEqual(bodyProblems({ properties: { items: [{ ref: { id: 'x' } }] } }, extended, []), []);
    assert.equal(bodyProblems({ properties: { items: [{ ref: { id: 'y' } }] } }, extended, []).length, 1);
    assert.deepEqual(bodyProblems({ properties: { other: {} } }, example, []), []);
    assert.equal(bodyProblems({ properties: { other: { a: 1 } } }, example, []).length, 1);
  });
});

