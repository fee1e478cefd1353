// The shared REST client (src/drivers/shared/rest) against a local HTTP server
// scripted per test: page following in its three styles, provider error bodies
// → core errors, the call pipeline's retries (429 with Retry-After, 503 three
// times), a hung provider hitting the deadline, an aborted request, and the
// token kept out of every error message.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RequestContext, type Driver } from '../../../src/core/driver.js';
import { DeltacloudError } from '../../../src/core/errors.js';
import { createCall } from '../../../src/core/kit/pipeline.js';
import { cursorPaging, linkPaging, nextOfLinkHeader, pageNumberPaging, RestClient } from '../../../src/drivers/shared/rest/client.js';
import { digitaloceanErrorMessage } from '../../../src/drivers/digitalocean/driver.js';
import { parseRestOptions, RestClients } from '../../../src/drivers/shared/rest/provider.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const TOKEN = 'secret-token-8f2d';
let server: Server;
let origin: string;
let handler: Handler = (_req, res) => res.end();
const seen: Array<{ method: string; url: string; authorization?: string; body: string }> = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const client = () => new RestClient({ baseUrl: `${origin}/api`, service: 'Example', errorMessage: digitaloceanErrorMessage, requestTimeoutMs: 5_000 });
const ctx = (timeoutMs?: number) => new RequestContext('p', { user: 'team', password: TOKEN }, undefined, {}, { timeoutMs });
const bearer = { bearer: TOKEN };

function reset(h: Handler): void {
  handler = h;
  seen.length = 0;
}

