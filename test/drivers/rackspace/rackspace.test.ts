// The rackspace driver through the Deltacloud API: Identity v2.0 replayed from
// Rackspace's documented examples (with request checks), every bucket and
// blob operation live against the real Swift of this machine through DFW's
// catalogue URL, the CDN management API replayed from its documented answers,
// and Cloud Servers / Cloud Images through the openstack driver's replay of
// recorded Nova and Glance answers. Without Swift the suite is skipped with a
// warning, and fails when CI is set.
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { assertJsonError, assertNoLeak, assertXmlError, ERROR_CLASS, req, XML, type ReqOptions, type Res } from '../../helpers/api.js';
import { startDriverServer, type TestServer } from '../../helpers/server.js';
import { PROJECT, ReplayStub } from '../openstack/replay-stub.js';
import { API_KEY, CDN_TENANT, DOCUMENTED_TOKEN, RackspaceStub, swiftLogin, swiftUnavailable, USER } from './rackspace-stub.js';

const MiB = 1024 * 1024;
const AUTH = 'Basic ' + Buffer.from(`${USER}:${API_KEY}`).toString('base64');
const SECRETS = [API_KEY, AUTH.slice('Basic '.length)];
const unique = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const BUCKET = `rax-${unique}`;

const reason = await swiftUnavailable();
if (reason) {
  if (process.env.CI) throw new Error(`CI: ${reason}`);
  console.warn(`\n${'*'.repeat(90)}\n*** SKIPPING the rackspace suite: ${reason}\n${'*'.repeat(90)}\n`);
}

