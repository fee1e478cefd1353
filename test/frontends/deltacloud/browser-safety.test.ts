// CSRF and security headers, over HTTP against the real server (issue 10
// item 8): browsers resend cached Basic credentials, so a state change a
// browser marks as coming from another site is refused with 403 and changes
// nothing; API clients, which send no Origin or Referer, work as before.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getJson, req, type ReqOptions, type Res } from '../../helpers/api.js';
import { startServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let own: string;

before(async () => {
  server = await startServer();
  own = `http://localhost:${server.port}`;
});
after(async () => {
  await server.stop();
});

const instanceIds = async () => (await getJson(server, '/api/instances')).json().instances.map((i: { id: string }) => i.id).sort();
const keyIds = async () => (await getJson(server, '/api/keys')).json().keys.map((k: { id: string }) => k.id).sort();

/** A multipart/form-data body as a browser's form sends it. */
async function multipartBody(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const encoded = new Request('http://localhost/', { method: 'POST', body: form });
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

function assertRefused(res: Res, format: 'html' | 'xml' | 'json') {
  assert.equal(res.status, 403, res.text);
  if (format === 'html') {
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.text, /<title>403 - Cross-origin request refused/);
  } else if (format === 'xml') {
    assert.match(res.text, /<error status='403' url='\/api[^']*'>/);
    assert.match(res.text, /<message><!\[CDATA\[Cross-origin request refused/);
  } else {
    assert.equal(res.json().code, 403);
    assert.match(res.json().message, /^Cross-origin request refused/);
  }
}

const form = (fields: Record<string, string>, headers: Record<string, string>, accept = 'text/html'): ReqOptions =>
  ({ accept, body: new URLSearchParams(fields), headers });

describe('cross-origin state changes are refused (CSRF)', () => {
  test('a form posted from another site creates no instance: 403 and the error document', async () => {
    const before = await instanceIds();
    for (const headers of [
      { Origin: 'http://evil.example' },
      { Origin: 'null' }, // sandboxed frames, data: URLs
      { Origin: `http://localhost:${server.port + 1}` }, // another port is another origin
      { Origin: `https://localhost:${server.port}` }, // and another scheme
      { Referer: 'http://evil.example/page.html' }, // an older browser without Origin
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'cross-site', Origin: own }, // Sec-Fetch-Site is the browser's word
    ]) {
      assertRefused(await req(server, 'POST', '/api/instances', form({ image_id: 'img1' }, headers)), 'html');
    }
    assertRefused(await req(server, 'POST', '/api/instances', form({ image_id: 'img1' }, { Origin: 'http://evil.example' }, 'application/xml')), 'xml');
    assertRefused(await req(server, 'POST', '/api/instances;image_id=img1', { accept: 'application/json', headers: { Origin: 'http://evil.example' } }), 'json');
    assert.deepEqual(await instanceIds(), before, 'nothing was created');
  });

  test('a _method=delete override and a DELETE from another site delete nothing', async () => {
    assert.ok((await keyIds()).includes('test-key'));
    assertRefused(await req(server, 'POST', '/api/keys/test-key', form({ _method: 'delete' }, { Origin: 'http://evil.example' })), 'html');
    assertRefused(await req(server, 'DELETE', '/api/keys/test-key', { accept: 'application/xml', headers: { Referer: 'http://evil.example/' } }), 'xml');
    assert.ok((await keyIds()).includes('test-key'), 'the key is still there');
  });

  test('a multipart upload from another site stores no blob', async () => {
    const body = new FormData();
    body.append('blob_id', 'csrf-blob');
    body.append('blob_data', new Blob(['evil']), 'evil.txt');
    const { body: bytes, contentType } = await multipartBody(body);
    const res = await req(server, 'POST', '/api/buckets/bucket1', {
      accept: 'text/html', body: bytes, headers: { 'Content-Type': contentType, Origin: 'http://evil.example' },
    });
    assertRefused(res, 'html');
    assert.equal((await req(server, 'GET', '/api/buckets/bucket1/csrf-blob', { accept: 'application/xml' })).status, 404);
  });

  test('the same site: forms of this server work (Origin, Referer, Sec-Fetch-Site same-origin)', async () => {
    for (const headers of [
      { Origin: own },
      { Referer: `${own}/api/images/img1`, 'Sec-Fetch-Site': 'same-origin' },
      { Origin: own.toUpperCase().replace('HTTP', 'http') }, // host names compare case-insensitively
    ]) {
      const before = await instanceIds();
      const res = await req(server, 'POST', '/api/instances', form({ image_id: 'img1' }, headers));
      assert.equal(res.status, 303, res.text);
      const id = /\/instances\/([^/]+)$/.exec(String(res.headers.location))![1]!;
      assert.deepEqual(await instanceIds(), [...before, id].sort(), 'the instance was created');
    }
  });

  test('behind a proxy, the origin is the one X-Forwarded-* names (as for links)', async () => {
    const proxied = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'cloud.example.org' };
    const ok = await req(server, 'POST', '/api/instances', form({ image_id: 'img1' }, { ...proxied, Origin: 'https://cloud.example.org' }));
    assert.equal(ok.status, 303, ok.text);
    assert.match(String(ok.headers.location), /^https:\/\/cloud\.example\.org\/api\/instances\//);
    const direct = await req(server, 'POST', '/api/instances', form({ image_id: 'img1' }, { ...proxied, Origin: own }));
    assertRefused(direct, 'html');
    const withPort = { ...proxied, 'X-Forwarded-Port': '8443' };
    assert.equal((await req(server, 'POST', '/api/instances', form({ image_id: 'img1' }, { ...withPort, Origin: 'https://cloud.example.org:8443' }))).status, 303);
    assertRefused(await req(server, 'POST', '/api/instances', form({ image_id: 'img1' }, { ...withPort, Origin: 'https://cloud.example.org' })), 'html');
  });

  test('API clients (no Origin, no Referer) work unchanged: create, act, upload, delete', async () => {
    const created = await req(server, 'POST', '/api/instances', { accept: 'application/xml', body: { image_id: 'img1' } });
    assert.equal(created.status, 201);
    const id = /id='([^']+)'/.exec(created.text)![1]!;
    assert.equal((await req(server, 'POST', `/api/instances/${id}/stop`, { accept: 'application/xml' })).status, 202);
    assert.equal((await req(server, 'POST', `/api/instances/${id}`, { accept: 'application/xml', body: { _method: 'delete' } })).status, 204);
    const put = await req(server, 'PUT', '/api/buckets/bucket1/api-blob', { accept: 'application/xml', body: 'data', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(put.status, 200);
    assert.equal((await req(server, 'DELETE', '/api/buckets/bucket1/api-blob', { accept: 'application/xml' })).status, 204);
  });

  test('reads are never refused, wherever the link was', async () => {
    const res = await req(server, 'GET', '/api/instances', { accept: 'text/html', headers: { Referer: 'http://elsewhere.example/', 'Sec-Fetch-Site': 'cross-site' } });
    assert.equal(res.status, 200);
  });
});

describe('security headers', () => {
  const HTML_HEADERS = {
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
  };

  function assertHtmlHeaders(res: Res, what: string) {
    assert.match(String(res.headers['content-type']), /^text\/html/, what);
    for (const [name, value] of Object.entries(HTML_HEADERS)) assert.equal(res.headers[name], value, `${what}: ${name}`);
  }

  test('HTML pages, forms, error pages and the root page carry CSP, nosniff, frame and referrer policies', async () => {
    for (const path of ['/api', '/api/instances', '/api/images/img1', '/api/keys/new', '/api/buckets/bucket1/new_blob_form_d15cfd90', '/']) {
      const res = await req(server, 'GET', path, { accept: 'text/html' });
      assert.equal(res.status, 200, path);
      assertHtmlHeaders(res, path);
    }
    assertHtmlHeaders(await req(server, 'GET', '/api/instances/nonexistent', { accept: 'text/html' }), '404 page');
    assertHtmlHeaders(await req(server, 'GET', '/api/instances', { accept: 'text/html', auth: false }), '401 page');
    assertHtmlHeaders(await req(server, 'POST', '/api/instances', form({ image_id: 'img1' }, { Origin: 'http://evil.example' })), '403 page');
  });

  test('a cached repeat of an HTML page carries the same headers as the full path', async () => {
    const headers = { 'X-Test-Client': 'security-headers' };
    await req(server, 'GET', '/api/realms', { accept: 'text/html' });
    const fullPath = await req(server, 'GET', '/api/realms', { accept: 'text/html', headers });
    const repeat = await req(server, 'GET', '/api/realms', { accept: 'text/html', headers });
    assert.equal(repeat.headers['x-backend-runtime'], '0.000000');
    assertHtmlHeaders(fullPath, 'full path');
    assertHtmlHeaders(repeat, 'repeat');
  });

  test('pages use no inline script or style, so the policy breaks nothing; the stylesheet is same-origin', async () => {
    for (const path of ['/api', '/api/instances/inst0', '/api/buckets/bucket1/new_blob_form_d15cfd90']) {
      const html = (await req(server, 'GET', path, { accept: 'text/html' })).text;
      assert.doesNotMatch(html, /<script|<style|\sstyle=|\son[a-z]+=/i, path);
      for (const [, href] of html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)) {
        assert.ok(href!.startsWith('/'), `${path}: stylesheet ${href} is this server's`);
        const css = await req(server, 'GET', href!);
        assert.equal(css.status, 200);
        assert.equal(css.headers['x-content-type-options'], 'nosniff');
      }
    }
  });

  test('XML and JSON answers carry nosniff but no page policies', async () => {
    for (const accept of ['application/xml', 'application/json']) {
      const res = await req(server, 'GET', '/api/realms', { accept });
      assert.equal(res.headers['x-content-type-options'], 'nosniff', accept);
      assert.equal(res.headers['content-security-policy'], undefined, accept);
    }
  });
});
