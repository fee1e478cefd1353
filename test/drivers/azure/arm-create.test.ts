// Instance create on Resource Manager (public IP → NIC → VM) and address
// associate/disassociate, replayed from Microsoft's own examples (see
// test/fixtures/azure-arm/README.md) by test/drivers/azure/arm-suite.replay.ts,
// which checks every request against the example it answers with. The
// examples name their resources (`myVM`, `test-nic`, `test-ip`) and groups
// (`myResourceGroup`, `rg1`) each their own way: one flow works on one VM,
// so its NIC and IP examples are bound (`bind`) to the names the driver
// derives from the VM's, in the VM example's group.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RequestContext } from '../../../src/core/driver.js';
import { DeltacloudError } from '../../../src/core/errors.js';
import { call } from '../../../src/core/kit/pipeline.js';
import { AzureConfigError, parseOptions } from '../../../src/drivers/azure/config.js';
import { createAzureDriver } from '../../../src/drivers/azure/driver.js';
import { assertNoLeak, JSON_TYPE, req, type Res } from '../../helpers/api.js';
import { CLIENT_ID, inGroup, SUB, TENANT } from './arm-paths.js';
import { replayedServer, type Json, type ReplayStep } from './arm-replay.js';

const SECRET = 'create-client-secret-value';
const AUTH = 'Basic ' + Buffer.from(`${CLIENT_ID}@${TENANT}:${SECRET}`).toString('base64');
const GROUP = 'myResourceGroup';
const PROVIDER = `replay;${SUB};${GROUP};westus`;
/** The subnet NetworkInterfaceCreate.json puts its NIC in: the operator's subnetId here. */
const SUBNET = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/rg1-vnet/subnets/default';
const IMAGE = 'Canonical:ubuntu-24_04-lts:server:latest';

const VM = `${inGroup('Microsoft.Compute/virtualMachines')}/{vmName}`;
const KEY = `${inGroup('Microsoft.Compute/sshPublicKeys')}/{sshPublicKeyName}`;
const PUBLIC_IP = `${inGroup('Microsoft.Network/publicIPAddresses')}/{publicIpAddressName}`;
const NIC = `${inGroup('Microsoft.Network/networkInterfaces')}/{networkInterfaceName}`;

/** A network example (subscription `subid`, group `rg1`) on the test's subscription and group. */
const net = (step: ReplayStep): ReplayStep => ({ ...step, bind: { subscriptionId: SUB, resourceGroupName: GROUP, ...step.bind } });

/**
 * The NIC's reference to its public IP says the IP goes with the NIC: `deleteOption` of PublicIPAddressPropertiesFormat
 * (the reference is a PublicIPAddress) in network 2025-05-01's publicIpAddress.json, which NetworkInterfaceCreate.json
 * does not send.
 */
const IP_GOES_WITH_NIC = { 'properties.ipConfigurations.properties.publicIPAddress.properties': { deleteOption: 'Delete' } };
/** The key, the public IP and the NIC of VM `myVM`, as the driver asks for them. */
const keyAndIp: ReplayStep[] = [
  { example: 'compute/SshPublicKey_Get.json', method: 'GET', path: KEY },
  net({ example: 'network/PublicIpAddressCreateDefaults.json', method: 'PUT', path: PUBLIC_IP, body: 'parameters', vary: ['location'], bind: { publicIpAddressName: 'myVM-ip' } }),
];
// The body is checked against the example's: ipconfig1 in the subnet, carrying the IP the previous answer named.
const createNic = net({ example: 'network/NetworkInterfaceCreate.json', method: 'PUT', path: NIC, body: 'parameters', vary: ['location'], bind: { networkInterfaceName: 'myVM-nic' }, extra: IP_GOES_WITH_NIC });
const beforeTheVm: ReplayStep[] = [...keyAndIp, createNic];
/**
 * The VM's NIC and OS disk go with it: `deleteOption` of NetworkInterfaceReferenceProperties and of OSDisk in compute
 * 2026-03-01's ComputeRP.json, which VirtualMachine_Create_WithSshAuthentication.json sends neither of.
 */
