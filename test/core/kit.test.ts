// Unit tests of the driver kit (src/core/kit/): the call pipeline's deadline,
// retry and log line, the failure classifier, the provider allow-list and the
// option reader. Drivers here are small fakes; no HTTP.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RequestContext, type CallLog, type Driver, type DriverDeclaration } from '../../src/core/driver.js';
import { DeltacloudError, NotFound, ProviderError, ProviderTimeout, ProviderUnavailable, ValidationFailure } from '../../src/core/errors.js';
import { CAPABILITY_KIND, INSTANCE_ACTION_CAPABILITY } from '../../src/core/kit/capabilities.js';
import { errorForHttp, statusForHttp, transportError } from '../../src/core/kit/classify.js';
import { OptionError, OptionReader } from '../../src/core/kit/options.js';
import { backoffMs, call, createCall, DEFAULT_RETRY, type RetryPolicy } from '../../src/core/kit/pipeline.js';
import { allowProvider } from '../../src/core/kit/providers.js';
import { redactArgs, redactUrl } from '../../src/core/kit/redact.js';
import type { Instance, Realm } from '../../src/core/model.js';

const declaration: DriverDeclaration = { id: 'fake', name: 'Fake', features: {}, reach: 'remote' };
const ctx = (timeoutMs?: number, log?: CallLog) => new RequestContext(undefined, undefined, undefined, {}, { timeoutMs, log });

/** A retry policy without waiting, whose random draws are recorded. */
function instantPolicy(maxAttempts = 3): RetryPolicy & { draws: number } {
  const policy = { ...DEFAULT_RETRY, maxAttempts, baseDelayMs: 1, maxDelayMs: 8, draws: 0, random: () => { policy.draws++; return 0.5; } };
  return policy;
}

/** A driver whose `realms` (a read) and `start_instance` (a write) fail with `failures` in turn, then succeed. */
function flakyDriver(failures: unknown[]) {
  const calls = { realms: 0, start_instance: 0 };
  const next = () => {
    const failure = failures.shift();
    if (failure !== undefined) throw failure;
  };
  const driver: Driver = {
    declaration,
    realms: async () => {
      calls.realms++;
      next();
      return [{ id: 'r1', state: 'AVAILABLE' }];
    },
    start_instance: async (_ctx, id) => {
      calls.start_instance++;
      next();
      return { id, state: 'RUNNING' } as Instance;
    },
  };
  return { driver, calls };
}

const unavailable = () => errorForHttp(503, 'busy', 0);

describe('call pipeline: deadline', () => {
  test('a driver slower than the deadline → 504, and the signal it was given aborts', async () => {
    let seen: AbortSignal | undefined;
    const driver: Driver = {
      declaration,
      realms: (c) => {
        seen = c.signal;
        return new Promise<Realm[]>(() => {}); // never answers
      },
    };
    const started = performance.now();
    await assert.rejects(call(driver, 'realms', ctx(150), {}), (e: unknown) => e instanceof ProviderTimeout && e.status === 504);
    const took = performance.now() - started;
    assert.ok(took >= 140 && took < 1000, `gave up after ${took} ms`);
    assert.equal(seen?.aborted, true, 'the driver\'s signal aborted');
  });

  test('a driver failing because its signal aborted at the deadline is a 504, not its own error', async () => {
    const driver: Driver = {
      declaration,
      realms: (c) => new Promise<Realm[]>((_ok, fail) => c.signal.addEventListener('abort', () => fail(new Error('aborted')))),
    };
    await assert.rejects(call(driver, 'realms', ctx(100), {}), ProviderTimeout);
  });

  test('the deadline is the request\'s: a second call after it passed fails at once without reaching the driver', async () => {
    let calls = 0;
    const driver: Driver = { declaration, realms: async () => { calls++; return []; } };
    const c = ctx(30);
    await new Promise((ok) => setTimeout(ok, 50));
    await assert.rejects(call(driver, 'realms', c, {}), ProviderTimeout);
    assert.equal(calls, 0);
  });

  test('without a deadline (streamed uploads) nothing times out', async () => {
    const driver: Driver = { declaration, realms: async () => new Promise<Realm[]>((ok) => setTimeout(() => ok([]), 50)) };
    assert.deepEqual(await call(driver, 'realms', ctx(undefined), {}), []);
  });

  test('a missing capability is a 412, never a TypeError', async () => {
    await assert.rejects(call({ declaration }, 'realms', ctx(1000), {}), (e: unknown) => e instanceof DeltacloudError && e.status === 412);
  });
});

