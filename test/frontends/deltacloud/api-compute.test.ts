// HTTP integration tests of the compute side of the API against the mock:
// entry point, drivers, realms, hardware profiles, images, instances (with the
// state machine and `run`), instance states, keys, metrics (spec §10–§11.7,
// §11.14; mock-driver.md §4–§6).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  assertEtag, assertErrorBoth, assertHref, assertJsonError, assertRuntime, assertType, assertXmlError, get, getJson, getXml,
  JSON_TYPE, post, req, XML, XML_DECLARATION, type XNode,
} from '../../helpers/api.js';
import { startApp, type AppServer } from '../../helpers/inject.js';
import { checkEveryAnswer } from '../../openapi/integration-hook.js';

// Every answer of this suite must be documented by the server's OpenAPI document (status, media type, JSON schema).
checkEveryAnswer();

let server: AppServer;
let A: string; // absolute mount URL, e.g. http://localhost:40123/api

before(async () => {
  server = await startApp();
  A = `http://localhost:${server.port}/api`;
});
after(async () => {
  await server.stop();
});

// Copied from mock-driver.md §4.5 (byte for byte).
const TEST_KEY_PEM = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "P9mRXOY7p2SmMzTGA6dwKxUp1NB8LNCIJ7sMGgAljsf=ToAi9qn9myx0EQJkE8FZ8FigUIMHS/T",
  "8EwP7Ayjztb8dczbC6sb/Ep2UWcegNUVHimyHstaEaO/3dCaFwLJ/kw=laAfLQAVj4sIr8EHDTg",
  "/BFkgmwTAYlS/ybkEfO9J7AJlY6/agwYzDWp+VGAD9rMsl2EkkbkWdoTX4Aob9RqyHaFi2m1AAw",
  "2nhhqYpa1W4H=PJvyBcsXT3JynowSI8rTvo41oVwgSzv7YofGP0yV7BePm5pXZUUP2ZMByxbAUv",
  "jvYRN/cMHbC6RW1ezR3uehCKdKFRXLTkoivoGj4ugrKgOwQP0HWI2orx/NW+6vYBxyCKiTJPZcK",
  "x4BlRrlgvPST/7eaFv7/5Pqc3jWcp+bRC0qyYqQT9iq3gGNoc4ABFTI7zCeZ3p9tK8oje5fWo5m",
  "54P32hVGeBjfqT/MrEYbY5gbJU6LejCj7x6Ozlp4iHQtrYNhiZ0iP0W3nRhVFQHamKx9aoBXyeg",
  "LLGxBOr+TfaeeBXRkXiaMuWoyPSzUQwWmaJhm0sjHf7e/iKiUggZkOHQ/eF9MWI4M+4wvyepfS0",
  "5vl2Ql/2rXv+Mx+c4cx1fjBhRrMPcGKmHGjNMjPyamTrlqueFRJYP45AYABP2U2AsNxoPfEG0qu",
  "ki3DJOeC5x/03nODd=hQLzfdiQ3Yyt0GMw1EQN96cPaRtnjr3U4/ngxt0Fi6o7Z8E2+Uh5t4n8D",
  "h0exXCOlOi9BDsJJz677mga/=5Sin/4Cw8=D8O1FHrWoA4ZQbWFE71F=/29PM90RHJf2bjgk2WF",
  "piltKwVfGAxPOTcpmf=J+V3NHgT/EawMPHuEmwgNvx6smDBUgJaw0QYX/XG5xuiQ7HTkffJN6Cm",
  "6D4WCJPZUvO1r+v=T9v7Qu4j9ue/l2WwVZuvQsVD67jpzq2R72EHna6rcwwyMcdAlwikP9nzJIL",
  "Ale7hQAWHIEeAvAxtwxEMSfTkuLQcD=i0ORysmInDxdORw4ue2YThj2Id/jmUy6IiEqMYeVpiRq",
  "6spq2ukt=+HHn6aBcYWbsD=e8/wOk0X0=ixZ0HF+xqYgsiiAk==rA4QEgrf+5djbIRZk1wegeIO",
  "po/HZdF4qk32cKBjrrel2AzxfZeGxWNX7ObAE4HACXi3eSdcnm1fIHsoSC+1eDqFkfAIve3Dj/a",
  "afZxrda6zzp3g6IPcHAqleCn7XNcS0v5tk4Fag8Wr5Wq7IipRfixAs+GESGiyugeRvZWN2mtDOL",
  "CGHGGAbpvplw2vjdryVyj7P6bVcwLNgl0t1ufZBaGRBpyontJ1/UQQMew7e2lW=EZr/GxHke8HN",
  "X5vIw9ssx8=LL00fxAuX9SRdcrtVyTYGXORXe9NnldXjBXmLPgwqJAjoBTjTBQxzrQOtdla=/yw",
  "MsDlFWumPz1HAFw7R5zS2VCHrwkLDm=h7k3y+fUvYOx6IYf+MmevANuJT+2qY6s/ilTBNDYq6jJ",
  "8LYpsBo4XpQm1ZleFCIyRldHfmaC5EMxkVQVqCV7X9I6JgzDEetUre25LQTpDa31M=ucVHNWlT+",
  "6rjiLETNeMTWGcuIkLPe/PElmp4llKeFi6g2=E2AKeSDzNycr5eXHEnBuKfEnENXXo6n-----END RSA PRIVATE KEY-----",
].join("\n");

const ALL_PROFILES = ['m1-small', 'm1-large', 'm1-xlarge', 'opaque'];
/** The collections mock-driver.md §1 lists, plus the firewalls and load balancers this mock adds. */
const SPEC_COLLECTIONS = [
  'addresses', 'buckets', 'drivers', 'hardware_profiles', 'images', 'instance_states', 'instances', 'keys', 'metrics',
  'network_interfaces', 'networks', 'realms', 'storage_snapshots', 'storage_volumes', 'subnets',
];
const MOCK_ADDITIONS = ['firewalls', 'load_balancers'];

const attrsOf = (nodes: XNode[]) => nodes.map((n) => n.attrs);