const GOES_WITH_VM = { 'properties.networkProfile.networkInterfaces.properties.deleteOption': 'Delete', 'properties.storageProfile.osDisk.deleteOption': 'Delete' };
/** VirtualMachines_CreateOrUpdate: the example's VM on the NIC just made, signing in with the key the replay's SshPublicKey_Get answered. */
const createVm: ReplayStep = {
  example: 'compute/VirtualMachine_Create_WithSshAuthentication.json', method: 'PUT', path: VM, body: 'parameters',
  vary: ['properties.networkProfile.networkInterfaces.id', 'properties.osProfile.linuxConfiguration.ssh.publicKeys.path',
    'properties.osProfile.linuxConfiguration.ssh.publicKeys.keyData'],
  extra: GOES_WITH_VM,
};
const USER_DATA = '#cloud-config\npackages: [nginx]\n';
/** The create with a realm and user data: both in the VirtualMachine definition of the 2026-03-01 Swagger (`zones`, `OSProfile.customData`), which this example sends neither of. */
const createVmInZone: ReplayStep = { ...createVm, extra: { ...GOES_WITH_VM, zones: ['2'], 'properties.osProfile.customData': Buffer.from(USER_DATA).toString('base64') } };
const show: ReplayStep[] = [
  { example: 'compute/VirtualMachine_Get.json', method: 'GET', path: VM },
  { example: 'compute/VirtualMachine_Get_InstanceView.json', method: 'GET', path: `${VM}/instanceView` },
];

let suite: ReturnType<typeof replayedServer>;

async function api(method: string, path: string, body?: Record<string, string>, provider = PROVIDER): Promise<Res> {
  const res = await req(suite.server, method, path, { auth: AUTH, accept: JSON_TYPE, headers: { 'X-Deltacloud-Provider': provider }, ...(body ? { body } : {}) });
  assertNoLeak(res, [SECRET, 'Bearer access_token']);
  return res;
}

const CREATE = { image_id: IMAGE, hwp_id: 'Standard_D1_v2', keyname: 'mySshPublicKeyName', name: 'myVM' };
const sentTo = (fragment: string) => suite.replay.bodies.filter((b) => b.request.startsWith('PUT ') && b.request.includes(fragment)).at(-1)?.body;
/** The JSON at `path` in `body` (undefined where it has none). */
function pick(body: Json | undefined, ...path: Array<string | number>): Json | undefined {
  let at = body;
  for (const key of path) {
    if (typeof key === 'number') at = Array.isArray(at) ? at[key] : undefined;
    else at = at && typeof at === 'object' && !Array.isArray(at) ? at[key] : undefined;
  }
  return at;
}

