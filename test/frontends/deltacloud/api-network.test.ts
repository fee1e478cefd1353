// HTTP integration tests of addresses, networks, subnets, network interfaces
// (spec §11.11, §11.15–§11.17; mock-driver.md §4.10–§4.11, §6.8–§6.9) and of
// the firewalls and load balancers this mock adds beyond the original
// (representations per spec §11.12–§11.13).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertEtag, assertErrorBoth, assertType, get, getJson, getXml, JSON_TYPE, post, req, XML, XML_DECLARATION, type XNode,
} from '../../helpers/api.js';
import { startApp, type AppServer } from '../../helpers/inject.js';
import { checkEveryAnswer } from '../../openapi/integration-hook.js';

// Every answer of this suite must be documented by the server's OpenAPI document (status, media type, JSON schema).
checkEveryAnswer();

let server: AppServer;
let A: string;

before(async () => {
  server = await startApp();
  A = `http://localhost:${server.port}/api`;
});
after(async () => {
  await server.stop();
});

const attrsOf = (nodes: XNode[]) => nodes.map((n) => n.attrs);

async function newInstance(image = 'img2'): Promise<string> {
  const res = await post(server, '/api/instances', { image_id: image }, { accept: JSON_TYPE });
  assert.equal(res.status, 201);
  return res.json().instance.id;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

describe('addresses (§11.11, mock §4.10, §6.8)', () => {
  test('list and show XML/JSON of a free address', async () => {
    const list = (await getXml(server, '/api/addresses')).xml();
    assert.equal(list.name, 'addresses');
    assert.deepEqual(list.all('address').map((a) => a.attrs.id), ['192.168.0.1', '192.168.0.2', '192.168.0.3', '192.168.0.4']);
    const res = await getXml(server, '/api/addresses/192.168.0.1');
    assert.equal(res.status, 200);
    assert.match(res.text, XML_DECLARATION);
    const a = res.xml();
    assert.deepEqual(a.attrs, { href: `${A}/addresses/192.168.0.1`, id: '192.168.0.1' });
    assert.deepEqual(a.names(), ['ip', 'actions']);
    assert.equal(a.child('ip').text, '192.168.0.1');
    assert.deepEqual(attrsOf(a.child('actions').all('link')), [
      { href: `${A}/addresses/192.168.0.1`, method: 'delete', rel: 'destroy' },
      { href: `${A}/addresses/192.168.0.1/associate`, method: 'post', rel: 'associate' },
    ]);
    assert.deepEqual((await getJson(server, '/api/addresses/192.168.0.2')).json(),
      { address: { id: '192.168.0.2', href: `${A}/addresses/192.168.0.2`, associated: false } });
    await assertErrorBoth(server, 'GET', '/api/addresses/10.9.9.9', { status: 404, message: 'Not Found' });
  });

  test('create → next address; associate → instance public address becomes ipv4; disassociate; destroy', async () => {
    const existing = (await getJson(server, '/api/addresses')).json().addresses.map((a: { id: string }) => ipToInt(a.id));
    const created = await post(server, '/api/addresses', undefined, { accept: XML });
    assert.equal(created.status, 201);
    assertEtag(created);
    const ip = created.xml().attrs.id!;
    assert.equal(ipToInt(ip), Math.max(...existing) + 1, 'highest existing address + 1');
    assert.equal(created.headers.location, `${A}/addresses/${ip}`);
    assert.equal(created.xml().maybe('instance'), undefined);

    const inst = await newInstance('img2');
    await assertErrorBoth(server, 'POST', `/api/addresses/${ip}/associate`, { status: 400, message: "Required parameter 'instance_id' not found in [id]" });
    await assertErrorBoth(server, 'POST', `/api/addresses/${ip}/associate`, { status: 404 }, { body: { instance_id: 'nosuchinst' } });
    const assoc = await post(server, `/api/addresses/${ip}/associate`, { instance_id: inst }, { accept: XML });
    assert.equal(assoc.status, 202);
    assert.equal(assoc.text, '', 'empty body');
    assert.equal(assoc.headers['content-length'], '0');
    assertType(assoc, XML);

    const a = (await getXml(server, `/api/addresses/${ip}`)).xml();
    assert.deepEqual(attrsOf(a.child('actions').all('link')), [
      { href: `${A}/addresses/${ip}`, method: 'delete', rel: 'destroy' },
      { href: `${A}/addresses/${ip}/disassociate`, method: 'post', rel: 'disassociate' },
    ]);
    assert.deepEqual(a.child('instance').attrs, { href: `${A}/instances/${inst}`, id: inst });
    assert.deepEqual((await getJson(server, `/api/addresses/${ip}`)).json(),
      { address: { id: ip, href: `${A}/addresses/${ip}`, associated: true, instance_id: inst } });
    const withIp = (await getXml(server, `/api/instances/${inst}`)).xml();
    assert.deepEqual(withIp.child('public_addresses').all('address').map((x) => [x.attrs.type, x.text]), [['ipv4', ip]]);

    await assertErrorBoth(server, 'POST', `/api/addresses/${ip}/associate`, { status: 403, message: 'AddressInUse' }, { body: { instance_id: inst } });
    await assertErrorBoth(server, 'DELETE', `/api/addresses/${ip}`, { status: 403, message: 'AddressInUse' });

    const dis = await post(server, `/api/addresses/${ip}/disassociate`, undefined, { accept: JSON_TYPE });
    assert.equal(dis.status, 202);
    assert.equal(dis.text, '');
    assertType(dis, JSON_TYPE);
    const back = (await getXml(server, `/api/instances/${inst}`)).xml();
    assert.deepEqual(back.child('public_addresses').all('address').map((x) => [x.attrs.type, x.text]), [['hostname', `img2.${inst}.public.com`]]);
    assert.equal((await getJson(server, `/api/addresses/${ip}`)).json().address.associated, false);
    await assertErrorBoth(server, 'POST', `/api/addresses/${ip}/disassociate`, { status: 403, message: 'AddressNotInUse' });

    const del = await req(server, 'DELETE', `/api/addresses/${ip}`, { accept: XML });
    assert.equal(del.status, 204);
    assert.equal((await getXml(server, `/api/addresses/${ip}`)).status, 404);
    await assertErrorBoth(server, 'DELETE', `/api/addresses/${ip}`, { status: 404, message: 'Not Found' });
  });
});

describe('networks (§11.15, mock §4.11, §6.9)', () => {
  test('show net1 XML and JSON; list', async () => {
    assert.deepEqual((await getXml(server, '/api/networks')).xml().all('network').map((n) => n.attrs.id), ['net1', 'net2']);
    const n = (await getXml(server, '/api/networks/net1')).xml();
    assert.deepEqual(n.attrs, { href: `${A}/networks/net1`, id: 'net1' });
    assert.deepEqual(n.names(), ['name', 'state', 'address_blocks', 'subnets', 'actions']);
    assert.equal(n.child('name').text, 'network1');
    assert.equal(n.child('state').text, 'UP');
    assert.deepEqual(n.child('address_blocks').all('address_block').map((b) => b.text), ['192.168.0.0/16']);
    assert.deepEqual(attrsOf(n.child('subnets').all('subnet')), [
      { href: `${A}/subnets/subnet1`, id: 'subnet1' }, { href: `${A}/subnets/subnet2`, id: 'subnet2' },
    ]);
    assert.deepEqual(attrsOf(n.child('actions').all('link')), [{ href: `${A}/networks/net1`, method: 'delete', rel: 'destroy' }]);
    assert.deepEqual((await getJson(server, '/api/networks/net2')).json(), {
      network: {
        id: 'net2', name: 'network2', href: `${A}/networks/net2`, state: 'UP', address_blocks: ['10.0.0.0/8'],
        subnets: [{ id: 'subnet3', href: `${A}/subnets/subnet3` }, { id: 'subnet4', href: `${A}/subnets/subnet4` }],
      },
    });
    await assertErrorBoth(server, 'GET', '/api/networks/nope', { status: 404, message: 'Not Found' });
  });

  test('create → 200 member document in XML (no Location) and JSON; destroy takes its subnets along', async () => {
    const res = await post(server, '/api/networks', { name: 'mynet', address_block: '172.16.0.0/12' }, { accept: XML });
    assert.equal(res.status, 200);
    assertEtag(res);
    assert.equal(res.headers.location, undefined);
    const n = res.xml();
    assert.equal(n.name, 'network');
    assert.deepEqual(n.attrs, { href: `${A}/networks/mynet`, id: 'mynet' });
    assert.equal(n.child('name').text, 'mynet');
    assert.equal(n.child('state').text, 'UP');
    assert.deepEqual(n.child('address_blocks').all('address_block').map((b) => b.text), ['172.16.0.0/12']);
    assert.deepEqual(n.child('subnets').children, []);

    const t0 = Math.floor(Date.now() / 1000);
    const anon = await post(server, '/api/networks', { address_block: '10.200.0.0/16' }, { accept: JSON_TYPE });
    assert.equal(anon.status, 200);
    const anonNet = anon.json().network;
    assert.match(anonNet.id, /^net_\d+/);
    assert.ok(Number(/^net_(\d+)/.exec(anonNet.id)![1]) >= t0);
    assert.equal(anonNet.name, anonNet.id);

    const sub = await post(server, '/api/subnets', { network_id: 'mynet', address_block: '172.16.1.0/24', name: 'mysub' }, { accept: XML });
    assert.equal(sub.status, 200);
    assert.deepEqual((await getJson(server, '/api/networks/mynet')).json().network.subnets, [{ id: 'mysub', href: `${A}/subnets/mysub` }]);

    const del = await req(server, 'DELETE', '/api/networks/mynet', { accept: XML });
    assert.equal(del.status, 204);
    assert.equal((await getXml(server, '/api/networks/mynet')).status, 404);
    assert.equal((await getXml(server, '/api/subnets/mysub')).status, 404, 'its subnets are destroyed first');
    assert.equal((await req(server, 'DELETE', `/api/networks/${anonNet.id}`)).status, 204);
  });
});

describe('subnets (§11.16)', () => {
  test('show subnet1 XML (network as text) and JSON', async () => {
    const s = (await getXml(server, '/api/subnets/subnet1')).xml();
    assert.deepEqual(s.attrs, { href: `${A}/subnets/subnet1`, id: 'subnet1' });
    assert.deepEqual(s.names(), ['name', 'state', 'address_block', 'network', 'actions']);
    assert.equal(s.child('name').text, 'subnet1');
    assert.equal(s.child('state').text, 'UP');
    assert.equal(s.child('address_block').text, '192.168.1.0/24');
    assert.equal(s.child('network').text, 'net1');
    assert.deepEqual(s.child('network').attrs, {});
    assert.deepEqual(attrsOf(s.child('actions').all('link')), [{ href: `${A}/subnets/subnet1`, method: 'delete', rel: 'destroy' }]);
    assert.deepEqual((await getJson(server, '/api/subnets/subnet3')).json(), {
      subnet: {
        id: 'subnet3', name: 'subnet3', href: `${A}/subnets/subnet3`, type: 'PRIVATE', state: 'UP', address_block: '10.1.0.0/16',
        network: { id: 'net2', href: `${A}/networks/net2` },
      },
    });
    assert.deepEqual((await getJson(server, '/api/subnets')).json().subnets.map((x: { id: string }) => x.id), ['subnet1', 'subnet2', 'subnet3', 'subnet4']);
  });

  test('create → 200 and appended to the network; errors 400/404; destroy → 204', async () => {
    await assertErrorBoth(server, 'POST', '/api/subnets', { status: 400, message: "Required parameter 'address_block' not found in [network_id]" }, { body: { network_id: 'net2' } });
    await assertErrorBoth(server, 'POST', '/api/subnets', { status: 404 }, { body: { network_id: 'nonet', address_block: '10.3.0.0/16' } });
    const res = await post(server, '/api/subnets', { network_id: 'net2', address_block: '10.3.0.0/16', name: 'sub3' }, { accept: JSON_TYPE });
    assert.equal(res.status, 200);
    assert.equal(res.headers.location, undefined);
    assert.deepEqual(res.json(), {
      subnet: { id: 'sub3', name: 'sub3', href: `${A}/subnets/sub3`, type: null, state: 'UP', address_block: '10.3.0.0/16', network: { id: 'net2', href: `${A}/networks/net2` } },
    });
    const xml = (await getXml(server, '/api/subnets/sub3')).xml();
    assert.equal(xml.child('network').text, 'net2');
    assert.deepEqual((await getJson(server, '/api/networks/net2')).json().network.subnets.map((x: { id: string }) => x.id), ['subnet3', 'subnet4', 'sub3']);
    assert.equal((await req(server, 'DELETE', '/api/subnets/sub3', { accept: XML })).status, 204);
    assert.deepEqual((await getJson(server, '/api/networks/net2')).json().network.subnets.map((x: { id: string }) => x.id), ['subnet3', 'subnet4']);
    assert.equal((await getXml(server, '/api/subnets/sub3')).status, 404);
  });
});

describe('network interfaces (§11.17)', () => {
  test('show nic1 XML (network as subnet link) and JSON (network href under /networks)', async () => {
    const n = (await getXml(server, '/api/network_interfaces/nic1')).xml();
    assert.deepEqual(n.attrs, { href: `${A}/network_interfaces/nic1`, id: 'nic1' });
    assert.deepEqual(n.names(), ['name', 'ip_address', 'network', 'instance', 'actions']);
    assert.equal(n.child('name').text, 'nic1');
    assert.equal(n.child('ip_address').text, '192.168.1.2');
    assert.deepEqual(n.child('network').attrs, { href: `${A}/subnets/subnet1`, id: 'subnet1', rel: 'subnet' });
    assert.equal(n.child('network').text, 'subnet1');
    assert.deepEqual(n.child('instance').attrs, { href: `${A}/instances/inst1`, id: 'inst1' });
    assert.equal(n.child('instance').text, 'inst1');
    assert.deepEqual(attrsOf(n.child('actions').all('link')), [{ href: `${A}/network_interfaces/nic1`, method: 'delete', rel: 'destroy' }]);
    assert.deepEqual((await getJson(server, '/api/network_interfaces/nic1')).json(), {
      network_interface: {
        id: 'nic1', name: 'nic1', href: `${A}/network_interfaces/nic1`, network: { id: 'subnet1', href: `${A}/networks/subnet1` },
        instance: { id: 'inst1', href: `${A}/instances/inst1` }, ip_address: '192.168.1.2',
      },
    });
    const q = (await getXml(server, '/api/network_interfaces/nicinst3')).xml();
    assert.deepEqual(q.child('network').attrs, { href: `${A}/subnets/net1`, id: 'net1', rel: 'subnet' }, 'seed quirk kept');
    assert.equal(q.child('ip_address').text, '192.168.2.189');
  });

  test('create → 200 with an address inside the subnet; added to the instance; destroy → 204', async () => {
    const inst = await newInstance('img1');
    await assertErrorBoth(server, 'POST', '/api/network_interfaces', { status: 400, message: /^Required parameter 'subnet' not found in \[/ }, { body: { instance: inst, network: 'net1' } });
    await assertErrorBoth(server, 'POST', '/api/network_interfaces', { status: 400, message: "Required parameter 'network' not found in [instance]" }, { body: { instance: inst } });
    await assertErrorBoth(server, 'POST', '/api/network_interfaces', { status: 404 }, { body: { instance: inst, network: 'net1', subnet: 'nosub' } });
    await assertErrorBoth(server, 'POST', '/api/network_interfaces', { status: 404 }, { body: { instance: 'noinst', network: 'net1', subnet: 'subnet2' } });

    const res = await post(server, '/api/network_interfaces', { instance: inst, network: 'net1', subnet: 'subnet2', name: 'mynic' }, { accept: XML });
    assert.equal(res.status, 200);
    assert.equal(res.headers.location, undefined);
    const nic = res.xml();
    assert.deepEqual(nic.attrs, { href: `${A}/network_interfaces/mynic`, id: 'mynic' });
    const ip = nic.child('ip_address').text;
    assert.match(ip, /^192\.168\.2\.\d{1,3}$/, 'an address of 192.168.2.0/24');
    assert.ok(Number(ip.split('.')[3]) <= 255);
    assert.equal(nic.child('instance').attrs.id, inst);
    assert.equal(nic.child('network').attrs.id, 'net1');
    const instXml = (await getXml(server, `/api/instances/${inst}`)).xml();
    assert.deepEqual(instXml.child('network_interfaces').all('network_interface').map((x) => x.attrs.id), ['mynic']);

    const t0 = Math.floor(Date.now() / 1000);
    const anon = await post(server, '/api/network_interfaces', { instance: inst, network: 'net2', subnet: 'subnet3', name: '' }, { accept: JSON_TYPE });
    assert.equal(anon.status, 200);
    const anonNic = anon.json().network_interface;
    assert.match(anonNic.id, /^nic_\d+/, 'an empty name counts as absent');
    assert.ok(Number(/^nic_(\d+)/.exec(anonNic.id)![1]) >= t0);
    assert.match(anonNic.ip_address, /^10\.1\.\d{1,3}\.\d{1,3}$/);

    assert.equal((await req(server, 'DELETE', '/api/network_interfaces/mynic', { accept: XML })).status, 204);
    assert.equal((await getXml(server, '/api/network_interfaces/mynic')).status, 404);
    const after = (await getXml(server, `/api/instances/${inst}`)).xml();
    assert.deepEqual(after.child('network_interfaces').all('network_interface').map((x) => x.attrs.id), [anonNic.id]);
    await assertErrorBoth(server, 'DELETE', '/api/network_interfaces/mynic', { status: 404, message: 'Not Found' });
  });
});

describe('firewalls (mock addition; §11.13)', () => {
  test('create → 201 + Location, empty rules; add rules (201), no source → 400, delete rule and firewall', async () => {
    const res = await post(server, '/api/firewalls', { name: 'Devel_Group', description: 'Access for all development machines' }, { accept: XML });
    assert.equal(res.status, 201);
    assertEtag(res);
    const self = `${A}/firewalls/Devel_Group`;
    assert.equal(res.headers.location, self);
    const fw = res.xml();
    assert.deepEqual(fw.attrs, { href: self, id: 'Devel_Group' });
    assert.deepEqual(fw.names(), ['actions', 'name', 'description', 'owner_id', 'rules']);
    assert.deepEqual(attrsOf(fw.child('actions').all('link')), [
      { href: self, method: 'delete', rel: 'destroy' },
      { href: `${self}/rules`, method: 'post', rel: 'update' },
    ]);
    assert.ok(fw.child('name').cdata && fw.child('description').cdata, 'name and description in CDATA');
    assert.equal(fw.child('name').text, 'Devel_Group');
    assert.equal(fw.child('description').text, 'Access for all development machines');
    assert.deepEqual(fw.child('rules').children, []);
    await assertErrorBoth(server, 'POST', '/api/firewalls', { status: 400, message: "Required parameter 'description' not found in [name]" }, { body: { name: 'x' } });

    await assertErrorBoth(server, 'POST', '/api/firewalls/Devel_Group/rules',
      { status: 400, message: 'No sources. Specify at least one source ip address or group.' },
      { body: { protocol: 'tcp', port_from: '22', port_to: '22' } });
    await assertErrorBoth(server, 'POST', '/api/firewalls/Devel_Group/rules', { status: 400, message: /^Required parameter 'protocol' not found in \[/ },
      { body: { port_from: '22', port_to: '22', ip_address1: '10.0.0.0/8' } });

    const added = await post(server, '/api/firewalls/Devel_Group/rules', {
      protocol: 'tcp', port_from: '80', port_to: '81', ip_address1: '10.0.0.0/8', 'ip-address2': '192.168.7.0/24', group1: 'web', group1owner: '293787749884',
    }, { accept: XML });
    assert.equal(added.status, 201);
    assert.equal(added.headers.location, undefined);
    const withRule = added.xml();
    assert.equal(withRule.name, 'firewall');
    const rules = withRule.child('rules').all('rule');
    assert.equal(rules.length, 1);
    const rule = rules[0]!;
    const ruleId = rule.attrs.id!;
    assert.ok(ruleId.length > 0);
    const ruleHref = rule.attrs.href!;
    assert.ok(ruleHref.startsWith(`${self}/`));
    assert.equal(decodeURIComponent(ruleHref.slice(self.length + 1)), ruleId, 'rule href = firewall URL + / + rule id');
    assert.deepEqual(rule.names(), ['actions', 'allow_protocol', 'port_from', 'port_to', 'direction', 'rule_action', 'log_rule', 'sources']);
    assert.deepEqual(attrsOf(rule.child('actions').all('link')), [{ href: ruleHref, method: 'delete', rel: 'destroy' }]);
    assert.equal(rule.child('allow_protocol').text, 'tcp');
    assert.equal(rule.child('port_from').text, '80');
    assert.equal(rule.child('port_to').text, '81');
    assert.equal(rule.child('direction').text, 'ingress');
    assert.deepEqual(attrsOf(rule.child('sources').all('source')), [
      { address: '10.0.0.0', family: 'ipv4', prefix: '8', type: 'address' },
      { address: '192.168.7.0', family: 'ipv4', prefix: '24', type: 'address' },
      { name: 'web', owner: '293787749884', type: 'group' },
    ]);

    const json = (await getJson(server, '/api/firewalls/Devel_Group')).json().firewall;
    assert.deepEqual(Object.keys(json), ['id', 'href', 'name', 'description', 'owner_id', 'rules']);
    assert.equal(json.id, 'Devel_Group');
    assert.equal(json.href, self);
    assert.equal(json.name, 'Devel_Group');
    assert.equal(json.description, 'Access for all development machines');
    assert.deepEqual(json.rules, [{
      id: ruleId, allow_protocol: 'tcp', port_from: '80', port_to: '81',
      sources: [
        { type: 'address', family: 'ipv4', address: '10.0.0.0', prefix: '8' },
        { type: 'address', family: 'ipv4', address: '192.168.7.0', prefix: '24' },
        { type: 'group', name: 'web', owner: '293787749884' },
      ],
      direction: 'ingress',
    }]);

    // The list variant: action links carry `id`, `add_rule` instead of `update`, rules without href.
    const listed = (await getXml(server, '/api/firewalls')).xml().all('firewall').find((f) => f.attrs.id === 'Devel_Group')!;
    assert.deepEqual(attrsOf(listed.child('actions').all('link')), [
      { href: self, id: 'Devel_Group', method: 'delete', rel: 'destroy' },
      { href: `${self}/rules`, id: 'Devel_Group', method: 'post', rel: 'add_rule' },
    ]);
    const listedRule = listed.child('rules').child('rule');
    assert.deepEqual(listedRule.attrs, { id: ruleId });
    assert.deepEqual(attrsOf(listedRule.child('actions').all('link')), [{ href: ruleHref, id: ruleId, method: 'delete', rel: 'destroy' }]);

    const delRule = await req(server, 'DELETE', new URL(ruleHref).pathname, { accept: XML });
    assert.equal(delRule.status, 204);
    assert.deepEqual((await getJson(server, '/api/firewalls/Devel_Group')).json().firewall.rules, []);

    const del = await req(server, 'DELETE', '/api/firewalls/Devel_Group', { accept: XML });
    assert.equal(del.status, 204);
    await assertErrorBoth(server, 'GET', '/api/firewalls/Devel_Group', { status: 404, message: 'Not Found' });
  });
});

describe('load balancers (mock addition; §11.12)', () => {
  test('create → 201; register/unregister → 200; show JSON per §11.12; destroy → 204', async () => {
    const params = { name: 'lbtest', realm_id: 'us', listener_protocol: 'HTTP', listener_balancer_port: '80', listener_instance_port: '8080' };
    await assertErrorBoth(server, 'POST', '/api/load_balancers', { status: 400, message: /^Required parameter 'listener_instance_port' not found in \[/ },
      { body: Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'listener_instance_port')) });
    const res = await post(server, '/api/load_balancers', params, { accept: XML });
    assert.equal(res.status, 201, res.text);
    assertEtag(res);
    const self = `${A}/load_balancers/lbtest`;
    assert.equal(res.headers.location, self);
    const lb = res.xml();
    assert.deepEqual(lb.attrs, { href: self, id: 'lbtest' });
    assert.equal(lb.maybe('name'), undefined, 'no <name>');
    assert.deepEqual(lb.names(), ['actions', 'public_addresses', 'created_at', 'realm', 'listeners', 'instances']);
    assert.deepEqual(attrsOf(lb.child('actions').all('link')), [
      { href: self, method: 'delete', rel: 'destroy' },
      { href: `${self}/register`, method: 'post', rel: 'register' },
    ]);
    assert.deepEqual(lb.child('realm').attrs, { href: `${A}/realms/us`, id: 'us' });
    const listener = lb.child('listeners').child('listener');
    assert.deepEqual(listener.attrs, { protocol: 'HTTP' });
    assert.equal(listener.child('load_balancer_port').text, '80');
    assert.equal(listener.child('instance_port').text, '8080');
    assert.deepEqual(lb.child('instances').children, []);

    await assertErrorBoth(server, 'POST', '/api/load_balancers/lbtest/register', { status: 400, message: "Required parameter 'instance_id' not found in [id]" });
    const reg = await post(server, '/api/load_balancers/lbtest/register', { instance_id: 'inst1' }, { accept: XML });
    assert.equal(reg.status, 200);
    const regLb = reg.xml();
    assert.equal(regLb.name, 'load_balancer');
    const member = regLb.child('instances').child('instance');
    assert.deepEqual(member.attrs, { href: `${A}/instances/inst1`, id: 'inst1' });
    assert.deepEqual(attrsOf(member.all('link')), [{ href: `${self}/unregister`, rel: 'unregister' }]);

    const show = await getJson(server, '/api/load_balancers/lbtest');
    assert.equal(show.status, 200, 'show JSON works (original crashed)');
    const j = show.json().load_balancer;
    assert.deepEqual(Object.keys(j), ['id', 'href', 'realms', 'listeners', 'instances', 'public_addresses', 'created_at']);
    assert.equal(j.id, 'lbtest');
    assert.equal(j.href, self);
    assert.deepEqual(j.realms, [{ id: 'us', href: `${A}/realms/us`, rel: 'realm' }]);
    assert.deepEqual(j.listeners, [{ id: null, protocol: 'HTTP', load_balancer_port: '80', instance_port: '8080' }]);
    const instance1 = (await getJson(server, '/api/instances/inst1')).json().instance;
    assert.deepEqual(j.instances, [instance1], 'full instance objects, unwrapped');
    assert.ok(Array.isArray(j.public_addresses) && j.public_addresses.every((a: unknown) => typeof a === 'string'));
    assert.equal(j.public_addresses.length, lb.child('public_addresses').all('address').length);
    assert.equal(j.created_at, lb.child('created_at').text);

    const unreg = await post(server, '/api/load_balancers/lbtest/unregister', { instance_id: 'inst1' }, { accept: JSON_TYPE });
    assert.equal(unreg.status, 200);
    assert.deepEqual(unreg.json().load_balancer.instances, []);

    const list = (await getJson(server, '/api/load_balancers')).json();
    assert.ok(list.load_balancers.some((x: { id: string }) => x.id === 'lbtest'));
    const del = await req(server, 'DELETE', '/api/load_balancers/lbtest', { accept: XML });
    assert.equal(del.status, 204);
    await assertErrorBoth(server, 'GET', '/api/load_balancers/lbtest', { status: 404, message: 'Not Found' });
  });
});

test('HTML pages for a created resource are served as text/html', async () => {
  const res = await get(server, '/api/networks/net1', { accept: 'text/html' });
  assert.equal(res.status, 200);
  assertType(res, 'text/html');
  assert.match(res.text, /^<!DOCTYPE html>/);
});
