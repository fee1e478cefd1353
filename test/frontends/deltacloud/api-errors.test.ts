// Every error status the spec names (§2, §4, §7.3, §8), in XML and JSON, and
// the guarantee that no error response leaks stack traces, local paths or
// credentials, and that secrets never reach the error documents or the log.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import {
  assertErrorBoth, assertJsonError, assertNoLeak, assertType, assertXmlError, ERROR_CLASS, get, getJson, getXml, JSON_TYPE, MOCK_AUTH, post,
  req, WRONG_AUTH, XML,
} from '../../helpers/api.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { checkEveryAnswer } from '../../openapi/integration-hook.js';

// Every answer of this suite must be documented by the server's OpenAPI document (status, media type, JSON schema).
checkEveryAnswer();

let server: TestServer;
let A: string;

before(async () => {
  // Verbose: request logging on, so the log checks below see every request.
  server = await startServer({ args: ['-V'] });
  A = `http://localhost:${server.port}/api`;
});
after(async () => {
  await server.stop();
});

const REALM = `Basic realm="mock-deltacloud@${hostname()}"`;
const SECRET_PASSWORD = 'supersecret';
const USER_DATA_PLAIN = 'top-secret-user-data';
const USER_DATA = Buffer.from(USER_DATA_PLAIN).toString('base64');

describe('400 Bad Request', () => {
  test('missing parameter: names it and the parameters present, in request order, path parameters last', async () => {
    await assertErrorBoth(server, 'POST', '/api/instances', { status: 400, message: "Required parameter 'image_id' not found in [realm_id,hwp_id]", url: '/api/instances' },
      { body: { realm_id: 'us', hwp_id: 'm1-small' } });
    await assertErrorBoth(server, 'POST', '/api/instances?realm_id=eu', { status: 400, message: "Required parameter 'image_id' not found in [realm_id,name]", url: '/api/instances' },
      { body: { name: 'n' } });
    await assertErrorBoth(server, 'POST', '/api/storage_volumes/vol1/attach', { status: 400, message: "Required parameter 'device' not found in [instance_id,id]" },
      { body: { instance_id: 'inst1' } });
  });

  test('parameter validation happens before credentials are looked at (§2 step 7)', async () => {
    assertXmlError(await post(server, '/api/instances', { realm_id: 'us' }, { accept: XML, auth: false }),
      { status: 400, message: "Required parameter 'image_id' not found in [realm_id]" });
  });

  test('parameter names are case-sensitive (§7.1)', async () => {
    await assertErrorBoth(server, 'POST', '/api/instances', { status: 400, message: "Required parameter 'image_id' not found in [IMAGE_ID]" }, { body: { IMAGE_ID: 'img1' } });
  });

  test('an empty value counts as present (§7.3), and is then refused as empty: nothing is created', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await post(server, '/api/keys', { name: '' }, { accept: XML });
      assertXmlError(res, { status: 400, message: "Parameter 'name' must not be empty" });
    }
    const keys = await getJson(server, '/api/keys');
    assert.ok(!keys.json().keys.some((k: { id: string }) => k.id === ''), 'no key with an empty name');
  });
});

describe('401 Unauthorized (§4)', () => {
  test('no credentials → challenge with the driver realm, message Unauthorized', async () => {
    for (const path of ['/api/realms', '/api/realms/us', '/api/instances/inst1']) {
      const xml = await getXml(server, path, { auth: false });
      assertXmlError(xml, { status: 401, message: 'Unauthorized' });
      assert.equal(xml.headers['www-authenticate'], REALM);
      const json = await getJson(server, path, { auth: false });
      assertJsonError(json, { status: 401, message: 'Unauthorized', error: ERROR_CLASS[401] });
      assert.equal(json.headers['www-authenticate'], REALM);
    }
  });

  test('non-Basic credentials count as none', async () => {
    const res = await getXml(server, '/api/realms', { auth: 'Bearer abcdef' });
    assertXmlError(res, { status: 401, message: 'Unauthorized', secrets: ['abcdef'] });
    assert.equal(res.headers['www-authenticate'], REALM);
  });

  test('wrong credentials → 401 without challenge; listing says Unauthorized, show says Authentication Failure (§8.2)', async () => {
    const list = await getXml(server, '/api/realms', { auth: WRONG_AUTH });
    assertXmlError(list, { status: 401, message: 'Unauthorized' });
    assert.equal(list.headers['www-authenticate'], undefined);
    const show = await getXml(server, '/api/realms/us', { auth: WRONG_AUTH });
    assertXmlError(show, { status: 401, message: 'Authentication Failure' });
    assert.equal(show.headers['www-authenticate'], undefined);
    assertJsonError(await getJson(server, '/api/instances/inst1', { auth: WRONG_AUTH }), { status: 401, message: 'Authentication Failure', error: ERROR_CLASS[401] });
    assertJsonError(await getJson(server, '/api/instances', { auth: WRONG_AUTH }), { status: 401, message: 'Unauthorized' });
    const wrongUser = 'Basic ' + Buffer.from('someone:mockpassword').toString('base64');
    assertXmlError(await getXml(server, '/api/keys/test-key', { auth: wrongUser }), { status: 401, message: 'Authentication Failure', secrets: [wrongUser.slice(6)] });
  });

  test('operations that need no back end work without credentials', async () => {
    for (const path of ['/api', '/api/drivers', '/api/instance_states', '/api/hardware_profiles', '/api/drivers/mock']) {
      assert.equal((await getXml(server, path, { auth: false })).status, 200, path);
    }
  });

  test('?force_auth: none → 401 challenge, rejected → plain "Authentication failed", accepted → 200', async () => {
    const none = await getXml(server, '/api?force_auth=1', { auth: false });
    assertXmlError(none, { status: 401, message: 'Unauthorized' });
    assert.equal(none.headers['www-authenticate'], REALM);
    const wrong = await getXml(server, '/api?force_auth=true', { auth: WRONG_AUTH });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, 'Authentication failed');
    assertNoLeak(wrong);
    const right = await getXml(server, '/api?force_auth=true');
    assert.equal(right.status, 200);
    assert.equal(right.xml().name, 'api');
  });
});