describe('entry point GET /api (§10)', () => {
  test('XML: no declaration, driver/version, alphabetical links, instance features in catalogue order', async () => {
    const res = await getXml(server, '/api', { auth: false });
    assert.equal(res.status, 200, 'no credentials needed');
    assertType(res, XML);
    assertEtag(res);
    assert.doesNotMatch(res.text, /^<\?xml/, 'the entry point XML has no declaration');
    const api = res.xml();
    assert.equal(api.name, 'api');
    assert.deepEqual(api.attrs, { driver: 'mock', version: '1.1.3' }, 'no provider attribute without a provider');
    const rels = api.all('link').map((l) => l.attrs.rel!);
    assert.deepEqual(rels, [...rels].sort(), 'links in alphabetical order of rel');
    assert.deepEqual(rels.filter((r) => !MOCK_ADDITIONS.includes(r)), SPEC_COLLECTIONS);
    for (const link of api.all('link')) assert.equal(link.attrs.href, `${A}/${link.attrs.rel}`);
    for (const link of api.all('link').filter((l) => l.attrs.rel !== 'instances')) assert.deepEqual(link.children, [], `${link.attrs.rel} has no features`);
    const features = api.all('link').find((l) => l.attrs.rel === 'instances')!.all('feature');
    assert.deepEqual(features.map((f) => [f.attrs.name, f.attrs.rel, f.all('param').map((p) => p.attrs.name)]), [
      ['metrics', 'create', ['metrics']],
      ['realm_filter', 'index', ['realm_id']],
      ['user_name', 'create', ['name']],
      ['authentication_key', 'create', ['keyname']],
    ]);
  });

  test('JSON: {"api": ...} with provider "default" and features as arrays of arrays', async () => {
    const res = await getJson(server, '/api', { auth: false });
    assert.equal(res.status, 200);
    assertType(res, JSON_TYPE);
    assertEtag(res);
    const { api } = res.json();
    assert.deepEqual(Object.keys(api), ['version', 'driver', 'provider', 'links']);
    assert.equal(api.version, '1.1.3');
    assert.equal(api.driver, 'mock');
    assert.equal(api.provider, 'default');
    const rels = api.links.map((l: { rel: string }) => l.rel);
    assert.deepEqual(rels.filter((r: string) => !MOCK_ADDITIONS.includes(r)), SPEC_COLLECTIONS);
    for (const link of api.links) {
      assert.deepEqual(Object.keys(link), ['rel', 'href', 'features']);
      assert.equal(link.href, `${A}/${link.rel}`);
      if (link.rel !== 'instances') assert.deepEqual(link.features, []);
    }
    assert.deepEqual(api.links.find((l: { rel: string }) => l.rel === 'instances').features, [
      [{ name: 'metrics', rel: 'create', params: ['metrics:string:optional'], constraints: {} }],
      [{ name: 'realm_filter', rel: 'index', params: ['realm_id:string:optional'], constraints: {} }],
      [{ name: 'user_name', rel: 'create', params: ['name:string:optional'], constraints: {} }],
      [{ name: 'authentication_key', rel: 'create', params: ['keyname:string:optional'], constraints: {} }],
    ]);
  });

  test('/api/ serves the entry point too; a provider shows in XML and JSON', async () => {
    const slash = await getXml(server, '/api/');
    assert.equal(slash.status, 200);
    assert.equal(slash.xml().name, 'api');
    const xml = await getXml(server, '/api', { headers: { 'X-Deltacloud-Provider': 'Some-Region' } });
    assert.equal(xml.xml().attrs.provider, 'Some-Region', 'provider case preserved');
    const json = await getJson(server, '/api;provider=eu-x');
    assert.equal(json.json().api.provider, 'eu-x');
  });

  test('HTML entry page (Accept: text/html)', async () => {
    const res = await get(server, '/api', { accept: 'text/html' });
    assert.equal(res.status, 200);
    assertType(res, 'text/html');
    assert.match(res.text, /^<!DOCTYPE html>/);
    assert.match(res.text, /Deltacloud API 1\.1\.3/);
  });
});

describe('drivers (§11.1)', () => {
  test('list XML: no declaration, ordered by id, mock without providers', async () => {
    const res = await getXml(server, '/api/drivers', { auth: false });
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text, /^<\?xml/);
    const doc = res.xml();
    assert.equal(doc.name, 'drivers');
    const ids = doc.all('driver').map((d) => d.attrs.id!);
    assert.deepEqual(ids, [...ids].sort());
    assert.ok(ids.includes('mock'));
    for (const d of doc.all('driver')) {
      assertHref(d.attrs.href, `${A}/drivers/${d.attrs.id}`);
      assert.notEqual(d.child('name').text, '');
    }
    const mock = doc.all('driver').find((d) => d.attrs.id === 'mock')!;
    assert.deepEqual(mock.names(), ['name']);
    assert.equal(mock.child('name').text, 'Mock');
  });

  test('list JSON: unwrapped map keyed by driver id', async () => {
    const res = await getJson(server, '/api/drivers', { auth: false });
    assert.equal(res.status, 200);
    const map = res.json();
    assert.equal(map.drivers, undefined, 'not wrapped');
    assert.deepEqual(map.mock, { name: 'Mock' });
  });

  test('show mock XML and JSON; unknown id → 404', async () => {
    const xml = await getXml(server, '/api/drivers/mock', { auth: false });
    assert.equal(xml.status, 200);
    assert.doesNotMatch(xml.text, /^<\?xml/);
    const d = xml.xml();
    assert.deepEqual(d.attrs, { href: `${A}/drivers/mock`, id: 'mock' });
    assert.deepEqual(d.names(), ['name']);
    assert.equal(d.child('name').text, 'Mock');
    const json = await getJson(server, '/api/drivers/mock', { auth: false });
    assert.deepEqual(json.json(), { driver: { name: 'Mock', id: 'mock' } });
    const missing = await getXml(server, '/api/drivers/nosuchdriver', { auth: false });
    assert.equal(missing.status, 404);
    if (missing.text !== '') assertXmlError(missing, { status: 404, message: 'Not Found' }); // empty body or the error document (§11.1)
  });
});

describe('realms (§11.2, mock §4.1, §6.1)', () => {
  test('list XML and JSON', async () => {
    const res = await getXml(server, '/api/realms');
    assert.equal(res.status, 200);
    assert.match(res.text, XML_DECLARATION);
    assertRuntime(res);
    const doc = res.xml();
    assert.equal(doc.name, 'realms');
    const realms = doc.all('realm');
    assert.deepEqual(attrsOf(realms), [{ href: `${A}/realms/us`, id: 'us' }, { href: `${A}/realms/eu`, id: 'eu' }]);
    assert.deepEqual(realms[0]!.names(), ['name', 'state'], 'no <limit> when unlimited');
    assert.equal(realms[0]!.child('name').text, 'United States');
    assert.equal(realms[1]!.child('name').text, 'Europe');
    assert.equal(realms[1]!.child('state').text, 'AVAILABLE');
    const json = await getJson(server, '/api/realms');
    assert.deepEqual(json.json(), {
      realms: [
        { id: 'us', href: `${A}/realms/us`, name: 'United States', state: 'AVAILABLE', limit: 'unlimited' },
        { id: 'eu', href: `${A}/realms/eu`, name: 'Europe', state: 'AVAILABLE', limit: 'unlimited' },
      ],
    });
  });

  test('show, id filter, 404', async () => {
    const res = await getXml(server, '/api/realms/us');
    assert.equal(res.status, 200);
    assert.match(res.text, XML_DECLARATION);
    assert.equal(res.xml().child('name').text, 'United States');
    const json = await getJson(server, '/api/realms/eu');
    assert.deepEqual(json.json(), { realm: { id: 'eu', href: `${A}/realms/eu`, name: 'Europe', state: 'AVAILABLE', limit: 'unlimited' } });
    const filtered = await getJson(server, '/api/realms?id=eu');
    assert.deepEqual(filtered.json().realms.map((r: { id: string }) => r.id), ['eu']);
    await assertErrorBoth(server, 'GET', '/api/realms/nonexist', { status: 404, message: 'Not Found', url: '/api/realms/nonexist' });
  });
});

