// The Deltacloud front end calls drivers through the core call pipeline
// (in-process Fastify with a fake driver): a driver slower than the request
// timeout is a 504 whose driver signal is aborted; a read that fails
// transiently is repeated; a write is not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Driver, DriverDeclaration } from '../../../src/core/driver.js';
import { ProviderUnavailable } from '../../../src/core/errors.js';
import type { Realm } from '../../../src/core/model.js';
import { registerDeltacloud } from '../../../src/frontends/deltacloud/plugin.js';

const declaration: DriverDeclaration = { id: 'fake', name: 'Fake', features: {}, reach: 'remote' };
const signals: AbortSignal[] = [];
let keyCalls = 0;
let realmCalls = 0;

const driver: Driver = {
  declaration,
  // Never answers; remembers the signal it was given.
  images: (ctx) => {
    signals.push(ctx.signal);
    return new Promise(() => {});
  },
  // Busy once, then fine (a read).
  realms: async () => {
    if (++realmCalls === 1) throw new ProviderUnavailable('busy', 0);
    return [{ id: 'zone-a', state: 'AVAILABLE' } satisfies Realm];
  },
  keys: async () => [],
  // Always busy (a write).
  create_key: async () => {
    keyCalls++;
    throw new ProviderUnavailable('busy', 0);
  },
};

let app: FastifyInstance;

before(async () => {
  app = Fastify({ logger: false });
  await registerDeltacloud(app, {
    drivers: { declarations: () => [declaration], get: async (id) => (id === 'fake' ? driver : undefined) },
    defaultDriver: 'fake', timeoutMs: 300, serverHostname: 'test', bodyLimit: 1024 * 1024, maxUploadBytes: 1024 * 1024,
  });
  await app.ready();
});
after(async () => {
  await app?.close();
});

test('a driver slower than the request timeout → 504, and its signal aborts', async () => {
  const started = Date.now();
  const res = await app.inject({ method: 'GET', url: '/api/images', headers: { accept: 'application/json' } });
  assert.equal(res.statusCode, 504);
  assert.ok(Date.now() - started < 3000);
  assert.equal(signals.length, 1);
  assert.equal(signals[0]!.aborted, true);
});

test('a read failing transiently is repeated; a write is not', async () => {
  const realms = await app.inject({ method: 'GET', url: '/api/realms', headers: { accept: 'application/json' } });
  assert.equal(realms.statusCode, 200);
  assert.deepEqual(realms.json().realms.map((r: { id: string }) => r.id), ['zone-a']);
  assert.equal(realmCalls, 2);
  const created = await app.inject({
    method: 'POST', url: '/api/keys', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=k',
  });
  assert.equal(created.statusCode, 503);
  assert.equal(keyCalls, 1);
});