describe('azure instance create: public IP → NIC → VM, Microsoft\'s examples replayed', () => {
  suite = replayedServer({ clientId: CLIENT_ID, clientSecret: SECRET }, { subnetId: SUBNET });

  test('create: the key, a public IP, a NIC in the operator\'s subnet carrying it, the VM on the NIC (polled), then the instance → 201', async () => {
    // Polling the VM's creation (the example answers 201 with provisioningState Creating) is a GET of the VM.
    suite.replay.expect(...beforeTheVm, createVmInZone, show[0]!, ...show);
    const res = await api('POST', '/api/instances', { ...CREATE, realm_id: 'westus-2', user_data: Buffer.from(USER_DATA).toString('base64') });
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.location ?? '', /\/api\/instances\/myVM$/);
    const instance = JSON.parse(res.text).instance;
    assert.equal(instance.id, 'myVM');
    assert.equal(instance.state, 'RUNNING', 'VirtualMachine_Get and its instance view: succeeded, running');

    const nic = JSON.stringify(sentTo('/networkInterfaces/myVM-nic'));
    assert.ok(nic.includes(`"subnet":{"id":"${SUBNET}"`), `the NIC is in the operator's subnet: ${nic}`);
    assert.ok(nic.includes('"publicIPAddress":{"id":"/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/publicIPAddresses/test-ip"'),
      `the NIC carries the IP Azure answered: ${nic}`);
    const vm = JSON.stringify(sentTo('/virtualMachines/myVM'));
    assert.ok(vm.includes('"zones":["2"]'), vm);
    assert.ok(vm.includes(`"customData":"${Buffer.from(USER_DATA).toString('base64')}"`), vm);
    assert.ok(vm.includes('"id":"/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/test-nic"'), 'the VM is on the NIC Azure answered');
    assert.ok(vm.includes('"keyData":"{ssh-rsa public key}"'), 'the key resource\'s public key');
    assert.ok(vm.includes('"imageReference":{"publisher":"Canonical","offer":"ubuntu-24_04-lts","sku":"server","version":"latest"}'), vm);
  });

  test('what create makes goes with the VM: the VM\'s NIC and OS disk and the NIC\'s public IP are sent with deleteOption Delete', async () => {
    suite.replay.expect(...beforeTheVm, createVm, show[0]!, ...show);
    const res = await api('POST', '/api/instances', CREATE);
    assert.equal(res.status, 201, res.text);
    // The replay checked the values (`extra`); here, that each sits where Azure reads it.
    const nic = sentTo('/networkInterfaces/myVM-nic');
    const vm = sentTo('/virtualMachines/myVM');
    assert.deepEqual(pick(nic, 'properties', 'ipConfigurations', 0, 'properties', 'publicIPAddress'),
      { id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/publicIPAddresses/test-ip', properties: { deleteOption: 'Delete' } });
    assert.equal(pick(nic, 'properties', 'networkSecurityGroup'), undefined, 'no firewall asked, none put on the NIC');
    assert.deepEqual(pick(vm, 'properties', 'networkProfile', 'networkInterfaces'),
      [{ id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/test-nic', properties: { primary: true, deleteOption: 'Delete' } }]);
    assert.equal(pick(vm, 'properties', 'storageProfile', 'osDisk', 'deleteOption'), 'Delete');
  });

  test('a firewall at create = its network security group on the NIC (NetworkInterfaces_CreateOrUpdate\'s networkSecurityGroup), by id in the provider\'s group', async () => {
    const nsg = `/subscriptions/${SUB}/resourceGroups/${GROUP}/providers/Microsoft.Network/networkSecurityGroups/nsg1`;
    // NetworkInterfacePropertiesFormat.networkSecurityGroup (network 2025-05-01's networkInterface.json): the example sends none.
    suite.replay.expect(...keyAndIp, { ...createNic, extra: { ...IP_GOES_WITH_NIC, 'properties.networkSecurityGroup': { id: nsg } } }, createVm, show[0]!, ...show);
    const res = await api('POST', '/api/instances', { ...CREATE, firewalls1: 'nsg1' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(pick(sentTo('/networkInterfaces/myVM-nic'), 'properties', 'networkSecurityGroup'), { id: nsg });

    // `/api` says so: the instances collection offers the `firewalls` feature.
    // (The JSON entry point holds each feature in an array of its own.)
    const entry: { api: { links: Array<{ rel: string; features?: Array<Array<{ name: string; params?: string[] }>> }> } } = JSON.parse((await api('GET', '/api')).text);
    const instances = entry.api.links.find((l) => l.rel === 'instances');
    const firewalls = instances?.features?.flat().find((f) => f.name === 'firewalls');
    assert.deepEqual(firewalls?.params, ['firewalls:array:optional'], JSON.stringify(instances));
  });

  test('the VM step refused (SkuNotAvailable, 409): the NIC and the public IP are deleted (polled), newest first; the client gets 409', async () => {
    suite.replay.expect(...beforeTheVm, { ...createVm, fail: { status: 409, body: 'errors/SkuNotAvailable.json' } },
      net({ example: 'network/NetworkInterfaceDelete.json', method: 'DELETE', path: NIC, bind: { networkInterfaceName: 'myVM-nic' } }),
      net({ example: 'network/PublicIpAddressDelete.json', method: 'DELETE', path: PUBLIC_IP, bind: { publicIpAddressName: 'myVM-ip' } }));
    const res = await api('POST', '/api/instances', CREATE);
    assert.equal(res.status, 409, res.text);
    assert.match(res.text, /SkuNotAvailable/);
    const deletes = suite.replay.seen.filter((line) => line.startsWith('DELETE '));
    assert.equal(deletes.length, 2, deletes.join('\n'));
    assert.match(deletes[0]!, /\/networkInterfaces\/myVM-nic\?/);
    assert.match(deletes[1]!, /\/publicIPAddresses\/myVM-ip\?/);
  });

  test('the request\'s deadline runs out while the VM is being created: the VM (Azure accepted it), the NIC and the IP are deleted, 504', async () => {
    suite.replay.expect(...beforeTheVm, createVm, { ...show[0]!, stall: true },
      { example: 'compute/VirtualMachine_Delete_Force.json', method: 'DELETE', path: VM },
      net({ example: 'network/NetworkInterfaceDelete.json', method: 'DELETE', path: NIC, bind: { networkInterfaceName: 'myVM-nic' } }),
      net({ example: 'network/PublicIpAddressDelete.json', method: 'DELETE', path: PUBLIC_IP, bind: { publicIpAddressName: 'myVM-ip' } }));
    const driver = createAzureDriver(parseOptions({ providers: { replay: { armEndpoint: suite.replay.url, authorityHost: suite.replay.url, caFile: suite.replay.caFile, images: [IMAGE], subnetId: SUBNET } }, pollIntervalMs: 10 }));
    const ctx = new RequestContext(PROVIDER, { user: `${CLIENT_ID}@${TENANT}`, password: SECRET }, undefined, {}, { timeoutMs: 6_000 });
    const seen = suite.replay.seen.length;
    await assert.rejects(call(driver, 'create_instance', ctx, { imageId: IMAGE, keyname: 'mySshPublicKeyName', name: 'myVM', hardwareProfileId: 'Standard_D1_v2', firewallIds: [], profileOverrides: {}, params: {} }),
      (e: unknown) => e instanceof DeltacloudError && e.status === 504);
    // The API answers 504 at the deadline; the clean-up goes on with its own time.
    for (const until = Date.now() + 10_000; suite.replay.pending().length > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
    const deletes = suite.replay.seen.slice(seen).filter((line) => line.startsWith('DELETE '));
    assert.deepEqual(deletes.map((line) => line.split('?')[0]!.split('/').slice(-2).join('/')), ['virtualMachines/myVM', 'networkInterfaces/myVM-nic', 'publicIPAddresses/myVM-ip']);
    assert.ok(deletes[0]!.includes('forceDeletion=true'), deletes[0]);
  });

  test('bad input is refused with 400 before any call: unknown size, realm or image, no key, a bad name', async () => {
    const seen = suite.replay.seen.length;
    const bads: Array<Record<string, string>> = [{ hwp_id: 'Standard_Nope' }, { realm_id: 'eastus-1' }, { realm_id: 'westus-7' }, { image_id: 'Canonical:other:server:latest' },
      { keyname: '' }, { name: '-bad-' }, { name: 'under_score' }, { firewalls1: 'nsg.' }, { firewalls1: 'a/b' }];
    for (const bad of bads) {
      const res = await api('POST', '/api/instances', { ...CREATE, ...bad });
      assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${res.text}`);
    }
    const two = await api('POST', '/api/instances', { ...CREATE, firewalls1: 'nsg1', firewalls2: 'nsg2' });
    assert.equal(two.status, 400, two.text);
    assert.match(two.text, /one network security group on an instance's NIC/);
    assert.equal(suite.replay.seen.length, seen, 'nothing sent for bad input');
  });

  test('a provider without a subnet cannot create instances (501), before any call', async () => {
    const driver = createAzureDriver(parseOptions({ providers: { replay: { armEndpoint: suite.replay.url, authorityHost: suite.replay.url, caFile: suite.replay.caFile, images: [IMAGE] } } }));
    const ctx = new RequestContext(PROVIDER, { user: `${CLIENT_ID}@${TENANT}`, password: SECRET }, undefined, {}, { timeoutMs: 10_000 });
    const seen = suite.replay.seen.length;
    await assert.rejects(call(driver, 'create_instance', ctx, { imageId: IMAGE, keyname: 'k', firewallIds: [], profileOverrides: {}, params: {} }),
      (e: unknown) => e instanceof DeltacloudError && e.status === 501);
    assert.equal(suite.replay.seen.length, seen);
  });

  test('associate = the VM\'s NIC read (VirtualMachines_Get, NetworkInterfaces_Get) and written back with the public IP on its primary IP configuration', async () => {
    const nic = { networkInterfaceName: '{myNIC}' };
    suite.replay.expect({ example: 'compute/VirtualMachine_Get.json', method: 'GET', path: VM },
      net({ example: 'network/NetworkInterfaceGet.json', method: 'GET', path: NIC, bind: nic }),
      // What is written back is the NIC as read (NetworkInterfaceGet.json's answer), the public IP excepted.
      net({ example: 'network/NetworkInterfaceCreate.json', method: 'PUT', path: NIC, bind: nic, body: 'parameters', bodyFrom: 'network/NetworkInterfaceGet.json',
        vary: ['properties.ipConfigurations.properties.publicIPAddress.id'] }));
    const res = await api('POST', '/api/addresses/test-ip/associate', { instance_id: 'myVM' });
    assert.equal(res.status, 202, res.text);
    const sent = sentTo('/networkInterfaces/');
    const written = JSON.stringify(sent);
    assert.ok(written.includes(`"publicIPAddress":{"id":"/subscriptions/${SUB}/resourceGroups/${GROUP}/providers/Microsoft.Network/publicIPAddresses/test-ip"}`), written);
    assert.ok(written.includes('"networkSecurityGroup":{"id":"/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/nsg"'), 'the NIC keeps its other settings');

    const seen = suite.replay.seen.length;
    assert.equal((await api('POST', '/api/addresses/bad..name./associate', { instance_id: 'myVM' })).status, 400);
    assert.equal((await api('POST', '/api/addresses/test-ip/associate', {})).status, 400, 'instance_id is required');
    assert.equal(suite.replay.seen.length, seen, 'nothing sent for bad input');
  });

  test('disassociate = the address\'s NIC (from its ipConfiguration) written back without the public IP', async () => {
    const nic = { networkInterfaceName: 'testDNS649', resourceGroupName: 'rg1' };
    suite.replay.expect(net({ example: 'network/PublicIpAddressGet.json', method: 'GET', path: PUBLIC_IP, bind: { resourceGroupName: 'rg1' } }),
      net({ example: 'network/NetworkInterfaceGet.json', method: 'GET', path: NIC, bind: nic }),
      net({ example: 'network/NetworkInterfaceCreate.json', method: 'PUT', path: NIC, bind: nic, body: 'parameters', bodyFrom: 'network/NetworkInterfaceGet.json' }));
    const res = await api('POST', '/api/addresses/testDNS-ip/disassociate', undefined, `replay;${SUB};rg1;westus`);
    assert.equal(res.status, 202, res.text);
    const written = JSON.stringify(sentTo('/networkInterfaces/testDNS649'));
    assert.ok(!written.includes('publicIPAddress'), written);
    assert.ok(written.includes('"name":"ipconfig1"') && written.includes('"name":"ipconfig2"'), 'both IP configurations stay');
  });
});

describe('azure subnetId (operator configuration)', () => {
  test('a subnet resource id is kept; anything else is refused at start-up', () => {
    assert.equal(parseOptions({ providers: { p: { subnetId: SUBNET } } }).providers.get('p')?.subnetId, SUBNET);
    for (const bad of ['default', `${SUBNET}/extra`, '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v', 'https://example.net/subnets/x']) {
      assert.throws(() => parseOptions({ providers: { p: { subnetId: bad } } }), AzureConfigError, bad);
    }
  });
});