describe('hardware profiles (§11.3, mock §4.2)', () => {
  test('list XML: sorted m1-small, m1-large, m1-xlarge, opaque; no credentials needed', async () => {
    const res = await getXml(server, '/api/hardware_profiles', { auth: false });
    assert.equal(res.status, 200);
    const profiles = res.xml().all('hardware_profile');
    assert.deepEqual(profiles.map((p) => p.attrs.id), ALL_PROFILES);
    const small = profiles[0]!;
    assert.deepEqual(small.names(), ['id', 'name', 'property', 'property', 'property', 'property']);
    assert.deepEqual(attrsOf(small.all('property')), [
      { kind: 'fixed', name: 'cpu', unit: 'count', value: '1' },
      { kind: 'fixed', name: 'memory', unit: 'MB', value: '1740.8' },
      { kind: 'fixed', name: 'storage', unit: 'GB', value: '160' },
      { kind: 'fixed', name: 'architecture', unit: 'label', value: 'i386' },
    ]);
    for (const p of small.all('property')) assert.deepEqual(p.children, [], 'fixed properties are empty');
    const opaque = profiles[3]!;
    assert.deepEqual(opaque.names(), ['id', 'name']);
    assert.equal(opaque.child('id').text, 'opaque');
    assert.equal(opaque.child('name').text, 'opaque');
  });

  test('show m1-large XML: range and enum properties with their hwp_ params', async () => {
    const res = await getXml(server, '/api/hardware_profiles/m1-large');
    assert.equal(res.status, 200);
    assert.match(res.text, XML_DECLARATION);
    const hwp = res.xml();
    assert.deepEqual(hwp.attrs, { href: `${A}/hardware_profiles/m1-large`, id: 'm1-large' });
    assert.equal(hwp.child('id').text, 'm1-large');
    assert.equal(hwp.child('name').text, 'm1-large');
    const props = hwp.all('property');
    assert.deepEqual(attrsOf(props), [
      { kind: 'range', name: 'cpu', unit: 'count', value: '1' },
      { kind: 'range', name: 'memory', unit: 'MB', value: '10240' },
      { kind: 'enum', name: 'storage', unit: 'GB', value: '850' },
      { kind: 'fixed', name: 'architecture', unit: 'label', value: 'x86_64' },
    ]);
    for (const [i, name] of [[0, 'cpu'], [1, 'memory'], [2, 'storage']] as const) {
      assert.deepEqual(props[i]!.child('param').attrs, { href: `${A}/instances`, method: 'post', name: `hwp_${name}`, operation: 'create' });
      assert.equal(props[i]!.names()[0], 'param', 'param comes first');
    }
    assert.deepEqual(props[0]!.child('range').attrs, { first: '1', last: '6' });
    assert.deepEqual(props[1]!.child('range').attrs, { first: '7680', last: '15360' });
    assert.deepEqual(props[2]!.child('enum').all('entry').map((e) => e.attrs.value), ['850', '1024']);
    assert.deepEqual(props[3]!.children, []);
  });

  test('show m1-xlarge XML: memory range and storage enum', async () => {
    const props = (await getXml(server, '/api/hardware_profiles/m1-xlarge')).xml().all('property');
    assert.deepEqual(attrsOf(props).map((a) => [a.name, a.kind, a.value]), [
      ['cpu', 'fixed', '4'], ['memory', 'range', '12288'], ['storage', 'enum', '1024'], ['architecture', 'fixed', 'x86_64'],
    ]);
    assert.deepEqual(props[1]!.child('range').attrs, { first: '12288', last: '32768' });
    assert.deepEqual(props[2]!.child('enum').all('entry').map((e) => e.attrs.value), ['1024', '2048', '4096']);
  });

  test('list JSON: driver order, default values as strings, no properties for opaque', async () => {
    const res = await getJson(server, '/api/hardware_profiles');
    assert.deepEqual(res.json(), {
      hardware_profiles: [
        { id: 'm1-small', href: `${A}/hardware_profiles/m1-small`, name: 'm1-small', properties: { cpu: '1', memory: '1740.8', storage: '160', architecture: 'i386' } },
        { id: 'm1-large', href: `${A}/hardware_profiles/m1-large`, name: 'm1-large', properties: { cpu: '1', memory: '10240', storage: '850', architecture: 'x86_64' } },
        { id: 'm1-xlarge', href: `${A}/hardware_profiles/m1-xlarge`, name: 'm1-xlarge', properties: { cpu: '4', memory: '12288', storage: '1024', architecture: 'x86_64' } },
        { id: 'opaque', href: `${A}/hardware_profiles/opaque`, name: 'opaque' },
      ],
    });
    const one = await getJson(server, '/api/hardware_profiles/m1-large');
    assert.deepEqual(one.json(), {
      hardware_profile: { id: 'm1-large', href: `${A}/hardware_profiles/m1-large`, name: 'm1-large', properties: { cpu: '1', memory: '10240', storage: '850', architecture: 'x86_64' } },
    });
  });

  test('architecture and id filters; 404', async () => {
    const ids = async (q: string) => (await getJson(server, `/api/hardware_profiles?${q}`)).json().hardware_profiles.map((p: { id: string }) => p.id);
    const i386 = await ids('architecture=i386');
    assert.ok(i386.includes('m1-small'));
    assert.ok(!i386.includes('m1-large') && !i386.includes('m1-xlarge'));
    const x86 = await ids('architecture=x86_64');
    assert.ok(x86.includes('m1-large') && x86.includes('m1-xlarge'));
    assert.ok(!x86.includes('m1-small'));
    assert.deepEqual(await ids('id=m1-xlarge'), ['m1-xlarge']);
    await assertErrorBoth(server, 'GET', '/api/hardware_profiles/m9', { status: 404, message: 'Not Found' });
  });
});

