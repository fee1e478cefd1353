// Request-body deadlines (issue 10 item 6): a connection that sends headers
// and then a body that stalls or trickles used to stay open as long as the
// client liked. With test-shortened deadlines, a few hundred such connections
// are closed (408 in the error document) and the server's open file
// descriptors drop back; a body that keeps moving is not cut off.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { getXml } from '../helpers/api.js';
import { MOCK_AUTH, startServer, type TestServer } from '../helpers/server.js';

const IDLE_MS = 3000;
const MIN_RATE = 100; // bytes per second, so at least 300 bytes per idle window
const TOTAL_MS = 8000;
const STALLED = 250;

let server: TestServer;
let configDir: string;

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'deltacloud-test-'));
  const config = join(configDir, 'config.json');
  writeFileSync(config, JSON.stringify({ bodyIdleTimeoutMs: IDLE_MS, bodyMinBytesPerSecond: MIN_RATE, requestBodyTimeoutMs: TOTAL_MS }));
  server = await startServer({ args: ['-c', config] });
});
after(async () => {
  await server.stop();
  rmSync(configDir, { recursive: true, force: true });
});

const openFds = () => readdirSync(`/proc/${server.process.pid}/fd`).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SlowClient {
  socket: net.Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves once the headers are sent. */
  connected: Promise<void>;
  /** Resolves with the milliseconds from connect to the server closing the connection. */
  closed: Promise<number>;
}

/** Sends the headers of a form POST promising `length` bytes, then `body` pieces on `schedule`. */
function slowClient(length: number, feed?: (socket: net.Socket) => void): SlowClient {
  let started = Date.now();
  let data = '';
  let onConnect!: () => void;
  const connected = new Promise<void>((r) => (onConnect = r));
  const socket = net.connect(server.port, '127.0.0.1', () => {
    started = Date.now();
    onConnect();
    socket.write(`POST /api/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${MOCK_AUTH}\r\nAccept: application/xml\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${length}\r\n\r\nname=`);
    feed?.(socket);
  });
  socket.setEncoding('utf8');
  socket.on('data', (c: string) => (data += c));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
  return { socket, received: () => data, connected, closed };
}

test('stalled bodies are closed at the idle deadline with 408; file descriptors drop back', { timeout: 60_000 }, async () => {
  const baseline = openFds();
  const clients = Array.from({ length: STALLED }, () => slowClient(1000));
  await Promise.all(clients.map((c) => c.connected));
  // The server accepts at its own pace: watch its descriptors climb.
  let peak = openFds();
  for (let waited = 0; peak < baseline + STALLED * 0.9 && waited < 2000; waited += 50) {
    await sleep(50);
    peak = Math.max(peak, openFds());
  }
  assert.ok(peak >= baseline + STALLED * 0.9, `connections are open (${peak} fds, baseline ${baseline})`);
  const times = await Promise.all(clients.map((c) => c.closed));
  const slowest = Math.max(...times);
  assert.ok(slowest < IDLE_MS + 3000, `all closed soon after the idle deadline (slowest ${slowest} ms)`);
  assert.ok(Math.min(...times) >= IDLE_MS - 100, 'not before the deadline');
  const answered = clients.filter((c) => /^HTTP\/1\.1 408 /.test(c.received()));
  assert.ok(answered.length > STALLED * 0.9, `${answered.length} got a 408`);
  assert.match(answered[0]!.received(), /<error status='408'/);
  await sleep(300);
  assert.ok(openFds() <= baseline + 5, `fds back near the baseline (${openFds()} vs ${baseline})`);
  assert.equal((await getXml(server, '/api/realms')).status, 200, 'the server keeps serving');
});

test('a trickling body (below the least rate) is closed; one above it but too long hits the overall deadline', { timeout: 60_000 }, async () => {
  const trickle = slowClient(10_000, (socket) => {
    const timer = setInterval(() => socket.writable ? socket.write('a') : clearInterval(timer), 200);
    socket.on('close', () => clearInterval(timer));
  });
  const steady = slowClient(100_000, (socket) => {
    const timer = setInterval(() => socket.writable ? socket.write('b'.repeat(100)) : clearInterval(timer), 200);
    socket.on('close', () => clearInterval(timer));
  });
  const trickleMs = await trickle.closed;
  assert.ok(trickleMs < IDLE_MS * 2 + 1500, `trickle closed after ${trickleMs} ms`);
  assert.match(trickle.received(), /^HTTP\/1\.1 408 /);
  const steadyMs = await steady.closed;
  assert.ok(steadyMs >= TOTAL_MS - 100 && steadyMs < TOTAL_MS + 2500, `steady-but-endless body closed at the overall deadline (${steadyMs} ms)`);
});

test('a body that keeps moving completes, pauses shorter than the idle deadline included', { timeout: 30_000 }, async () => {
  const name = 'slow-but-fine';
  const pieces = [name.slice(0, 4), 'x'.repeat(300), 'y'.repeat(300), name.slice(4)];
  const length = 5 + pieces.join('').length;
  const client = slowClient(length, (socket) => {
    pieces.forEach((piece, i) => setTimeout(() => socket.write(piece), (i + 1) * 700));
  });
  const deadline = Date.now() + 10_000;
  while (!/\r\n\r\n/.test(client.received()) && Date.now() < deadline) await sleep(50);
  client.socket.destroy();
  assert.match(client.received(), /^HTTP\/1\.1 201 /, client.received().slice(0, 200));
});