describe('403, 404, 405', () => {
  test('403 Forbidden: instance action on an unknown instance; duplicate key', async () => {
    await assertErrorBoth(server, 'POST', '/api/instances/ghost/reboot', { status: 403, message: 'Forbidden' });
    await assertErrorBoth(server, 'POST', '/api/keys', { status: 403, message: 'Key with same name already exists' }, { body: { name: 'test-key' } });
  });

  test('404: unknown route → error document Not Found; unknown id', async () => {
    for (const path of ['/api/nosuchcollection', '/api/realms/us/extra/deeper', '/api/instances/inst1/fly']) {
      await assertErrorBoth(server, 'GET', path, { status: 404, message: 'Not Found' });
    }
    await assertErrorBoth(server, 'POST', '/api/instances/inst1/fly', { status: 404, message: 'Not Found' });
    await assertErrorBoth(server, 'GET', '/api/keys/nope', { status: 404, message: 'Not Found', url: '/api/keys/nope' });
    const html = await get(server, '/api/nosuchcollection', { accept: 'text/html' });
    assert.equal(html.status, 404);
    assertType(html, 'text/html');
    assertNoLeak(html);
  });

  test('an unknown method on a known path → 404 (§2 step 5)', async () => {
    await assertErrorBoth(server, 'PUT', '/api/realms', { status: 404, message: 'Not Found' }, { body: { a: 'b' } });
    await assertErrorBoth(server, 'PATCH', '/api/instances/inst1', { status: 404, message: 'Not Found' }, { body: { a: 'b' } });
  });

  test('405: action not allowed in the current state', async () => {
    await assertErrorBoth(server, 'DELETE', '/api/instances/inst2', { status: 405, message: 'Method Not Allowed' });
    await assertErrorBoth(server, 'POST', '/api/instances/inst2/start', { status: 405, message: 'Method Not Allowed' });
  });

  test('error url drops matrix parameters and the query string', async () => {
    const res = await getXml(server, '/api;driver=mock/realms;x=1/nonexist?format=xml&foo=bar');
    assertXmlError(res, { status: 404, url: '/api/realms/nonexist' });
  });
});

