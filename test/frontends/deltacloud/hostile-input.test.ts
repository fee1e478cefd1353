// Hostile and malformed input against the real server (issue 10 items 4, 9,
// 10, 11, 19): prototype pollution through every parameter source, client
// errors that used to be 500s, secrets echoed from nested and matrix
// parameters, trailing slashes, and empty values that must mean "absent".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertErrorBoth, assertNoLeak, assertXmlError, get, getJson, getXml, JSON_TYPE, post, rawHttp, req, XML, type Res,
} from '../../helpers/api.js';
import { MOCK_AUTH, startServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;

before(async () => {
  // Verbose: every request is logged, so the log checks below see them all.
  server = await startServer({ args: ['-V'] });
});
after(async () => {
  await server.stop();
});

/** A multipart/form-data body with the given fields, boundary `XyZ`. */
function multipart(fields: Record<string, string>, boundary = 'XyZ'): Buffer {
  const parts = Object.entries(fields).map(([name, value]) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  return Buffer.from(`${parts.join('')}--${boundary}--\r\n`);
}

/** The server still answers a plain listing exactly as before: no stray attribute, no refusal. */
async function assertUnpolluted(): Promise<void> {
  const realms = await getXml(server, '/api/realms');
  assert.equal(realms.status, 200, realms.text.slice(0, 300));
  assert.doesNotMatch(realms.text, /polluted|pwned/, 'no attribute from a polluted prototype');
  const realm = realms.xml().child('realm');
  assert.deepEqual(Object.keys(realm.attrs).sort(), ['href', 'id']);
  const created = await post(server, '/api/keys', { name: `after-pollution-${Date.now()}` }, { accept: JSON_TYPE });
  assert.equal(created.status, 201, created.text.slice(0, 300));
  assert.doesNotMatch(created.text, /polluted|pwned/);
}

describe('item 4: prototype pollution', () => {
  const HOSTILE_NAMES = ['__proto__[polluted]', 'constructor[prototype][pwned]', 'a[__proto__]', '__proto__', 'x[constructor]'];

  test('query parameters naming __proto__/constructor/prototype → 400 error document', async () => {
    for (const name of HOSTILE_NAMES) {
      const res = await getXml(server, `/api/realms?${encodeURIComponent(name)}=yes`);
      assertXmlError(res, { status: 400, message: /__proto__, constructor or prototype/ });
    }
    await assertUnpolluted();
  });

  test('form body fields → 400', async () => {
    for (const name of HOSTILE_NAMES) {
      const res = await post(server, '/api/keys', `name=k1&${encodeURIComponent(name)}=yes`, {
        accept: XML, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      assertXmlError(res, { status: 400 });
    }
    await assertUnpolluted();
  });

  test('multipart fields → 400', async () => {
    for (const name of HOSTILE_NAMES) {
      const res = await post(server, '/api/keys', multipart({ name: 'k2', [name]: 'yes' }), {
        accept: XML, headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ' },
      });
      assertXmlError(res, { status: 400 });
    }
    await assertUnpolluted();
  });

  test('matrix parameters → 400', async () => {
    for (const path of ['/api;__proto__=yes/realms', '/api/realms;__proto__[polluted]=yes', '/api/__proto__;polluted=yes/realms',
      '/api;constructor=x/realms', '/api/realms;prototype=x']) {
      const res = await getXml(server, path);
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
      assertXmlError(res, { status: res.status });
    }
    await assertUnpolluted();
  });
});

describe('item 9: client errors are 4xx in the error document', () => {
  test('multipart without boundary, truncated, boundary with a space → 400', async () => {
    const cases: Array<[string, Buffer]> = [
      ['multipart/form-data', multipart({ name: 'k' })],
      ['multipart/form-data; boundary=XyZ', multipart({ name: 'k' }).subarray(0, 40)],
      ['multipart/form-data; boundary=a b', multipart({ name: 'k' }, 'a b')],
      ['multipart/form-data; boundary=XyZ', Buffer.from('--XyZ\r\ngarbage without headers\r\n')],
    ];
    for (const [type, body] of cases) {
      const res = await post(server, '/api/keys', body, { accept: XML, headers: { 'Content-Type': type } });
      assert.ok(res.status < 500, `${type}: ${res.status} ${res.text.slice(0, 200)}`);
      if (res.status >= 400) assertXmlError(res, { status: 400 });
    }
    const sane = await getXml(server, '/api/realms');
    assert.equal(sane.status, 200);
  });

  test('DELETE of a missing blob → 404', async () => {
    await assertErrorBoth(server, 'DELETE', '/api/buckets/bucket1/no-such-blob', { status: 404, message: 'Could not delete a non existent blob' });
  });

  test('control characters in ;driver= / ;provider= → 400, not ERR_INVALID_CHAR', async () => {
    for (const path of ['/api;provider=a%0Ab/realms', '/api;driver=mo%0D%0Ack/realms',
      '/api/realms?api[provider]=x%0Ay', '/api;provider=%C3%A9/realms']) {
      const res = await getXml(server, path);
      assertXmlError(res, { status: 400, message: /Invalid (driver|provider) name/ });
      assert.equal(res.headers['x-deltacloud-driver'], 'mock');
    }
  });

  test('conflicting matrix parameters → 400 naming the parameter', async () => {
    const res = await getXml(server, '/api;driver=mock;driver=ec2/realms');
    assertXmlError(res, { status: 400, message: "Conflicting values for matrix parameter 'driver'" });
    const same = await getXml(server, '/api;driver=mock;driver=mock/realms');
    assert.equal(same.status, 200, 'a repeated identical value is no conflict');
  });

  test('paths outside the API, unknown methods and bad URLs answer the error document, not Fastify JSON', async () => {
    const notFound = await getXml(server, '/no/such/thing');
    assertXmlError(notFound, { status: 404 });
    const json = await getJson(server, '/no/such/thing');
    assert.equal(json.json().error, 'Deltacloud::Exceptions::ObjectNotFound');
    const propfind = await req(server, 'PROPFIND', '/api/realms', { accept: XML });
    assert.ok(propfind.status === 404 || propfind.status === 405, String(propfind.status));
    assertXmlError(propfind, { status: propfind.status });
    const badUrl = await getXml(server, '/api/realms/%ZZ');
    assertXmlError(badUrl, { status: 400 });
  });

  test('requests Node\'s parser refuses get the error document (odd method, smuggling-shaped framing)', async () => {
    for (const raw of [
      'FOO /api/realms HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /api/keys HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /api/keys HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nname=',
      'GET /api/realms HTTP/1.1\r\nHost x\r\n\r\n',
    ]) {
      const answer = await rawHttp(server.port, raw);
      assert.match(answer, /^HTTP\/1\.1 400 /, JSON.stringify(raw));
      assert.match(answer, /Content-Type: application\/xml/i);
      assert.match(answer, /<error status='400'/, answer);
      assert.doesNotMatch(answer, /"statusCode"/);
    }
  });

  test('two Host headers → 400; an HTTP/2.0 request line is not answered 200', async () => {
    const twoHosts = await rawHttp(server.port,
      `GET /api/realms HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nAuthorization: ${MOCK_AUTH}\r\nAccept: application/xml\r\n\r\n`);
    assert.match(twoHosts, /^HTTP\/1\.1 400 /);
    assert.match(twoHosts, /More than one Host header/);
    const http2 = await rawHttp(server.port, `GET /api/realms HTTP/2.0\r\nHost: localhost\r\nAuthorization: ${MOCK_AUTH}\r\n\r\n`);
    assert.match(http2, /^HTTP\/1\.1 (400|505) /, http2.slice(0, 100));
  });

  test('pipelined good/bad/good: the first valid request gets its answer, then the error', async () => {
    const good = `GET /api/realms/us HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${MOCK_AUTH}\r\nAccept: application/xml\r\n\r\n`;
    const answer = await rawHttp(server.port, `${good}GET /api/realms HTTP/1.1\r\nHost x\r\n\r\n${good}`);
    assert.match(answer, /^HTTP\/1\.1 200 /, answer.slice(0, 200));
    assert.match(answer, /<realm href='[^']*' id='us'>/);
    const second = answer.indexOf('HTTP/1.1 400 ');
    assert.ok(second > answer.indexOf('</realm>'), 'the error answer comes after the first answer');
  });

  test('a client aborting its upload is logged below the error level', async () => {
    const net = await import('node:net');
    await new Promise<void>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(`PUT /api/buckets/bucket1/aborted HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${MOCK_AUTH}\r\nContent-Length: 100000\r\n\r\npartial`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 300);
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await getXml(server, '/api/realms')).status, 200);
    const errors = server.output().split('\n').filter((line) => line.includes('"level":50'));
    assert.deepEqual(errors, [], 'no error-level log lines');
  });
});

describe('item 10: secrets in nested and matrix parameters are never echoed', () => {
  const SECRET = 'hunter2-very-secret';

  function assertNoSecret(res: Res) {
    assertNoLeak(res, [SECRET, encodeURIComponent(SECRET)]);
  }

  test('x[password]=, password[]=, ;password= and api;password= are redacted in error documents', async () => {
    for (const path of [
      `/api/realms/nonexist?x[password]=${SECRET}`,
      `/api/realms/nonexist?password[]=${SECRET}`,
      `/api/realms/nonexist?auth[user_data]=${SECRET}`,
      `/api/realms/nonexist;password=${SECRET}`,
      `/api;password=${SECRET}/realms/nonexist`,
      `/api/realms;password=${SECRET}/nonexist`,
    ]) {
      const xml = await getXml(server, path);
      assert.equal(xml.status, 404, path);
      assertNoSecret(xml);
      assert.match(xml.text, /\[FILTERED\]/, `${path}: the parameter is shown filtered`);
      for (const accept of [JSON_TYPE, 'text/html']) assertNoSecret(await get(server, path, { accept }));
    }
  });

  test('a path that does not parse is shown without its matrix parameters', async () => {
    const res = await getXml(server, `/api;token=${SECRET};driver=a;driver=b/realms`);
    assertXmlError(res, { status: 400, url: '/api/realms', secrets: [SECRET] });
  });

  test('form and multipart bodies with nested secrets are redacted too', async () => {
    const form = await post(server, '/api/instances', { 'x[password]': SECRET, 'creds[secret_key]': SECRET }, { accept: XML });
    assertXmlError(form, { status: 400, secrets: [SECRET] });
    const parts = await post(server, '/api/instances', multipart({ 'x[password]': SECRET }), {
      accept: XML, headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ' },
    });
    assertXmlError(parts, { status: 400, secrets: [SECRET] });
  });

  test('the access log never holds the secret, in the query or in matrix parameters', async () => {
    await getXml(server, `/api;password=${SECRET}/realms?x[password]=${SECRET}`);
    await getXml(server, `/api/realms;pass%77ord=${SECRET}`);
    assert.ok(!server.output().includes(SECRET), 'secret not in the log');
  });
});

describe('item 11: a trailing slash is not the same resource', () => {
  test('collections, members and actions with a trailing slash → 404', async () => {
    for (const path of ['/api/realms/', '/api/realms/us/', '/api/instances/', '/api/buckets/bucket1/', '/api/drivers/', '/api/realms;driver=mock/']) {
      const res = await getXml(server, path);
      assertXmlError(res, { status: 404 });
    }
    const action = await post(server, '/api/instances/inst1/reboot/', undefined, { accept: XML });
    assertXmlError(action, { status: 404 });
    assert.equal((await getXml(server, '/api/realms')).status, 200, 'without the slash: the collection');
  });

  test('/api/ stays the entry point (spec §1)', async () => {
    const entry = await getXml(server, '/api/');
    assert.equal(entry.status, 200);
    assert.equal(entry.xml().name, 'api');
  });
});

describe('item 19: empty values mean absent', () => {
  test('empty hardware-profile overrides are no overrides', async () => {
    const res = await post(server, '/api/instances', { image_id: 'img1', hwp_id: 'm1-small', hwp_memory: '', hwp_cpu: '', hwp_storage: '' }, { accept: XML });
    assert.equal(res.status, 201, res.text.slice(0, 300));
    assert.doesNotMatch(res.text, /value=''/, 'no empty property value');
    const plain = await post(server, '/api/instances', { image_id: 'img1', hwp_id: 'm1-small' }, { accept: XML });
    const profile = (r: Res) => JSON.stringify(r.xml().child('hardware_profile').children.map((p) => [p.attrs.name, p.attrs.value]));
    assert.equal(profile(res), profile(plain), 'same profile as without the empty fields');
    const page = await post(server, '/api/instances', { image_id: 'img1', hwp_id: 'm1-small', hwp_memory: '' }, { accept: 'text/html' });
    assert.ok(page.status < 400, String(page.status));
  });

  test('?state= filters nothing; ?format= negotiates by Accept; empty api[driver] keeps the default driver', async () => {
    const all = (await getJson(server, '/api/instances')).json().instances.length;
    assert.ok(all > 0);
    assert.equal((await getJson(server, '/api/instances?state=')).json().instances.length, all);
    const json = await getJson(server, '/api/realms?format=');
    assert.equal(json.headers['content-type'], JSON_TYPE);
    const driver = await getXml(server, '/api/realms?api[driver]=');
    assert.equal(driver.status, 200);
    assert.equal(driver.headers['x-deltacloud-driver'], 'mock');
  });

  test('a required parameter sent empty still counts as present (spec §7.3)', async () => {
    const res = await post(server, '/api/instances', { image_id: '' }, { accept: XML });
    assert.doesNotMatch(res.text, /Required parameter 'image_id' not found/);
    const missing = await post(server, '/api/instances', { realm_id: '', name: 'x' }, { accept: XML });
    assertXmlError(missing, { status: 400, message: "Required parameter 'image_id' not found in [realm_id,name]" });
  });
});
