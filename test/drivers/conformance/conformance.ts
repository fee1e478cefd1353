// The driver conformance suite: one set of behavioural tests of the Driver
// contract (src/core/driver.ts), run against every driver through the real
// server over HTTP. A driver joins with one file that calls
// `describeConformance({...})` with how to start a server on it.
//
// What every driver must do (API spec §8, §10, §11):
//   * entry point honesty: every advertised collection lists (200, XML and
//     JSON); a collection or create operation the driver lacks answers 412
//     (`Expect: <capability>`) or 501 (back end without the service); an
//     offered create works;
//   * filters: the same semantics everywhere (core/filters.ts): `?f=` is no
//     filter, an unknown value gives an empty list, a known one exactly the
//     matching members;
//   * show of a missing id → 404 in every collection;
//   * the instance state machine: action links only where the state allows
//     them, an action in the wrong state → 405, stop → STOPPED, start → RUNNING;
//   * error documents in XML and JSON, and the password sent never in any response.
//
// Where a back end really differs, the target says so in `expect`, with the
// reason; nothing is skipped silently.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { COLLECTIONS } from '../../../src/core/driver.js';
import { filterNames, type FilteredCollection } from '../../../src/core/filters.js';
import { assertJsonError, assertNoLeak, assertXmlError, ERROR_CLASS, JSON_TYPE, req, XML, type ReqOptions, type Res } from '../../helpers/api.js';
import type { TestServer } from '../../helpers/server.js';

export interface ConformanceTarget {
  /** e.g. `mock`, `libvirt test:///default`. */
  name: string;
  /** Why the back end is not here (undefined: it is). Absent under CI is a failure. */
  unavailable?: () => Promise<string | undefined>;
  start(): Promise<TestServer>;
  /** Cleanup beyond stopping the server. */
  stop?(): Promise<void>;
  /** Basic credentials, and the password inside them (never to be seen in a response). */
  user: string;
  password: string;
  /** What the error documents name as back end. */
  driver: string;
  provider: string;
  fixtures?: {
    /** Image and profile for creating an instance (default: the first listed). */
    imageId?: string;
    profileId?: string;
    /** Extra create parameters (e.g. `hwp_memory` for a small guest). */
    instanceParams?: Record<string, string>;
    /**
     * The create request of a collection, instead of the suite's own (`conf-<unique>` names): for a back end
     * replaying published examples, whose answers name the examples' resources whatever was asked.
     */
    createParams?: Partial<Record<FilteredCollection, Record<string, string>>>;
  };
  /** Explicit, commented divergences of this back end. */
  expect?: {
    /** Offered create operations not exercised here, with the reason. */
    createNotExercised?: Partial<Record<string, string>>;
    /** Instance life cycle not exercised, with the reason. */
    lifecycleNotExercised?: string;
    /** Collections the driver advertises but this back end does not implement (they answer 501), with the reason. */
    backendLacks?: Partial<Record<string, string>>;
    /** Collections not at the entry point that still answer 200, with the reason. */
    answersUnadvertised?: Partial<Record<string, string>>;
    /** Per state transition time allowed (default 30 s). */
    transitionTimeoutMs?: number;
  };
}

type Members = Array<Record<string, any>>;

/** Collections with a create operation: its capability and a request that creates a throw-away member. */
const CREATES: Partial<Record<FilteredCollection, { capability: string; params?: (unique: string) => Record<string, string> }>> = {
  keys: { capability: 'create_key', params: (u) => ({ name: `conf-${u}` }) },
  buckets: { capability: 'create_bucket', params: (u) => ({ name: `conf-${u}` }) },
  storage_volumes: { capability: 'create_storage_volume', params: (u) => ({ capacity: '1', name: `conf-${u}` }) },
  addresses: { capability: 'create_address', params: () => ({}) },
  firewalls: { capability: 'create_firewall', params: (u) => ({ name: `conf-${u}`, description: 'conformance' }) },
  networks: { capability: 'create_network', params: () => ({ address_block: '10.250.0.0/16' }) },
  // Created from other members; the instance life cycle exercises create_instance.
  instances: { capability: 'create_instance' },
  images: { capability: 'create_image' },
  storage_snapshots: { capability: 'create_storage_snapshot' },
  load_balancers: { capability: 'create_load_balancer' },
  subnets: { capability: 'create_subnet' },
  network_interfaces: { capability: 'create_network_interface' },
};

const LIFECYCLE_ACTIONS = ['start', 'stop', 'reboot', 'destroy'] as const;

function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

const ids = (members: Members) => members.map((m) => String(m.id)).sort();

/** `check`, redone up to `attempts` times while it fails; the last failure is thrown. */
async function retried(attempts: number, check: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}

