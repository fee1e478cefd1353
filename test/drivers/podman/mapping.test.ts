// The podman driver's translations that need no engine: options, engine
// errors, the exec output stream, states and stats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackendUnreachable, Conflict, MethodNotAllowed, NotFound } from '../../../src/core/errors.js';
import { RequestContext } from '../../../src/core/driver.js';
import { PodmanBackend } from '../../../src/drivers/podman/backend.js';
import { instanceState } from '../../../src/drivers/podman/containers.js';
import { demultiplex, engineError, scrubPaths } from '../../../src/drivers/podman/engine.js';
import { cpuPercent, metricValues } from '../../../src/drivers/podman/metrics.js';
import { parseOptions, PodmanConfigError } from '../../../src/drivers/podman/options.js';

test('options: named providers, the local rootful socket by default; bad URLs and names refused with the option named', () => {
  const defaults = parseOptions({});
  assert.deepEqual(defaults.providers, { local: { kind: 'unix', socketPath: '/run/podman/podman.sock' } });
  assert.equal(defaults.defaultProvider, 'local');
  assert.equal(defaults.stopTimeoutMs, 10_000);
  const two = parseOptions({ providers: { a: 'tcp://10.0.0.5:2375', b: 'unix:///tmp/x.sock' }, defaultProvider: 'b', stopTimeoutSeconds: 3 });
  assert.deepEqual(two.providers.a, { kind: 'tcp', origin: 'http://10.0.0.5:2375' });
  assert.equal(two.defaultProvider, 'b');
  assert.equal(two.stopTimeoutMs, 3000, 'the deprecated …Seconds spelling');
  const refused: Array<[Record<string, unknown>, RegExp]> = [
    [{ providers: { a: 'unix://relative.sock' } }, /drivers\.podman\.providers\.a .*unix:\/\/\/absolute/],
    [{ providers: { a: 'ftp://host' } }, /drivers\.podman\.providers\.a/],
    [{ providers: { 'bad name': 'unix:///x.sock' } }, /providers\.bad name must be named/],
    [{ providers: {} }, /drivers\.podman\.providers must be an object/],
    [{ providers: { a: { url: 'https://h:2376', certFile: '/etc/hostname' } } }, /needs both certFile and keyFile/],
    [{ providers: { a: { url: 'https://h:2376', caFile: '/no/such/file' } } }, /cannot read caFile/],
    [{ providers: { a: { url: 'http://h:2375', caFile: '/etc/hostname' } } }, /needs https/],
    [{ defaultProvider: 'other' }, /defaultProvider 'other' is not one of the providers/],
  ];
  for (const [raw, message] of refused) assert.throws(() => parseOptions(raw), (e: Error) => e instanceof PodmanConfigError && message.test(e.message), JSON.stringify(raw));
});

test('provider choice: only the operator\'s names; a socket that is not there → 502 naming the provider, not the path', async () => {
  const backend = new PodmanBackend(parseOptions({ providers: { here: 'unix:///tmp/deltacloud-no-such-dir/engine.sock' } }));
  try {
    assert.throws(() => backend.engine(new RequestContext('unix:///var/run/docker.sock', undefined)), /Provider 'unix:\/\/\/var\/run\/docker.sock' is not allowed on this server; providers: here/);
    const engine = backend.engine(new RequestContext(undefined, undefined));
    await assert.rejects(engine.json('GET', '/info', { signal: AbortSignal.timeout(5000) }), (e: Error) =>
      e instanceof BackendUnreachable && e.status === 502 && e.message === "Container engine not reachable at provider 'here' (ENOENT)");
  } finally {
    await backend.close();
  }
});

test('engine errors: the engine\'s message with its status; a forbidden state is 405; host paths are cut', () => {
  const body = (o: object) => Buffer.from(JSON.stringify(o));
  const missing = engineError(404, body({ cause: 'no such container', message: 'no container with name or ID "x" found: no such container', response: 404 }));
  assert.ok(missing instanceof NotFound);
  assert.equal(missing.message, 'no container with name or ID "x" found: no such container');
  assert.ok(engineError(409, body({ message: 'image is in use by a container' })) instanceof Conflict);
  const improper = engineError(500, body({ cause: 'container state improper', message: '"exited" is not running, can\'t pause: container state improper' }));
  assert.ok(improper instanceof MethodNotAllowed);
  assert.equal(engineError(500, body({ message: 'boom' })).status, 502);
  assert.equal(engineError(500, Buffer.from('not json')).message, 'not json');
  assert.equal(scrubPaths('volume in use at /var/lib/containers/storage/volumes/x/_data now'), 'volume in use at … now');
  assert.equal(scrubPaths('docker.io/library/nosuch: No such image'), 'docker.io/library/nosuch: No such image');
});

test('exec output: stdout and stderr frames in order, cut at the limit', () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  const stream = Buffer.concat([frame(1, 'hello\n'), frame(2, 'err\n'), frame(1, 'bye\n')]);
  assert.equal(demultiplex(stream), 'hello\nerr\nbye\n');
  assert.equal(demultiplex(stream, 8), 'hello\ner');
  assert.equal(demultiplex(Buffer.alloc(0)), '');
});

test('states: the engine\'s statuses on the Deltacloud life cycle', () => {
  const expected: Record<string, string> = {
    created: 'STOPPED', running: 'RUNNING', paused: 'STOPPED', restarting: 'PENDING', removing: 'FINISH', exited: 'STOPPED', dead: 'ERROR',
  };
  for (const [status, state] of Object.entries(expected)) assert.equal(instanceState(status), state, status);
});

test('stats: Docker\'s CPU formula, summed networks and block I/O', () => {
  assert.equal(cpuPercent({ cpuNs: 1e9, systemNs: 100e9 }, { cpuNs: 1.5e9, systemNs: 102e9 }, 2), 50);
  assert.equal(cpuPercent({ cpuNs: 1e9, systemNs: 100e9 }, { cpuNs: 1e9, systemNs: 100e9 }, 2), 0);
  const values = metricValues({
    memory_stats: { usage: 1000, limit: 4000 },
    networks: { eth0: { rx_bytes: 10, tx_bytes: 20, rx_packets: 1, tx_packets: 2 }, eth1: { rx_bytes: 5, tx_bytes: 5, rx_packets: 1, tx_packets: 1 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 100 }, { op: 'Write', value: 7 }, { op: 'read', value: 1 }] },
  }, 12.5);
  assert.deepEqual(values, {
    cpuUtilization: 12.5, diskReadByte: 101, diskWriteByte: 7, memoryLimit: 4000, memoryUsed: 1000,
    nicInputByte: 15, nicInputPacket: 2, nicOutputByte: 25, nicOutputPacket: 3,
  });
});
