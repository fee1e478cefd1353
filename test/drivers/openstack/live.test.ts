// The openstack driver through the Deltacloud API against a real Keystone v3
// and a real Swift that authenticates through it (scripts/openstack/setup.sh).
// With CI set, missing back ends fail the run; elsewhere the suite is skipped
// with a loud message.
//
// A counting proxy sits between the server and Keystone, so the tests see
// every login the driver makes (and the tokens Keystone hands out).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { request as undiciRequest } from 'undici';
import { call } from '../../helpers/api.js';
import { startServer, type TestServer } from '../../helpers/server.js';

const KEYSTONE = (process.env.OS_TEST_AUTH_URL ?? 'http://127.0.0.1:5001/v3').replace(/\/+$/, '');
const ADMIN_PASSWORD = process.env.OS_ADMIN_PASSWORD ?? 'secret';
/** How long Swift's authtoken middleware trusts a token it validated (scripts/openstack/setup.sh). */
const SWIFT_TOKEN_CACHE_SECONDS = Number(process.env.OS_SWIFT_TOKEN_CACHE_SECONDS ?? 3);
const DEMO = 'Basic ' + Buffer.from('demo@demo:demopass').toString('base64');
const MiB = 1024 * 1024;
const SEGMENT = MiB;

interface Login {
  user: string;
  project: string;
  domain: { id?: string; name?: string };
}

