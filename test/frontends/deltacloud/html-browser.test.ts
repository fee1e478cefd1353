// The HTML interface as a browser uses it, over HTTP against the real server
// (issue 10 items 8, 21–23): pages are fetched, their links followed and
// their forms filled in and submitted the way a browser would (multipart
// included); the driver chosen in the picker stays chosen on every link.
// Browsers resend cached Basic credentials, so a state change a browser marks
// as coming from another site is refused with 403 and changes nothing, while
// API clients, which send no Origin or Referer, work as before.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getJson, req, type ReqOptions, type Res } from '../../helpers/api.js';
import { startApp, type AppServer } from '../../helpers/inject.js';

let server: AppServer;
let own: string;

before(async () => {
  server = await startApp();
  own = `http://localhost:${server.port}`;
});
after(async () => {
  await server.stop();
});

// ---------------------------------------------------------------- reading pages as a browser does

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>' };
const unescape = (s: string) => s.replace(/&(amp|quot|#39|lt|gt);/g, (_, e: string) => ENTITIES[e]!);

function attributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of tag.matchAll(/\s([a-z-]+)(?:="([^"]*)")?/g)) attrs[m[1]!] = unescape(m[2] ?? '');
  return attrs;
}

interface Field {
  tag: string;
  type: string;
  name: string;
  value: string;
  required: boolean;
  /** A select's option values. */
  options: string[];
}
interface PageForm {
  action: string;
  method: string;
  enctype: string;
  fields: Field[];
  button: string;
}

/** The forms of the page's content (the header's back-end switcher is checked on its own). */
function formsOf(page: string): PageForm[] {
  const html = page.slice(Math.max(0, page.indexOf('<main')));
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map(([, open, inner]) => {
    const a = attributes(open!);
    const fields: Field[] = [];
    for (const m of inner!.matchAll(/<(input|select|textarea)\b([^>]*)>(?:([\s\S]*?)<\/\1>)?/g)) {
      const f = attributes(m[2]!);
      const options = [...(m[3] ?? '').matchAll(/<option\b([^>]*)>/g)].map((o) => attributes(o[1]!));
      const selected = options.find((o) => 'selected' in o) ?? options[0];
      fields.push({
        tag: m[1]!, type: f.type ?? m[1]!, name: f.name ?? '', required: 'required' in f, options: options.map((o) => o.value!),
        value: m[1] === 'select' ? selected?.value ?? '' : m[1] === 'textarea' ? unescape(m[3] ?? '') : f.value ?? '',
      });
    }
    return { action: a.action ?? '', method: a.method ?? 'get', enctype: a.enctype ?? 'application/x-www-form-urlencoded', fields, button: /<button[^>]*>([^<]*)</.exec(inner!)?.[1] ?? '' };
  });
}

const hrefsOf = (html: string) => [...html.matchAll(/\shref="([^"]*)"/g)].map((m) => unescape(m[1]!));
const linkTo = (html: string, text: string) => [...html.matchAll(/<a\b([^>]*)>([^<]*)<\/a>/g)].find((m) => unescape(m[2]!) === text)?.[1];
const hrefOfLink = (html: string, text: string) => {
  const open = linkTo(html, text);
  assert.ok(open !== undefined, `a link "${text}"`);
  return attributes(open).href!;
};
/** The path (and query) of an absolute URL of this server. */
const pathOf = (url: string) => {
  assert.ok(url.startsWith(own), `${url} is on this server`);
  return url.slice(own.length);
};

const page = async (url: string, expect = 200): Promise<Res> => {
  const res = await req(server, 'GET', url.startsWith('http') ? pathOf(url) : url, { accept: 'text/html' });
  assert.equal(res.status, expect, `${url}: ${res.text.slice(0, 300)}`);
  return res;
};

/** A multipart/form-data body as a browser's form sends it. */
async function multipartBody(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const encoded = new Request('http://localhost/', { method: 'POST', body: form });
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

/** Submits a form as a browser does: its fields with their values (overridden by `fill`), files as multipart. */
async function submit(f: PageForm, fill: Record<string, string | Blob> = {}): Promise<Res> {
  const headers: Record<string, string> = { Origin: own };
  let body: Buffer;
  if (f.enctype === 'multipart/form-data') {
    const data = new FormData();
    for (const field of f.fields) {
      const value = fill[field.name] ?? field.value;
      if (value instanceof Blob) data.append(field.name, value, 'upload.bin');
      else if (field.type === 'file') data.append(field.name, new Blob([]), '');
      else data.append(field.name, value);
    }
    const encoded = await multipartBody(data);
    body = encoded.body;
    headers['Content-Type'] = encoded.contentType;
  } else {
    const data = new URLSearchParams();
    for (const field of f.fields) data.append(field.name, String(fill[field.name] ?? field.value));
    body = Buffer.from(data.toString());
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  assert.equal(f.method, 'post');
  return req(server, 'POST', pathOf(f.action), { accept: 'text/html', body, headers });
}

/**
 * Follows every link of this server's API from `start` (breadth first, at most `limit` pages) and
 * hands each HTML page to `visit`; every link must answer 200.
 */
async function crawl(start: string, limit: number, visit: (url: string, html: string) => void = () => {}): Promise<Set<string>> {
  // The one dangling link of the mock's data: nicinst3's network is `net1`, shown as a subnet (mock-driver.md §4.11 seed quirk).
  const knownDangling = /\/subnets\/net1$/;
  const seen = new Set<string>();
  const queue = [`${own}${start}`];
  while (queue.length > 0 && seen.size < limit) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const res = await req(server, 'GET', pathOf(url), { accept: 'text/html' });
    if (knownDangling.test(url)) continue;
    assert.equal(res.status, 200, `${url}: ${res.text.slice(0, 200)}`);
    // Downloads (blob content, which may well be HTML) are data, not pages of this server.
    if (!String(res.headers['content-type']).startsWith('text/html') || res.headers['content-disposition']) continue;
    visit(url, res.text);
    for (const href of hrefsOf(res.text)) {
      const absolute = href.split('#')[0]!;
      if (absolute.startsWith(`${own}/api`) && !/format=(xml|json|png)/.test(absolute)) queue.push(absolute);
    }
  }
  return seen;
}

const ids = async (path: string, key: string) => (await getJson(server, path)).json()[key].map((i: { id: string }) => i.id).sort();

// ---------------------------------------------------------------- 8: CSRF and security headers

const instanceIds = () => ids('/api/instances', 'instances');
const keyIds = () => ids('/api/keys', 'keys');

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

describe('cross-origin state changes are refused (CSRF, item 8)', () => {
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
    ] as Array<Record<string, string>>) {
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
    ] as Array<Record<string, string>>) {
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

describe('security headers (item 8)', () => {
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
    // A rendering is stored the second time its key is rendered.
    for (let i = 0; i < 2; i++) await req(server, 'GET', '/api/realms', { accept: 'text/html' });
    const fullPath = await req(server, 'GET', '/api/realms', { accept: 'text/html', headers });
    const repeat = await req(server, 'GET', '/api/realms', { accept: 'text/html', headers });
    assert.equal(repeat.headers['x-backend-runtime'], '0.000000');
    assertHtmlHeaders(fullPath, 'full path');
    assertHtmlHeaders(repeat, 'repeat');
  });

  test('pages use no inline script or style, so the policy breaks nothing; the stylesheet is same-origin', async () => {
    for (const path of ['/api', '/api/instances/inst0', '/api/buckets/bucket1/new_blob_form_d15cfd90']) {
      const html = (await req(server, 'GET', path, { accept: 'text/html' })).text;
      // One script, the console's, from this server; nothing inline.
    assert.doesNotMatch(html.replace('<script src="/javascripts/console.js" defer></script>', ''), /<script|<style|\sstyle=|\son[a-z]+=/i, path);
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

// ---------------------------------------------------------------- 21: the upload form

describe('the blob upload form (item 21)', () => {
  test('asks for a file and a blob name and posts multipart to the bucket; the blob then holds the bytes', async () => {
    const html = (await page('/api/buckets/bucket1/new_blob_form_d15cfd90')).text;
    const [upload] = formsOf(html);
    assert.ok(upload);
    assert.equal(upload.action, `${own}/api/buckets/bucket1`);
    assert.equal(upload.enctype, 'multipart/form-data');
    const byName = new Map(upload.fields.map((f) => [f.name, f]));
    assert.equal(byName.get('blob_id')?.type, 'text');
    assert.ok(byName.get('blob_id')?.required);
    assert.equal(byName.get('blob_data')?.type, 'file');
    assert.ok(byName.get('blob_data')?.required);
    assert.ok(byName.has('meta_name1') && byName.has('meta_value1'), 'a metadata pair');

    const bytes = Buffer.from([0, 1, 2, 255, 0x0d, 0x0a, 0x2d, 0x2d, ...Buffer.from(' uploaded from the form')]);
    const res = await submit(upload, { blob_id: 'from-the-form', blob_data: new Blob([bytes], { type: 'application/octet-stream' }), meta_name1: 'Origin', meta_value1: 'browser' });
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, `${own}/api/buckets/bucket1/from-the-form`);
    const content = await req(server, 'GET', '/api/buckets/bucket1/from-the-form/content');
    assert.equal(content.status, 200);
    assert.deepEqual(content.body, bytes);
    const blob = (await getJson(server, '/api/buckets/bucket1/from-the-form')).json().blob;
    assert.equal(Number(blob.content_length), bytes.length);
    assert.deepEqual(blob.user_metadata, { origin: 'browser' });
  });
});

// ---------------------------------------------------------------- 22: links and buttons

describe('links to the forms and delete buttons (item 22)', () => {
  test('the instances page links to the launch form, which launches an instance of the chosen image', async () => {
    const list = (await page('/api/instances')).text;
    const formUrl = hrefOfLink(list, 'Create new…');
    assert.equal(formUrl, `${own}/api/instances/new`);
    const [launch] = formsOf((await page(formUrl)).text);
    assert.ok(launch);
    assert.equal(launch.action, `${own}/api/instances`);
    const image = launch.fields.find((f) => f.name === 'image_id');
    assert.ok(image?.options.includes('img1'), 'the image is chosen from the images');
    const before = await instanceIds();
    const res = await submit(launch, { image_id: 'img3' });
    assert.equal(res.status, 303, res.text);
    const created = /\/instances\/([^/]+)$/.exec(String(res.headers.location))![1]!;
    assert.deepEqual(await instanceIds(), [...before, created].sort());
    assert.equal((await getJson(server, `/api/instances/${created}`)).json().instance.image.id, 'img3');
  });

  test("an image's Create instance opens the launch form for that image instead of launching at once", async () => {
    const before = await instanceIds();
    const html = (await page('/api/images/img1')).text;
    assert.ok(!formsOf(html).some((f) => f.action.includes('/api/instances')), 'no form posting to /api/instances');
    const formUrl = hrefOfLink(html, 'Create instance');
    assert.equal(formUrl, `${own}/api/instances/new?image_id=img1`);
    const [launch] = formsOf((await page(formUrl)).text);
    assert.equal(launch!.fields.find((f) => f.name === 'image_id')?.value, 'img1');
    assert.deepEqual(await instanceIds(), before, 'opening the form created nothing');
  });

  test('a bucket page links to the upload form and deletes the bucket with its Delete button', async () => {
    const bucket1 = (await page('/api/buckets/bucket1')).text;
    assert.equal(hrefOfLink(bucket1, 'Upload blob'), `${own}/api/buckets/bucket1/new_blob_form_d15cfd90`);
    await page(hrefOfLink(bucket1, 'Upload blob'));

    assert.equal((await req(server, 'POST', '/api/buckets', { accept: 'application/xml', body: { name: 'doomed' } })).status, 201);
    const doomed = (await page('/api/buckets/doomed')).text;
    const [del] = formsOf(doomed).filter((f) => f.button === 'Delete');
    assert.ok(del, 'a Delete button');
    assert.equal(del.action, `${own}/api/buckets/doomed`);
    const res = await submit(del);
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, `${own}/api/buckets`);
    assert.ok(!(await ids('/api/buckets', 'buckets')).includes('doomed'));
  });

  test('a blob page deletes the blob with its Delete button', async () => {
    const put = await req(server, 'PUT', '/api/buckets/bucket1/doomed-blob', { accept: 'application/xml', body: 'x', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(put.status, 200);
    const [del] = formsOf((await page('/api/buckets/bucket1/doomed-blob')).text).filter((f) => f.button === 'Delete');
    assert.ok(del, 'a Delete button');
    const res = await submit(del);
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, `${own}/api/buckets/bucket1`);
    assert.equal((await req(server, 'GET', '/api/buckets/bucket1/doomed-blob', { accept: 'application/xml' })).status, 404);
  });

  test('member pages with actions of their own get no extra buttons (the actions follow the state)', async () => {
    const running = formsOf((await page('/api/instances/inst0')).text).map((f) => f.button);
    assert.ok(!running.includes('Delete'), `a running instance cannot be destroyed: ${running.join(', ')}`);
  });

  test('every link of every page, from the entry page on, answers 200', async () => {
    const seen = await crawl('/api', 400);
    assert.ok(seen.size > 40, `crawled ${seen.size} pages`);
    for (const form of ['/api/instances/new', '/api/buckets/new', '/api/keys/new', '/api/buckets/bucket1/new_blob_form_d15cfd90']) {
      assert.ok(seen.has(own + form), `${form} is linked from some page`);
    }
  });
});

// ---------------------------------------------------------------- 23: the chosen driver stays chosen

describe('the chosen driver and provider stay chosen (item 23)', () => {
  /** Every link and form action of this server in the page, with where it appears. */
  function internalTargets(html: string): string[] {
    const targets = [...hrefsOf(html), ...formsOf(html).map((f) => f.action)];
    return targets.filter((t) => t.startsWith(`${own}/api`) || t.startsWith('/api'));
  }

  function assertCarried(html: string, selection: string, where: string) {
    const targets = internalTargets(html);
    assert.ok(targets.length > 0, `${where}: has links`);
    for (const t of targets) assert.ok(t.startsWith(`${own}/api${selection}`), `${where}: ${t} does not carry ${selection}`);
  }

  test('pages rendered with ;driver= carry it on every link and form action (crawled from the entry page)', async () => {
    const selection = ';driver=mock';
    const seen = await crawl(`/api${selection}`, 400, (url, html) => assertCarried(html, selection, url));
    assert.ok(seen.size > 30, `crawled ${seen.size} pages`);
    assertCarried((await page(`/api${selection}/instances/nonexistent`, 404)).text, selection, 'a 404 page');
  });

  test('another driver (ec2) and a provider are carried together, on pages that need no back end', async () => {
    const selection = ';driver=ec2;provider=eu-west-1';
    for (const path of ['', '/drivers', '/drivers/ec2', '/drivers/mock']) {
      const html = (await page(`/api${selection}${path}`)).text;
      assert.match(html, /<p class="backend">ec2@eu-west-1\b/);
      assertCarried(html, selection, path || '/api');
    }
  });

  test('the error page of an unknown driver leads back to the default one', async () => {
    const html = (await page('/api;driver=nosuchdriver/realms', 400)).text;
    assert.equal(hrefOfLink(html, 'Home'), `${own}/api`);
    assert.ok(!internalTargets(html).some((t) => t.includes('nosuchdriver')), 'no link keeps the unknown driver');
  });

  test('redirects after a form post and to a form keep the driver', async () => {
    const [launch] = formsOf((await page('/api;driver=mock/instances/new?image_id=img1')).text);
    assert.equal(launch!.action, `${own}/api;driver=mock/instances`);
    const created = await submit(launch!);
    assert.equal(created.status, 303);
    assert.match(String(created.headers.location), new RegExp(`^${own}/api;driver=mock/instances/inst\\d+$`));
    const needsInput = await req(server, 'POST', '/api;driver=mock/keys', { accept: 'text/html', body: {}, headers: { Origin: own } });
    assert.equal(needsInput.status, 303);
    assert.equal(needsInput.headers.location, `${own}/api;driver=mock/keys/new`);
  });

  test('the picker sits at the top of the entry page and switching keeps the choice in the URL', async () => {
    const html = (await page('/api;driver=ec2')).text;
    const main = html.slice(html.indexOf('<main'));
    assert.ok(main.indexOf('class="picker"') >= 0 && main.indexOf('class="picker"') < main.indexOf('aria-label="Collections"'), 'picker before the collections');
    const pickers = formsOf(html).filter((f) => f.fields.some((x) => x.name === 'driver' || x.name === 'provider'));
    const driverPicker = pickers.find((f) => f.fields.some((x) => x.tag === 'select' && x.name === 'driver'))!;
    const providerPicker = pickers.find((f) => f.fields.some((x) => x.tag === 'select' && x.name === 'provider'))!;
    const toOpenstack = await submit(driverPicker, { driver: 'openstack' });
    assert.equal(toOpenstack.headers.location, `${own}/api;driver=openstack`);
    const toRegion = await submit(providerPicker, { provider: 'eu-west-1' });
    assert.equal(toRegion.headers.location, `${own}/api;driver=ec2;provider=eu-west-1`);
    // Back to the default provider; the driver stays.
    const regionPage = (await page(String(toRegion.headers.location))).text;
    const regionPicker = formsOf(regionPage).find((f) => f.fields.some((x) => x.tag === 'select' && x.name === 'provider'))!;
    assert.equal((await submit(regionPicker, { provider: 'default' })).headers.location, `${own}/api;driver=ec2`);
  });

  test('every page names the back end and offers the switcher', async () => {
    const html = (await page('/api;driver=mock/realms/us')).text;
    const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
    assert.match(header, /mock@default/);
    const [switcher] = formsOf(header.replace('<header>', '<main>'));
    assert.equal(switcher?.action, `${own}/api;driver=mock`, header);
    assert.ok(switcher.fields.some((f) => f.tag === 'select' && f.name === 'driver' && f.value === 'mock'), header);
  });
});