/** Runs the checks of several collections concurrently (slow back ends answer one request at a time per connection). */
async function eachAtOnce<T>(items: T[], check: (item: T) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(items.map(check));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export function describeConformance(target: ConformanceTarget): void {
  let server: TestServer;
  let reason: string | undefined;
  const auth = basic(target.user, target.password);
  const secrets = [target.password, auth.slice('Basic '.length)];
  const unique = `${process.pid.toString(36)}${Date.now().toString(36)}`;

  /** One request; every response is checked for leaks of the password sent. */
  async function call(method: string, path: string, opts: ReqOptions = {}): Promise<Res> {
    const res = await req(server, method, path, { auth, accept: JSON_TYPE, ...opts });
    assertNoLeak(res, secrets);
    return res;
  }
  async function list(collection: string, query = ''): Promise<Members> {
    const res = await call('GET', `/api/${collection}${query}`);
    assert.equal(res.status, 200, `GET /api/${collection}${query}: ${res.text.slice(0, 300)}`);
    return res.json()[collection];
  }
  async function assertError(method: string, path: string, status: number, opts: ReqOptions = {}): Promise<void> {
    const e = { status, driver: target.driver, provider: target.provider, secrets };
    assertXmlError(await call(method, path, { ...opts, accept: XML }), e);
    assertJsonError(await call(method, path, { ...opts, accept: JSON_TYPE }), { error: ERROR_CLASS[status], ...e });
  }
  let advertised: string[] = [];
  /** Advertised, but the back end answers 501 (target.expect.backendLacks). */
  let lacking: string[] = [];

  describe(`driver conformance: ${target.name}`, () => {
    before(async () => {
      reason = target.unavailable ? await target.unavailable() : undefined;
      if (reason) {
        if (process.env.CI) throw new Error(`CI: the ${target.name} back end is missing: ${reason}`);
        console.warn(`\n${'*'.repeat(90)}\n*** SKIPPING driver conformance on ${target.name}: ${reason}\n${'*'.repeat(90)}\n`);
        return;
      }
      server = await target.start();
      const entry = await call('GET', '/api');
      assert.equal(entry.status, 200, entry.text);
      advertised = entry.json().api.links.map((l: { rel: string }) => l.rel);
      assert.deepEqual([entry.json().api.driver, entry.json().api.provider], [target.driver, target.provider], 'the server runs the target');
      lacking = advertised.filter((c) => target.expect?.backendLacks?.[c]);
      advertised = advertised.filter((c) => !lacking.includes(c));
    });
    after(async () => {
      await server?.stop();
      await target.stop?.();
    });

    /** Skips (loudly, see before) when the back end is missing. */
    const it = (name: string, fn: (t: TestContext) => Promise<void>) =>
      test(name, { timeout: 10 * 60_000 }, async (t) => {
        if (reason) return t.skip(`back end missing: ${reason}`);
        await fn(t);
      });

    it('entry point: every advertised collection lists with 200, in XML and in JSON', async () => {
      assert.ok(advertised.includes('drivers'));
      await eachAtOnce(advertised, async (collection) => {
        const xml = await call('GET', `/api/${collection}`, { accept: XML });
        assert.equal(xml.status, 200, `${collection} (XML): ${xml.text.slice(0, 300)}`);
        const json = await call('GET', `/api/${collection}`);
        assert.equal(json.status, 200, `${collection} (JSON): ${json.text.slice(0, 300)}`);
        if (collection !== 'instance_states' && collection !== 'drivers') assert.ok(Array.isArray(json.json()[collection]), `${collection}: a list`);
      });
    });

    it('a collection the back end lacks answers 501 on list and show (explicit per target)', async (t) => {
      for (const collection of lacking) {
        t.diagnostic(`${collection}: advertised, but ${target.expect!.backendLacks![collection]}`);
        await assertError('GET', `/api/${collection}`, 501);
        await assertError('GET', `/api/${collection}/conformance-no-such-id`, 501);
      }
    });

    it('a collection the driver does not offer answers 412 (Expect: the collection) or 501', async (t) => {
      for (const collection of COLLECTIONS.filter((c) => !advertised.includes(c) && !lacking.includes(c))) {
        const res = await call('GET', `/api/${collection}`);
        const answers = target.expect?.answersUnadvertised?.[collection];
        if (answers) {
          assert.equal(res.status, 200, `${collection}: expected to answer (${answers})`);
          t.diagnostic(`${collection}: not advertised, answers 200: ${answers}`);
          continue;
        }
        assert.ok(res.status === 412 || res.status === 501, `${collection}: ${res.status}`);
        if (res.status === 412) assert.equal(res.headers.expect, collection);
        await assertError('GET', `/api/${collection}`, res.status);
      }
    });

    it('create: a capability the driver lacks answers 412 (Expect: it) or 501; an offered one creates, shows and destroys', async (t) => {
      for (const [collection, create] of Object.entries(CREATES)) {
        const probe = await call('POST', `/api/${collection}`, { body: {} });
        if (probe.status === 412 || probe.status === 501) {
          if (probe.status === 412) assert.equal(probe.headers.expect, create.capability, collection);
          continue;
        }
        if (!advertised.includes(collection)) {
          // The driver has the operation but this back end lacks the service (e.g. an OpenStack catalogue
          // without Nova): parameters are checked first (request processing order, API spec §2), then the back end answers 501.
          if (create.params) await assertError('POST', `/api/${collection}`, 501, { body: create.params(unique) });
          else assert.equal(probe.status, 400, `${create.capability} without parameters: ${probe.text.slice(0, 300)}`);
          continue;
        }
        const notExercised = target.expect?.createNotExercised?.[collection];
        if (!create.params || notExercised) {
          t.diagnostic(`${create.capability}: offered; ${notExercised ?? 'created from other members, not exercised here'}`);
          continue;
        }
        const created = await call('POST', `/api/${collection}`, { body: target.fixtures?.createParams?.[collection as FilteredCollection] ?? create.params(unique) });
        assert.ok(created.status === 201 || created.status === 200, `${create.capability}: ${created.status} ${created.text.slice(0, 300)}`);
        const member = Object.values(created.json())[0] as { id: string };
        const path = `/api/${collection}/${encodeURIComponent(member.id)}`;
        try {
          assert.equal((await call('GET', path)).status, 200, `show of the created ${collection} member`);
          assert.deepEqual(ids(await list(collection, `?id=${encodeURIComponent(member.id)}`)), [member.id]);
        } finally {
          const destroyed = await call('DELETE', path);
          assert.equal(destroyed.status, 204, `destroy ${path}: ${destroyed.text.slice(0, 300)}`);
        }
        await assertError('GET', path, 404);
      }
    });

    it('filters: `?f=` is no filter, an unknown value matches nothing, a known value exactly the matching members', async () => {
      const filtered = advertised.filter((c) => c in CREATES || ['realms', 'hardware_profiles', 'metrics'].includes(c));
      // Live back ends are shared (other suites create and delete buckets meanwhile): a check that fails
      // is redone on a fresh listing, and only a failure on every attempt counts.
      await eachAtOnce(filtered, (collection) => retried(3, async () => {
        const all = await list(collection);
        for (const name of filterNames(collection as FilteredCollection)) {
          assert.deepEqual(ids(await list(collection, `?${name}=`)), ids(all), `${collection}?${name}= is no filter`);
          assert.deepEqual(await list(collection, `?${name}=conformance-no-such-value`), [], `${collection}?${name}=<unknown>`);
        }
        const first = all[0];
        if (!first) return;
        assert.deepEqual(ids(await list(collection, `?id=${encodeURIComponent(first.id)}`)), [String(first.id)], `${collection}?id=`);
        const fields: Record<string, (m: Record<string, any>) => string | undefined> = {
          state: (m) => m.state,
          realm_id: (m) => m.realm?.id,
          architecture: (m) => m.architecture,
          owner_id: (m) => m.owner,
        };
        for (const name of filterNames(collection as FilteredCollection)) {
          const field = fields[name];
          const value = field?.(first);
          // (An unknown value renders as null; hardware profiles' architecture is a property, checked by the core's tests.)
          if (!field || typeof value !== 'string' || collection === 'hardware_profiles') continue;
          const expected = ids(all.filter((m) => field(m) === value));
          assert.deepEqual(ids(await list(collection, `?${name}=${encodeURIComponent(value)}`)), expected, `${collection}?${name}=${value}`);
          // Exact matches everywhere: no driver may fold case (`?state=running` is not RUNNING).
          if (value.toLowerCase() !== value) assert.deepEqual(await list(collection, `?${name}=${encodeURIComponent(value.toLowerCase())}`), [], `${collection}?${name}=${value.toLowerCase()}`);
        }
      }));
    });

    it('show of a missing id answers 404 in every collection, in XML and JSON', async () => {
      await eachAtOnce(advertised.filter((c) => c !== 'instance_states'), (collection) => assertError('GET', `/api/${collection}/conformance-no-such-id`, 404));
    });

    it('errors: wrong credentials → 401 in XML and JSON, echoing neither the password sent nor the real one', async () => {
      const wrongPassword = `not-${target.password}-x`;
      const wrong = { auth: basic(target.user, wrongPassword) };
      const collection = advertised.find((c) => ['instances', 'keys', 'buckets', 'images', 'realms'].includes(c));
      assert.ok(collection, 'a collection that needs credentials');
      for (const accept of [XML, JSON_TYPE]) {
        const res = await call('GET', `/api/${collection}?force_auth=1`, { ...wrong, accept });
        assert.equal(res.status, 401, `${collection}: ${res.text.slice(0, 200)}`);
        assertNoLeak(res, [wrongPassword, ...secrets]);
      }
      const xml = await call('GET', `/api/${collection}`, { ...wrong, accept: XML });
      assertXmlError(xml, { status: 401, driver: target.driver, provider: target.provider, secrets: [wrongPassword, ...secrets] });
      const json = await call('GET', `/api/${collection}`, { ...wrong, accept: JSON_TYPE });
      assertJsonError(json, { status: 401, error: ERROR_CLASS[401], secrets: [wrongPassword, ...secrets] });
    });

    it('instance life cycle: actions offered only in states that allow them, wrong state → 405, stop → STOPPED, start → RUNNING', async (t) => {
      if (!advertised.includes('instances')) {
        t.diagnostic('no instances on this back end (the create test checks that creating one is refused)');
        return;
      }
      const probe = await call('POST', '/api/instances', { body: {} });
      if (probe.status === 412 || probe.status === 501) return;
      if (target.expect?.lifecycleNotExercised) {
        t.diagnostic(`instance life cycle not exercised: ${target.expect.lifecycleNotExercised}`);
        return;
      }
      const machine: Array<{ name: string; transitions: Array<{ to: string; action?: string }> }> = (await call('GET', '/api/instance_states')).json();
      const allowed = (state: string) => new Set(
        (machine.find((s) => s.name === state.toLowerCase())?.transitions ?? []).map((tr) => tr.action).filter((a): a is string => a !== undefined),
      );
      const imageId = target.fixtures?.imageId ?? (await list('images'))[0]?.id;
      assert.ok(imageId, 'an image to create an instance from');
      const created = await call('POST', '/api/instances', {
        body: { image_id: imageId, ...(target.fixtures?.profileId ? { hwp_id: target.fixtures.profileId } : {}), ...target.fixtures?.instanceParams },
      });
      assert.equal(created.status, 201, created.text.slice(0, 500));
      const id: string = created.json().instance.id;
      const path = `/api/instances/${encodeURIComponent(id)}`;
      const timeout = target.expect?.transitionTimeoutMs ?? 30_000;
      const show = async () => (await call('GET', path)).json().instance as { state: string; actions: Array<{ rel: string }> };
      async function reach(state: string): Promise<{ state: string; actions: Array<{ rel: string }> }> {
        const until = Date.now() + timeout;
        for (;;) {
          const instance = await show();
          if (instance.state === state) return instance;
          assert.ok(Date.now() < until, `instance ${id} did not reach ${state} (still ${instance.state})`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      /** The life-cycle links of an instance must be transitions the state machine allows now; the others answer 405. */
      async function checkActions(instance: { state: string; actions: Array<{ rel: string }> }): Promise<void> {
        const offered = instance.actions.map((a) => a.rel).filter((rel) => (LIFECYCLE_ACTIONS as readonly string[]).includes(rel));
        const permitted = allowed(instance.state);
        for (const action of offered) assert.ok(permitted.has(action), `${action} offered in ${instance.state}`);
        for (const action of ['start', 'stop', 'reboot'].filter((a) => !offered.includes(a))) {
          await assertError('POST', `${path}/${action}`, 405);
        }
        if (!offered.includes('destroy')) await assertError('DELETE', path, 405);
      }
      let gone = false;
      try {
        const running = await reach('RUNNING');
        await checkActions(running);
        assert.ok(running.actions.some((a) => a.rel === 'stop'), 'a running instance can be stopped');
        const stopping = await call('POST', `${path}/stop`);
        assert.equal(stopping.status, 202, stopping.text.slice(0, 300));
        const stopped = await reach('STOPPED');
        await checkActions(stopped);
        const starting = await call('POST', `${path}/start`);
        assert.equal(starting.status, 202, starting.text.slice(0, 300));
        const restarted = await reach('RUNNING');
        await checkActions(restarted);
        // Destroy from where the driver allows it (saves a second graceful stop on slow back ends).
        if (!restarted.actions.some((a) => a.rel === 'destroy')) {
          assert.equal((await call('POST', `${path}/stop`)).status, 202);
          await reach('STOPPED');
        }
        const destroyed = await call('DELETE', path);
        assert.equal(destroyed.status, 204, destroyed.text.slice(0, 300));
        gone = true;
      } finally {
        // Whatever a failure left: destroy it, stopping first where the state requires.
        if (!gone && (await call('DELETE', path)).status === 405) {
          await call('POST', `${path}/stop`);
          await reach('STOPPED').catch(() => undefined);
          await call('DELETE', path);
        }
      }
      const after = await call('GET', path);
      assert.ok(after.status === 404 || after.json().instance?.state === 'FINISH', `destroyed instance: ${after.status}`);
    });
  });
}
