// Graceful shutdown (issue 18): on SIGTERM a replica stops accepting
// connections, lets the requests in flight finish within
// --shutdown-timeout-seconds, then exits; a request still running at the
// deadline is cut and the process exits by then. The slow request is a blob
// upload streamed in small pieces.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { req } from '../helpers/api.js';
import { MOCK_AUTH, startServer, type TestServer } from '../helpers/server.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A PUT of `content` sent in `pieces` pieces `gapMs` apart, once connected; `started` once two are
 * sent; `done` with the status (or the error when the connection is cut).
 */
function slowUpload(server: TestServer, path: string, content: Buffer, pieces: number, gapMs: number): { started: Promise<void>; done: Promise<number | Error> } {
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((r) => (markStarted = r));
  const done = new Promise<number | Error>((resolve) => {
    const request = http.request({
      host: '127.0.0.1', port: server.port, method: 'PUT', path,
      headers: { authorization: MOCK_AUTH, 'content-length': content.length, 'content-type': 'application/octet-stream' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    request.on('error', resolve);
    const size = Math.ceil(content.length / pieces);
    request.once('socket', (socket) => socket.once('connect', () => void (async () => {
      for (let n = 0; n < pieces; n++) {
        if (request.destroyed) return;
        request.write(content.subarray(n * size, (n + 1) * size));
        if (n === 1) markStarted();
        await pause(gapMs);
      }
      request.end();
    })()));
  });
  return { started, done };
}

/** Whether a new TCP connection to `port` is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

const exitOf = (server: TestServer) => new Promise<number | null>((r) => {
  if (server.process.exitCode !== null) r(server.process.exitCode);
  else server.process.once('exit', (code) => r(code));
});

test('SIGTERM: a slow upload in flight completes, a new connection is refused, the process exits 0; the blob is kept', async () => {
  const server = await startServer({ args: ['--shutdown-timeout-seconds', '30'] });
  let restarted: TestServer | undefined;
  try {
    // 30 pieces 200 ms apart: 6 s in all.
    const content = randomBytes(300 * 1024);
    const upload = slowUpload(server, '/api/buckets/bucket1/in-flight', content, 30, 200);
    await upload.started;
    await pause(500); // the server has the request (a loaded machine may take a while to accept it)
    const exited = exitOf(server);
    server.process.kill('SIGTERM');
    // The signal is handled within moments (longer on a loaded machine): from then on connections are refused.
    let refusedAfterMs: number | undefined;
    for (const since = Date.now(); Date.now() - since < 3000; await pause(100)) {
      if (await refused(server.port)) {
        refusedAfterMs = Date.now() - since;
        break;
      }
    }
    assert.ok(refusedAfterMs !== undefined, 'a new connection is refused once SIGTERM arrived');
    assert.equal(server.process.exitCode, null, 'still running while the upload is in flight');
    assert.equal(await upload.done, 200, 'the upload in flight completes');
    assert.equal(await exited, 0);

    restarted = await startServer({ storage: server.storage });
    const read = await req(restarted, 'GET', '/api/buckets/bucket1/in-flight/content');
    assert.equal(read.status, 200);
    assert.ok(read.body.equals(content), 'the blob is there, byte-exact');
  } finally {
    await restarted?.stop();
    await server.stop();
  }
});

test('SIGTERM: a request still in flight at --shutdown-timeout-seconds is cut and the process exits by then', async () => {
  const server = await startServer({ args: ['--shutdown-timeout-seconds', '1'] });
  try {
    // 40 pieces 250 ms apart: 10 s, far past the 1 s deadline.
    const upload = slowUpload(server, '/api/buckets/bucket1/too-slow', randomBytes(400 * 1024), 40, 250);
    await upload.started;
    await pause(500);
    const exited = exitOf(server);
    const signalled = Date.now();
    server.process.kill('SIGTERM');
    const code = await exited;
    const took = Date.now() - signalled;
    assert.equal(code, 1, 'exit status 1: requests were cut');
    assert.ok(took >= 900, `exited after ${took} ms, before the deadline`);
    assert.ok(took < 4000, `exited after ${took} ms, long past the 1 s deadline`);
    assert.ok((await upload.done) instanceof Error, 'the client sees its connection cut');
    assert.match(server.output(), /shutdown deadline passed/);
  } finally {
    await server.stop();
  }
});

test('--shutdown-timeout-seconds must be a whole number', async () => {
  const server = startServer({ args: ['--shutdown-timeout-seconds', '2.5'] });
  await assert.rejects(server, /shutdown-timeout-seconds must be a whole number/);
});