describe('406, 412, 413, 415', () => {
  test('406: empty body and no Content-Type', async () => {
    const res = await get(server, '/api/realms', { accept: 'application/unknown' });
    assert.equal(res.status, 406);
    assert.equal(res.text, '');
    assert.equal(res.headers['content-type'], undefined);
  });

  test('412 + Expect for a capability the mock lacks (segmented blobs)', async () => {
    for (const accept of [XML, JSON_TYPE]) {
      const res = await req(server, 'PUT', '/api/buckets/bucket1/segmented', { accept, headers: { 'X-Deltacloud-BlobType': 'segmented' }, body: 'x' });
      assert.equal(res.status, 412);
      assert.equal(res.headers.expect, 'init_segmented_blob');
      if (accept === XML) assertXmlError(res, { status: 412, message: 'The required capability to execute this operation is missing' });
      else assertJsonError(res, { status: 412, message: 'The required capability to execute this operation is missing' });
    }
  });

  test('413 for a form body above the limit (default 1 MiB); the server keeps serving', async () => {
    const big = 'name=' + 'a'.repeat(2 * 1024 * 1024);
    for (const accept of [XML, JSON_TYPE]) {
      const res = await req(server, 'POST', '/api/keys', { accept, body: big, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      if (accept === XML) assertXmlError(res, { status: 413, url: '/api/keys' });
      else assertJsonError(res, { status: 413 });
      assert.equal(res.headers['x-deltacloud-driver'], 'mock');
      assert.equal(res.headers.server, 'Apache-Deltacloud/1.1.3');
    }
    assert.equal((await getXml(server, '/api/realms')).status, 200);
  });

  test('415 for a JSON body posted to /api/instances; nothing created', async () => {
    const before = (await getJson(server, '/api/instances')).json().instances.length;
    for (const accept of [XML, JSON_TYPE]) {
      const res = await req(server, 'POST', '/api/instances?image_id=img1', { accept, body: JSON.stringify({ image_id: 'img1' }), headers: { 'Content-Type': 'application/json' } });
      if (accept === XML) assertXmlError(res, { status: 415 });
      else assertJsonError(res, { status: 415 });
    }
    assert.equal((await getJson(server, '/api/instances')).json().instances.length, before);
  });
});

describe('5xx test hooks (mock §6.1) and the list/show message rule (§8.2)', () => {
  const HOOKS: Array<[number, string, string]> = [
    [500, 'DeltacloudErrorMessage', 'Internal Server Error'],
    [501, 'NotImplementedMessage', 'Not Supported'],
    [502, 'ProviderErrorMessage', 'Backend Server Error'],
    [504, 'ProviderTimeoutMessage', 'Gateway Timeout'],
  ];
  for (const [status, message, generic] of HOOKS) {
    test(`GET /api/realms/${status} → ${status} ${message}; listing with ?id=${status} → ${generic}`, async () => {
      await assertErrorBoth(server, 'GET', `/api/realms/${status}`, { status, message, error: ERROR_CLASS[status], url: `/api/realms/${status}` });
      await assertErrorBoth(server, 'GET', `/api/realms?id=${status}`, { status, message: generic, error: ERROR_CLASS[status], url: '/api/realms' });
    });
  }
});

describe('secrets never leak (§4, §8.1, §15)', () => {
  test('password and user_data are redacted in <request>; credentials are never echoed', async () => {
    const res = await post(server, `/api/instances?password=${SECRET_PASSWORD}`, { image_id: 'img1', hwp_id: 'bogus', user_data: USER_DATA, name: 'visible' }, { accept: XML });
    const doc = assertXmlError(res, { status: 400, message: "Hardware profile 'bogus' does not exists.", secrets: [SECRET_PASSWORD, USER_DATA, USER_DATA_PLAIN] });
    const params = Object.fromEntries(doc.child('request').all('param').map((p) => [p.attrs.name, p.text]));
    assert.equal(params.name, '"visible"', 'ordinary parameters are shown Ruby-inspect style');
    for (const name of ['password', 'user_data']) {
      if (name in params) assert.equal(params[name], '"[FILTERED]"', `${name} redacted`);
    }
    const json = await post(server, '/api/instances', { image_id: 'img1', hwp_id: 'bogus', password: SECRET_PASSWORD, user_data: USER_DATA }, { accept: JSON_TYPE });
    assertJsonError(json, { status: 400, secrets: [SECRET_PASSWORD, USER_DATA, USER_DATA_PLAIN] });
    const html = await post(server, '/api/instances', { image_id: 'img1', hwp_id: 'bogus', password: SECRET_PASSWORD, user_data: USER_DATA }, { accept: 'text/html' });
    assert.equal(html.status, 400);
    assertNoLeak(html, [SECRET_PASSWORD, USER_DATA, USER_DATA_PLAIN]);
  });

  test('private_key / password of run and public_key of keys are redacted', async () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END RSA PRIVATE KEY-----';
    const run = await post(server, '/api/instances/inst1/run', { private_key: pem, password: SECRET_PASSWORD }, { accept: XML });
    assertXmlError(run, { status: 400, message: /^Required parameter 'cmd' not found in \[/, secrets: ['SECRETKEYMATERIAL', SECRET_PASSWORD] });
    const key = await post(server, '/api/keys', { name: 'test-key', public_key: 'ssh-rsa PUBLICKEYMATERIAL' }, { accept: XML });
    assertXmlError(key, { status: 403, secrets: ['PUBLICKEYMATERIAL'] });
  });

  test('the log never holds the secrets or the Authorization value', async () => {
    // A request with everything secret in both the query string and the body.
    await post(server, `/api/instances?password=${SECRET_PASSWORD}&user_data=${USER_DATA}`, { image_id: 'img1', password: SECRET_PASSWORD, user_data: USER_DATA }, { accept: XML });
    await getXml(server, '/api/realms', { auth: WRONG_AUTH });
    await getXml(server, '/api/realms/500');
    await new Promise((r) => setTimeout(r, 200)); // let the log lines arrive
    const log = server.output();
    assert.ok(log.length > 0, 'verbose server logs requests');
    assert.match(log, /\/api\/realms/, 'requests are logged');
    for (const secret of [SECRET_PASSWORD, USER_DATA, USER_DATA_PLAIN, MOCK_AUTH.slice(6), WRONG_AUTH.slice(6), 'mockpassword', 'wrongpassword', 'Authorization', 'authorization']) {
      assert.ok(!log.includes(secret), `log must not contain ${secret}`);
    }
  });
});

test('every error above carried Server and X-Deltacloud-Driver headers', async () => {
  for (const res of [await getXml(server, '/api/realms/502'), await getXml(server, '/api/realms', { auth: false }), await getXml(server, '/api/nosuch')]) {
    assert.equal(res.headers.server, 'Apache-Deltacloud/1.1.3');
    assert.equal(res.headers['x-deltacloud-driver'], 'mock');
    assert.ok(res.headers['content-length']);
    void A;
  }
});
