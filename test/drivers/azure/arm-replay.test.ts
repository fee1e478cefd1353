// The azure driver's Resource Manager half against Microsoft's own published
// examples (azure-rest-api-specs, compute 2026-03-01, the api-version of
// @azure/arm-compute 24.1.0), replayed over TLS by test/drivers/azure/
// arm-replay.ts, which checks every request against the example it answers
// with; Entra ID's token endpoint answers as Microsoft's recording of it.
// The server runs in this process (test/helpers/inject.ts) with the azure
// driver and a provider whose endpoints are the replay server.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { RequestContext } from '../../../src/core/driver.js';
import { DeltacloudError } from '../../../src/core/errors.js';
import { call } from '../../../src/core/kit/pipeline.js';
import { parseOptions } from '../../../src/drivers/azure/config.js';
import { createAzureDriver } from '../../../src/drivers/azure/driver.js';
import { generateSshKeyPair } from '../../../src/drivers/libvirt/ssh-keys.js';
import { assertNoLeak, JSON_TYPE, req, type Res } from '../../helpers/api.js';
import { startApp, type AppServer } from '../../helpers/inject.js';
import { ArmReplay, bodyProblems, type ReplayStep } from './arm-replay.js';

const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const TENANT = 'contoso.onmicrosoft.com';
const SECRET = 'replay-client-secret-value';
const SUB = '00000000-1111-2222-3333-444444444444';
const AUTH = 'Basic ' + Buffer.from(`${CLIENT_ID}@${TENANT}:${SECRET}`).toString('base64');
const WRONG_AUTH = 'Basic ' + Buffer.from(`${CLIENT_ID}@${TENANT}:not-the-secret`).toString('base64');
const scope = (group: string) => `replay;${SUB};${group};westus`;

const IMAGE = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/images/{imageName}';
const KEY = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/sshPublicKeys/{sshPublicKeyName}';
const DISK = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/disks/{diskName}';
const SNAPSHOT = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/snapshots/{snapshotName}';
const VM = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}';
const PUBLIC_IP = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/publicIPAddresses/{publicIpAddressName}';
const NSG = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}';
const RULE = `${NSG}/securityRules/{securityRuleName}`;
const NIC = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/networkInterfaces/{networkInterfaceName}';
/** A network example (they name the subscription `subid`) on the test's subscription. */
const net = (step: ReplayStep): ReplayStep => ({ ...step, bind: { subscriptionId: SUB, ...step.bind } });
/** Show = the VM and its instance view (Microsoft's examples for `myVM`), bound to the VM a flow works on. */
const show = (vmName?: string, resourceGroupName?: string): ReplayStep[] => {
  const bind = { ...(vmName ? { vmName } : {}), ...(resourceGroupName ? { resourceGroupName } : {}) };
  return [
    { example: 'compute/VirtualMachine_Get.json', method: 'GET', path: VM, bind },
    { example: 'compute/VirtualMachine_Get_InstanceView.json', method: 'GET', path: `${VM}/instanceView`, bind },
  ];
};

/** The driver itself on the replay, for what the API refuses before calling it with these examples' states. */
const replayedDriver = () => createAzureDriver(parseOptions({ providers: { replay: { armEndpoint: replay.url, authorityHost: replay.url, caFile: replay.caFile } }, pollIntervalMs: 10 }));
const driverContext = (group: string) => new RequestContext(scope(group), { user: `${CLIENT_ID}@${TENANT}`, password: SECRET }, undefined, {}, { timeoutMs: 10_000 });

let replay: ArmReplay;
let server: AppServer;

/** A request in the resource group `group` (westus) of the replayed subscription, checked for leaks. */
async function api(method: string, path: string, group: string, opts: { auth?: string; body?: Record<string, string> } = {}): Promise<Res> {
  const res = await req(server, method, path, { auth: opts.auth ?? AUTH, accept: JSON_TYPE, headers: { 'X-Deltacloud-Provider': scope(group) }, ...(opts.body ? { body: opts.body } : {}) });
  assertNoLeak(res, [SECRET, 'Bearer access_token']);
  return res;
}

/**
 * POST to `collection` answers 201 with the member `id` (the create example, then the poll's Get);
 * DELETE of `deleted` (the Delete example's name) answers 204 after its operation was polled.
 */