describe('request signal', () => {
  test('outside any call, the deadline aborts it with a TimeoutError and the request counts as expired', async () => {
    const c = ctx(30);
    const signal = c.signal;
    assert.equal(signal, c.signal, 'one signal per request');
    // The deadline's timer does not keep a process alive (like AbortSignal.timeout's): this one does, and bounds the wait.
    let guard: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      guard = setTimeout(() => reject(new Error('the deadline did not abort the signal within 2 s')), 2000);
      signal.addEventListener('abort', () => resolve(), { once: true });
    }).finally(() => clearTimeout(guard));
    assert.ok(signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError', `reason: ${String(signal.reason)}`);
    assert.equal(c.expired(), true);
  });

  test('the given signal and the pipeline abort it with their reasons; without a deadline nothing else does', async () => {
    const client = new AbortController();
    const fromClient = new RequestContext(undefined, undefined, client.signal, {}, { timeoutMs: 60_000 });
    assert.equal(fromClient.signal.aborted, false);
    client.abort(new Error('client went away'));
    assert.equal(fromClient.signal.aborted, true);
    assert.equal(String(fromClient.signal.reason), 'Error: client went away');
    assert.equal(fromClient.expired(), false, 'a client abort is no deadline');

    const stopped = ctx(60_000);
    const signal = stopped.signal;
    stopped.abort(new ProviderTimeout());
    assert.ok(signal.reason instanceof ProviderTimeout);
    assert.equal(stopped.expired(), true);

    // The operator-authenticated copy follows the original's signal.
    const original = ctx(60_000);
    const copy = original.asOperatorAuthenticated();
    original.abort(new Error('stop'));
    assert.equal(copy.signal.aborted, true);

    const unbounded = ctx();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(unbounded.signal.aborted, false);
  });
});

