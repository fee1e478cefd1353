// Cross-cutting HTTP behaviour (spec §1–§7, §9): matrix parameters, driver
// and provider selection, content negotiation, common headers, HEAD, OPTIONS,
// absolute links behind proxies, parameter sources.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertEtag, assertJsonError, assertNoLeak, assertRuntime, assertType, assertXmlError, get, getJson, getXml, JSON_TYPE, md5, post,
  rawHttp, req, XML,
} from '../../helpers/api.js';
import { startApp, type AppServer } from '../../helpers/inject.js';
import { checkEveryAnswer } from '../../openapi/integration-hook.js';

// Every answer of this suite must be documented by the server's OpenAPI document (status, media type, JSON schema).
checkEveryAnswer();

let server: AppServer;
let A: string;

before(async () => {
  server = await startApp();
  A = `http://localhost:${server.port}/api`;
});
after(async () => {
  await server.stop();
});

describe('matrix parameters (§1.2)', () => {
  test('/api;driver=mock/realms routes to realms; malformed pieces are ignored', async () => {
    for (const path of ['/api;driver=mock/realms', '/api;driver=MOCK/realms', '/api;;;/realms', '/api;driver=mock;;/realms;x=1']) {
      const res = await getXml(server, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.xml().name, 'realms', path);
      assert.equal(res.headers['x-deltacloud-driver'], 'mock', 'driver names match case-insensitively, echoed lower case');
    }
  });

  test('hrefs stay clean of the request matrix', async () => {
    const res = await getXml(server, '/api;driver=mock/realms/us');
    assert.equal(res.xml().attrs.href, `${A}/realms/us`);
  });

  test('last-segment matrix parameters are plain parameters on POST; explicit ones win', async () => {
    const res = await post(server, '/api/keys;name=matrixkey', undefined, { accept: XML });
    assert.equal(res.status, 201);
    assert.equal(res.xml().attrs.id, 'matrixkey');
    const both = await post(server, '/api/keys;name=ignored', { name: 'bodykey' }, { accept: XML });
    assert.equal(both.xml().attrs.id, 'bodykey');
    assert.equal((await getXml(server, '/api/keys/ignored')).status, 404);
  });
});