describe('images (§11.4, mock §4.3, §6.3)', () => {
  test('list XML order and the img1 document', async () => {
    const res = await getXml(server, '/api/images');
    assert.equal(res.status, 200);
    const images = res.xml().all('image');
    assert.deepEqual(images.map((i) => i.attrs.id), ['img1', 'img2', 'img3']);
    const img1 = (await getXml(server, '/api/images/img1')).xml();
    assert.deepEqual(img1.attrs, { href: `${A}/images/img1`, id: 'img1' });
    assert.deepEqual(img1.names(), ['name', 'description', 'owner_id', 'architecture', 'state', 'creation_time', 'hardware_profiles', 'root_type', 'actions']);
    assert.equal(img1.child('name').text, 'img1');
    assert.equal(img1.child('description').text, 'Fedora 10');
    assert.equal(img1.child('owner_id').text, 'fedoraproject');
    assert.equal(img1.child('architecture').text, 'x86_64');
    assert.equal(img1.child('state').text, 'AVAILABLE');
    assert.equal(img1.child('creation_time').text, 'Thu Oct 25 14:27:53 CEST 2012');
    assert.deepEqual(attrsOf(img1.child('hardware_profiles').all('hardware_profile')),
      ALL_PROFILES.map((id) => ({ href: `${A}/hardware_profiles/${id}`, id, rel: 'hardware_profile' })));
    assert.equal(img1.child('root_type').text, 'transient');
    assert.deepEqual(attrsOf(img1.child('actions').all('link')), [
      { href: `${A}/instances;image_id=img1`, method: 'post', rel: 'create_instance' },
      { href: `${A}/images/img1`, method: 'delete', rel: 'destroy_image' },
    ]);
  });

  test('show JSON', async () => {
    const res = await getJson(server, '/api/images/img3');
    assert.equal(res.status, 200);
    assertEtag(res);
    assert.deepEqual(res.json(), {
      image: {
        id: 'img3', href: `${A}/images/img3`, name: 'img3', description: 'JBoss', owner: 'mockuser', architecture: 'i386',
        state: 'AVAILABLE', root_type: 'transient', creation_time: 'Thu Oct 25 14:27:53 CEST 2012',
        hardware_profiles: ALL_PROFILES.map((id) => ({ id, href: `${A}/hardware_profiles/${id}`, rel: 'hardware_profile' })),
      },
    });
    assert.deepEqual(Object.keys(res.json().image),
      ['id', 'href', 'name', 'description', 'owner', 'architecture', 'state', 'root_type', 'creation_time', 'hardware_profiles']);
  });

  test('filters: architecture, owner_id (self = authenticated user), id; 404', async () => {
    const ids = async (q: string) => (await getJson(server, `/api/images?${q}`)).json().images.map((i: { id: string }) => i.id);
    assert.deepEqual(await ids('architecture=i386'), ['img2', 'img3']);
    assert.deepEqual(await ids('owner_id=self'), ['img3']);
    assert.deepEqual(await ids('owner_id=fedoraproject'), ['img1', 'img2']);
    assert.deepEqual(await ids('id=img2'), ['img2']);
    await assertErrorBoth(server, 'GET', '/api/images/nope', { status: 404, message: 'Not Found' });
  });

  test('create from an instance (XML), then destroy', async () => {
    const res = await post(server, '/api/images', { instance_id: 'inst1', name: 'myimg', description: 'my image' }, { accept: XML });
    assert.equal(res.status, 201);
    assertEtag(res);
    assert.equal(res.headers.location, `${A}/images/myimg`);
    const img = res.xml();
    assert.deepEqual(img.attrs, { href: `${A}/images/myimg`, id: 'myimg' });
    assert.equal(img.child('name').text, 'myimg');
    assert.equal(img.child('description').text, 'my image');
    assert.equal(img.child('owner_id').text, 'root');
    assert.equal(img.child('architecture').text, 'i386');
    assert.equal(img.child('state').text, 'AVAILABLE');
    assert.equal(img.maybe('creation_time'), undefined);
    assert.equal(img.child('root_type').text, 'transient');
    assert.deepEqual(attrsOf(img.child('actions').all('link')), [
      { href: `${A}/instances;image_id=myimg`, method: 'post', rel: 'create_instance' },
      { href: `${A}/images/myimg`, method: 'delete', rel: 'destroy_image' },
    ]);
    assert.equal((await getXml(server, '/api/images/myimg')).status, 200);
    const del = await req(server, 'DELETE', '/api/images/myimg', { accept: XML });
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    assert.equal(del.headers['content-type'], undefined);
    assert.equal((await getXml(server, '/api/images/myimg')).status, 404);
    assert.equal((await req(server, 'DELETE', '/api/images/never-existed', { accept: XML })).status, 204, 'unknown id → 204 (original)');
  });

  test('create JSON lists the four hardware profiles; create via the action link with matrix instance_id', async () => {
    const res = await post(server, '/api/images', { instance_id: 'inst0', name: 'jsonimg' }, { accept: JSON_TYPE });
    assert.equal(res.status, 201);
    const { image } = res.json();
    assert.equal(image.id, 'jsonimg');
    assert.equal(image.owner, 'root');
    assert.deepEqual(image.hardware_profiles.map((h: { id: string }) => h.id), ALL_PROFILES);
    // The instance's create_image action href is `/api/images;instance_id=inst0` (§1.2, §11.5.3).
    const viaMatrix = await post(server, '/api/images;instance_id=inst0', { name: 'matriximg' }, { accept: XML });
    assert.equal(viaMatrix.status, 201);
    assert.equal(viaMatrix.headers.location, `${A}/images/matriximg`);
  });

  test('create errors: unknown instance 404, inst3 cannot be imaged 500, missing instance_id / name 400', async () => {
    await assertErrorBoth(server, 'POST', '/api/images', { status: 404, message: 'NotFound' }, { body: { instance_id: 'nosuch', name: 'x1' } });
    await assertErrorBoth(server, 'POST', '/api/images', { status: 500, message: 'CreateImageNotSupported' }, { body: { instance_id: 'inst3', name: 'x2' } });
    await assertErrorBoth(server, 'POST', '/api/images', { status: 400, message: "Required parameter 'instance_id' not found in [name]" }, { body: { name: 'x3' } });
    await assertErrorBoth(server, 'POST', '/api/images', { status: 400, message: /^Required parameter 'name' not found in \[/ }, { body: { instance_id: 'inst1' } });
    assert.equal((await getXml(server, '/api/images/x2')).status, 404, 'nothing was stored');
  });
});

const INST0_JSON = () => ({
  id: 'inst0',
  href: `${A}/instances/inst0`,
  name: 'Mock Instance With Profile Change',
  state: 'RUNNING',
  owner: 'mockuser',
  image: { href: `${A}/images/img1`, id: 'img1', rel: 'image' },
  realm: { href: `${A}/realms/us`, id: 'us', rel: 'realm' },
  actions: [
    { href: `${A}/instances/inst0/reboot`, rel: 'reboot', method: 'post' },
    { href: `${A}/instances/inst0/stop`, rel: 'stop', method: 'post' },
    { href: `${A}/instances/inst0/run;id=inst0`, rel: 'run', method: 'post' },
    { href: `${A}/images;instance_id=inst0`, rel: 'create_image', method: 'post' },
  ],
  hardware_profile: { id: 'm1-large', href: `${A}/hardware_profiles/m1-large`, rel: 'hardware_profile', properties: { memory: '12288' } },
  public_addresses: [{ address: 'img1.inst0.public.com', type: 'hostname' }],
  private_addresses: [{ address: 'img1.inst0.private.com', type: 'hostname' }],
  create_image: true,
  storage_volumes: [],
  authentication_type: 'key',
});

function actionRels(instance: XNode): string[] {
  return instance.child('actions').all('link').map((l) => l.attrs.rel!);
}

async function createInstance(body: Record<string, string>, accept = XML) {
  const res = await post(server, '/api/instances', body, { accept });
  assert.equal(res.status, 201, res.text);
  return res;
}

describe('instances (§11.5, mock §4.4, §6.2)', () => {
  test('list XML: the four seed instances', async () => {
    const res = await getXml(server, '/api/instances');
    assert.equal(res.status, 200);
    assertRuntime(res);
    const doc = res.xml();
    assert.equal(doc.name, 'instances');
    assert.deepEqual(doc.all('instance').map((i) => i.attrs.id), ['inst0', 'inst1', 'inst2', 'inst3']);
  });

  test('show inst0 XML: every element in spec order', async () => {
    const res = await getXml(server, '/api/instances/inst0');
    assert.equal(res.status, 200);
    assert.match(res.text, XML_DECLARATION);
    const inst = res.xml();
    assert.deepEqual(inst.attrs, { href: `${A}/instances/inst0`, id: 'inst0' });
    assert.deepEqual(inst.names(), ['name', 'owner_id', 'image', 'realm', 'state', 'hardware_profile', 'actions',
      'public_addresses', 'private_addresses', 'storage_volumes', 'authentication', 'network_interfaces']);
    assert.equal(inst.child('name').text, 'Mock Instance With Profile Change');
    assert.equal(inst.child('owner_id').text, 'mockuser');
    assert.deepEqual(inst.child('image').attrs, { href: `${A}/images/img1`, id: 'img1' });
    assert.deepEqual(inst.child('realm').attrs, { href: `${A}/realms/us`, id: 'us' });
    assert.equal(inst.child('state').text, 'RUNNING');
    const hwp = inst.child('hardware_profile');
    assert.deepEqual(hwp.attrs, { href: `${A}/hardware_profiles/m1-large`, id: 'm1-large' });
    assert.deepEqual(attrsOf(hwp.all('property')), [{ kind: 'fixed', name: 'memory', unit: 'MB', value: '12288' }]);
    assert.deepEqual(attrsOf(inst.child('actions').all('link')), [
      { href: `${A}/instances/inst0/reboot`, method: 'post', rel: 'reboot' },
      { href: `${A}/instances/inst0/stop`, method: 'post', rel: 'stop' },
      { href: `${A}/instances/inst0/run;id=inst0`, method: 'post', rel: 'run' },
      { href: `${A}/images;instance_id=inst0`, method: 'post', rel: 'create_image' },
    ]);
    const pub = inst.child('public_addresses').all('address');
    assert.deepEqual(pub.map((a) => [a.attrs, a.text]), [[{ type: 'hostname' }, 'img1.inst0.public.com']]);
    const priv = inst.child('private_addresses').all('address');
    assert.deepEqual(priv.map((a) => [a.attrs, a.text]), [[{ type: 'hostname' }, 'img1.inst0.private.com']]);
    assert.deepEqual(inst.child('storage_volumes').children, []);
    assert.deepEqual(inst.child('authentication').attrs, { type: 'key' });
    assert.deepEqual(inst.child('network_interfaces').children, [], 'inst0 has an empty interface list');
  });

  test('show inst0 JSON: keys and values in spec order', async () => {
    const res = await getJson(server, '/api/instances/inst0');
    assert.equal(res.status, 200);
    const { instance } = res.json();
    assert.deepEqual(instance, INST0_JSON());
    assert.deepEqual(Object.keys(instance), Object.keys(INST0_JSON()));
  });

  test('seed quirks: inst3 (empty name and keyname, no create_image), inst2 (no interfaces), inst1 (nic1)', async () => {
    const inst3 = (await getXml(server, '/api/instances/inst3')).xml();
    assert.equal(inst3.child('name').text, '');
    assert.deepEqual(actionRels(inst3), ['reboot', 'stop', 'run']);
    assert.equal(inst3.child('authentication').child('login').child('keyname').text, '');
    assert.deepEqual(inst3.child('realm').attrs.id, 'eu');
    assert.deepEqual(attrsOf(inst3.child('network_interfaces').all('network_interface')), [{ href: `${A}/network_interfaces/nicinst3`, id: 'nicinst3' }]);
    const j3 = (await getJson(server, '/api/instances/inst3')).json().instance;
    assert.equal(j3.name, '');
    assert.deepEqual(j3.authentication, { keyname: '' });
    assert.equal('create_image' in j3, false, 'no create_image key when the instance cannot be imaged');
    assert.deepEqual(j3.hardware_profile.properties, {});
    const inst2 = (await getXml(server, '/api/instances/inst2')).xml();
    assert.equal(inst2.maybe('network_interfaces'), undefined);
    const inst1 = (await getXml(server, '/api/instances/inst1')).xml();
    assert.equal(inst1.child('public_addresses').child('address').text, 'img1.inst1.public.com');
    assert.deepEqual(inst1.child('network_interfaces').all('network_interface').map((n) => n.attrs.id), ['nic1']);
  });

  test('filters: state, realm_id, id; show 404', async () => {
    const ids = async (q: string) => (await getJson(server, `/api/instances?${q}`)).json().instances.map((i: { id: string }) => i.id);
    assert.deepEqual(await ids('realm_id=eu'), ['inst3']);
    assert.deepEqual(await ids('id=inst2'), ['inst2']);
    assert.deepEqual(await ids('state=STOPPED'), []);
    assert.deepEqual(await ids('state=RUNNING&realm_id=us'), ['inst0', 'inst1', 'inst2']);
    await assertErrorBoth(server, 'GET', '/api/instances/nonexist', { status: 404, message: 'Not Found', url: '/api/instances/nonexist' });
  });

  test('create with defaults: inst4, RUNNING, m1-small, realm us, i-<time> name, hostname addresses', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const res = await createInstance({ image_id: 'img1' });
    const t1 = Math.floor(Date.now() / 1000);
    assertEtag(res);
    assert.equal(res.headers.location, `${A}/instances/inst4`);
    const inst = res.xml();
    assert.equal(inst.attrs.id, 'inst4');
    const name = inst.child('name').text;
    assert.match(name, /^i-\d+$/);
    assert.ok(Number(name.slice(2)) >= t0 && Number(name.slice(2)) <= t1, 'name is i-<unix time>');
    assert.equal(inst.child('owner_id').text, 'mockuser');
    assert.equal(inst.child('state').text, 'RUNNING');
    assert.equal(inst.child('realm').attrs.id, 'us');
    assert.equal(inst.child('image').attrs.id, 'img1');
    assert.deepEqual(inst.child('hardware_profile').attrs, { href: `${A}/hardware_profiles/m1-small`, id: 'm1-small' });
    assert.deepEqual(inst.child('hardware_profile').children, []);
    assert.deepEqual(actionRels(inst), ['reboot', 'stop', 'run', 'create_image']);
    assert.deepEqual(inst.child('public_addresses').all('address').map((a) => [a.attrs.type, a.text]), [['hostname', 'img1.inst4.public.com']]);
    assert.deepEqual(inst.child('private_addresses').all('address').map((a) => [a.attrs.type, a.text]), [['hostname', 'img1.inst4.private.com']]);
    assert.ok((await getJson(server, '/api/instances')).json().instances.some((i: { id: string }) => i.id === 'inst4'));
  });

  test('create with hwp_* overrides, name, keyname and realm (JSON)', async () => {
    const res = await createInstance({
      image_id: 'img2', hwp_id: 'm1-large', hwp_memory: '8192', hwp_cpu: '2', hwp_storage: '1024', name: 'web server',
      keyname: 'test-key', realm_id: 'eu',
    }, JSON_TYPE);
    const { instance } = res.json();
    assert.equal(res.headers.location, instance.href);
    assert.equal(instance.name, 'web server');
    assert.equal(instance.realm.id, 'eu');
    assert.equal(instance.image.id, 'img2');
    assert.deepEqual(instance.hardware_profile, {
      id: 'm1-large', href: `${A}/hardware_profiles/m1-large`, rel: 'hardware_profile', properties: { memory: '8192', storage: '1024', cpu: '2' },
    });
    assert.deepEqual(instance.authentication, { keyname: 'test-key' });
    assert.equal(instance.authentication_type, 'key');
    assert.equal(instance.create_image, true);
    // XML: overrides as fixed properties in the order memory, storage, architecture, cpu.
    const xml = (await getXml(server, `/api/instances/${instance.id}`)).xml();
    assert.deepEqual(attrsOf(xml.child('hardware_profile').all('property')), [
      { kind: 'fixed', name: 'memory', unit: 'MB', value: '8192' },
      { kind: 'fixed', name: 'storage', unit: 'GB', value: '1024' },
      { kind: 'fixed', name: 'cpu', unit: 'count', value: '2' },
    ]);
    assert.equal(xml.child('authentication').child('login').child('keyname').text, 'test-key');
  });

  test('create: user_data is accepted but never shown; the mock creates one instance even with instance_count', async () => {
    const secret = 'echo very-private-bootstrap';
    const userData = Buffer.from(secret).toString('base64');
    const res = await createInstance({ image_id: 'img1', user_data: userData, instance_count: '2' });
    assert.equal(res.xml().name, 'instance', 'one instance document');
    assert.match(String(res.headers.location), /\/api\/instances\/inst\d+$/);
    const json = await getJson(server, new URL(String(res.headers.location)).pathname);
    for (const text of [res.text, json.text]) {
      assert.ok(!text.includes(userData) && !text.includes(secret), 'user data not rendered');
    }
  });

  test('create: unknown hwp_id → 400 with the driver message; missing image_id → 400', async () => {
    await assertErrorBoth(server, 'POST', '/api/instances', { status: 400, message: "Hardware profile 'bogus' does not exists." }, { body: { image_id: 'img1', hwp_id: 'bogus' } });
    await assertErrorBoth(server, 'POST', '/api/instances', { status: 400, message: "Required parameter 'image_id' not found in [realm_id]" }, { body: { realm_id: 'us' } });
  });

  test('state machine: stop → start → reboot → stop → destroy, with 405s along the way', async () => {
    const id = (await createInstance({ image_id: 'img3', name: 'cycle' })).xml().attrs.id!;
    const path = `/api/instances/${id}`;
    // RUNNING: destroy and start are not allowed.
    await assertErrorBoth(server, 'DELETE', path, { status: 405, message: 'Method Not Allowed' });
    await assertErrorBoth(server, 'POST', `${path}/start`, { status: 405, message: 'Method Not Allowed' });

    const stopped = await post(server, `${path}/stop`, undefined, { accept: XML });
    assert.equal(stopped.status, 202);
    assertRuntime(stopped);
    const s = stopped.xml();
    assert.equal(s.name, 'instance');
    assert.equal(s.child('state').text, 'STOPPED');
    assert.deepEqual(attrsOf(s.child('actions').all('link')).slice(0, 2), [
      { href: `${A}/instances/${id}/start`, method: 'post', rel: 'start' },
      { href: `${A}/instances/${id}`, method: 'delete', rel: 'destroy' },
    ]);
    assert.deepEqual(actionRels(s), ['start', 'destroy', 'run', 'create_image']);
    await assertErrorBoth(server, 'POST', `${path}/stop`, { status: 405, message: 'Method Not Allowed' });
    await assertErrorBoth(server, 'POST', `${path}/reboot`, { status: 405, message: 'Method Not Allowed' });

    const started = await post(server, `${path}/start`, undefined, { accept: JSON_TYPE });
    assert.equal(started.status, 202);
    const body = started.json();
    assert.equal(body.instance, undefined, 'instance actions answer the bare JSON object');
    assert.equal(body.id, id);
    assert.equal(body.state, 'RUNNING');
    assert.deepEqual(body.actions.map((a: { rel: string }) => a.rel), ['reboot', 'stop', 'run', 'create_image']);

    const rebooted = await post(server, `${path}/reboot`, undefined, { accept: JSON_TYPE });
    assert.equal(rebooted.status, 202);
    assert.equal(rebooted.json().state, 'RUNNING');

    assert.equal((await post(server, `${path}/stop`, undefined, { accept: JSON_TYPE })).status, 202);
    const gone = await req(server, 'DELETE', path, { accept: XML });
    assert.equal(gone.status, 204);
    assert.equal(gone.text, '');
    assert.equal(gone.headers['content-type'], undefined);
    assert.equal((await getXml(server, path)).status, 404);
  });

  test('actions on an unknown instance → 403 Forbidden', async () => {
    for (const action of ['start', 'stop', 'reboot']) {
      await assertErrorBoth(server, 'POST', `/api/instances/nonexist/${action}`, { status: 403, message: 'Forbidden' });
    }
    await assertErrorBoth(server, 'DELETE', '/api/instances/nonexist', { status: 403, message: 'Forbidden' });
  });

  test('initial_state=STOPPED; a destroyed id is never issued again (the original reused it)', async () => {
    const res = await createInstance({ image_id: 'img1', initial_state: 'STOPPED' });
    const inst = res.xml();
    assert.equal(inst.child('state').text, 'STOPPED');
    assert.deepEqual(actionRels(inst), ['start', 'destroy', 'run', 'create_image']);
    const id = inst.attrs.id!;
    assert.equal((await req(server, 'DELETE', `/api/instances/${id}`, { accept: XML })).status, 204);
    const again = await createInstance({ image_id: 'img1' });
    assert.equal(again.xml().attrs.id, `inst${Number(id.slice(4)) + 1}`);
  });

  test('POST /api/instances;image_id=img1 (the image action link) creates; explicit image_id wins', async () => {
    const res = await post(server, '/api/instances;image_id=img2', undefined, { accept: XML });
    assert.equal(res.status, 201);
    assert.equal(res.xml().child('image').attrs.id, 'img2');
    const both = await post(server, '/api/instances;image_id=img2', { image_id: 'img3' }, { accept: XML });
    assert.equal(both.status, 201);
    assert.equal(both.xml().child('image').attrs.id, 'img3', 'body parameters win over matrix parameters');
  });

  test('parameters in the query string of a POST (Ruby client style)', async () => {
    const res = await req(server, 'POST', '/api/instances?image_id=img3&name=from-query&hwp_id=m1-xlarge', { accept: JSON_TYPE });
    assert.equal(res.status, 201);
    const { instance } = res.json();
    assert.equal(instance.name, 'from-query');
    assert.equal(instance.image.id, 'img3');
    assert.equal(instance.hardware_profile.id, 'm1-xlarge');
  });
});