describe('call pipeline: retries', () => {
  test('a read that fails transiently is repeated, with full-jitter waits, until it succeeds', async () => {
    const policy = instantPolicy();
    const { driver, calls } = flakyDriver([unavailable(), unavailable()]);
    assert.deepEqual(await createCall(policy)(driver, 'realms', ctx(5000), {}), [{ id: 'r1', state: 'AVAILABLE' }]);
    assert.equal(calls.realms, 3);
    assert.equal(policy.draws, 2, 'one random wait per retry');
  });

  test('attempts are bounded: the last failure is answered', async () => {
    const { driver, calls } = flakyDriver([unavailable(), unavailable(), unavailable(), unavailable()]);
    await assert.rejects(createCall(instantPolicy(3))(driver, 'realms', ctx(5000), {}), (e: unknown) => e instanceof DeltacloudError && e.status === 503);
    assert.equal(calls.realms, 3);
  });

  test('a write is never repeated', async () => {
    const { driver, calls } = flakyDriver([unavailable()]);
    await assert.rejects(createCall(instantPolicy())(driver, 'start_instance', ctx(5000), 'i-1'), ProviderUnavailable);
    assert.equal(calls.start_instance, 1);
  });

  test('a write the driver declares idempotent (client token) is repeated', async () => {
    const { driver, calls } = flakyDriver([unavailable()]);
    driver.idempotent = (capability, args) => capability === 'start_instance' && args[0] === 'i-token';
    assert.equal((await createCall(instantPolicy())(driver, 'start_instance', ctx(5000), 'i-token')).id, 'i-token');
    assert.equal(calls.start_instance, 2);
  });

  test('permanent errors, errors the driver\'s client already retried, and programming errors are not repeated', async () => {
    const retried = unavailable();
    retried.retried = true;
    for (const failure of [new NotFound(), new ValidationFailure(), retried, new TypeError('bug')]) {
      const { driver, calls } = flakyDriver([failure]);
      await assert.rejects(createCall(instantPolicy())(driver, 'realms', ctx(5000), {}), (e: unknown) => e === failure);
      assert.equal(calls.realms, 1, String(failure));
    }
  });

  test('no retry past the deadline: the wait must fit in the time left', async () => {
    const { driver, calls } = flakyDriver([unavailable(), unavailable()]);
    const slowPolicy = { ...DEFAULT_RETRY, baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 0.99 };
    await assert.rejects(createCall(slowPolicy)(driver, 'realms', ctx(500), {}), ProviderUnavailable);
    assert.equal(calls.realms, 1);
  });

  test('throttling that asks for a longer wait than the policy allows is passed on with its Retry-After', async () => {
    const { driver, calls } = flakyDriver([errorForHttp(429, 'slow down', 30)]);
    await assert.rejects(createCall(instantPolicy())(driver, 'realms', ctx(60_000), {}), (e: unknown) => e instanceof ProviderUnavailable && e.retryAfter === 30);
    assert.equal(calls.realms, 1);
  });

  test('a raw network failure leaking from a driver is classified (502) and retried on a read', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const { driver, calls } = flakyDriver([refused, refused, refused]);
    await assert.rejects(createCall(instantPolicy())(driver, 'realms', ctx(5000), {}), (e: unknown) => e instanceof ProviderError && /ECONNREFUSED/.test(e.message));
    assert.equal(calls.realms, 3);
  });

  test('full jitter: waits are uniform between 0 and the capped exponential', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffMs(1, { ...policy, random: () => 0 }), 0);
    assert.equal(backoffMs(1, { ...policy, random: () => 0.999 }), 99);
    assert.equal(backoffMs(3, { ...policy, random: () => 0.5 }), 200);
    assert.equal(backoffMs(10, { ...policy, random: () => 0.999 }), 999, 'capped');
  });
});

describe('call pipeline: log line', () => {
  test('one debug line per call, with attempts and outcome, and no secret of the arguments', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log: CallLog = { debug: (fields) => lines.push(fields as Record<string, unknown>) };
    const driver: Driver = { declaration, create_instance: async () => { throw new ValidationFailure('no'); } };
    await assert.rejects(call(driver, 'create_instance', ctx(1000, log), {
      imageId: 'img-1', profileOverrides: {}, firewallIds: [], params: {}, password: 'hunter2', userData: Buffer.from('secret-data'),
    }));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.capability, 'create_instance');
    assert.equal(lines[0]!.outcome, 'error');
    assert.equal(lines[0]!.status, 400);
    assert.equal(lines[0]!.attempts, 1);
    const text = JSON.stringify(lines);
    assert.match(text, /img-1/);
    assert.doesNotMatch(text, /hunter2|secret-data/);
  });
});

