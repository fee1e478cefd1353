// The memo of rendered list members: an XML list written from remembered
// member texts is byte for byte the document serialised from the views' tree
// (the path HTML keeps and the golden tests pin), whatever the memo holds;
// items that JSON cannot tell apart are not memoised.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Driver, DriverDeclaration } from '../../../src/core/driver.js';
import type { Instance, HardwareProfile } from '../../../src/core/model.js';
import { STANDARD_STATE_MACHINE } from '../../../src/core/state-machine.js';
import { memberKey, MemberMemo } from '../../../src/frontends/deltacloud/member-memo.js';
import { listReply } from '../../../src/frontends/deltacloud/operations/standard.js';
import { hardwareProfileView, instanceView } from '../../../src/frontends/deltacloud/views/compute.js';
import { ViewContext, type View } from '../../../src/frontends/deltacloud/views/view.js';
import { serializeXml } from '../../../src/frontends/deltacloud/xml.js';

const declaration: DriverDeclaration = {
  id: 'fake', name: 'Fake', reach: 'remote', stateMachine: STANDARD_STATE_MACHINE,
  features: { instances: ['authentication_password'] },
};
/** Two drivers with the same declaration that differ in one capability (stop) and run_on_instance. */
const fullDriver: Driver = {
  declaration, instances: async () => [], start_instance: async () => { throw new Error('unused'); },
  stop_instance: async () => { throw new Error('unused'); }, destroy_instance: async () => {}, create_image: async () => { throw new Error('unused'); },
  run_on_instance: async () => { throw new Error('unused'); },
};
const smallDriver: Driver = { declaration, instances: async () => [], start_instance: async () => { throw new Error('unused'); } };

/** The list document both ways: from the memo's texts and serialised from the tree. */
function renderBothWays<T>(memo: MemberMemo, view: View<T>, items: T[], v: ViewContext): { text: string; tree: string } {
  const body = listReply({ view: v }, view, items, memo).body;
  assert.ok(body?.kind === 'document' && body.xmlText, 'a list reply is a document with its XML text');
  return { text: body.xmlText(), tree: serializeXml(body.xml(), body.xmlDeclaration) };
}