describe('REST client', () => {
  test('JSON in and out with bearer or basic auth; paths under the base URL', async () => {
    reset((_req, res, body) => json(res, 201, { echo: JSON.parse(body) }));
    const answer = await client().json<{ echo: unknown }>(ctx(), bearer, 'POST', '/things', { json: { name: 'a' }, query: { dry: true, skip: undefined } });
    assert.deepEqual(answer, { echo: { name: 'a' } });
    assert.deepEqual(seen.map((s) => [s.method, s.url, s.authorization]), [['POST', '/api/things?dry=true', `Bearer ${TOKEN}`]]);
    reset((_req, res) => json(res, 200, {}));
    await client().json(ctx(), { basic: { user: 'u', password: 'p' } }, 'GET', '/x');
    assert.equal(seen[0]!.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  test('link paging: next links in the body (only their path and query, against the base URL) and RFC 8288 Link headers', async () => {
    reset((req, res) => {
      const page = Number(new URL(req.url!, origin).searchParams.get('page') ?? 1);
      const next = page < 3 ? `https://elsewhere.example/api/items?page=${page + 1}&per_page=2` : undefined;
      json(res, 200, { items: [{ id: page * 2 - 1 }, { id: page * 2 }], links: { pages: next ? { next } : {} } });
    });
    const paging = linkPaging<{ id: number }, { items: Array<{ id: number }>; links: { pages: { next?: string } } }>((b) => b.items, (b) => b.links.pages.next, { per_page: 2 });
    const items = await client().all(ctx(), bearer, '/items', paging);
    assert.deepEqual(items.map((i) => i.id), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(seen.map((s) => s.url), ['/api/items?per_page=2', '/api/items?page=2&per_page=2', '/api/items?page=3&per_page=2']);

    reset((req, res) => {
      const after = new URL(req.url!, origin).searchParams.get('after');
      json(res, 200, after ? [{ id: 'b' }] : [{ id: 'a' }], after ? {} : { link: `<${origin}/api/list?after=a>; rel="next", <${origin}/api/list>; rel="first"` });
    });
    const byHeader = await client().all(ctx(), bearer, '/list', linkPaging<{ id: string }, Array<{ id: string }>>((b) => b));
    assert.deepEqual(byHeader.map((i) => i.id), ['a', 'b']);
    assert.equal(nextOfLinkHeader('<https://x/a?page=2>; rel="prev next"'), 'https://x/a?page=2');
    assert.equal(nextOfLinkHeader('<https://x/a?page=1>; rel="prev"'), undefined);
  });

  test('cursor and page-number paging; a repeated page ends the listing; repeated members are listed once', async () => {
    reset((req, res) => {
      const cursor = new URL(req.url!, origin).searchParams.get('cursor');
      json(res, 200, { data: cursor === null ? [{ id: 1 }] : cursor === 'c2' ? [{ id: 2 }] : [{ id: 3 }], next_cursor: cursor === null ? 'c2' : cursor === 'c2' ? 'c3' : null });
    });
    type CursorPage = { data: Array<{ id: number }>; next_cursor: string | null };
    const byCursor = await client().all(ctx(), bearer, '/c', cursorPaging<{ id: number }, CursorPage>((b) => b.data, (b) => b.next_cursor ?? undefined, 'cursor'));
    assert.deepEqual(byCursor.map((i) => i.id), [1, 2, 3]);

    reset((req, res) => {
      const page = Number(new URL(req.url!, origin).searchParams.get('page') ?? 1);
      // Page 3 repeats a member of page 2 (it moved while we listed).
      json(res, 200, { data: page === 3 ? [{ id: 4 }, { id: 5 }] : [{ id: page * 2 - 1 }, { id: page * 2 }], page, pages: 3 });
    });
    type NumberedPage = { data: Array<{ id: number }>; pages: number };
    const paging = pageNumberPaging<{ id: number }, NumberedPage>((b) => b.data, (b) => b.pages, 'page', { page_size: 2 });
    const byNumber = await client().all(ctx(), bearer, '/n', { ...paging, idOf: (i) => String(i.id) });
    assert.deepEqual(byNumber.map((i) => i.id), [1, 2, 3, 4, 5]);
    assert.deepEqual(seen.map((s) => s.url), ['/api/n?page_size=2', '/api/n?page_size=2&page=2', '/api/n?page_size=2&page=3']);

    reset((_req, res) => json(res, 200, { data: [{ id: 1 }], next_cursor: 'same' }));
    const looping = await client().all(ctx(), bearer, '/loop', cursorPaging<{ id: number }, CursorPage>((b) => b.data, (b) => b.next_cursor ?? undefined, 'cursor'));
    assert.equal(looping.length, 2);
    assert.equal(seen.length, 2, 'the repeated cursor is not asked for again');
  });

  test("provider error bodies → core errors with the provider's message; the token never in a message", async () => {
    const cases: Array<[number, unknown, number, string | RegExp]> = [
      [422, { id: 'unprocessable_entity', message: 'Name is too long' }, 400, 'Name is too long'],
      [401, { id: 'unauthorized', message: `Unable to authenticate you (token ${TOKEN})` }, 401, 'Unable to authenticate you (token [FILTERED])'],
      [403, { id: 'forbidden', message: 'You do not have access' }, 403, 'You do not have access'],
      [404, { id: 'not_found', message: 'The resource you were accessing could not be found.' }, 404, 'The resource you were accessing could not be found.'],
      [409, { id: 'conflict', message: 'busy' }, 409, 'busy'],
      [500, '<html>oops</html>', 502, 'The Example API failed (HTTP 500)'],
    ];
    for (const [status, body, expected, message] of cases) {
      reset((_req, res) => (typeof body === 'string' ? (res.writeHead(status), res.end(body)) : json(res, status, body)));
      await assert.rejects(client().json(ctx(), bearer, 'GET', '/e'), (e: unknown) => {
        assert.ok(e instanceof DeltacloudError);
        assert.equal(e.status, expected, `${status}`);
        assert.equal(e.message, message);
        assert.ok(!e.message.includes(TOKEN));
        return true;
      });
    }
    reset((_req, res) => json(res, 404, { id: 'not_found', message: 'gone' }));
    assert.equal(await client().getOrUndefined(ctx(), bearer, '/gone'), undefined, '404 accepted as "does not exist"');
    reset((_req, res) => (res.writeHead(200, { 'content-type': 'application/json' }), res.end('{not json')));
    await assert.rejects(client().json(ctx(), bearer, 'GET', '/bad'), { status: 502 });
  });

  test("raw calls (OpenStack's use): a token in a header of its own, scrubbed from messages; text error bodies; streamed bodies both ways", async () => {
    const xauth = { header: 'X-Auth-Token', token: TOKEN };
    const textClient = new RestClient({ baseUrl: `${origin}/api`, service: 'object-store', subject: 'The object-store service', errorMessage: (_json, text) => text.replace(/<[^>]*>/g, ' ').trim() || undefined });
    reset((req, res) => (res.writeHead(409, { 'content-type': 'text/html' }), res.end(`<h1>Conflict</h1> token ${String(req.headers['x-auth-token'])}`)));
    await assert.rejects(textClient.raw(ctx(), xauth, 'DELETE', '/c'), (e: unknown) => {
      assert.ok(e instanceof DeltacloudError);
      assert.equal(e.status, 409);
      assert.equal(e.message, 'Conflict  token [FILTERED]');
      return true;
    });

    // An upload streamed from an iterable with its Content-Length arrives whole; one shorter than announced is 400.
    reset((_req, res, body) => json(res, 201, { received: body }));
    async function* chunks(parts: string[]): AsyncGenerator<Uint8Array> {
      for (const part of parts) yield Buffer.from(part);
    }
    const stored = await textClient.request<{ received: string }>(ctx(), xauth, 'PUT', '/c/o', { body: chunks(['ab', 'cd']), headers: { 'Content-Length': '4' }, timeout: 'none' });
    assert.deepEqual(stored.body, { received: 'abcd' });
    assert.equal(seen[0]!.authorization, undefined, 'no Authorization beside X-Auth-Token');
    await assert.rejects(textClient.raw(ctx(), xauth, 'PUT', '/c/short', { body: chunks(['ab']), headers: { 'content-length': '4' }, timeout: 'none' }), { status: 400 });

    // With timeout 'headers', the body is read after the request's signal has aborted.
    reset((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write('first ');
      setTimeout(() => res.end('second'), 150);
    });
    const controller = new AbortController();
    const download = await textClient.raw(new RequestContext('p', { user: 'u', password: TOKEN }, controller.signal), xauth, 'GET', '/c/o', { timeout: 'headers' });
    controller.abort();
    assert.equal(await download.body.text(), 'first second');
    await textClient.close();
  });

  test('a provider the operator did not list is refused (400) before any connection', async () => {
    const clients = new RestClients(parseRestOptions('example', { endpoints: { local: origin } }, { name: 'official', url: 'https://api.example.invalid', maxPageSize: 100 }), {
      service: 'Example', errorMessage: digitaloceanErrorMessage,
    });
    seen.length = 0;
    for (const provider of ['https://evil.example', 'elsewhere', origin]) {
      assert.throws(() => clients.forRequest(new RequestContext(provider, { user: 'u', password: TOKEN })), { status: 400 }, provider);
    }
    assert.equal(seen.length, 0);
    assert.throws(() => parseRestOptions('example', { endpoints: { x: 'ftp://a' } }, { name: 'o', url: 'https://o', maxPageSize: 1 }), /drivers\.example\.endpoints\.x must be an http\(s\) URL/);
    assert.throws(() => parseRestOptions('example', { endpoints: { x: 'https://u:p@a' } }, { name: 'o', url: 'https://o', maxPageSize: 1 }), /no user information/);
    await clients.close();
  });
});

describe('REST client in the call pipeline', () => {
  const fast = createCall({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2000, random: () => 0.5 });
  let rest: RestClient;
  before(() => {
    rest = client();
  });
  /** A driver whose realms come from GET /api/realms. */
  const driver: Driver = {
    declaration: { id: 'example', name: 'Example', reach: 'remote', features: {} },
    realms: async (c) => (await rest.json<Array<{ id: string }>>(c, bearer, 'GET', '/realms')) ?? [],
    create_key: async (c, { name }) => ({ id: name, credentialType: 'key', ...(await rest.json(c, bearer, 'POST', '/keys', { json: { name } })) }),
  };

  test('429 with Retry-After is retried after the wait, then succeeds', async () => {
    let n = 0;
    reset((_req, res) => (++n === 1 ? json(res, 429, { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, { 'retry-after': '1' }) : json(res, 200, [{ id: 'r1' }])));
    const started = Date.now();
    assert.deepEqual(await fast(driver, 'realms', ctx(10_000), {}), [{ id: 'r1' }]);
    assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
    assert.equal(seen.length, 2);
  });

  test('503 three times: three attempts, then the client gets 502; 503 twice then 200 succeeds', async () => {
    reset((_req, res) => json(res, 503, { id: 'service_unavailable', message: 'down' }));
    await assert.rejects(fast(driver, 'realms', ctx(10_000), {}), { status: 502, message: 'down' });
    assert.equal(seen.length, 3);
    let n = 0;
    reset((_req, res) => (++n <= 2 ? json(res, 503, { message: 'down' }) : json(res, 200, [{ id: 'r2' }])));
    assert.deepEqual(await fast(driver, 'realms', ctx(10_000), {}), [{ id: 'r2' }]);
    assert.equal(seen.length, 3);
  });

  test('writes are not retried; exhausted rate limit → 503 with Retry-After', async () => {
    reset((_req, res) => json(res, 429, { message: 'slow down' }, { 'retry-after': '30' }));
    await assert.rejects(fast(driver, 'create_key', ctx(10_000), { name: 'k' }), (e: unknown) => {
      assert.ok(e instanceof DeltacloudError);
      assert.equal(e.status, 503);
      assert.equal(e.retryAfter, 30);
      return true;
    });
    assert.equal(seen.length, 1);
  });

  test('a hung provider hits the deadline: 504, and the request is aborted', async () => {
    let closed = false;
    reset((req) => req.socket.once('close', () => (closed = true)));
    const started = Date.now();
    await assert.rejects(fast(driver, 'realms', ctx(300), {}), { status: 504 });
    assert.ok(Date.now() - started < 3_000);
    for (let i = 0; i < 50 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(closed, 'the connection to the hung provider was closed');
  });

  test("a request aborted by the client's signal fails as a timeout (504), naming the provider, without the token", async () => {
    reset(() => {});
    const controller = new AbortController();
    const context = new RequestContext('p', { user: 'u', password: TOKEN }, controller.signal);
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(rest.json(context, bearer, 'GET', '/slow'), (e: unknown) => {
      assert.ok(e instanceof DeltacloudError);
      assert.equal(e.status, 504);
      assert.match(e.message, /Example API/);
      assert.ok(!e.message.includes(TOKEN));
      return true;
    });
  });

  test('an unreachable provider → 502', async () => {
    const closedPort = new RestClient({ baseUrl: 'http://127.0.0.1:1', service: 'Example', errorMessage: () => undefined });
    await assert.rejects(closedPort.json(ctx(), bearer, 'GET', '/x'), { status: 502 });
    await closedPort.close();
  });
});