describe('rackspace driver', { skip: reason !== undefined && reason }, () => {
  let nova: ReplayStub;
  let rackspace: RackspaceStub;
  let server: TestServer;

  before(async () => {
    nova = new ReplayStub();
    await nova.start();
    rackspace = new RackspaceStub({
      compute: `http://127.0.0.1:${nova.ports.compute}/v2/${PROJECT}`,
      image: `http://127.0.0.1:${nova.ports.image}/v2`,
      onToken: (token) => nova.validTokens.add(token),
    });
    await rackspace.start();
    server = await startDriverServer('rackspace', {
      identityUrl: rackspace.identityUrl(), defaultRegion: 'DFW', segmentSize: 16 * MiB, requestTimeoutMs: 10_000,
    }, { args: ['--verbose'] });
  });

  after(async () => {
    if (server) {
      // Leave Swift as found.
      await api('DELETE', `/api/buckets/${BUCKET}/note.txt`);
      await api('DELETE', `/api/buckets/${BUCKET}`);
      await server.stop();
    }
    await rackspace?.stop();
    await nova?.stop();
  });

  beforeEach(() => {
    rackspace.reset();
    nova.reset();
  });

  /** One request as the documented user; every answer is checked for leaks of the API key. */
  async function api(method: string, path: string, opts: ReqOptions = {}): Promise<Res> {
    const res = await req(server, method, path, { auth: AUTH, accept: 'application/json', ...opts });
    assertNoLeak(res, SECRETS);
    return res;
  }

  function noViolations(): void {
    assert.deepEqual(rackspace.violations, [], 'every request matched the documented shape');
  }

  describe('sign-in and regions', () => {
    test('/api/drivers/rackspace lists the six documented regions', async () => {
      const res = await api('GET', '/api/drivers/rackspace', { accept: XML });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.xml().all('provider').map((p) => p.attrs.id), ['DFW', 'ORD', 'IAD', 'LON', 'SYD', 'HKG']);
      assert.deepEqual(Object.keys((await api('GET', '/api/drivers/rackspace')).json().driver.entrypoints.identity), ['DFW', 'ORD', 'IAD', 'LON', 'SYD', 'HKG']);
    });

    test('API-key sign-in as documented; the collections follow the catalogue of the region', async () => {
      const res = await api('GET', '/api');
      assert.equal(res.status, 200, res.text);
      const rels = res.json().api.links.map((l: { rel: string }) => l.rel).sort();
      assert.deepEqual(rels, ['buckets', 'drivers', 'hardware_profiles', 'images', 'instance_states', 'instances', 'keys', 'realms']);
      const [login] = rackspace.logins();
      assert.ok(login, 'one POST /v2.0/tokens');
      assert.equal(login.path, '/v2.0/tokens');
      assert.deepEqual(JSON.parse(login.body), { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: USER, apiKey: API_KEY } } });
      noViolations();
    });

    test('the token is cached: a second request signs in no more', async () => {
      await api('GET', '/api/buckets');
      rackspace.reset();
      assert.equal((await api('GET', '/api/buckets')).status, 200);
      assert.equal(rackspace.logins().length, 0);
    });

    test('a wrong API key is 401 (the identity service\'s documented 401), and the key is not echoed', async () => {
      const wrong = 'Basic ' + Buffer.from(`${USER}:not-the-key`).toString('base64');
      for (const accept of [XML, 'application/json']) {
        const res = await req(server, 'GET', '/api/buckets', { auth: wrong, accept });
        assertNoLeak(res, [...SECRETS, 'not-the-key']);
        if (accept === XML) assertXmlError(res, { status: 401, driver: 'rackspace', provider: 'DFW' });
        else assertJsonError(res, { status: 401, error: ERROR_CLASS[401], driver: 'rackspace', provider: 'DFW' });
      }
      noViolations();
    });

    test('an unknown region is 400 before any call; a lower-case documented one is accepted', async () => {
      const before = rackspace.connections;
      for (const region of ['XYZ', 'RegionOne', 'https://evil.example/v2.0']) {
        const res = await api('GET', `/api;provider=${encodeURIComponent(region)}/buckets`);
        assert.equal(res.status, 400, `${region}: ${res.text}`);
        assert.match(res.json().message, /not allowed/);
      }
      assert.equal(rackspace.connections, before, 'nothing was contacted');
      assert.equal((await api('GET', '/api;provider=dfw/buckets')).status, 200);
    });

    test('a region whose catalogue has no cloudFiles: buckets answer 501 with the reason', async () => {
      const res = await api('GET', '/api;provider=LON/buckets');
      assert.equal(res.status, 501, res.text);
      assert.match(res.json().message, /no object-store service in region LON/);
    });

    test('a token Swift refuses (401) is renewed once and the call succeeds', async () => {
      // A fresh server: its cache is empty, so its first login hands out the documented token, which Swift never issued.
      const fresh = await startDriverServer('rackspace', { identityUrl: rackspace.identityUrl(), defaultRegion: 'DFW' });
      try {
        rackspace.nextTokens = [DOCUMENTED_TOKEN];
        const res = await req(fresh, 'GET', '/api/buckets', { auth: AUTH, accept: 'application/json' });
        assert.equal(res.status, 200, res.text);
        assert.equal(rackspace.logins().length, 2, 'signed in again after Swift\'s 401');
      } finally {
        await fresh.stop();
      }
      // Refused twice: 401 to the client after one renewal, no endless loop (another fresh server: an empty cache).
      const again = await startDriverServer('rackspace', { identityUrl: rackspace.identityUrl(), defaultRegion: 'DFW' });
      try {
        rackspace.reset();
        rackspace.nextTokens = [DOCUMENTED_TOKEN, DOCUMENTED_TOKEN];
        const refused = await req(again, 'GET', '/api/buckets', { auth: AUTH, accept: 'application/json' });
        assert.equal(refused.status, 401, refused.text);
        assert.equal(rackspace.logins().length, 2);
      } finally {
        await again.stop();
      }
    });

    test('a token close to its expiry is renewed before it expires', async () => {
      const fresh = await startDriverServer('rackspace', { identityUrl: rackspace.identityUrl(), defaultRegion: 'DFW', authCacheMarginMs: 60_000 });
      try {
        rackspace.expiresInMs = 61_000; // renewed from one second on
        assert.equal((await req(fresh, 'GET', '/api/buckets', { auth: AUTH })).status, 200);
        assert.equal((await req(fresh, 'GET', '/api/buckets', { auth: AUTH })).status, 200);
        assert.equal(rackspace.logins().length, 1, 'still cached');
        await new Promise((ok) => setTimeout(ok, 1_200));
        assert.equal((await req(fresh, 'GET', '/api/buckets', { auth: AUTH })).status, 200);
        assert.equal(rackspace.logins().length, 2, 'renewed before the expiry');
      } finally {
        await fresh.stop();
      }
    });

    test('ServiceNet: with serviceNet the catalogue\'s internalURL is used', async () => {
      // The /snet catalogue's public Cloud Files URL is a closed port: only the internal one works.
      const snet = await startDriverServer('rackspace', { identityUrl: rackspace.identityUrl('snet'), defaultRegion: 'DFW', serviceNet: true });
      const pub = await startDriverServer('rackspace', { identityUrl: rackspace.identityUrl('snet'), defaultRegion: 'DFW', requestTimeoutMs: 3_000 });
      try {
        assert.equal((await req(snet, 'GET', '/api/buckets', { auth: AUTH })).status, 200);
        assert.equal((await req(pub, 'GET', '/api/buckets', { auth: AUTH, accept: 'application/json' })).status, 502, 'the public URL leads nowhere');
      } finally {
        await snet.stop();
        await pub.stop();
      }
    });
  });

  describe('buckets and blobs, live against Swift through DFW\'s cloudFiles URL', () => {
    test('create, list, show, blob with metadata, update metadata, ranges, delete', async () => {
      const created = await api('POST', '/api/buckets', { body: new URLSearchParams({ name: BUCKET }) });
      assert.equal(created.status, 201, created.text);
      // Swift sees it under the account the catalogue names.
      const { token, account } = await swiftLogin();
      const head = await fetch(`${account}/${BUCKET}`, { method: 'HEAD', headers: { 'X-Auth-Token': token } });
      assert.equal(head.status, 204, 'the container exists in Swift');

      const listed = await api('GET', '/api/buckets');
      assert.ok(listed.json().buckets.some((b: { id: string }) => b.id === BUCKET));

      const put = await api('PUT', `/api/buckets/${BUCKET}/note.txt`, {
        body: 'hello rackspace', headers: { 'Content-Type': 'text/plain', 'X-Deltacloud-Blobmeta-Colour': 'blue' },
      });
      assert.equal(put.status, 200, put.text);
      const object = await fetch(`${account}/${BUCKET}/note.txt`, { headers: { 'X-Auth-Token': token } });
      assert.equal(await object.text(), 'hello rackspace');
      assert.equal(object.headers.get('x-object-meta-colour'), 'blue');

      const blob = (await api('GET', `/api/buckets/${BUCKET}/note.txt`)).json().blob;
      assert.equal(blob.content_length, 15);
      assert.deepEqual(blob.user_metadata, { colour: 'blue' });
      const content = await api('GET', `/api/buckets/${BUCKET}/note.txt/content`, { headers: { Range: 'bytes=6-14' } });
      assert.equal(content.status, 206);
      assert.equal(content.text, 'rackspace');

      const updated = await api('POST', `/api/buckets/${BUCKET}/note.txt`, { headers: { 'X-Deltacloud-Blobmeta-Shape': 'round' } });
      assert.equal(updated.status, 204, updated.text);
      const meta = await api('HEAD', `/api/buckets/${BUCKET}/note.txt`);
      assert.equal(meta.headers['x-deltacloud-blobmeta-shape'], 'round');

      const shown = (await api('GET', `/api/buckets/${BUCKET}`)).json().bucket;
      assert.deepEqual(shown.blob_list.map((b: { id: string }) => b.id), ['note.txt']);
      assert.deepEqual(shown.cdn, { enabled: false, uri: null, ssl_uri: null, streaming_uri: null, ios_uri: null, ttl: null }, 'never published');

      assert.equal((await api('DELETE', `/api/buckets/${BUCKET}/missing`)).status, 404);
      assert.equal((await api('GET', `/api/buckets/${BUCKET}-missing`)).status, 404);
      noViolations();
    });

    test('a 64 MiB blob round trip: byte-exact, a static large object in Swift, server RSS grows < 56 MB (less than the blob)', { timeout: 120_000 }, async (t) => {
      const SIZE = 64 * MiB;
      const pid = server.process.pid!;
      const rss = () => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
      assert.equal((await api('PUT', `/api/buckets/${BUCKET}/warm`, { body: Buffer.alloc(MiB, 7) })).status, 200);
      await api('GET', `/api/buckets/${BUCKET}/warm/content`);
      assert.equal((await api('DELETE', `/api/buckets/${BUCKET}/warm`)).status, 204);
      const baseline = rss();
      let peak = baseline;
      const timer = setInterval(() => (peak = Math.max(peak, rss())), 50);
      try {
        const sent = createHash('sha256');
        let produced = 0;
        const source = new Readable({
          read() {
            if (produced >= SIZE) return void this.push(null);
            const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(256 * 1024, SIZE - produced)));
            produced += chunk.length;
            sent.update(chunk);
            this.push(chunk);
          },
        });
        const status = await new Promise<number>((resolve, reject) => {
          const r = http.request({
            host: '127.0.0.1', port: server.port, method: 'PUT', path: `/api/buckets/${BUCKET}/big`,
            headers: { Host: `localhost:${server.port}`, Authorization: AUTH, 'Content-Type': 'application/octet-stream', 'Content-Length': String(SIZE) },
          }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          });
          r.on('error', reject);
          pipeline(source, r).catch(reject);
        });
        assert.equal(status, 200);
        const { token, account } = await swiftLogin();
        const manifest = await fetch(`${account}/${BUCKET}/big`, { method: 'HEAD', headers: { 'X-Auth-Token': token } });
        assert.equal(manifest.headers.get('x-static-large-object'), 'True', 'stored as a static large object of 16 MiB segments');

        const got = await new Promise<{ bytes: number; sha: string }>((resolve, reject) => {
          const hash = createHash('sha256');
          let bytes = 0;
          http.get({ host: '127.0.0.1', port: server.port, path: `/api/buckets/${BUCKET}/big/content`, headers: { Host: `localhost:${server.port}`, Authorization: AUTH } }, (res) => {
            res.on('data', (c: Buffer) => {
              bytes += c.length;
              hash.update(c);
            });
            res.on('end', () => resolve({ bytes, sha: hash.digest('hex') }));
            res.on('error', reject);
          }).on('error', reject);
        });
        assert.equal(got.bytes, SIZE);
        assert.equal(got.sha, sent.digest('hex'), 'byte-exact');
      } finally {
        clearInterval(timer);
      }
      const growth = peak - baseline;
      t.diagnostic(`RSS baseline ${(baseline / MiB).toFixed(1)} MB, peak ${(peak / MiB).toFixed(1)} MB`);
      assert.ok(growth < 56 * MiB, `server RSS grew by ${(growth / MiB).toFixed(1)} MB`);
      assert.equal((await api('DELETE', `/api/buckets/${BUCKET}/big`)).status, 204);
      const { token, account } = await swiftLogin();
      const segments = await fetch(`${account}/${BUCKET}_segments?format=json`, { headers: { 'X-Auth-Token': token } });
      assert.deepEqual(segments.status === 200 ? await segments.json() : [], [], 'the segments went with the blob');
    });
  });

  describe('CDN publishing (the documented CDN answers, replayed)', () => {
    test('enable with a TTL, show, disable; the URIs are Rackspace\'s', async () => {
      assert.equal((await api('POST', '/api/buckets', { body: new URLSearchParams({ name: BUCKET }) })).status, 201);
      const enabled = await api('POST', `/api/buckets/${BUCKET}/cdn/enable`, { body: new URLSearchParams({ ttl: '604800' }) });
      assert.equal(enabled.status, 200, enabled.text);
      assert.deepEqual(enabled.json().bucket.cdn, {
        enabled: true,
        uri: 'http://98199d7b2503ac330f05-24695493c49b279502b280c6ecd262b5.r17.cf6.rackcdn.com',
        ssl_uri: 'https://c93f9b29cd3c6bd865ee-24695493c49b279502b280c6ecd262b5.ssl.cf6.rackcdn.com',
        streaming_uri: 'http://ce3a54aaf724a75455d6-24695493c49b279502b280c6ecd262b5.r17.stream.cf6.rackcdn.com',
        ios_uri: 'http://7a701469fe9980c577e9-24695493c49b279502b280c6ecd262b5.iosr.cf6.rackcdn.com',
        ttl: 604800,
      });
      const put = rackspace.requests.find((r) => r.service === 'cdn' && r.method === 'PUT');
      assert.equal(put?.path, `/v1/${CDN_TENANT}/${BUCKET}`);
      assert.equal(put?.headers['x-cdn-enabled'], 'True');
      assert.equal(put?.headers['x-ttl'], '604800');

      const xml = await api('GET', `/api/buckets/${BUCKET}`, { accept: XML });
      const cdn = xml.xml().child('cdn');
      assert.equal(cdn.attrs.enabled, 'true');
      assert.equal(cdn.child('ssl_uri').text, 'https://c93f9b29cd3c6bd865ee-24695493c49b279502b280c6ecd262b5.ssl.cf6.rackcdn.com');
      assert.equal(cdn.child('ttl').text, '604800');
      const html = await api('GET', `/api/buckets/${BUCKET}`, { accept: 'text/html' });
      assert.equal(html.status, 200);
      assert.ok(html.text.includes('98199d7b2503ac330f05-24695493c49b279502b280c6ecd262b5.r17.cf6.rackcdn.com'), 'the HTML page shows the CDN URI');

      const disabled = await api('POST', `/api/buckets/${BUCKET}/cdn/disable`);
      assert.equal(disabled.status, 200, disabled.text);
      assert.equal(disabled.json().bucket.cdn.enabled, false);
      const post = rackspace.requests.find((r) => r.service === 'cdn' && r.method === 'POST');
      assert.equal(post?.headers['x-cdn-enabled'], 'False');
      noViolations();
    });

    test('the bucket_cdn feature: advertised on buckets, cdn=true at creation publishes the new bucket', async () => {
      const entry = await api('GET', '/api');
      const buckets = entry.json().api.links.find((l: { rel: string }) => l.rel === 'buckets');
      assert.deepEqual(buckets.features.flat().map((f: { name: string }) => f.name), ['bucket_cdn']);
      const options = await req(server, 'OPTIONS', '/api/buckets/create', { auth: AUTH });
      assert.ok(String(options.headers.allow).split(',').includes('cdn:string:optional'), String(options.headers.allow));
      const name = `${BUCKET}-pub`;
      try {
        const created = await api('POST', '/api/buckets', { body: new URLSearchParams({ name, cdn: 'true' }) });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.json().bucket.cdn.enabled, true);
        assert.ok(rackspace.requests.some((r) => r.service === 'cdn' && r.method === 'PUT' && r.path === `/v1/${CDN_TENANT}/${name}`));
        assert.equal((await api('POST', '/api/buckets', { body: new URLSearchParams({ name, cdn: 'maybe' }) })).status, 400);
      } finally {
        assert.equal((await api('DELETE', `/api/buckets/${name}`)).status, 204);
      }
      noViolations();
    });

    test('bad input: a TTL outside 900..31536000 is 400, a missing bucket 404, both before the CDN is called', async () => {
      const ttl = await api('POST', `/api/buckets/${BUCKET}/cdn/enable`, { body: new URLSearchParams({ ttl: '60' }) });
      assert.equal(ttl.status, 400, ttl.text);
      const missing = await api('POST', `/api/buckets/${BUCKET}-missing/cdn/enable`);
      assert.equal(missing.status, 404, missing.text);
      assert.equal(rackspace.requests.filter((r) => r.service === 'cdn' && r.method !== 'HEAD').length, 0);
    });

    test('a region without cloudFilesCDN answers 501; a driver without CDN answers 412', async () => {
      const res = await api('POST', `/api;provider=LON/buckets/${BUCKET}/cdn/enable`);
      assert.equal(res.status, 501, res.text);
      const openstack = await api('POST', `/api;driver=openstack/buckets/${BUCKET}/cdn/enable`);
      assert.equal(openstack.status, 412, openstack.text);
      const atCreation = await api('POST', '/api;driver=openstack/buckets', { body: new URLSearchParams({ name: BUCKET, cdn: 'true' }) });
      assert.equal(atCreation.status, 400, atCreation.text);
      assert.match(atCreation.json().message, /cannot publish buckets through a CDN/);
    });
  });

  describe('secrets', () => {
    test('the API key never appears in a log line (verbose: one line per driver call)', async () => {
      // Provoke the paths that handle the key: a wrong key, a refused token and renewal, a successful call.
      await req(server, 'GET', '/api/buckets', { auth: 'Basic ' + Buffer.from(`${USER}:wrong-${API_KEY}`).toString('base64') });
      assert.equal((await api('GET', '/api/buckets')).status, 200);
      const log = server.output();
      assert.match(log, /buckets/, 'the verbose log has the driver calls');
      for (const secret of [...SECRETS, `wrong-${API_KEY}`]) assert.ok(!log.includes(secret), 'no API key in the log');
    });
  });

  describe('Cloud Servers (cloudServersOpenStack) through the openstack driver\'s Nova code', () => {
    test('flavors, servers and key pairs from the recorded Nova answers, with the Rackspace token', async () => {
      const profiles = await api('GET', '/api/hardware_profiles');
      assert.equal(profiles.status, 200, profiles.text);
      assert.ok(profiles.json().hardware_profiles.length > 0);
      const instances = await api('GET', '/api/instances');
      assert.equal(instances.status, 200, instances.text);
      assert.ok(instances.json().instances.length > 0);
      const keys = await api('GET', '/api/keys');
      assert.equal(keys.status, 200, keys.text);
      const calls = nova.calls('compute');
      assert.ok(calls.length >= 3);
      for (const c of calls) {
        assert.ok(rackspace.issued.has(String(c.headers['x-auth-token'])), 'Nova got the token Identity v2.0 issued');
        assert.equal(c.headers['openstack-api-version'], undefined, 'no microversion sent to Rackspace\'s Nova');
      }
    });

    test('a region without cloudServersOpenStack (LON) answers 501 for instances', async () => {
      const res = await api('GET', '/api;provider=LON/instances');
      assert.equal(res.status, 501, res.text);
    });
  });
});