function assertSameBothWays<T>(memo: MemberMemo, view: View<T>, items: T[], v: ViewContext): string {
  const { text, tree } = renderBothWays(memo, view, items, v);
  assert.equal(text, tree);
  return text;
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXTS = ['web', 'a&b', "it's <odd>", 'ünï', 'x"y', ']]>', 'tab\tand\u0001ctl', ''];
const STATES = ['PENDING', 'RUNNING', 'STOPPED', 'STOPPING', 'FINISH', 'ERROR', undefined];

function randomInstance(next: () => number, n: number): Instance {
  const pick = <V>(values: readonly V[]): V => values[Math.floor(next() * values.length)]!;
  const maybe = <V>(value: V): V | undefined => (next() < 0.5 ? value : undefined);
  const instance: Instance = {
    id: `inst ${n % 7}/${pick(['a', 'b'])}`, publicAddresses: [], privateAddresses: [], storageVolumes: [],
    canCreateImage: next() < 0.5,
  };
  // Optional fields: present with a value, or absent (never set to undefined: those items skip the memo, tested below).
  const name = maybe(pick(TEXTS));
  if (name !== undefined) instance.name = name;
  const state = pick(STATES);
  if (state !== undefined) instance.state = state;
  if (next() < 0.5) instance.hardwareProfileId = pick(['m1-small', 'm1-large']);
  if (next() < 0.3) instance.profileOverrides = next() < 0.5 ? { cpu: '2', memory: pick(TEXTS) } : { storage: '10', custom: pick(TEXTS) };
  if (next() < 0.2) instance.actions = next() < 0.5 ? ['reboot'] : [];
  if (next() < 0.5) instance.password = pick(TEXTS);
  if (next() < 0.3) instance.authError = pick(TEXTS);
  if (next() < 0.3) instance.firewallIds = [pick(TEXTS), 'fw-1'];
  for (let k = Math.floor(next() * 3); k > 0; k--) instance.publicAddresses.push({ address: pick(['10.0.0.1', '', 'host.example']), type: pick(['ipv4', 'hostname'] as const) });
  if (next() < 0.3) instance.storageVolumes.push({ id: pick(TEXTS), device: maybe('/dev/sdb') ?? '' });
  return instance;
}

test('lists written from remembered members equal the serialised tree, on misses and hits, across drivers and base URLs', () => {
  const memo = new MemberMemo();
  const next = random(11);
  const contexts = [
    new ViewContext('http://localhost:3001/api', fullDriver),
    new ViewContext('http://localhost:3001/api', smallDriver),
    new ViewContext('https://other.example/api;driver=fake', fullDriver),
  ];
  const pool = Array.from({ length: 120 }, (_, n) => randomInstance(next, n));
  for (let round = 0; round < 200; round++) {
    const items = pool.filter(() => next() < 0.1);
    // Fresh copies, as a driver returns them: equal content, new objects.
    assertSameBothWays(memo, instanceView, structuredClone(items), contexts[round % contexts.length]!);
  }
  assert.ok(memo.size.entries > 0, 'the memo holds members after the rounds');
  // The same lists with the memo off give the same bytes again.
  assert.ok(memo.size.contexts === contexts.length, 'one context per driver and base URL');
  const off = new MemberMemo(0);
  for (const v of contexts) assert.equal(renderBothWays(off, instanceView, pool, v).text, renderBothWays(memo, instanceView, structuredClone(pool), v).tree);
  assert.equal(off.size.entries, 0);
});

test('an empty list and a reordered list (hardware profiles) come out as the tree does', () => {
  const memo = new MemberMemo();
  const v = new ViewContext('http://h/api', fullDriver);
  assert.equal(assertSameBothWays(memo, instanceView, [], v), "<?xml version='1.0' encoding='utf-8' ?>\n<instances />\n");
  const profiles: HardwareProfile[] = [
    { id: 'opaque', properties: [] },
    { id: 'large', properties: [{ name: 'cpu', kind: 'fixed', value: 4 }, { name: 'memory', kind: 'fixed', value: 8192 }] },
    { id: 'small', properties: [{ name: 'cpu', kind: 'fixed', value: 1 }, { name: 'memory', kind: 'range', value: 512, first: 256, last: 1024 }] },
  ];
  const text = assertSameBothWays(memo, hardwareProfileView, profiles, v);
  assert.ok(text.indexOf("id='small'") < text.indexOf("id='large'") && text.indexOf("id='large'") < text.indexOf("id='opaque'"), 'sorted by size, opaque last');
  assert.equal(assertSameBothWays(memo, hardwareProfileView, structuredClone(profiles), v), text);
});

test('a member that differs in one nested field, in null against absent, in base or in driver renders afresh', () => {
  const memo = new MemberMemo();
  // Each list twice (fresh copies the second time): the second rendering comes from the memo.
  const twice = (items: Instance[], v: ViewContext) => {
    const first = assertSameBothWays(memo, instanceView, items, v);
    assert.equal(assertSameBothWays(memo, instanceView, structuredClone(items), v), first);
    return first;
  };
  const base: Instance = { id: 'i-1', state: 'RUNNING', publicAddresses: [{ address: '10.0.0.1', type: 'ipv4' }], privateAddresses: [], storageVolumes: [], canCreateImage: true };
  const v = new ViewContext('http://h/api', fullDriver);
  const first = twice([base], v);
  const nested = structuredClone(base);
  nested.publicAddresses[0]!.address = '10.0.0.2';
  const changed = twice([nested], v);
  assert.notEqual(changed, first);
  assert.match(changed, /10\.0\.0\.2/);
  // null where the model has an optional field (a driver's JSON may carry it) against the field absent.
  const withNull: Instance = JSON.parse('{"id":"i-1","state":"RUNNING","name":null,"publicAddresses":[],"privateAddresses":[],"storageVolumes":[],"canCreateImage":true}');
  const withoutName: Instance = JSON.parse('{"id":"i-1","state":"RUNNING","publicAddresses":[],"privateAddresses":[],"storageVolumes":[],"canCreateImage":true}');
  twice([withNull], v);
  twice([withoutName], v);
  twice([withNull, withoutName], v);
  const otherBase = twice([base], new ViewContext('http://other/api', fullDriver));
  assert.notEqual(otherBase, first);
  const otherDriver = twice([base], new ViewContext('http://h/api', smallDriver));
  assert.notEqual(otherDriver, first);
  assert.ok(first.includes("rel='stop'") && !otherDriver.includes("rel='stop'"), 'the stop link follows the driver capability');
  // And the first rendering is still what the memo answers for the first inputs.
  assert.equal(twice([structuredClone(base)], v), first);
});

test('items JSON cannot tell apart get no key (rendered every time); undefined properties are part of the key', () => {
  for (const value of [new Date(0), Buffer.from('x'), NaN, Infinity, -0, undefined, () => 1, 1n, Symbol('s'), [1, , 2], [undefined], { nested: { at: new Date(0) } }, new (class Thing { x = 1 })(), new Map()]) {
    assert.equal(memberKey(value), undefined, `${typeof value} ${Object.prototype.toString.call(value)} has no key`);
  }
  for (const value of [null, 0, 1.5, -3, 'text', true, [], {}, Object.create(null), { a: [1, 'b', null, { c: false }] }]) assert.equal(memberKey(value), JSON.stringify(value));
  // JSON drops properties set to undefined; the keys still tell these apart (the name and the place of each).
  const lookAlikes = [{}, { a: undefined }, { b: undefined }, { a: undefined, b: 1 }, { b: 1, a: undefined }, { x: { a: 1, u: undefined }, y: 2 }, { x: { a: 1 }, u: undefined, y: 2 }, { x: { a: 1 }, y: 2, u: undefined }];
  const keys = lookAlikes.map(memberKey);
  assert.equal(new Set(keys).size, lookAlikes.length, keys.join(' | '));
  assert.equal(memberKey({ a: undefined, b: 1 }), keys[3], 'equal items, equal keys');

  const memo = new MemberMemo();
  const v = new ViewContext('http://h/api', fullDriver);
  // Overrides outside the usual four are listed by their keys: `{custom: undefined}` renders otherwise than `{}`.
  const absent: Instance = { id: 'i-1', hardwareProfileId: 'm1-small', profileOverrides: {}, publicAddresses: [], privateAddresses: [], storageVolumes: [], canCreateImage: false };
  const overrides: Record<string, string> = {};
  Object.defineProperty(overrides, 'custom', { value: undefined, enumerable: true });
  const undefinedValue: Instance = { ...absent, profileOverrides: overrides };
  // Each twice: a member is remembered the second time it is seen.
  const withAbsent = assertSameBothWays(memo, instanceView, [absent], v);
  assert.equal(assertSameBothWays(memo, instanceView, [absent], v), withAbsent);
  const withUndefined = assertSameBothWays(memo, instanceView, [undefinedValue], v);
  assert.equal(memo.size.entries, 1, 'seen once: not remembered yet');
  assert.equal(assertSameBothWays(memo, instanceView, [undefinedValue], v), withUndefined);
  assert.notEqual(withUndefined, withAbsent);
  assert.equal(memo.size.entries, 2);
  // A Date where the model has a string: rendered every time, never from the memo.
  const launched = { ...absent, launchTime: '1970-01-01T00:00:00.000Z' };
  const dated = Object.assign(structuredClone(absent), { launchTime: new Date(0) });
  for (let n = 0; n < 2; n++) assertSameBothWays(memo, instanceView, [launched, dated], v);
  assert.equal(memo.size.entries, 3);
});

test('a member is remembered from its second sighting; members that change on every poll are never kept and soon not even looked up', () => {
  const memo = new MemberMemo();
  const v = new ViewContext('http://h/api', fullDriver);
  const next = random(7);
  for (let n = 0; n < 800; n++) assertSameBothWays(memo, instanceView, [{ ...randomInstance(next, n), name: `poll ${n}` }], v);
  assert.equal(memo.size.entries, 0);
  // Nothing hit: most of those lists did not look their members up (their keys cost more than they save).
  assert.ok(memo.size.lookups < 800 / 4, `${memo.size.lookups} lookups for 800 lists of one changing member`);
  // A polled list is still picked up (by a probing list), and once lookups hit, every list looks up again.
  const polled = [randomInstance(next, 1), randomInstance(next, 2)];
  let lists = 0;
  while (memo.size.entries < 2 && lists < 100) {
    assertSameBothWays(memo, instanceView, structuredClone(polled), v);
    lists++;
  }
  assert.equal(memo.size.entries, 2, `remembered after ${lists} lists`);
  for (let n = 0; n < 30; n++) assertSameBothWays(memo, instanceView, structuredClone(polled), v);
  const lookups = memo.size.lookups;
  for (let n = 0; n < 10; n++) assertSameBothWays(memo, instanceView, structuredClone(polled), v);
  assert.equal(memo.size.lookups - lookups, 20, 'hits made every list look its members up again');
});

test('the memo stays within its byte limit, dropping the least recently used member first', () => {
  const limit = 512 * 1024;
  const memo = new MemberMemo(limit);
  const v = new ViewContext('http://h/api', fullDriver);
  const next = random(5);
  const kept: Instance = { id: 'kept', publicAddresses: [], privateAddresses: [], storageVolumes: [], canCreateImage: false };
  for (let n = 0; n < 400; n++) {
    const polled = randomInstance(next, n + 1000);
    assertSameBothWays(memo, instanceView, [kept, polled], v);
    assertSameBothWays(memo, instanceView, [kept, structuredClone(polled)], v);
    assert.ok(memo.size.bytes <= limit, `${memo.size.bytes} bytes within ${limit}`);
  }
  assert.ok(memo.size.entries > 10 && memo.size.entries < 400, `${memo.size.entries} members remembered`);
  // `kept` was used in every round, so it is still there: a new copy of it adds nothing.
  const before = memo.size.entries;
  assertSameBothWays(memo, instanceView, [structuredClone(kept)], v);
  assert.equal(memo.size.entries, before);
});