describe('driver and provider selection (§3)', () => {
  test('X-Deltacloud-Driver on every response; X-Deltacloud-Provider only with a provider', async () => {
    const responses = [
      await getXml(server, '/api/realms'), await getXml(server, '/api/realms/nope'), await get(server, '/api/realms', { accept: 'text/plain' }),
      await getXml(server, '/api/nosuchcollection'), await req(server, 'OPTIONS', '/api'), await req(server, 'HEAD', '/api/realms', { accept: XML }),
      await req(server, 'DELETE', '/api/keys/none-such', { accept: XML }),
    ];
    for (const res of responses) {
      assert.equal(res.headers['x-deltacloud-driver'], 'mock', `driver header on ${res.status}`);
      assert.equal(res.headers['x-deltacloud-provider'], undefined, `no provider header on ${res.status}`);
      assert.equal(res.headers.server, 'Apache-Deltacloud/1.1.3', `Server header on ${res.status}`);
    }
  });

  test('provider by header and by matrix (matrix wins), case preserved, nothing sticky', async () => {
    const byHeader = await getXml(server, '/api/realms', { headers: { 'X-Deltacloud-Provider': 'Region-One' } });
    assert.equal(byHeader.headers['x-deltacloud-provider'], 'Region-One');
    const byMatrix = await getXml(server, '/api;provider=Region-Two/realms', { headers: { 'X-Deltacloud-Provider': 'Region-One' } });
    assert.equal(byMatrix.headers['x-deltacloud-provider'], 'Region-Two');
    const byQuery = await getXml(server, '/api/realms?api[provider]=Region-Three');
    assert.equal(byQuery.headers['x-deltacloud-provider'], 'Region-Three');
    const err = await getXml(server, '/api;provider=Region-Two/realms/nope');
    assertXmlError(err, { status: 404, provider: 'Region-Two' });
    const plain = await getXml(server, '/api/realms');
    assert.equal(plain.headers['x-deltacloud-provider'], undefined, 'the choice lasts one request');
    const byDriverHeader = await getXml(server, '/api/realms', { headers: { 'X-Deltacloud-Driver': 'Mock' } });
    assert.equal(byDriverHeader.status, 200);
    assert.equal(byDriverHeader.headers['x-deltacloud-driver'], 'mock');
  });

  test('unknown driver → 400 error document naming it; the header echoes the requested name', async () => {
    const switches: Array<{ path: string; headers: Record<string, string> }> = [
      { path: '/api;driver=nosuchdriver/realms', headers: {} }, { path: '/api/realms', headers: { 'X-Deltacloud-Driver': 'nosuchdriver' } },
    ];
    for (const opts of switches) {
      const xml = await req(server, 'GET', opts.path, { accept: XML, headers: opts.headers });
      assertXmlError(xml, { status: 400, message: /^Driver 'nosuchdriver' is not offered on this server/, driver: 'nosuchdriver' });
      assert.equal(xml.headers['x-deltacloud-driver'], 'nosuchdriver');
      const json = await req(server, 'GET', opts.path, { accept: JSON_TYPE, headers: opts.headers });
      assertJsonError(json, { status: 400, message: /^Driver 'nosuchdriver' is not offered on this server/ });
    }
  });

  test('POST /api switches driver/provider with 301s and an empty body', async () => {
    const cases: Array<[Record<string, string>, Record<string, string>, string]> = [
      [{ driver: 'mock' }, {}, `${A};driver=mock`],
      [{ provider: 'eu-west-1' }, {}, `${A};provider=eu-west-1`],
      [{ provider: 'eu-west-1' }, { Referer: `${A};driver=mock/realms` }, `${A};driver=mock;provider=eu-west-1`],
      [{ provider: 'default' }, {}, `${A}/`],
      [{}, {}, `${A}/`],
    ];
    for (const [body, headers, location] of cases) {
      const res = await post(server, '/api', Object.keys(body).length ? body : '', { accept: XML, headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' } });
      assert.equal(res.status, 301, JSON.stringify(body));
      assert.equal(res.headers.location, location, JSON.stringify(body));
      assert.equal(res.text, '');
    }
  });
});

describe('content negotiation (§5)', () => {
  const FORMAT_OF: Record<string, string> = { 'application/xml': 'xml', 'application/json': 'json', 'text/html': 'html' };
  const TABLE: Array<[string | undefined, string]> = [
    [undefined, 'xml'],
    ['', 'xml'],
    ['application/xml', 'xml'],
    ['text/xml', 'xml'],
    ['application/json', 'json'],
    ['text/html', 'html'],
    ['*/*', 'html'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'html'],
    ['application/json;q=0.5, application/xml', 'xml'],
    ['application/xml, application/json', 'json'],
    ['application/json, application/xml', 'xml'],
    ['*/*, application/json', 'json'],
    ['application/json, */*', 'html'],
    ['application/xhtml+xml', 'html'],
  ];
  for (const [accept, expected] of TABLE) {
    test(`Accept ${accept === undefined ? '(absent)' : JSON.stringify(accept)} → ${expected}`, async () => {
      const res = await get(server, '/api/realms', { accept });
      assert.equal(res.status, 200);
      const type = String(res.headers['content-type']);
      assert.equal(FORMAT_OF[type], expected, `Content-Type ${type} exactly, no charset`);
      if (expected === 'xml') assert.equal(res.xml().name, 'realms');
      if (expected === 'json') assert.ok(Array.isArray(res.json().realms));
      if (expected === 'html') assert.match(res.text, /^<!DOCTYPE html>/);
    });
  }

  test('no acceptable format → 406, empty body, no Content-Type', async () => {
    const cases: Array<[string, string]> = [
      ['/api/realms', 'text/plain'], ['/api/realms', 'application/*'], ['/api/realms', 'application/unknown'],
      ['/api/realms', 'image/png'], ['/api/instances/inst0', 'image/png'], ['/api', 'image/png'], ['/api/realms?format=yaml', 'application/xml'],
    ];
    for (const [path, accept] of cases) {
      const res = await get(server, path, { accept });
      assert.equal(res.status, 406, `${path} with ${accept}`);
      assert.equal(res.text, '');
      assert.equal(res.headers['content-type'], undefined);
      assert.equal(res.headers.server, 'Apache-Deltacloud/1.1.3');
    }
  });

  test('?format= decides alone, Accept ignored', async () => {
    assertType(await get(server, '/api/realms?format=xml', { accept: JSON_TYPE }), XML);
    assertType(await get(server, '/api/realms?format=json', { accept: XML }), JSON_TYPE);
    assertType(await get(server, '/api/realms?format=html', { accept: XML }), 'text/html');
    assertType(await get(server, '/api?format=xml', { accept: '*/*' }), XML);
    assert.equal((await get(server, '/api/realms?format=bogus', { accept: XML })).status, 406);
  });

  test('errors are rendered in the negotiated format', async () => {
    assertType(await get(server, '/api/realms/nope', { accept: 'text/html' }), 'text/html');
    const html = await get(server, '/api/realms/nope', { accept: 'text/html' });
    assert.equal(html.status, 404);
    assertNoLeak(html);
  });

  test('406 is decided before side effects (§2 step 10)', async () => {
    const res = await post(server, '/api/keys', { name: 'not-created' }, { accept: 'text/plain' });
    assert.equal(res.status, 406);
    assert.equal((await getXml(server, '/api/keys/not-created')).status, 404);
    const form = await get(server, '/api/keys/new', { accept: XML });
    assert.equal(form.status, 406, 'HTML-only form page asked for XML');
    assert.equal((await get(server, '/api/keys/new', { accept: 'text/html' })).status, 200);
  });
});

describe('common headers (§6)', () => {
  test('ETag = MD5 of the body and Cache-Control on 200/201, in every format; not on 202/204/errors', async () => {
    for (const accept of [XML, JSON_TYPE, 'text/html']) {
      const res = await get(server, '/api/realms', { accept });
      assert.equal(res.status, 200);
      assertEtag(res);
      assert.match(String(res.headers.etag), /^[0-9a-f]{32}$/, 'unquoted lower-case hex');
    }
    const created = await post(server, '/api/keys', { name: 'etagkey' }, { accept: JSON_TYPE });
    assert.equal(created.status, 201);
    assertEtag(created);
    const err = await getXml(server, '/api/realms/nope');
    assert.equal(err.headers.etag, undefined);
    const del = await req(server, 'DELETE', '/api/keys/etagkey', { accept: XML });
    assert.equal(del.status, 204);
    assert.equal(del.headers.etag, undefined);
    const inst = (await post(server, '/api/instances', { image_id: 'img1' }, { accept: JSON_TYPE })).json().instance.id;
    const accepted = await post(server, `/api/instances/${inst}/reboot`, undefined, { accept: XML });
    assert.equal(accepted.status, 202);
    assert.equal(accepted.headers.etag, undefined, 'ETag only for 200/201');
    assertRuntime(accepted);
  });

  test('Server version matches the entry point; X-Backend-Runtime on list and show', async () => {
    const entry = await getXml(server, '/api');
    const m = /^Apache-Deltacloud\/(\d+)\.(\d+)\.(\d+)$/.exec(String(entry.headers.server));
    assert.ok(m);
    assert.equal(`${m[1]}.${m[2]}.${m[3]}`, entry.xml().attrs.version);
    assertRuntime(await getXml(server, '/api/images'));
    assertRuntime(await getJson(server, '/api/images/img1'));
    assert.ok(entry.headers.date);
  });
});

describe('HEAD (§9.1)', () => {
  test('HEAD = GET without the body: same status, Content-Length, ETag', async () => {
    for (const [path, accept] of [['/api/realms', XML], ['/api/instances/inst1', JSON_TYPE], ['/api', XML], ['/api/instances/nonexist', XML], ['/api/nosuch', JSON_TYPE]] as const) {
      const g = await get(server, path, { accept });
      const h = await req(server, 'HEAD', path, { accept });
      assert.equal(h.status, g.status, path);
      assert.equal(h.text, '', `${path}: no body`);
      assert.equal(h.headers['content-length'], String(g.body.length), `${path}: Content-Length`);
      assert.equal(h.headers['content-type'], g.headers['content-type'], path);
      if (g.status === 200) assert.equal(h.headers.etag, md5(g.body), path);
    }
    assert.equal((await req(server, 'HEAD', '/api/instances/nonexist', { accept: XML })).status, 404);
  });

  test('HEAD on an action URL → 200, empty, no side effect', async () => {
    const inst = (await post(server, '/api/instances', { image_id: 'img1' }, { accept: JSON_TYPE })).json().instance.id;
    const res = await req(server, 'HEAD', `/api/instances/${inst}/stop`, { accept: XML });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal((await getJson(server, `/api/instances/${inst}`)).json().instance.state, 'RUNNING');
    assert.equal((await req(server, 'HEAD', '/api/instances/nonexist/reboot', { accept: XML })).status, 200, 'no existence check');
  });
});

describe('OPTIONS (§9.2)', () => {
  test('OPTIONS /api lists the collections as Deltacloud::Rabbit class names', async () => {
    const res = await req(server, 'OPTIONS', '/api');
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    const allow = String(res.headers.allow).split(',');
    for (const name of ['Addresses', 'Buckets', 'Drivers', 'HardwareProfiles', 'Images', 'InstanceStates', 'Instances', 'Keys', 'Metrics',
      'NetworkInterfaces', 'Networks', 'Realms', 'StorageSnapshots', 'StorageVolumes', 'Subnets']) {
      assert.ok(allow.includes(`Deltacloud::Rabbit::${name}Collection`), `${name} in ${allow}`);
    }
  });

  test('OPTIONS on a collection: OPTIONS then the distinct methods in declaration order', async () => {
    const allow = async (path: string) => {
      const res = await req(server, 'OPTIONS', path);
      assert.equal(res.status, 200, path);
      assert.equal(res.text, '');
      return res.headers.allow;
    };
    assert.equal(await allow('/api/instances'), 'OPTIONS,GET,POST,DELETE');
    assert.equal(await allow('/api/realms'), 'OPTIONS,GET');
    assert.equal(await allow('/api/keys'), 'OPTIONS,GET,POST,DELETE');
    assert.equal(await allow('/api/buckets'), 'OPTIONS,GET,POST,DELETE', 'the spec example: blob routes are not bucket operations');
    assert.equal(await allow('/api/hardware_profiles'), 'OPTIONS,GET');
  });

  test('OPTIONS on operations: name:type:required|optional, declared then feature params', async () => {
    const create = String((await req(server, 'OPTIONS', '/api/instances/create')).headers.allow).split(',');
    assert.equal(create[0], 'image_id:string:required');
    for (const p of ['realm_id:string:optional', 'hwp_id:string:optional', 'keyname:string:optional', 'name:string:optional', 'metrics:string:optional']) {
      assert.ok(create.includes(p), `${p} in ${create}`);
    }
    assert.ok(create.indexOf('hwp_id:string:optional') < create.indexOf('keyname:string:optional'), 'declared before feature parameters');
    assert.equal((await req(server, 'OPTIONS', '/api/instances/show')).headers.allow, 'id:string:required');
    assert.equal((await req(server, 'OPTIONS', '/api/instances/inst1/reboot')).headers.allow, 'id:string:required');
    const attach = String((await req(server, 'OPTIONS', '/api/storage_volumes/vol1/attach')).headers.allow).split(',');
    for (const p of ['id:string:required', 'instance_id:string:required', 'device:string:required']) assert.ok(attach.includes(p));
  });
});

describe('absolute links (§1.1)', () => {
  test('built from the Host header', async () => {
    const res = await getXml(server, '/api/realms/us', { headers: { Host: 'api.example.org:8080' } });
    assert.equal(res.xml().attrs.href, 'http://api.example.org:8080/api/realms/us');
  });

  test('X-Forwarded-Proto/Host/Port are honoured in hrefs and Location', async () => {
    const proxy = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'cloud.example.com' };
    const res = await getXml(server, '/api/realms/us', { headers: proxy });
    assert.equal(res.xml().attrs.href, 'https://cloud.example.com/api/realms/us');
    const withPort = await getJson(server, '/api/realms/eu', { headers: { ...proxy, 'X-Forwarded-Port': '8443' } });
    assert.equal(withPort.json().realm.href, 'https://cloud.example.com:8443/api/realms/eu');
    const created = await post(server, '/api/keys', { name: 'proxied' }, { accept: XML, headers: proxy });
    assert.equal(created.status, 201);
    assert.equal(created.headers.location, 'https://cloud.example.com/api/keys/proxied');
    assert.equal(created.xml().attrs.href, 'https://cloud.example.com/api/keys/proxied');
    const entry = await getJson(server, '/api', { headers: proxy });
    for (const l of entry.json().api.links) assert.ok(l.href.startsWith('https://cloud.example.com/api/'), l.href);
  });
});

describe('request details (§2, §7)', () => {
  test('missing Host header → 400 plain text', async () => {
    for (const version of ['1.0', '1.1']) {
      const answer = await rawHttp(server.port, `GET /api/realms HTTP/${version}\r\nAccept: application/xml\r\nAuthorization: Basic bW9ja3VzZXI6bW9ja3Bhc3N3b3Jk\r\nConnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.[01] 400 /, `HTTP/${version}`);
      const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      assert.ok(body.includes('Unable to find HTTP Host header'), `HTTP/${version}: ${JSON.stringify(answer)}`);
    }
  });

  test('parameter sources merge: query string then body on POST; bracketed names nest', async () => {
    const res = await req(server, 'POST', '/api/instances?image_id=img1&name=q', { accept: JSON_TYPE, body: { name: 'from-body' } });
    assert.equal(res.status, 201);
    assert.equal(res.json().instance.name, 'from-body', 'body wins over query');
    assert.equal(res.json().instance.image.id, 'img1');
    const nested = await getXml(server, '/api/realms?api[driver]=mock');
    assert.equal(nested.status, 200);
    assert.equal(nested.headers['x-deltacloud-driver'], 'mock');
  });

  test('_method override is case-insensitive and dispatches DELETE on instances', async () => {
    const inst = (await post(server, '/api/instances', { image_id: 'img1', initial_state: 'STOPPED' }, { accept: JSON_TYPE })).json().instance.id;
    const res = await post(server, `/api/instances/${inst}`, { _method: 'delete' }, { accept: XML });
    assert.equal(res.status, 204);
    assert.equal((await getXml(server, `/api/instances/${inst}`)).status, 404);
  });

  test('percent-encoded path segments are decoded', async () => {
    const res = await getXml(server, '/api/realms/%75s');
    assert.equal(res.status, 200);
    assert.equal(res.xml().attrs.id, 'us');
  });

  test('/ answers XML clients with a redirect to /api; /robots.txt is served', async () => {
    const root = await get(server, '/', { accept: XML });
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, '/api');
    const page = await get(server, '/', { accept: 'text/html' });
    assert.equal(page.status, 200);
    assert.match(page.text, /Deltacloud API/);
    assert.equal((await get(server, '/robots.txt')).status, 200);
  });
});

describe('HTML helper pages (§11 per collection, §13)', () => {
  const FORMS = [
    '/api/instances/new?image_id=img1', '/api/images/new?instance_id=inst1', '/api/keys/new', '/api/buckets/new',
    '/api/buckets/bucket1/new_blob_form_d15cfd90', '/api/storage_volumes/new', '/api/storage_volumes/vol1/attach_instance',
    '/api/storage_snapshots/new', '/api/addresses/192.168.0.1/associate', '/api/networks/new', '/api/subnets/new',
    '/api/network_interfaces/new', '/api/instances/inst1/run', '/api/firewalls/new', '/api/firewalls/default/new_rule', '/api/load_balancers/new',
  ];
  test('each form answers HTML only', async () => {
    for (const path of FORMS) {
      const html = await get(server, path, { accept: 'text/html' });
      assert.equal(html.status, 200, path);
      assertType(html, 'text/html');
      assert.match(html.text, /^<!DOCTYPE html>/, path);
      assert.match(html.text, /<form/, `${path} has a form`);
      assert.equal((await get(server, path, { accept: XML })).status, 406, `${path} in XML`);
    }
    // Opened without the id they act on, the image and launch forms offer the instances / images to choose from.
    for (const [path, name, option] of [['/api/images/new', 'instance_id', 'inst1'], ['/api/instances/new', 'image_id', 'img1']] as const) {
      const form = await get(server, path, { accept: 'text/html' });
      assert.equal(form.status, 200, path);
      const select = new RegExp(`<select id="[^"]+" name="${name}" required[^>]*>(.*?)</select>`).exec(form.text);
      assert.ok(select?.[1]?.includes(`<option value="${option}">`), `${path}: a drop-down of ${name}`);
    }
  });

  test('HTML destroy redirects to the collection page', async () => {
    assert.equal((await post(server, '/api/keys', { name: 'htmlkey' }, { accept: XML })).status, 201);
    const res = await post(server, '/api/keys/htmlkey', { _method: 'delete' }, { accept: 'text/html' });
    assert.equal(res.status, 303, 'see other: the collection page, fetched with GET');
    assert.equal(res.headers.location, `${A}/keys`);
    assert.equal((await getXml(server, '/api/keys/htmlkey')).status, 404);
  });
});
