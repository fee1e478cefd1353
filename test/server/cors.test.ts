// CORS against the real server: off by default (no Access-Control-* header
// for any origin, a preflight is not answered as one); with --cors-origins,
// a listed origin's preflight is answered (204, methods, the requested
// headers) and its reads — first and repeated (answered from the render
// cache) — carry Access-Control-Allow-Origin; an unlisted origin gets none;
// a listed origin's scripted write passes the cross-site check, its form
// post and an unlisted origin's write do not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { JSON_TYPE, req } from '../helpers/api.js';
import { startServer, type TestServer } from '../helpers/server.js';

const LISTED = 'https://app.example.com';
const ALSO_LISTED = 'http://localhost:5173';
const UNLISTED = 'https://evil.example.net';

let plain: TestServer;
let cors: TestServer;

before(async () => {
  [plain, cors] = await Promise.all([startServer(), startServer({ args: ['--cors-origins', `${LISTED},${ALSO_LISTED}`] })]);
});

after(async () => {
  await Promise.all([plain?.stop(), cors?.stop()]);
});

const preflight = (server: TestServer, origin: string) => req(server, 'OPTIONS', '/api/keys', {
  auth: false, headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
});

/** A browser script's request from `origin` (fetch with mode cors). */
const scripted = (origin: string) => ({ Origin: origin, 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Site': 'cross-site' });

test('off by default: no Access-Control-* header for any origin, no preflight answer, cross-site writes refused', async () => {
  const pre = await preflight(plain, LISTED);
  assert.notEqual(pre.status, 204);
  const read = await req(plain, 'GET', '/api/realms', { accept: JSON_TYPE, headers: scripted(LISTED) });
  assert.equal(read.status, 200);
  for (const res of [pre, read]) {
    assert.deepEqual(Object.keys(res.headers).filter((h) => h.startsWith('access-control-')), [], JSON.stringify(res.headers));
  }
  const write = await req(plain, 'POST', '/api/keys', { accept: JSON_TYPE, headers: scripted(LISTED), body: { name: 'cors-off' } });
  assert.equal(write.status, 403);
});

test('--cors-origins: a listed origin\'s preflight is answered; its reads carry Allow-Origin, first and repeated; an unlisted origin gets none', async () => {
  for (const origin of [LISTED, ALSO_LISTED]) {
    const pre = await preflight(cors, origin);
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], origin);
    assert.match(String(pre.headers['access-control-allow-methods']), /\bPOST\b/);
    assert.equal(pre.headers['access-control-allow-headers'], 'authorization, content-type');
    assert.equal(pre.headers['access-control-allow-credentials'], undefined);
    assert.equal(pre.headers.vary, 'Origin');
  }
  for (let i = 0; i < 3; i++) {
    const read = await req(cors, 'GET', '/api/realms', { accept: JSON_TYPE, headers: scripted(LISTED) });
    assert.equal(read.status, 200);
    assert.equal(read.headers['access-control-allow-origin'], LISTED, `read ${i + 1}`);
    assert.match(String(read.headers['access-control-expose-headers']), /Location/);
    assert.match(String(read.headers.vary), /Origin/);
  }
  const unlisted = await preflight(cors, UNLISTED);
  assert.notEqual(unlisted.status, 204);
  const foreign = await req(cors, 'GET', '/api/realms', { accept: JSON_TYPE, headers: scripted(UNLISTED) });
  assert.equal(foreign.status, 200);
  for (const res of [unlisted, foreign]) assert.equal(res.headers['access-control-allow-origin'], undefined);
  // A listed origin spelled differently is another origin.
  const otherPort = await req(cors, 'GET', '/api/realms', { accept: JSON_TYPE, headers: scripted('https://app.example.com:8443') });
  assert.equal(otherPort.headers['access-control-allow-origin'], undefined);
});

test('--cors-origins: a listed origin\'s scripted write passes; its form post and an unlisted origin\'s write are refused as cross-site', async () => {
  const created = await req(cors, 'POST', '/api/keys', { accept: JSON_TYPE, headers: scripted(LISTED), body: { name: 'cors-key' } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.headers['access-control-allow-origin'], LISTED);
  const form = await req(cors, 'POST', '/api/keys', { accept: JSON_TYPE, headers: { ...scripted(LISTED), 'Sec-Fetch-Mode': 'navigate' }, body: { name: 'cors-form' } });
  assert.equal(form.status, 403);
  const foreign = await req(cors, 'POST', '/api/keys', { accept: JSON_TYPE, headers: scripted(UNLISTED), body: { name: 'cors-foreign' } });
  assert.equal(foreign.status, 403);
  assert.match(foreign.json().message, /Cross-origin request refused/);
});

test('--cors-origins refuses what is not an origin, at start-up', async () => {
  for (const bad of ['https://app.example.com/path', '*', 'app.example.com']) {
    const error = await startServer({ args: ['--cors-origins', bad] }).then(async (s) => {
      await s.stop();
      return undefined;
    }, (e: Error) => e);
    assert.ok(error, `started with ${bad}`);
    assert.match(error.message, /CORS origins: '.*' is not an origin/);
  }
});