describe('classification', () => {
  test('HTTP statuses of back ends → API statuses', () => {
    const table: Array<[number, number | undefined, number]> = [
      [400, undefined, 400], [401, undefined, 401], [403, undefined, 403], [404, undefined, 404], [405, undefined, 405],
      [409, undefined, 409], [413, undefined, 413], [413, 3, 503], [422, undefined, 400], [429, undefined, 503],
      [500, undefined, 502], [501, undefined, 501], [502, undefined, 502], [503, undefined, 502], [503, 7, 503], [504, undefined, 504],
    ];
    for (const [http, retryAfter, status] of table) assert.equal(statusForHttp(http, retryAfter), status, `${http} (Retry-After ${retryAfter})`);
    assert.equal(errorForHttp(429, '', 7).retryAfter, 7);
    assert.equal(errorForHttp(500, 'x').transient, true);
    assert.equal(errorForHttp(404, 'x').transient, undefined);
  });

  test('network codes → 502 (transient), timeouts and aborts → 504, anything else untouched', () => {
    const wrapped = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
    const reset = transportError(wrapped, 'The compute service');
    assert.equal(reset?.status, 502);
    assert.equal(reset?.transient, true);
    assert.match(reset!.message, /compute service.*ECONNRESET/);
    assert.equal(transportError(Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), 'x')?.status, 504);
    assert.equal(transportError(new DOMException('timed out', 'TimeoutError'), 'x')?.status, 504);
    assert.equal(transportError(new DOMException('aborted', 'AbortError'), 'x')?.status, 504);
    assert.equal(transportError(new TypeError('x is undefined'), 'x'), undefined);
  });

  test('one action → capability table, and every capability says whether it only reads', () => {
    assert.deepEqual(INSTANCE_ACTION_CAPABILITY, { start: 'start_instance', stop: 'stop_instance', reboot: 'reboot_instance', destroy: 'destroy_instance' });
    assert.equal(CAPABILITY_KIND.instances, 'read');
    assert.equal(CAPABILITY_KIND.blob_data, 'read');
    assert.equal(CAPABILITY_KIND.create_instance, 'write');
    assert.equal(CAPABILITY_KIND.update_blob_metadata, 'write');
  });
});

describe('shared utilities', () => {
  test('allowProvider: one message naming the provider, with the driver\'s hint', () => {
    assert.equal(allowProvider('a', ['a', 'b']), 'a');
    assert.equal(allowProvider('eu-west-1', (p) => p.startsWith('eu-')), 'eu-west-1');
    assert.throws(() => allowProvider('c', ['a', 'b'], 'this server offers: a, b'),
      (e: unknown) => e instanceof ValidationFailure && e.message === "Provider 'c' is not allowed on this server; this server offers: a, b");
    assert.throws(() => allowProvider('bad\nname', []), /Provider 'bad\?name' is not allowed on this server$/);
  });

  test('redaction: sensitive URL parameters and call arguments', () => {
    assert.equal(redactUrl('/api/instances?password=p&image_id=1&X-Amz-Signature=abc&UserData=x'),
      '/api/instances?password=%5BFILTERED%5D&image_id=1&X-Amz-Signature=%5BFILTERED%5D&UserData=%5BFILTERED%5D');
    assert.deepEqual(redactArgs(['i-1', { privateKey: 'k', cmd: 'ls', nested: { a: 1 } }]), ['i-1', { privateKey: '[FILTERED]', cmd: 'ls', nested: '[object]' }]);
  });

  test('option reader: one message style, durations in ms, old …Seconds names read as deprecated aliases', () => {
    const o = new OptionReader({ requestTimeoutSeconds: 2, waitMs: 5, bad: -1, flag: 'yes' }, 'drivers.x');
    assert.equal(o.durationMs('requestTimeout', { min: 1 }, 60_000), 2000);
    assert.equal(new OptionReader({ requestTimeoutMs: 250, requestTimeoutSeconds: 2 }, 'drivers.x').durationMs('requestTimeout', { min: 1 }, 1), 250, 'the Ms name wins');
    assert.equal(o.durationMs('commandTimeout', { min: 1 }, 30_000), 30_000);
    assert.equal(o.number('waitMs', { min: 0 }, 1), 5);
    assert.throws(() => o.number('bad', { min: 0 }), (e: unknown) => e instanceof OptionError && e.message === 'drivers.x.bad must be a number >= 0');
    assert.throws(() => o.boolean('flag', false), (e: unknown) => e instanceof OptionError && e.message === 'drivers.x.flag must be true or false');
    assert.throws(() => new OptionReader({ tMs: 1.5 }, 'drivers.y').number('tMs', { min: 0, max: 9, integer: true }), /drivers\.y\.tMs must be a whole number from 0 to 9/);
  });
});