describe('run a command (§11.5.5, mock §6.2)', () => {
  test('XML (no declaration) and JSON; ip overrides the address', async () => {
    const res = await post(server, '/api/instances/inst1/run', { cmd: 'uname -a' }, { accept: XML });
    assert.equal(res.status, 200);
    assertEtag(res);
    assert.doesNotMatch(res.text, /^<\?xml/);
    const doc = res.xml();
    assert.deepEqual(doc.attrs, { href: `${A}/instances/inst1`, id: 'inst1' });
    assert.equal(doc.child('public_address').text, 'img1.inst1.public.com');
    assert.equal(doc.child('command').text, 'uname -a');
    assert.equal(doc.child('output').text, "This is where the output from 'uname -a' would appear if this were not a mock provider");
    const json = await post(server, '/api/instances/inst1/run;id=inst1', { cmd: 'ls', ip: '10.1.2.3' }, { accept: JSON_TYPE });
    assert.equal(json.status, 200);
    assert.deepEqual(json.json(), {
      instance: { id: 'inst1', public_address: '10.1.2.3', command: 'ls', output: "This is where the output from 'ls' would appear if this were not a mock provider" },
    });
  });

  test('missing cmd → 400 naming it; credentials are checked', async () => {
    await assertErrorBoth(server, 'POST', '/api/instances/inst1/run', { status: 400, message: "Required parameter 'cmd' not found in [id]" });
    const res = await post(server, '/api/instances/inst1/run', { cmd: 'ls' }, { accept: XML, auth: false });
    assertXmlError(res, { status: 401, message: 'Unauthorized' });
  });
});

