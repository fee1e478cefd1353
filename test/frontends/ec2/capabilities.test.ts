// The EC2 front end over a driver that lacks capabilities and fails in the
// ways back ends fail (in-process Fastify, the real SDK as client); and the
// in-memory ClientToken store and paging tokens on their own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreateVolumeCommand, DescribeAvailabilityZonesCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeKeyPairsCommand,
  EC2Client, RunInstancesCommand, TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Driver, DriverDeclaration } from '../../../src/core/driver.js';
import { ProviderError } from '../../../src/core/errors.js';
import { loadCredentialStore } from '../../../src/frontends/ec2/credentials.js';
import { ClientTokens } from '../../../src/frontends/ec2/memory.js';
import { paginate } from '../../../src/frontends/ec2/params.js';
import { registerEc2 } from '../../../src/frontends/ec2/plugin.js';
import { ec2Client, rejectsWith } from './helpers.js';

const declaration: DriverDeclaration = { id: 'bare', name: 'Bare', features: {}, reach: 'remote' };

/** Realms work; instances can be listed but not created; other calls fail as back ends do. */
const bare: Driver = {
  declaration,
  realms: async () => [{ id: 'zone-a', state: 'AVAILABLE' }, { id: 'zone-b', state: 'DOWN' }],
  instances: async () => {
    throw new Error('socket hang up at 10.1.2.3 with password hunter2');
  },
  images: async (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
  keys: async () => {
    throw new ProviderError('The back end is having a bad day');
  },
};

let app: FastifyInstance;
let ec2: EC2Client;

before(async () => {
  app = Fastify({ logger: false });
  await registerEc2(app, {
    drivers: { declarations: () => [declaration], get: async (id) => (id === 'bare' ? bare : undefined) },
    defaultDriver: 'bare',
    timeoutMs: 300,
    credentials: loadCredentialStore({ credentials: { AKIDBARE: { secret: 'bare-secret', driver: 'bare' } } }, {}, 'bare', ['bare']),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  ec2 = ec2Client(port, { credentials: { accessKeyId: 'AKIDBARE', secretAccessKey: 'bare-secret' } });
});
after(async () => {
  ec2?.destroy();
  await app?.close();
});

test('actions the driver has work; zone states map to available/unavailable', async () => {
  const { AvailabilityZones } = await ec2.send(new DescribeAvailabilityZonesCommand({}));
  assert.deepEqual(AvailabilityZones?.map((z) => [z.ZoneName, z.State]), [['zone-a', 'available'], ['zone-b', 'unavailable']]);
});

test('UnsupportedOperation when the driver lacks the capability', async () => {
  const e = await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: 'x', MinCount: 1, MaxCount: 1 })), 'UnsupportedOperation', 400);
  assert.match(e.message, /create_instance/);
  assert.match(e.message, /'bare' driver/);
  await rejectsWith(ec2.send(new CreateVolumeCommand({ Size: 1, AvailabilityZone: 'zone-a' })), 'UnsupportedOperation', 400);
  await rejectsWith(ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-1'] })), 'UnsupportedOperation', 400);
});

test('an unexpected driver failure is InternalError (500) and reveals nothing of it', async () => {
  const e = await rejectsWith(ec2.send(new DescribeInstancesCommand({})), 'InternalError', 500);
  assert.doesNotMatch(e.message, /hunter2|10\.1\.2\.3/);
});

test('a back end error is InternalError (500) with its message; a slow back end is Unavailable (503)', async () => {
  const e = await rejectsWith(ec2.send(new DescribeKeyPairsCommand({})), 'InternalError', 500);
  assert.match(e.message, /bad day/);
  await rejectsWith(ec2.send(new DescribeImagesCommand({})), 'Unavailable', 503);
});

test('ClientTokens: concurrent requests with one token run once; failures can be retried', async () => {
  const tokens = new ClientTokens();
  let runs = 0;
  const work = async () => {
    runs++;
    await new Promise((r) => setTimeout(r, 20));
    return `reservation-${runs}`;
  };
  const params = { ImageId: 'img1' };
  const [a, b] = await Promise.all([tokens.once('k', 't1', params, work), tokens.once('k', 't1', params, work)]);
  assert.equal(a, b);
  assert.equal(runs, 1);
  assert.equal(await tokens.once('other-account', 't1', params, work), 'reservation-2', 'tokens are per account');
  await assert.rejects(tokens.once('k', 't1', { ImageId: 'img2' }, work), /IdempotentParameterMismatch|different parameters/);
  await assert.rejects(tokens.once('k', 't2', params, async () => { throw new Error('launch failed'); }));
  assert.equal(await tokens.once('k', 't2', params, work), 'reservation-3', 'a failed run forgets its token');
  await assert.rejects(tokens.once('k', 'x'.repeat(65), params, work), /at most 64/);
});

test('paging tokens: pages cover the list; a token is bound to its query', () => {
  const items = Array.from({ length: 12 }, (_, n) => n);
  const params = { Action: 'DescribeThings', MaxResults: '5' };
  const first = paginate(items, params, 'DescribeThings');
  assert.deepEqual(first.page, [0, 1, 2, 3, 4]);
  const second = paginate(items, { ...params, NextToken: first.nextToken! }, 'DescribeThings');
  assert.deepEqual(second.page, [5, 6, 7, 8, 9]);
  const last = paginate(items, { ...params, NextToken: second.nextToken! }, 'DescribeThings');
  assert.deepEqual(last.page, [10, 11]);
  assert.equal(last.nextToken, undefined);
  assert.throws(() => paginate(items, { ...params, NextToken: first.nextToken!, 'Filter.1.Name': 'x' }, 'DescribeThings'), /pagination token/);
  assert.throws(() => paginate(items, { ...params, NextToken: 'garbage' }, 'DescribeThings'), /pagination token/);
  assert.deepEqual(paginate(items, {}, 'DescribeThings').page, items, 'no MaxResults: everything');
});