async function keystoneToken(user: string, password: string, project: string, domain = 'default'): Promise<{ token: string; body: any }> {
  const res = await fetch(`${KEYSTONE}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: domain }, password } } },
        scope: { project: { name: project, domain: { id: domain } } },
      },
    }),
    signal: AbortSignal.timeout(15_000),
  });
  if (res.status !== 201) throw new Error(`Keystone answered ${res.status} to ${user}'s login`);
  return { token: res.headers.get('x-subject-token')!, body: await res.json() };
}

/** Keystone answers, demo can log in, the catalogue has Swift and Swift accepts the token. */
async function preflight(): Promise<string | undefined> {
  try {
    const root = await fetch(KEYSTONE, { signal: AbortSignal.timeout(5_000) });
    if (!root.ok) return `Keystone at ${KEYSTONE} answered ${root.status}`;
    const { token, body } = await keystoneToken('demo', 'demopass', 'demo');
    const swift = body.token.catalog.find((s: { type: string }) => s.type === 'object-store')?.endpoints.find((e: { interface: string }) => e.interface === 'public')?.url;
    if (!swift) return 'Keystone\'s catalogue has no object-store endpoint';
    const account = await fetch(swift, { method: 'HEAD', headers: { 'X-Auth-Token': token }, signal: AbortSignal.timeout(10_000) });
    if (account.status >= 300) return `Swift at ${swift} answered ${account.status}`;
    return undefined;
  } catch (e) {
    return `Keystone/Swift unreachable (${(e as Error).cause ? String((e as { cause: unknown }).cause) : (e as Error).message})`;
  }
}

/** A proxy to Keystone counting logins and remembering the tokens handed out. */
class CountingProxy {
  logins: Login[] = [];
  /** Tokens Keystone issued through the proxy, with the user they are for. */
  tokens: Array<{ user: string; token: string }> = [];
  requests = 0;
  private server!: Server;
  port = 0;

  constructor(private readonly target: URL) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const isLogin = req.method === 'POST' && /\/auth\/tokens$/.test(req.url ?? '');
        let login: Login | undefined;
        if (isLogin) {
          const parsed = JSON.parse(body.toString('utf8'));
          const user = parsed.auth.identity.password.user;
          login = { user: user.name, project: parsed.auth.scope.project.name, domain: user.domain };
          this.logins.push(login);
        }
        const upstream = httpRequest({
          host: this.target.hostname, port: this.target.port, method: req.method, path: req.url,
          headers: { ...req.headers, host: this.target.host },
        }, (up) => {
          const token = up.headers['x-subject-token'];
          if (login && typeof token === 'string' && up.statusCode === 201) this.tokens.push({ user: login.user, token });
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v3`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((ok) => this.server.close(ok));
  }
}

/** Peak and current resident memory of a process, in bytes (Linux). */
function memoryOf(pid: number): { hwm: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

function writeConfig(dir: string, name: string, openstack: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ drivers: { openstack } }));
  chmodSync(path, 0o600);
  return path;
}

const problem = await preflight();

if (problem) {
  const banner = `\n${'!'.repeat(100)}\n!!! openstack LIVE tests: ${problem}\n!!! Start the back ends with: bash scripts/openstack/setup.sh\n${'!'.repeat(100)}\n`;
  if (process.env.CI) {
    test('live Keystone v3 and Swift are running (required in CI)', () => assert.fail(banner));
  } else {
    console.warn(banner + '!!! SKIPPING the openstack live suite (set CI=1 to make this a failure)\n');
    test('openstack live suite (Keystone v3 + Swift)', { skip: problem }, () => {});
  }
} else {
  describe('openstack driver, live Keystone v3 + Swift', () => {
    let dir: string;
    let proxy: CountingProxy;
    let rogue: CountingProxy;
    let server: TestServer;
    const bucket = `dc-live-${Date.now().toString(36)}`;

    const api = (method: string, path: string, opts: { auth?: string | false; accept?: string; body?: any; headers?: Record<string, string> } = {}) =>
      call(server, method, path, { accept: opts.accept ?? 'application/json', auth: opts.auth ?? DEMO, body: opts.body, headers: opts.headers });

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'openstack-live-'));
      proxy = new CountingProxy(new URL(KEYSTONE));
      await proxy.start();
      rogue = new CountingProxy(new URL(KEYSTONE));
      await rogue.start();
      const config = writeConfig(dir, 'config.json', {
        providers: { live: { authUrl: proxy.url, region: 'RegionOne' } },
        allowedAuthUrls: [KEYSTONE],
        defaultProvider: 'live',
        segmentSize: SEGMENT,
      });
      server = await startServer({ args: ['-i', 'openstack', '-c', config] });
    });

    after(async () => {
      // Best-effort cleanup of what a failed test may have left.
      if (server) {
        for (const b of [bucket, `${bucket}_segments`]) {
          const shown = await api('GET', `/api/buckets/${b}`);
          if (shown.status === 200) {
            for (const blob of shown.json().bucket.blob_list ?? []) await api('DELETE', `/api/buckets/${b}/${encodeURIComponent(blob.id)}`);
            await api('DELETE', `/api/buckets/${b}`);
          }
        }
        await server.stop();
      }
      await proxy?.stop();
      await rogue?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('authentication and catalogue discovery: the entry point offers buckets', async () => {
      const before = proxy.logins.length;
      const res = await api('GET', '/api');
      assert.equal(res.status, 200, res.text);
      const rels = res.json().api.links.map((l: { rel: string }) => l.rel).sort();
      // This Keystone's catalogue has identity and object-store only.
      assert.deepEqual(rels, ['buckets', 'drivers']);
      assert.equal(proxy.logins.length, before + 1);
      assert.deepEqual(proxy.logins.at(-1), { user: 'demo', project: 'demo', domain: { name: 'Default' } });
      const xml = await api('GET', '/api', { accept: 'application/xml' });
      assert.match(xml.text, /<link href='[^']*\/api\/buckets' rel='buckets'/);
      assert.doesNotMatch(xml.text, /rel='instances'/);
    });

    test('the token is cached across requests', async () => {
      await api('GET', '/api/buckets');
      const before = proxy.logins.length;
      for (let i = 0; i < 3; i++) assert.equal((await api('GET', '/api/buckets')).status, 200);
      assert.equal(proxy.logins.length, before);
    });

    test('wrong password → 401 (and is not cached); the right one still works', async () => {
      const wrong = 'Basic ' + Buffer.from('demo@demo:not-the-password').toString('base64');
      const before = proxy.logins.length;
      const res = await api('GET', '/api/buckets', { auth: wrong });
      assert.equal(res.status, 401);
      const again = await api('GET', '/api/buckets/anything', { auth: wrong });
      assert.equal(again.status, 401);
      assert.equal(proxy.logins.length, before + 2, 'each wrong password is put to Keystone');
      const forced = await api('GET', '/api?force_auth=1', { auth: wrong });
      assert.equal(forced.status, 401);
      assert.equal(forced.text, 'Authentication failed');
      assert.equal((await api('GET', '/api/buckets')).status, 200);
      assert.equal((await api('GET', '/api?force_auth=1')).status, 200);
      assert.ok(!server.output().includes('not-the-password'), 'passwords never reach the log');
    });

    test('user@project@domain: a user of another domain', async () => {
      const alice = 'Basic ' + Buffer.from('alice@alpha@dctest:alicepass').toString('base64');
      const res = await api('GET', '/api/buckets', { auth: alice });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(proxy.logins.at(-1), { user: 'alice', project: 'alpha', domain: { name: 'dctest' } });
    });

    test('a revoked token: Swift refuses it, the driver logs in again once and carries on', async () => {
      assert.equal((await api('GET', '/api/buckets')).status, 200);
      // The token the server holds for demo: the last one Keystone issued to demo through the proxy.
      const victim = proxy.tokens.filter((t) => t.user === 'demo').at(-1)!.token;
      const admin = await keystoneToken('admin', ADMIN_PASSWORD, 'admin');
      const revoked = await fetch(`${KEYSTONE}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': admin.token, 'X-Subject-Token': victim } });
      assert.equal(revoked.status, 204);
      // Swift trusts tokens it validated for a few seconds; after that it asks Keystone again.
      await new Promise((r) => setTimeout(r, (SWIFT_TOKEN_CACHE_SECONDS + 1) * 1000));
      const before = proxy.logins.length;
      const res = await api('GET', '/api/buckets');
      assert.equal(res.status, 200, res.text);
      assert.equal(proxy.logins.length, before + 1);
      assert.notEqual(proxy.tokens.at(-1)!.token, victim);
      assert.equal((await api('GET', '/api/buckets')).status, 200);
      assert.equal(proxy.logins.length, before + 1, 'the new token is cached');
    });

    test('token expiry: a token past its cache lifetime is replaced', async () => {
      const config = writeConfig(dir, 'short.json', { providers: { live: { authUrl: proxy.url } }, defaultProvider: 'live', authCacheMaxAgeSeconds: 2 });
      const short = await startServer({ args: ['-i', 'openstack', '-c', config] });
      try {
        const get = () => call(short, 'GET', '/api/buckets', { accept: 'application/json', auth: DEMO });
        const before = proxy.logins.length;
        assert.equal((await get()).status, 200);
        assert.equal((await get()).status, 200);
        assert.equal(proxy.logins.length, before + 1, 'cached while fresh');
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal((await get()).status, 200);
        assert.equal(proxy.logins.length, before + 2, 'renewed once expired');
      } finally {
        await short.stop();
      }
    });

    test('providers: an unlisted Keystone is refused and never contacted; an allow-listed URL works', async () => {
      const res = await api('GET', '/api/buckets', { headers: { 'X-Deltacloud-Provider': rogue.url } });
      assert.equal(res.status, 400);
      const shown = await api('GET', '/api/buckets/anything', { headers: { 'X-Deltacloud-Provider': `${rogue.url};RegionOne` } });
      assert.equal(shown.status, 400);
      assert.match(shown.json().message, /not an allowed Keystone URL/);
      assert.equal(rogue.requests, 0);
      const direct = await api('GET', '/api/buckets', { headers: { 'X-Deltacloud-Provider': `${KEYSTONE};RegionOne` } });
      assert.equal(direct.status, 200, direct.text);
      const drivers = await api('GET', '/api/drivers/openstack', { auth: false, accept: 'application/xml' });
      assert.match(drivers.text, /<provider id='live'>/);
    });

    test('buckets and blobs end to end, with metadata', async () => {
      const created = await api('POST', '/api/buckets', { body: new URLSearchParams({ name: bucket }) });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json().bucket.id, bucket);
      const listed = await api('GET', '/api/buckets');
      assert.ok(listed.json().buckets.some((b: { id: string }) => b.id === bucket));

      const text = 'Hello, Swift behind Keystone!\n';
      const put = await api('PUT', `/api/buckets/${bucket}/greeting.txt`, {
        body: text, headers: { 'Content-Type': 'text/plain', 'X-Deltacloud-Blobmeta-Author': 'deltacloud', 'X-Deltacloud-Blobmeta-Version': '1' },
      });
      assert.equal(put.status, 200, put.text);
      const blob = put.json().blob;
      assert.equal(blob.content_length, Buffer.byteLength(text));
      assert.equal(blob.content_type, 'text/plain');
      assert.deepEqual(blob.user_metadata, { author: 'deltacloud', version: '1' });
      assert.ok(blob.last_modified);

      const content = await api('GET', `/api/buckets/${bucket}/greeting.txt/content`);
      assert.equal(content.status, 200);
      assert.equal(content.text, text);
      assert.equal(content.headers.get('content-type'), 'text/plain');
      assert.equal(content.headers.get('content-length'), String(Buffer.byteLength(text)));

      const head = await api('HEAD', `/api/buckets/${bucket}/greeting.txt`);
      assert.equal(head.status, 204);
      assert.equal(head.headers.get('x-deltacloud-blobmeta-author'), 'deltacloud');

      const update = await api('POST', `/api/buckets/${bucket}/greeting.txt`, { headers: { 'X-Deltacloud-Blobmeta-Reviewed': 'yes' } });
      assert.equal(update.status, 204);
      const after = await api('GET', `/api/buckets/${bucket}/greeting.txt`);
      assert.deepEqual(after.json().blob.user_metadata, { reviewed: 'yes' });
      assert.equal(after.json().blob.content_type, 'text/plain');

      const formData = new FormData();
      formData.set('blob_id', 'form.bin');
      formData.set('meta_params', '1');
      formData.set('meta_name1', 'Origin');
      formData.set('meta_value1', 'form');
      formData.set('blob_data', new Blob([Buffer.from([0, 1, 2, 250, 255])], { type: 'application/x-test' }), 'form.bin');
      const posted = await api('POST', `/api/buckets/${bucket}`, { body: formData });
      assert.equal(posted.status, 201, posted.text);
      assert.deepEqual(posted.json().blob.user_metadata, { origin: 'form' });
      const bytes = await fetch(`${server.origin}/api/buckets/${bucket}/form.bin/content`, { headers: { Authorization: DEMO } });
      assert.deepEqual([...Buffer.from(await bytes.arrayBuffer())], [0, 1, 2, 250, 255]);

      const shown = await api('GET', `/api/buckets/${bucket}`);
      assert.deepEqual(shown.json().bucket.blob_list.map((b: { id: string }) => b.id).sort(), ['form.bin', 'greeting.txt']);
      assert.equal((await api('GET', `/api/buckets/${bucket}/nope`)).status, 404);
      assert.equal((await api('GET', `/api/buckets/${bucket}/nope/content`)).status, 404);
      assert.equal((await api('GET', '/api/buckets/no-such-bucket-here')).status, 404);
      const notEmpty = await api('DELETE', `/api/buckets/${bucket}`);
      assert.equal(notEmpty.status, 409);
      for (const id of ['greeting.txt', 'form.bin']) assert.equal((await api('DELETE', `/api/buckets/${bucket}/${id}`)).status, 204);
    });

    test('Range on content: Swift answers the range (also across the segments of a large object); 416 past the end', async () => {
      // Two segments and a bit: a range across the first boundary reads from two segment objects.
      const data = Buffer.alloc(2 * SEGMENT + 100);
      for (let i = 0; i < data.length; i++) data[i] = (i * 13 + 1) & 0xff;
      const put = await api('PUT', `/api/buckets/${bucket}/ranged.bin`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(put.status, 200, put.text);
      const path = `/api/buckets/${bucket}/ranged.bin/content`;
      const get = async (range?: string) => {
        const res = await fetch(`${server.origin}${path}`, { headers: { Authorization: DEMO, Accept: 'application/json', ...(range ? { Range: range } : {}) } });
        return { res, body: Buffer.from(await res.arrayBuffer()) };
      };
      const full = await get();
      assert.equal(full.res.status, 200);
      assert.equal(full.res.headers.get('accept-ranges'), 'bytes');
      const across = await get(`bytes=${SEGMENT - 10}-${SEGMENT + 9}`);
      assert.equal(across.res.status, 206);
      assert.ok(across.body.equals(data.subarray(SEGMENT - 10, SEGMENT + 10)));
      assert.equal(across.res.headers.get('content-range'), `bytes ${SEGMENT - 10}-${SEGMENT + 9}/${data.length}`);
      assert.equal(across.res.headers.get('content-length'), '20');
      const suffix = await get('bytes=-50');
      assert.equal(suffix.res.status, 206);
      assert.ok(suffix.body.equals(data.subarray(data.length - 50)));
      const open = await get(`bytes=${data.length - 3}-`);
      assert.equal(open.res.status, 206);
      assert.ok(open.body.equals(data.subarray(data.length - 3)));
      const past = await get(`bytes=${data.length}-`);
      assert.equal(past.res.status, 416);
      assert.equal(past.res.headers.get('content-range'), `bytes */${data.length}`);
      const several = await get('bytes=0-1,5-6');
      assert.equal(several.res.status, 200);
      assert.equal(several.body.length, data.length);
      assert.equal((await api('DELETE', `/api/buckets/${bucket}/ranged.bin`)).status, 204);
    });

    test('a large object (> segment size) streams in and out byte-exact, with bounded server memory', async () => {
      const size = 64 * MiB + 12345;
      const chunk = 64 * 1024;
      const upHash = createHash('sha256');
      async function* body() {
        for (let sent = 0; sent < size; sent += chunk) {
          const piece = randomBytes(Math.min(chunk, size - sent));
          upHash.update(piece);
          yield piece;
        }
      }
      const pid = server.process.pid!;
      const memBefore = memoryOf(pid);
      const started = Date.now();
      const put = await undiciRequest(`${server.origin}/api/buckets/${bucket}/large.bin`, {
        method: 'PUT', body: Readable.from(body()),
        headers: { Authorization: DEMO, Accept: 'application/json', 'Content-Type': 'application/octet-stream', 'Content-Length': String(size), 'X-Deltacloud-Blobmeta-Kind': 'large' },
      });
      const putText = await put.body.text();
      assert.equal(put.statusCode, 200, putText);
      assert.equal(JSON.parse(putText).blob.content_length, size);
      const uploadMs = Date.now() - started;

      const downStarted = Date.now();
      const got = await fetch(`${server.origin}/api/buckets/${bucket}/large.bin/content`, { headers: { Authorization: DEMO } });
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-length'), String(size));
      const downHash = createHash('sha256');
      let received = 0;
      for await (const piece of got.body as unknown as AsyncIterable<Uint8Array>) {
        downHash.update(piece);
        received += piece.length;
      }
      const downloadMs = Date.now() - downStarted;
      assert.equal(received, size);
      assert.equal(downHash.digest('hex'), upHash.digest('hex'), 'byte-exact');

      const memAfter = memoryOf(pid);
      const growth = memAfter.hwm - memBefore.hwm;
      console.log(`# large object ${(size / MiB).toFixed(1)} MiB: upload ${uploadMs} ms, download ${downloadMs} ms; server peak RSS ${(memBefore.hwm / MiB).toFixed(0)} → ${(memAfter.hwm / MiB).toFixed(0)} MiB`);
      assert.ok(growth < 40 * MiB, `server peak memory grew by ${(growth / MiB).toFixed(1)} MiB for a ${(size / MiB).toFixed(0)} MiB blob`);

      // Stored as a static large object: segments of SEGMENT bytes in <bucket>_segments.
      const segments = await api('GET', `/api/buckets/${bucket}_segments`);
      assert.equal(segments.status, 200);
      assert.equal(segments.json().bucket.blob_list.length, Math.ceil(size / SEGMENT));
      const meta = await api('GET', `/api/buckets/${bucket}/large.bin`);
      assert.deepEqual(meta.json().blob.user_metadata, { kind: 'large' });

      // Deleting the blob removes its segments too.
      assert.equal((await api('DELETE', `/api/buckets/${bucket}/large.bin`)).status, 204);
      const left = await api('GET', `/api/buckets/${bucket}_segments`);
      assert.equal(left.json().bucket.blob_list.length, 0);
    });

    test('a body of unknown length (chunked) larger than a segment', async () => {
      const data = randomBytes(3 * MiB + 7);
      const res = await undiciRequest(`${server.origin}/api/buckets/${bucket}/chunked.bin`, {
        method: 'PUT',
        body: Readable.from((async function* () {
          for (let i = 0; i < data.length; i += 100_000) yield data.subarray(i, i + 100_000);
        })()),
        headers: { Authorization: DEMO, Accept: 'application/json', 'Content-Type': 'application/x-chunked' },
      });
      assert.equal(res.statusCode, 200, await res.body.text());
      const got = Buffer.from(await (await fetch(`${server.origin}/api/buckets/${bucket}/chunked.bin/content`, { headers: { Authorization: DEMO } })).arrayBuffer());
      assert.ok(got.equals(data), 'byte-exact');
      // Overwriting a large object with a small one leaves no segments behind.
      const small = await api('PUT', `/api/buckets/${bucket}/chunked.bin`, { body: 'tiny', headers: { 'Content-Type': 'text/plain' } });
      assert.equal(small.status, 200);
      assert.equal((await api('GET', `/api/buckets/${bucket}_segments`)).json().bucket.blob_list.length, 0);
      assert.equal((await api('GET', `/api/buckets/${bucket}/chunked.bin/content`)).text, 'tiny');
      assert.equal((await api('DELETE', `/api/buckets/${bucket}/chunked.bin`)).status, 204);
    });

    test('a client that goes away mid-upload leaves the old blob intact', async () => {
      assert.equal((await api('PUT', `/api/buckets/${bucket}/keep.txt`, { body: 'original', headers: { 'Content-Type': 'text/plain' } })).status, 200);
      // Announce 1 MiB, send 10 bytes, hang up.
      await new Promise<void>((done, fail) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(`PUT /api/buckets/${bucket}/keep.txt HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${DEMO}\r\n` +
            `Content-Type: text/plain\r\nContent-Length: ${MiB}\r\n\r\n0123456789`);
          setTimeout(() => socket.destroy(), 500);
        });
        socket.on('close', () => done());
        socket.on('error', fail);
      });
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await api('GET', `/api/buckets/${bucket}/keep.txt/content`)).text, 'original');
      assert.equal((await api('DELETE', `/api/buckets/${bucket}/keep.txt`)).status, 204);
    });

    test('segmented upload (init, segments, finalize) becomes one static large object', async () => {
      const init = await api('PUT', `/api/buckets/${bucket}/joined.bin`, {
        headers: { 'X-Deltacloud-BlobType': 'segmented', 'Content-Type': 'application/x-joined', 'X-Deltacloud-Blobmeta-Parts': 'two' },
      });
      assert.equal(init.status, 204, init.text);
      const uploadId = init.headers.get('x-deltacloud-segmentedblob')!;
      assert.ok(uploadId);
      const parts = [randomBytes(MiB + 3), randomBytes(5000)];
      const ids: string[] = [];
      for (const [i, part] of parts.entries()) {
        const seg = await api('PUT', `/api/buckets/${bucket}/joined.bin`, {
          body: part,
          headers: {
            'X-Deltacloud-BlobType': 'segmented', 'X-Deltacloud-SegmentedBlob': uploadId, 'X-Deltacloud-SegmentOrder': String(i + 1),
            'Content-Type': 'application/octet-stream',
          },
        });
        assert.equal(seg.status, 204, seg.text);
        ids.push(seg.headers.get('x-deltacloud-blobsegmentid')!);
      }
      assert.equal(ids[0], createHash('md5').update(parts[0]!).digest('hex'));
      const bogus = await api('PUT', `/api/buckets/${bucket}/joined.bin`, {
        body: `1=${ids[0]} , 2=deadbeef`, headers: { 'X-Deltacloud-BlobType': 'segmented', 'X-Deltacloud-SegmentedBlob': uploadId, 'Content-Type': 'text/plain' },
      });
      assert.equal(bogus.status, 400);
      const done = await api('PUT', `/api/buckets/${bucket}/joined.bin`, {
        body: `1=${ids[0]} , 2=${ids[1]}`, headers: { 'X-Deltacloud-BlobType': 'segmented', 'X-Deltacloud-SegmentedBlob': uploadId, 'Content-Type': 'text/plain' },
      });
      assert.equal(done.status, 200, done.text);
      const blob = done.json().blob;
      assert.equal(blob.content_length, parts[0]!.length + parts[1]!.length);
      assert.equal(blob.content_type, 'application/x-joined');
      assert.deepEqual(blob.user_metadata, { parts: 'two' });
      const got = Buffer.from(await (await fetch(`${server.origin}/api/buckets/${bucket}/joined.bin/content`, { headers: { Authorization: DEMO } })).arrayBuffer());
      assert.ok(got.equals(Buffer.concat(parts)), 'byte-exact');
      const unknown = await api('PUT', `/api/buckets/${bucket}/joined.bin`, {
        body: 'data', headers: { 'X-Deltacloud-BlobType': 'segmented', 'X-Deltacloud-SegmentedBlob': 'nosuchupload1', 'X-Deltacloud-SegmentOrder': '1', 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(unknown.status, 404);
      assert.equal((await api('DELETE', `/api/buckets/${bucket}/joined.bin`)).status, 204);
      assert.equal((await api('GET', `/api/buckets/${bucket}_segments`)).json().bucket.blob_list.length, 0);
    });

    test('empty bucket deletion (with its segments container)', async () => {
      const res = await api('DELETE', `/api/buckets/${bucket}`);
      assert.equal(res.status, 204, res.text);
      assert.equal((await api('GET', `/api/buckets/${bucket}`)).status, 404);
      assert.equal((await api('GET', `/api/buckets/${bucket}_segments`)).status, 404);
    });
  });
}