describe('instance states (§11.6, mock §5)', () => {
  test('XML without declaration, JSON bare array, no credentials needed', async () => {
    const res = await getXml(server, '/api/instance_states', { auth: false });
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text, /^<\?xml/);
    const states = res.xml();
    assert.equal(states.name, 'states');
    assert.deepEqual(states.all('state').map((s) => [s.attrs.name, attrsOf(s.all('transition'))]), [
      ['start', [{ action: 'create', to: 'pending' }]],
      ['pending', [{ auto: 'true', to: 'running' }]],
      ['running', [{ action: 'reboot', to: 'running' }, { action: 'stop', to: 'stopped' }]],
      ['stopped', [{ action: 'start', to: 'running' }, { action: 'destroy', to: 'finish' }]],
      ['finish', []],
    ]);
    const json = await getJson(server, '/api/instance_states', { auth: false });
    assert.equal(json.status, 200);
    assert.deepEqual(json.json(), [
      { name: 'start', transitions: [{ to: 'pending', action: 'create' }] },
      { name: 'pending', transitions: [{ to: 'running', auto: 'true' }] },
      { name: 'running', transitions: [{ to: 'running', action: 'reboot' }, { to: 'stopped', action: 'stop' }] },
      { name: 'stopped', transitions: [{ to: 'running', action: 'start' }, { to: 'finish', action: 'destroy' }] },
      { name: 'finish', transitions: [] },
    ]);
  });

  // The server renders the PNG with Graphviz `dot`, as the original did (§11.6). Where Graphviz is not
  // installed it must say so with a clean 501 error document instead of a PNG (known deployment dependency).
  test('PNG by Accept and by ?format=png', async () => {
    const hasDot = spawnSync('dot', ['-V']).error === undefined;
    for (const res of [await get(server, '/api/instance_states', { accept: 'image/png' }), await get(server, '/api/instance_states?format=png')]) {
      if (!hasDot) {
        assertXmlError(res, { status: 501, message: /Graphviz/ });
        continue;
      }
      assert.equal(res.status, 200);
      assertType(res, 'image/png');
      assert.deepEqual([...res.body.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    }
    // PNG is offered only by instance_states (§5).
    assert.equal((await get(server, '/api/realms', { accept: 'image/png' })).status, 406);
  });
});

describe('keys (§11.7, mock §4.5, §6.4)', () => {
  test('show test-key XML: the seed pem byte for byte', async () => {
    const res = await getXml(server, '/api/keys/test-key');
    assert.equal(res.status, 200);
    const key = res.xml();
    assert.deepEqual(key.attrs, { href: `${A}/keys/test-key`, id: 'test-key', type: 'key' });
    assert.deepEqual(key.names(), ['name', 'actions', 'fingerprint', 'pem', 'state']);
    assert.equal(key.child('name').text, 'test-key');
    assert.deepEqual(attrsOf(key.child('actions').all('link')), [{ href: `${A}/keys/test-key`, method: 'delete', rel: 'destroy' }]);
    assert.equal(key.child('fingerprint').text, '5e:ce:b6:dc:59:3b:5c:93:f8:2e:9d:20:ce:60:ca:f5:0b:8a:66:93');
    assert.ok(key.child('pem').cdata);
    assert.equal(key.child('pem').text, TEST_KEY_PEM);
    assert.equal(key.child('state').text, '');
  });

  test('list and show JSON', async () => {
    const expected = {
      id: 'test-key', href: `${A}/keys/test-key`, credential_type: 'key', username: null, password: null, state: null,
      pem_rsa_key: TEST_KEY_PEM, fingerprint: '5e:ce:b6:dc:59:3b:5c:93:f8:2e:9d:20:ce:60:ca:f5:0b:8a:66:93',
    };
    assert.deepEqual((await getJson(server, '/api/keys/test-key')).json(), { key: expected });
    const list = (await getJson(server, '/api/keys')).json();
    assert.deepEqual(list.keys.find((k: { id: string }) => k.id === 'test-key'), expected);
    assert.equal((await getXml(server, '/api/keys')).xml().name, 'keys');
  });

  test('create → 201 with fingerprint and pem; duplicate → 403; destroy → 204; unknown → 404', async () => {
    const res = await post(server, '/api/keys', { name: 'newkey' }, { accept: XML });
    assert.equal(res.status, 201);
    assertEtag(res);
    assert.equal(res.headers.location, `${A}/keys/newkey`);
    const key = res.xml();
    assert.equal(key.name, 'key');
    assert.equal(key.attrs.id, 'newkey');
    assert.equal(key.attrs.type, 'key');
    assert.match(key.child('fingerprint').text, /^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/);
    assert.match(key.child('pem').text, /^-----BEGIN RSA PRIVATE KEY-----\n([a-zA-Z0-9=/+]{75}\n){21}[a-zA-Z0-9=/+]{68}-----END RSA PRIVATE KEY-----$/);
    await assertErrorBoth(server, 'POST', '/api/keys', { status: 403, message: 'Key with same name already exists' }, { body: { name: 'newkey' } });
    await assertErrorBoth(server, 'POST', '/api/keys', { status: 400, message: "Required parameter 'name' not found in []" }, { body: {} });
    const del = await req(server, 'DELETE', '/api/keys/newkey', { accept: XML });
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    assert.equal((await getXml(server, '/api/keys/newkey')).status, 404);
    await assertErrorBoth(server, 'DELETE', '/api/keys/newkey', { status: 404, message: 'Not Found' });
  });

  test('create JSON', async () => {
    const res = await post(server, '/api/keys', { name: 'jsonkey' }, { accept: JSON_TYPE });
    assert.equal(res.status, 201);
    const { key } = res.json();
    assert.equal(key.id, 'jsonkey');
    assert.equal(key.credential_type, 'key');
    assert.match(key.pem_rsa_key, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(key.fingerprint, /^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/);
  });

  test('_method=delete in a form POST deletes (§7.2)', async () => {
    assert.equal((await post(server, '/api/keys', { name: 'viaform' }, { accept: XML })).status, 201);
    const res = await post(server, '/api/keys/viaform', { _method: 'DELETE' }, { accept: XML });
    assert.equal(res.status, 204);
    assert.equal((await getXml(server, '/api/keys/viaform')).status, 404);
  });
});

const METRIC_PROPERTIES = ['cpuUtilization', 'diskReadRequestCount', 'diskReadSector', 'diskWriteRequestCount', 'diskWriteSector',
  'nicInputByte', 'nicInputPacket', 'nicOutputByte', 'nicOutputPacket'];
const UNIT: Record<string, string> = {
  cpuUtilization: 'Percent', diskReadRequestCount: 'Count', diskReadSector: 'Count', diskWriteRequestCount: 'Count', diskWriteSector: 'Count',
  nicInputByte: 'Bytes', nicInputPacket: 'Count', nicOutputByte: 'Bytes', nicOutputPacket: 'Count',
};

describe('metrics (§11.14, mock §4.12)', () => {
  test('list: one metric per instance, properties without samples', async () => {
    const instances = (await getJson(server, '/api/instances')).json().instances;
    const xml = (await getXml(server, '/api/metrics')).xml();
    assert.equal(xml.name, 'metrics');
    const metrics = xml.all('metric');
    assert.deepEqual(metrics.map((m) => m.attrs.id), instances.map((i: { id: string }) => i.id));
    assert.equal(metrics[0]!.attrs.href, `${A}/metrics/inst0`);
    assert.equal(metrics[0]!.child('entity').text, 'Mock Instance With Profile Change');
    assert.equal(metrics.find((m) => m.attrs.id === 'inst3')!.child('entity').text, '');
    for (const m of metrics) {
      assert.deepEqual(m.child('properties').names(), METRIC_PROPERTIES);
      for (const p of m.child('properties').children) assert.deepEqual(p.children, []);
    }
    const json = (await getJson(server, '/api/metrics')).json();
    const m0 = json.metrics[0];
    assert.equal(m0.id, 'inst0');
    assert.equal(m0.href, `${A}/metrics/inst0`);
    assert.equal(m0.entity, 'Mock Instance With Profile Change');
    assert.deepEqual(m0.properties, METRIC_PROPERTIES.map((name) => ({ name, values: null })));
  });

  test('show XML: the requested instance, 6 samples per property', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await getXml(server, '/api/metrics/inst2');
    assert.equal(res.status, 200);
    const metric = res.xml();
    assert.deepEqual(metric.attrs, { href: `${A}/metrics/inst2`, id: 'inst2' });
    assert.equal(metric.child('entity').text, 'AnotherInstance');
    const props = metric.child('properties');
    assert.deepEqual(props.names(), METRIC_PROPERTIES);
    for (const prop of props.children) {
      const samples = prop.all('sample');
      assert.equal(samples.length, 6, `${prop.name} has 6 samples`);
      samples.forEach((sample, k) => {
        const fields = sample.all('property').map((p) => [p.attrs.name, p.attrs.value!]);
        assert.deepEqual(fields.map((f) => f[0]), ['minimum', 'maximum', 'average', 'timestamp', 'unit']);
        const v = Object.fromEntries(fields) as Record<string, string>;
        assert.equal(v.unit, UNIT[prop.name]);
        const ts = Number(v.timestamp);
        assert.ok(Math.abs(ts - (before - k)) <= 2, `timestamp now-${k}`);
        const [min, max, avg] = [Number(v.minimum), Number(v.maximum), Number(v.average)];
        const scale = prop.name === 'cpuUtilization' ? 100 : 1;
        assert.ok(Number.isInteger(Math.round(min * scale)) && min * scale >= 1 && min * scale <= 49, `minimum ${min}`);
        assert.ok(max * scale >= 50 && max * scale <= 99, `maximum ${max}`);
        if (scale === 1) assert.equal(avg, Math.floor((min + max) / 2));
        else assert.ok(Math.abs(avg - (min + max) / 2) < 1e-9, `average ${avg}`);
      });
    }
  });

  test('show JSON and 404', async () => {
    const { metric } = (await getJson(server, '/api/metrics/inst1')).json();
    assert.equal(metric.id, 'inst1');
    assert.equal(metric.entity, 'MockUserInstance');
    assert.deepEqual(metric.properties.map((p: { name: string }) => p.name), METRIC_PROPERTIES);
    for (const p of metric.properties) {
      assert.equal(p.values.length, 6);
      assert.deepEqual(Object.keys(p.values[0]), ['minimum', 'maximum', 'average', 'timestamp', 'unit']);
      assert.equal(typeof p.values[0].minimum, 'number');
      assert.equal(typeof p.values[0].timestamp, 'number');
    }
    await assertErrorBoth(server, 'GET', '/api/metrics/nonexist', { status: 404, message: 'Not Found' });
  });
});

test('JSON error documents carry the §8.1 class names', async () => {
  const res = await getJson(server, '/api/instances/nonexist');
  assertJsonError(res, { status: 404, message: 'Not Found', error: 'Deltacloud::Exceptions::ObjectNotFound' });
});