async function createThenDelete(collection: string, body: Record<string, string>, id: string, create: ReplayStep[], remove: ReplayStep, deleted = id): Promise<void> {
  replay.expect(...create);
  const created = await api('POST', `/api/${collection}`, 'myResourceGroup', { body });
  assert.equal(created.status, 201, created.text);
  assert.equal(JSON.parse(created.text)[collection.slice(0, -1)].id, id);
  replay.expect(remove);
  const res = await api('DELETE', `/api/${collection}/${deleted}`, 'myResourceGroup');
  assert.equal(res.status, 204, res.text);
}

describe('azure Resource Manager: Microsoft\'s examples replayed', () => {
  before(async () => {
    replay = await ArmReplay.start({ clientId: CLIENT_ID, clientSecret: SECRET });
    server = await startApp({ args: ['-i', 'azure', '-c', replay.writeConfig()] });
  });
  after(async () => {
    await server?.stop();
    await replay?.stop();
  });
  afterEach(() => {
    // Every request matched an example, and every expected one was sent.
    assert.deepEqual(replay.reset(), { problems: [], pending: [] });
  });

  test('GET /api lists the Resource Manager collections for a service principal in a scope, none without one', async () => {
    const scoped = JSON.parse((await api('GET', '/api', 'myResourceGroup')).text);
    const names = (body: { api: { links: Array<{ rel: string }> } }) => body.api.links.map((l) => l.rel).sort();
    assert.deepEqual(names(scoped), ['addresses', 'drivers', 'firewalls', 'hardware_profiles', 'images', 'instance_states', 'instances', 'keys', 'load_balancers', 'metrics', 'networks', 'realms', 'storage_snapshots', 'storage_volumes', 'subnets']);
    const plain = await req(server, 'GET', '/api', { auth: AUTH, accept: JSON_TYPE, headers: { 'X-Deltacloud-Provider': 'replay' } });
    assert.deepEqual(names(JSON.parse(plain.text)), ['drivers']);
    const without = await req(server, 'GET', '/api/instances', { auth: AUTH, accept: JSON_TYPE, headers: { 'X-Deltacloud-Provider': 'replay' } });
    assert.equal(without.status, 501, without.text);
    assert.deepEqual(replay.seen.filter((line) => !line.includes('oauth2') && !line.includes('openid')), []);
  });

  test('show: VirtualMachines_Get + VirtualMachines_InstanceView → a running instance with its size, image, location and disks', async () => {
    replay.expect(...show());
    const res = await api('GET', '/api/instances/myVM', 'myResourceGroup');
    assert.equal(res.status, 200, res.text);
    const instance = JSON.parse(res.text).instance;
    assert.equal(instance.id, 'myVM');
    assert.equal(instance.state, 'RUNNING');
    assert.equal(instance.hardware_profile.id, 'Standard_DS3_v2');
    assert.equal(instance.image.id, 'MicrosoftWindowsServer:WindowsServer:2016-Datacenter:latest');
    assert.equal(instance.realm.id, 'westus');
    assert.deepEqual(instance.storage_volumes.map((v: { id: string }) => v.id), ['myDataDisk0', 'myDataDisk1']);
    assert.ok(replay.tokensIssued >= 1, 'the credential got its token from the (replayed) Entra ID');
  });

  test('list: VirtualMachines_List and each VM\'s instance view', async () => {
    const view = { example: 'compute/VirtualMachine_Get_InstanceView.json', method: 'GET' as const, path: `${VM}/instanceView`, bind: { vmName: '{virtualMachineName}', resourceGroupName: 'rgcompute' } };
    replay.expect({ example: 'compute/VirtualMachine_List_MinimumSet_Gen.json', method: 'GET', path: VM.slice(0, VM.lastIndexOf('/')) }, view, view);
    const res = await api('GET', '/api/instances', 'rgcompute');
    assert.equal(res.status, 200, res.text);
    const list = JSON.parse(res.text).instances;
    assert.equal(list.length, 2);
    for (const instance of list) {
      assert.equal(instance.state, 'RUNNING');
      assert.equal(instance.realm.id, 'eastus');
    }
  });

  test('stop = VirtualMachines_Deallocate, polled to its end; reboot = VirtualMachines_Restart', async () => {
    const dealloc = 'aaaaaaaaaaaaaaaa';
    replay.expect(...show(dealloc, 'rgcompute'),
      { example: 'compute/VirtualMachine_Deallocate_MinimumSet_Gen.json', method: 'POST', path: `${VM}/deallocate` }, ...show(dealloc, 'rgcompute'));
    const stopped = await api('POST', `/api/instances/${dealloc}/stop`, 'rgcompute');
    assert.equal(stopped.status, 202, stopped.text);
    assert.ok(replay.seen.some((line) => line.startsWith('GET /_operations/')), 'the poller followed the operation\'s Location');

    replay.expect(...show('aaa', 'rgcompute'), { example: 'compute/VirtualMachine_Restart_MinimumSet_Gen.json', method: 'POST', path: `${VM}/restart` }, ...show('aaa', 'rgcompute'));
    const rebooted = await api('POST', '/api/instances/aaa/reboot', 'rgcompute');
    assert.equal(rebooted.status, 202, rebooted.text);
  });

  test('start = VirtualMachines_Start (refused by the API while the VM runs, as the state machine says)', async () => {
    replay.expect(...show('aaaaa', 'rgcompute'));
    const refused = await api('POST', '/api/instances/aaaaa/start', 'rgcompute');
    assert.equal(refused.status, 405, refused.text);
    assert.deepEqual(replay.pending(), []);
    // The driver's start itself, as the API would call it on a deallocated VM.
    replay.expect({ example: 'compute/VirtualMachine_Start_MinimumSet_Gen.json', method: 'POST', path: `${VM}/start` }, ...show('aaaaa', 'rgcompute'));
    const started = await call(replayedDriver(), 'start_instance', driverContext('rgcompute'), 'aaaaa');
    assert.equal(started.id, 'aaaaa');
  });

  test('a long-running operation outliving the request\'s deadline: its poll is cancelled, 504', async () => {
    // Azure does not answer the poll in time (the replay holds it open): the request's deadline aborts it.
    replay.expect({ example: 'compute/VirtualMachine_Restart_MinimumSet_Gen.json', method: 'POST', path: `${VM}/restart`, stallPoll: true });
    const ctx = new RequestContext(scope('rgcompute'), { user: `${CLIENT_ID}@${TENANT}`, password: SECRET }, undefined, {}, { timeoutMs: 8_000 });
    const started = Date.now();
    await assert.rejects(call(replayedDriver(), 'reboot_instance', ctx, 'aaa'), (e: unknown) => e instanceof DeltacloudError && e.status === 504);
    // Generous: on a loaded CI machine the sign-in and the POST alone took more than 3 s.
    assert.ok(Date.now() - started < 15_000, 'the deadline ended the wait');
    assert.ok(replay.seen.at(-1)?.startsWith('GET /_operations/'), 'the poller was waiting on its poll');
    assert.deepEqual(replay.reset(), { problems: [], pending: ['POST compute/VirtualMachine_Restart_MinimumSet_Gen.json (awaiting its poll)'] });
  });

  test('destroy = one VirtualMachines_Delete, polled to its end, without forceDeletion (Azure forces it when every disk goes with the VM)', async () => {
    // Microsoft's one VirtualMachines_Delete example of 2026-03-01 forces the delete; the driver leaves forceDeletion,
    // an optional query parameter, out: the replay checks every parameter sent, not that each of the example's is.
    replay.expect(...show(), { example: 'compute/VirtualMachine_Delete_Force.json', method: 'DELETE', path: VM });
    const seen = replay.seen.length;
    const res = await api('DELETE', '/api/instances/myVM', 'myResourceGroup');
    assert.equal(res.status, 204, res.text);
    const sent = replay.seen.slice(seen);
    const deletes = sent.filter((line) => line.startsWith('DELETE '));
    assert.equal(deletes.length, 1, `the VM only: Azure deletes its NIC, IP and OS disk with it\n${sent.join('\n')}`);
    assert.match(deletes[0]!, /\/virtualMachines\/myVM\?api-version=2026-03-01$/);
    assert.ok(sent.slice(sent.indexOf(deletes[0]!) + 1).some((line) => line.startsWith('GET /_operations/')), 'the delete was polled');
  });

  test('keys = SSH public key resources: import (SshPublicKeys_Create), list, show, delete; a bad key is refused before any call', async () => {
    const { publicKey } = await generateSshKeyPair('deltacloud-test');
    const seen = replay.seen.length;
    const bad = await api('POST', '/api/keys', 'myResourceGroup', { body: { name: 'mySshPublicKeyName', public_key: 'ssh-rsa not-base64!' } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(replay.seen.length, seen, 'nothing sent for a bad key');

    replay.expect({ example: 'compute/SshPublicKey_Create.json', method: 'PUT', path: KEY, body: 'parameters' });
    const created = await api('POST', '/api/keys', 'myResourceGroup', { body: { name: 'mySshPublicKeyName', public_key: publicKey } });
    assert.equal(created.status, 201, created.text);
    assert.equal(JSON.parse(created.text).key.id, 'mySshPublicKeyName');

    replay.expect({ example: 'compute/SshPublicKey_ListByResourceGroup_MinimumSet_Gen.json', method: 'GET', path: KEY.slice(0, KEY.lastIndexOf('/')) });
    const list = JSON.parse((await api('GET', '/api/keys', 'rgcompute')).text).keys;
    assert.deepEqual(list.map((k: { id: string }) => k.id), ['mySshPublicKeyName']);

    replay.expect({ example: 'compute/SshPublicKey_Get.json', method: 'GET', path: KEY });
    const shown = await api('GET', '/api/keys/mySshPublicKeyName', 'myResourceGroup');
    assert.equal(shown.status, 200, shown.text);

    replay.expect({ example: 'compute/SshPublicKey_Delete_MinimumSet_Gen.json', method: 'DELETE', path: KEY });
    const deleted = await api('DELETE', '/api/keys/aaaaaaaaaaaaaaaaaaa', 'rgcompute');
    assert.equal(deleted.status, 204, deleted.text);
  });

  test('volumes = managed disks: show (Disks_Get), create empty (Disks_CreateOrUpdate, polled), delete (Disks_Delete, polled)', async () => {
    replay.expect({ example: 'disks/Disk_Get.json', method: 'GET', path: DISK });
    const shown = JSON.parse((await api('GET', '/api/storage_volumes/myManagedDisk', 'myResourceGroup')).text).storage_volume;
    assert.equal(shown.state, 'IN-USE');
    assert.equal(shown.instance.id, 'TestVM414689371c88843d65ec');
    assert.equal(String(shown.capacity.value ?? shown.capacity), '10');

    await createThenDelete('storage_volumes', { name: 'myDisk', capacity: '200' }, 'myDisk',
      [{ example: 'disks/Disk_Create_Empty.json', method: 'PUT', path: DISK, body: 'disk', vary: ['location'] },
        { example: 'disks/Disk_Get.json', method: 'GET', path: DISK, bind: { diskName: 'myDisk' } }],
      { example: 'disks/Disk_Delete.json', method: 'DELETE', path: DISK });
  });

  test('attach and detach = VirtualMachines_AttachDetachDataDisks, polled; then the disk as Disks_Get says', async () => {
    const driver = replayedDriver();
    const ctx = () => driverContext('rgcompute');
    const disk = 'vmss3176_vmss3176_0_disk2_6c4f554bdafa49baa780eb2d128ff39d';
    const attachDetach = { example: 'compute/VirtualMachine_AttachDetachDataDisks_MinimumSet_Gen.json', method: 'POST' as const, path: `${VM}/attachDetachDataDisks`, body: 'parameters',
      vary: ['dataDisksToAttach.diskId', 'dataDisksToDetach.diskId'] };
    replay.expect(attachDetach, { example: 'disks/Disk_Get.json', method: 'GET', path: DISK, bind: { diskName: disk, resourceGroupName: 'rgcompute' } });
    const attached = await call(driver, 'attach_storage_volume', ctx(), { id: disk, instanceId: 'azure-vm', device: '/dev/sdc' });
    assert.equal(attached.state, 'IN-USE');
    replay.expect(attachDetach, { example: 'disks/Disk_Get.json', method: 'GET', path: DISK, bind: { diskName: disk, resourceGroupName: 'rgcompute' } });
    await call(driver, 'detach_storage_volume', ctx(), { id: disk, instanceId: 'azure-vm' });
  });

  test('snapshots = disk snapshots: show, create from a volume (Copy, polled), delete', async () => {
    replay.expect({ example: 'disks/Snapshot_Get.json', method: 'GET', path: SNAPSHOT });
    const shown = JSON.parse((await api('GET', '/api/storage_snapshots/mySnapshot', 'myResourceGroup')).text).storage_snapshot;
    assert.equal(shown.state, 'COMPLETED');
    assert.equal(shown.storage_volume.id, 'myDisk');

    await createThenDelete('storage_snapshots', { volume_id: 'myDisk', name: 'mySnapshot2' }, 'mySnapshot2',
      [{ example: 'disks/Snapshot_Create_FromAnExistingSnapshot.json', method: 'PUT', path: SNAPSHOT, body: 'snapshot', vary: ['location', 'properties.creationData.sourceResourceId'] },
        { example: 'disks/Snapshot_Get.json', method: 'GET', path: SNAPSHOT, bind: { snapshotName: 'mySnapshot2' } }],
      { example: 'disks/Snapshot_Delete.json', method: 'DELETE', path: SNAPSHOT }, 'mySnapshot');
  });

  test('addresses = public IP addresses: list (PublicIPAddresses_List), show, create (a generated name), delete (polled)', async () => {
    // testDNS-ip is on NIC testDNS649's ipconfig1: the NIC (NetworkInterfaceGet.json, on VM vm1) names its instance.
    const nicGet = net({ example: 'network/NetworkInterfaceGet.json', method: 'GET', path: NIC, bind: { networkInterfaceName: 'testDNS649' } });
    replay.expect(net({ example: 'network/PublicIpAddressList.json', method: 'GET', path: PUBLIC_IP.slice(0, PUBLIC_IP.lastIndexOf('/')) }), nicGet);
    const list = JSON.parse((await api('GET', '/api/addresses', 'rg1')).text).addresses;
    // ip03 and ip04 are on a load balancer's frontend: no instance.
    assert.deepEqual(list.map((a: { id: string; instance_id?: string }) => [a.id, a.instance_id]), [['testDNS-ip', 'vm1'], ['ip03', undefined], ['ip04', undefined]]);

    replay.expect(net({ example: 'network/PublicIpAddressGet.json', method: 'GET', path: PUBLIC_IP }), nicGet);
    const shown = await api('GET', '/api/addresses/testDNS-ip', 'rg1');
    assert.equal(shown.status, 200, shown.text);
    assert.equal(JSON.parse(shown.text).address.id, 'testDNS-ip');
    assert.equal(JSON.parse(shown.text).address.instance_id, 'vm1');

    // The API names no address: the driver generates its name (any name matches the example's).
    replay.expect(net({ example: 'network/PublicIpAddressCreateDefaults.json', method: 'PUT', path: PUBLIC_IP, body: 'parameters', vary: ['location'], bind: { publicIpAddressName: '{any}' } }));
    const created = await api('POST', '/api/addresses', 'rg1');
    assert.equal(created.status, 201, created.text);
    assert.equal(JSON.parse(created.text).address.id, 'testDNS-ip', 'the name the example answers');
    assert.match(replay.seen.filter((line) => line.startsWith('PUT ')).at(-1) ?? '', /\/publicIPAddresses\/deltacloud-ip-[0-9a-f]{8}\?/);

    replay.expect(net({ example: 'network/PublicIpAddressDelete.json', method: 'DELETE', path: PUBLIC_IP }));
    const deleted = await api('DELETE', '/api/addresses/test-ip', 'rg1');
    assert.equal(deleted.status, 204, deleted.text);
    assert.ok(replay.seen.at(-1)?.startsWith('GET /_operations/'), 'the delete was polled to its end');

    const before = replay.seen.length;
    assert.equal((await api('POST', '/api/addresses', 'rg1', { body: { instance_id: 'myVM' } })).status, 400, 'Azure allocates addresses on their own');
    assert.equal((await api('GET', '/api/addresses/bad..name.', 'rg1')).status, 400);
    assert.equal(replay.seen.length, before, 'nothing sent for bad input');
  });

  test('firewalls = network security groups: list, show with its own rules, create, add a rule, delete the rule and the group (polled)', async () => {
    replay.expect(net({ example: 'network/NetworkSecurityGroupList.json', method: 'GET', path: NSG.slice(0, NSG.lastIndexOf('/')) }));
    const listed = JSON.parse((await api('GET', '/api/firewalls', 'rg1')).text).firewalls;
    // Two groups with only Azure's default rules: no rules of their own.
    assert.deepEqual(listed.map((f: { id: string; rules?: unknown[] }) => [f.id, f.rules?.length ?? 0]), [['nsg1', 0], ['nsg3', 0]]);

    replay.expect(net({ example: 'network/NetworkSecurityGroupGet.json', method: 'GET', path: NSG }));
    const shown = await api('GET', '/api/firewalls/testnsg', 'rg1');
    assert.equal(shown.status, 200, shown.text);
    const firewall = JSON.parse(shown.text).firewall;
    assert.equal(firewall.id, 'testnsg');
    // rule1 lets tcp/udp/icmp ('*') in on port 80 from anywhere; Azure's six default rules are not listed.
    assert.equal(firewall.rules.length, 1, shown.text);
    assert.equal(firewall.rules[0].id, 'rule1');
    assert.equal(firewall.rules[0].port_from, '80');

    replay.expect(net({ example: 'network/NetworkSecurityGroupCreate.json', method: 'PUT', path: NSG, body: 'parameters', vary: ['location'] }));
    const created = await api('POST', '/api/firewalls', 'rg1', { body: { name: 'testnsg', description: 'web servers' } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(JSON.parse(created.text).firewall.rules ?? [], []);

    // A rule: the group (for the next free priority), SecurityRules_CreateOrUpdate, the group again.
    // The example creates an outbound deny rule; Deltacloud's rules let traffic in: those values are the test's.
    replay.expect(net({ example: 'network/NetworkSecurityGroupGet.json', method: 'GET', path: NSG }),
      net({ example: 'network/NetworkSecurityGroupRuleCreate.json', method: 'PUT', path: RULE, body: 'securityRuleParameters', bind: { securityRuleName: '{any}' },
        vary: ['properties.protocol', 'properties.destinationAddressPrefix', 'properties.access', 'properties.destinationPortRange', 'properties.priority', 'properties.direction'] }),
      net({ example: 'network/NetworkSecurityGroupGet.json', method: 'GET', path: NSG }));
    const added = await api('POST', '/api/firewalls/testnsg/rules', 'rg1', { body: { protocol: 'tcp', port_from: '8000', port_to: '8080', ip_address1: '10.0.0.0/8' } });
    assert.equal(added.status, 201, added.text);
    // What was sent: an inbound allow rule after rule1 (priority 130), under a generated name.
    assert.deepEqual(replay.bodies.at(-1)?.body, { properties: { protocol: 'Tcp', sourceAddressPrefix: '10.0.0.0/8', destinationAddressPrefix: '*', access: 'Allow',
      destinationPortRange: '8000-8080', sourcePortRange: '*', priority: 140, direction: 'Inbound' } });
    assert.match(replay.seen.find((line) => line.startsWith('PUT ') && line.includes('/securityRules/')) ?? '', /\/securityRules\/deltacloud-rule-[0-9a-f]{8}\?/);

    const seen = replay.seen.length;
    const badRules: Array<Record<string, string>> = [{ protocol: 'gre', port_from: '1', port_to: '1', ip_address1: '10.0.0.0/8' }, { protocol: 'tcp', port_from: '9', port_to: '1', ip_address1: '10.0.0.0/8' }, { protocol: 'tcp', port_from: '1', port_to: '2' }];
    for (const body of badRules) {
      const refused = await api('POST', '/api/firewalls/testnsg/rules', 'rg1', { body });
      assert.equal(refused.status, 400, `${JSON.stringify(body)}: ${refused.text}`);
    }
    assert.equal(replay.seen.length, seen, 'nothing sent for a bad rule');

    replay.expect(net({ example: 'network/NetworkSecurityGroupRuleDelete.json', method: 'DELETE', path: RULE }));
    const ruleDeleted = await api('DELETE', '/api/firewalls/testnsg/rule1', 'rg1');
    assert.equal(ruleDeleted.status, 204, ruleDeleted.text);

    replay.expect(net({ example: 'network/NetworkSecurityGroupDelete.json', method: 'DELETE', path: NSG }));
    const deleted = await api('DELETE', '/api/firewalls/testnsg', 'rg1');
    assert.equal(deleted.status, 204, deleted.text);
    assert.ok(replay.seen.at(-1)?.startsWith('GET /_operations/'), 'the delete was polled to its end');
  });

  test('images: the operator\'s marketplace images without a call, the subscription\'s by Images_Get', async () => {
    const marketplace = await api('GET', '/api/images/Canonical:ubuntu-24_04-lts:server:latest', 'myResourceGroup');
    assert.equal(marketplace.status, 200, marketplace.text);
    assert.equal(JSON.parse(marketplace.text).image.owner, 'Canonical');
    const unlisted = await api('GET', '/api/images/Canonical:other:server:latest', 'myResourceGroup');
    assert.equal(unlisted.status, 404, unlisted.text);
    replay.expect({ example: 'compute/Image_Get.json', method: 'GET', path: IMAGE });
    const own = JSON.parse((await api('GET', '/api/images/myImage', 'myResourceGroup')).text).image;
    assert.equal(own.id, 'myImage');
    assert.equal(own.state, 'AVAILABLE');
    assert.equal(own.owner, SUB);
  });

  test('realms are the location\'s zones and hardware profiles the VM sizes, without a call', async () => {
    const realms = JSON.parse((await api('GET', '/api/realms', 'myResourceGroup')).text).realms;
    assert.deepEqual(realms.map((r: { id: string }) => r.id), ['westus-1', 'westus-2', 'westus-3']);
    const hwp = JSON.parse((await api('GET', '/api/hardware_profiles/Standard_D1_v2', 'myResourceGroup')).text).hardware_profile;
    assert.deepEqual(hwp.properties, { cpu: '1', memory: '3584', storage: '50', architecture: 'x86_64' });
  });

  test('?force_auth: Entra ID issuing the service principal a token is the check (no scope needed); a wrong secret answers 401', async () => {
    const good = await req(server, 'GET', '/api?force_auth=1', { auth: AUTH, accept: JSON_TYPE, headers: { 'X-Deltacloud-Provider': 'replay' } });
    assert.equal(good.status, 200, good.text);
    const bad = await req(server, 'GET', '/api?force_auth=1', { auth: WRONG_AUTH, accept: JSON_TYPE, headers: { 'X-Deltacloud-Provider': 'replay' } });
    assert.equal(bad.status, 401, bad.text);
    assertNoLeak(bad, [SECRET, 'not-the-secret']);
  });

  test('a wrong client secret: Entra ID\'s documented error → 401, without the secret or a token in the answer or the log', async () => {
    const res = await api('GET', '/api/instances/myVM', 'myResourceGroup', { auth: WRONG_AUTH });
    assert.equal(res.status, 401, res.text);
    assert.match(res.text, /AADSTS70011/);
    assert.ok(!server.output().includes('not-the-secret') && !server.output().includes(SECRET), 'no secret in the log');
    assert.ok(!/Bearer\s+access_token/.test(server.output()), 'no bearer token in the log');
  });

  test('the replay refuses a request its example does not describe (a wrong VM name), and the API fails', async () => {
    replay.expect(...show('aaa', 'rgcompute'));
    const res = await api('GET', '/api/instances/zzz', 'rgcompute');
    assert.notEqual(res.status, 200);
    // The expected steps are still there: the right request takes them.
    assert.equal((await api('GET', '/api/instances/aaa', 'rgcompute')).status, 200);
    // The driver asks for the VM and its instance view at once: both requests for 'zzz' are refused, in either order
    // (the second may arrive after the API has answered the first failure), and nothing else is.
    const problems = replay.problems.splice(0);
    assert.ok(problems.some((p) => p.includes("vmName 'zzz', the step's 'aaa'")), problems.join('\n'));
    assert.ok(problems.every((p) => p.includes('/virtualMachines/zzz')), problems.join('\n'));
  });

  test('a provider that is a URL, or not configured, is refused with 400 before any connection', async () => {
    const before = replay.seen.length;
    for (const provider of [`${replay.url}`, 'https://management.example.net', 'elsewhere;' + SUB + ';g']) {
      const res = await req(server, 'GET', '/api/instances', { auth: AUTH, accept: JSON_TYPE, headers: { 'X-Deltacloud-Provider': provider } });
      assert.equal(res.status, 400, `${provider}: ${res.text}`);
    }
    assert.equal(replay.seen.length, before);
  });
});

describe('arm-replay: body checks', () => {
  test('a property the example lacks, or another scalar value, is a problem; varied and placeholder values are not', () => {
    const example = { location: 'westus', properties: { hardwareProfile: { vmSize: 'Standard_D1_v2' }, osProfile: { adminUsername: '{your-username}' } } };
    assert.deepEqual(bodyProblems({ location: 'westus', properties: { osProfile: { adminUsername: 'me' } } }, example, []), []);
    assert.deepEqual(bodyProblems({ location: 'eastus' }, example, ['location']), []);
    assert.equal(bodyProblems({ location: 'eastus' }, example, []).length, 1);
    assert.equal(bodyProblems({ properties: { inventedField: 1 } }, example, []).length, 1);
  });
});
