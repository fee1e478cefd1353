// HTTP integration tests of storage volumes, snapshots, buckets and blobs
// against the mock (spec §11.8–§11.10; mock-driver.md §4.6–§4.9, §6.5–§6.7).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertEtag, assertErrorBoth, assertType, assertXmlError, get, getJson, getXml, headersWithPrefix, JSON_TYPE, post, req, XML,
  XML_DECLARATION, type XNode,
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

const attrsOf = (nodes: XNode[]) => nodes.map((n) => n.attrs);
const SEED_CREATED = 'Thu Jul 30 14:35:11 UTC 2009';

/** multipart/form-data body from fields and files. */
function multipart(parts: Array<{ name: string; value: string | Buffer; filename?: string; type?: string }>) {
  const boundary = '----deltacloudtest' + Math.random().toString(16).slice(2);
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(head + '\r\n'), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('storage volumes (§11.8, mock §4.6, §6.5)', () => {
  test('list and the attached vol3 in XML', async () => {
    const list = await getXml(server, '/api/storage_volumes');
    assert.equal(list.status, 200);
    assert.match(list.text, XML_DECLARATION);
    assert.deepEqual(list.xml().all('storage_volume').map((v) => v.attrs.id), ['vol1', 'vol2', 'vol3']);
    const vol3 = (await getXml(server, '/api/storage_volumes/vol3')).xml();
    assert.deepEqual(vol3.attrs, { href: `${A}/storage_volumes/vol3`, id: 'vol3' });
    assert.deepEqual(vol3.names(), ['created', 'capacity', 'name', 'device', 'realm', 'realm_id', 'state', 'mount'], 'no <actions> for the mock');
    assert.equal(vol3.child('created').text, SEED_CREATED);
    assert.deepEqual(vol3.child('capacity').attrs, { unit: 'GB' });
    assert.equal(vol3.child('capacity').text, '1');
    assert.equal(vol3.child('name').text, 'vol3', 'unnamed → the id');
    assert.equal(vol3.child('device').text, '/dev/sda1');
    assert.deepEqual(vol3.child('realm').attrs, { href: `${A}/realms/us`, id: 'us' });
    assert.equal(vol3.child('realm_id').text, 'us');
    assert.equal(vol3.child('state').text, 'IN-USE');
    const mount = vol3.child('mount');
    assert.deepEqual(mount.names(), ['instance', 'device']);
    assert.deepEqual(mount.child('instance').attrs, { href: `${A}/instances/inst1`, id: 'inst1' });
    assert.deepEqual(mount.child('device').attrs, { name: '/dev/sda1' });
    const vol1 = (await getXml(server, '/api/storage_volumes/vol1')).xml();
    assert.deepEqual(vol1.names(), ['created', 'capacity', 'name', 'realm', 'realm_id', 'state']);
    assert.equal(vol1.child('state').text, 'AVAILABLE');
  });

  test('JSON of vol3 and vol1; 404', async () => {
    assert.deepEqual((await getJson(server, '/api/storage_volumes/vol3')).json(), {
      storage_volume: {
        id: 'vol3', href: `${A}/storage_volumes/vol3`, name: null, description: null, state: 'IN-USE', created: SEED_CREATED,
        realm: { id: 'us', href: `${A}/realms/us`, rel: 'realm' }, device: '/dev/sda1', kind: null, capacity: 1, actions: [],
        instance: { id: 'inst1', href: `${A}/instances/inst1`, rel: 'instance' },
      },
    });
    const vol1 = (await getJson(server, '/api/storage_volumes/vol1')).json().storage_volume;
    assert.deepEqual(vol1.instance, {});
    assert.equal(vol1.device, null);
    assert.equal(vol1.state, 'AVAILABLE');
    const list = (await getJson(server, '/api/storage_volumes?id=vol2')).json();
    assert.deepEqual(list.storage_volumes.map((v: { id: string }) => v.id), ['vol2']);
    await assertErrorBoth(server, 'GET', '/api/storage_volumes/nope', { status: 404, message: 'Not Found' });
  });

  test('create → 201 (named and unnamed), attach → 202, detach → 202, destroy → 204', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const res = await post(server, '/api/storage_volumes', { capacity: '10', name: 'myvol', realm_id: 'eu' }, { accept: XML });
    assert.equal(res.status, 201);
    assertEtag(res);
    const vol = res.xml();
    const id = vol.attrs.id!;
    assert.match(id, /^volume_\d+/);
    assert.ok(Number(/^volume_(\d+)/.exec(id)![1]) >= t0);
    assert.equal(res.headers.location, `${A}/storage_volumes/${id}`);
    assert.equal(vol.child('name').text, 'myvol');
    assert.equal(vol.child('capacity').text, '10');
    assert.equal(vol.child('state').text, 'AVAILABLE');
    assert.equal(vol.maybe('realm'), undefined, 'realm_id is ignored by the mock: no <realm>');
    const json = (await getJson(server, `/api/storage_volumes/${id}`)).json().storage_volume;
    assert.deepEqual(json.realm, { id: null, href: `${A}/realms`, rel: 'realm' }, 'unknown realm links to the collection (§1.1)');
    assert.equal(String(json.capacity), '10');

    const unnamed = await post(server, '/api/storage_volumes', undefined, { accept: JSON_TYPE });
    assert.equal(unnamed.status, 201);
    const u = unnamed.json().storage_volume;
    assert.match(u.id, /^volume_/);
    assert.notEqual(u.id, id, 'two creates get distinct ids');
    assert.equal(u.name, `Volume${u.id}`);
    assert.equal(String(u.capacity), '1');

    await assertErrorBoth(server, 'POST', `/api/storage_volumes/${id}/attach`, { status: 400, message: "Required parameter 'device' not found in [instance_id,id]" }, { body: { instance_id: 'inst2' } });
    const attached = await post(server, `/api/storage_volumes/${id}/attach`, { instance_id: 'inst2', device: '/dev/sdb' }, { accept: XML });
    assert.equal(attached.status, 202);
    const a = attached.xml();
    assert.equal(a.name, 'storage_volume');
    assert.equal(a.child('state').text, 'IN-USE');
    assert.equal(a.child('device').text, '/dev/sdb');
    assert.deepEqual(a.child('mount').child('instance').attrs, { href: `${A}/instances/inst2`, id: 'inst2' });
    const inst2 = (await getXml(server, '/api/instances/inst2')).xml();
    assert.deepEqual(attrsOf(inst2.child('storage_volumes').all('storage_volume')), [{ device: '/dev/sdb', href: `${A}/storage_volumes/${id}`, id }]);
    const inst2json = (await getJson(server, '/api/instances/inst2')).json().instance;
    assert.deepEqual(inst2json.storage_volumes, [{ id, href: `${A}/storage_volumes/${id}`, rel: 'storage_volume' }]);

    const detached = await post(server, `/api/storage_volumes/${id}/detach`, undefined, { accept: JSON_TYPE });
    assert.equal(detached.status, 202);
    const d = detached.json().storage_volume;
    assert.equal(d.state, 'AVAILABLE');
    assert.deepEqual(d.instance, {});
    assert.deepEqual((await getJson(server, '/api/instances/inst2')).json().instance.storage_volumes, []);
    await assertErrorBoth(server, 'POST', `/api/storage_volumes/${id}/detach`, { status: 405 });

    const del = await req(server, 'DELETE', `/api/storage_volumes/${id}`, { accept: XML });
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    assert.equal((await getXml(server, `/api/storage_volumes/${id}`)).status, 404);
    assert.equal((await req(server, 'DELETE', '/api/storage_volumes/never-was', { accept: XML })).status, 204, 'destroy does no checks');
  });

  test('attach: unknown volume or instance → 404; capacity must be numeric → 400', async () => {
    await assertErrorBoth(server, 'POST', '/api/storage_volumes/nope/attach', { status: 404 }, { body: { instance_id: 'inst1', device: '/dev/sdc' } });
    await assertErrorBoth(server, 'POST', '/api/storage_volumes/vol1/attach', { status: 404 }, { body: { instance_id: 'nope', device: '/dev/sdc' } });
    assert.equal((await getJson(server, '/api/storage_volumes/vol1')).json().storage_volume.state, 'AVAILABLE', 'failed attach changed nothing');
  });
});

describe('storage snapshots (§11.9, mock §4.7, §6.6)', () => {
  test('list, show XML (name = id, no state) and JSON', async () => {
    const list = (await getXml(server, '/api/storage_snapshots')).xml();
    assert.deepEqual(list.all('storage_snapshot').map((s) => s.attrs.id), ['snap1', 'snap2', 'snap3']);
    const snap = (await getXml(server, '/api/storage_snapshots/snap1')).xml();
    assert.deepEqual(snap.attrs, { href: `${A}/storage_snapshots/snap1`, id: 'snap1' });
    assert.deepEqual(snap.names(), ['name', 'created', 'storage_volume']);
    assert.equal(snap.child('name').text, 'snap1');
    assert.equal(snap.child('created').text, 'Wed Jul 29 18:15:24 UTC 2009');
    assert.deepEqual(snap.child('storage_volume').attrs, { href: `${A}/storage_volumes/vol1`, id: 'vol1' });
    assert.deepEqual((await getJson(server, '/api/storage_snapshots/snap3')).json(), {
      storage_snapshot: {
        id: 'snap3', href: `${A}/storage_snapshots/snap3`, state: 'COMPLETED',
        storage_volume: { id: 'vol2', href: `${A}/storage_volumes/vol2`, rel: 'storage_volume' }, created: 'Wed Jul 29 18:15:24 UTC 2009',
      },
    });
    await assertErrorBoth(server, 'GET', '/api/storage_snapshots/nope', { status: 404, message: 'Not Found' });
  });

  test('create → 201 + Location; missing volume_id → 400; destroy → 204', async () => {
    const res = await post(server, '/api/storage_snapshots', { volume_id: 'vol2', name: 'n', description: 'd' }, { accept: JSON_TYPE });
    assert.equal(res.status, 201);
    const snap = res.json().storage_snapshot;
    assert.match(snap.id, /^store_snapshot_\d+/);
    assert.equal(res.headers.location, `${A}/storage_snapshots/${snap.id}`);
    assert.equal(snap.state, 'COMPLETED');
    assert.equal(snap.storage_volume.id, 'vol2');
    assert.equal('name' in snap, false);
    await assertErrorBoth(server, 'POST', '/api/storage_snapshots', { status: 400, message: "Required parameter 'volume_id' not found in []" }, { body: {} });
    assert.equal((await req(server, 'DELETE', `/api/storage_snapshots/${snap.id}`)).status, 204);
    assert.equal((await getXml(server, `/api/storage_snapshots/${snap.id}`)).status, 404);
    assert.equal((await req(server, 'DELETE', '/api/storage_snapshots/never-was')).status, 204);
  });
});

describe('buckets (§11.10.2, mock §4.8, §6.7)', () => {
  test('list and show XML/JSON', async () => {
    const list = (await getXml(server, '/api/buckets')).xml();
    assert.equal(list.name, 'buckets');
    assert.deepEqual(list.all('bucket').map((b) => b.attrs.id), ['bucket1', 'bucket2']);
    const b1 = (await getXml(server, '/api/buckets/bucket1')).xml();
    assert.deepEqual(b1.attrs, { href: `${A}/buckets/bucket1`, id: 'bucket1' });
    assert.deepEqual(b1.names(), ['name', 'size', 'blob', 'blob', 'blob']);
    assert.equal(b1.child('name').text, 'bucket1');
    assert.equal(b1.child('size').text, '3');
    assert.deepEqual(attrsOf(b1.all('blob')), ['blob1', 'blob2', 'blob3'].map((id) => ({ href: `${A}/buckets/bucket1/${id}`, id })));
    assert.deepEqual((await getJson(server, '/api/buckets/bucket2')).json(), {
      bucket: {
        id: 'bucket2', href: `${A}/buckets/bucket2`, name: 'bucket2', size: 2,
        blob_list: ['blob4', 'blob5'].map((id) => ({ rel: 'blob', href: `${A}/buckets/bucket2/${id}`, id })),
      },
    });
    await assertErrorBoth(server, 'GET', '/api/buckets/nope', { status: 404, message: 'Not Found' });
  });

  test('create → 201, size "0"; delete unknown 404, non-empty 403, empty 204', async () => {
    const res = await post(server, '/api/buckets', { name: 'newb', location: 'EU' }, { accept: XML });
    assert.equal(res.status, 201);
    assertEtag(res);
    assert.equal(res.headers.location, `${A}/buckets/newb`);
    const b = res.xml();
    assert.deepEqual(b.attrs, { href: `${A}/buckets/newb`, id: 'newb' });
    assert.deepEqual(b.names(), ['name', 'size']);
    assert.equal(b.child('size').text, '0');
    const json = (await getJson(server, '/api/buckets/newb')).json().bucket;
    assert.equal(json.size, '0', 'a new mock bucket has the string size "0"');
    assert.deepEqual(json.blob_list, []);
    await assertErrorBoth(server, 'POST', '/api/buckets', { status: 400, message: "Required parameter 'name' not found in []" }, { body: {} });

    // The first blob makes the size a number (mock §6.7); a non-empty bucket cannot be deleted.
    assert.equal((await req(server, 'PUT', '/api/buckets/newb/only', { body: 'x' })).status, 200);
    assert.equal((await getJson(server, '/api/buckets/newb')).json().bucket.size, 1);
    await assertErrorBoth(server, 'DELETE', '/api/buckets/newb', { status: 403, message: 'Delete operation not valid for non-empty bucket' });
    assert.equal((await req(server, 'DELETE', '/api/buckets/newb/only')).status, 204);
    assert.equal((await getJson(server, '/api/buckets/newb')).json().bucket.size, 0);

    await assertErrorBoth(server, 'DELETE', '/api/buckets/nosuchbucket', { status: 404 });
    await assertErrorBoth(server, 'DELETE', '/api/buckets/bucket2', { status: 403, message: 'Delete operation not valid for non-empty bucket' });
    const del = await req(server, 'DELETE', '/api/buckets/newb', { accept: XML });
    assert.equal(del.status, 204);
    assert.equal((await getXml(server, '/api/buckets/newb')).status, 404);
  });
});

describe('blobs (§11.10.3–§11.10.7, mock §4.9, §6.7)', () => {
  test('show blob1 XML and JSON', async () => {
    const res = await getXml(server, '/api/buckets/bucket1/blob1');
    assert.equal(res.status, 200);
    assert.match(res.text, XML_DECLARATION);
    const blob = res.xml();
    assert.deepEqual(blob.attrs, { href: `${A}/buckets/bucket1/blob1`, id: 'blob1' });
    assert.deepEqual(blob.names(), ['bucket', 'content_length', 'content_type', 'last_modified', 'user_metadata', 'content']);
    assert.equal(blob.child('bucket').text, 'bucket1');
    assert.equal(blob.child('content_length').text, '17');
    assert.equal(blob.child('content_type').text, 'text/plain');
    assert.equal(blob.child('last_modified').text, '2010-09-23 16:44:54 +0100');
    const entries = blob.child('user_metadata').all('entry');
    assert.deepEqual(entries.map((e) => [e.attrs.key, e.text, e.cdata]), [['SOMENEWKEY', 'NEWVALUE', true]]);
    assert.deepEqual(blob.child('content').attrs, { href: `${A}/buckets/bucket1/blob1/content`, rel: 'blob_content' });
    assert.deepEqual((await getJson(server, '/api/buckets/bucket1/blob1')).json(), {
      blob: {
        id: 'blob1', href: `${A}/buckets/bucket1/blob1`, bucket: { rel: 'bucket', href: `${A}/buckets/bucket1`, id: 'bucket1' },
        content_length: 17, content_type: 'text/plain', last_modified: '2010-09-23 16:44:54 +0100', content: 'content of blob 1',
        user_metadata: { SOMENEWKEY: 'NEWVALUE' },
      },
    });
  });

  test('blobs without metadata: empty <user_metadata>, JSON {}; unknown blob 404', async () => {
    const blob3 = (await getXml(server, '/api/buckets/bucket1/blob3')).xml();
    assert.deepEqual(blob3.child('user_metadata').children, []);
    assert.deepEqual((await getJson(server, '/api/buckets/bucket2/blob5')).json().blob.user_metadata, {});
    await assertErrorBoth(server, 'GET', '/api/buckets/bucket1/nope', { status: 404, message: 'Not Found' });
    await assertErrorBoth(server, 'GET', '/api/buckets/bucket2/blob1', { status: 404, message: 'Not Found' }); // blob1 lives in bucket1
  });

  test('content: type, disposition, length and bytes; any negotiated format', async () => {
    const cases: Array<[string, string, string]> = [
      ['bucket1/blob2', 'text/html', '<html><head></head><body>content of blob 2</body></html>'],
      ['bucket2/blob4', 'application/octet-stream', 'content of blob 4'],
      ['bucket2/blob5', 'application/pdf', 'content of blob 5'],
    ];
    for (const [path, type, content] of cases) {
      for (const accept of [undefined, JSON_TYPE, '*/*']) {
        const res = await get(server, `/api/buckets/${path}/content`, { accept });
        assert.equal(res.status, 200);
        assertType(res, type);
        assert.equal(res.headers['content-disposition'], `attachment; filename=${path.split('/')[1]}`);
        assert.equal(res.headers['content-length'], String(Buffer.byteLength(content)));
        assert.equal(res.text, content);
      }
    }
    await assertErrorBoth(server, 'GET', '/api/buckets/bucket1/nope/content', { status: 404 });
  });

  test('HEAD metadata → 204 with X-Deltacloud-Blobmeta-* (key case kept); /metadata alias; 404', async () => {
    for (const path of ['/api/buckets/bucket1/blob1', '/api/buckets/bucket1/blob1/metadata']) {
      for (const accept of [XML, '*/*']) {
        const res = await req(server, 'HEAD', path, { accept });
        assert.equal(res.status, 204, `${path} (${accept})`);
        assert.equal(res.text, '');
        assert.deepEqual(headersWithPrefix(res, 'x-deltacloud-blobmeta-'), { 'X-Deltacloud-Blobmeta-SOMENEWKEY': 'NEWVALUE' });
      }
    }
    const none = await req(server, 'HEAD', '/api/buckets/bucket1/blob3', { accept: XML });
    assert.equal(none.status, 204);
    assert.deepEqual(headersWithPrefix(none, 'x-deltacloud-blobmeta-'), {});
    assert.equal((await req(server, 'HEAD', '/api/buckets/bucket1/nope', { accept: XML })).status, 404);
  });

  test('PUT creates (200) with content type and metadata; size grows even on overwrite; /stream alias', async () => {
    const size = async () => Number((await getJson(server, '/api/buckets/bucket2')).json().bucket.size);
    const before = await size();
    const data = Buffer.from('hello, blob world\n\u00e9\u0000binary');
    const res = await req(server, 'PUT', '/api/buckets/bucket2/newblob', {
      accept: XML, body: data, headers: { 'Content-Type': 'text/x-test', 'X-Deltacloud-Blobmeta-Author': 'me', 'X-Deltacloud-Blobmeta-Version': '1.0' },
    });
    assert.equal(res.status, 200);
    assertEtag(res);
    const blob = res.xml();
    assert.deepEqual(blob.attrs, { href: `${A}/buckets/bucket2/newblob`, id: 'newblob' });
    assert.equal(blob.child('bucket').text, 'bucket2');
    assert.equal(blob.child('content_length').text, String(data.length));
    assert.equal(blob.child('content_type').text, 'text/x-test');
    assert.match(blob.child('last_modified').text, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/);
    const meta = Object.fromEntries(blob.child('user_metadata').all('entry').map((e) => [e.attrs.key, e.text]));
    assert.deepEqual(meta, { author: 'me', version: '1.0' }, 'keys lower-cased');
    assert.equal(await size(), before + 1);
    const content = await get(server, '/api/buckets/bucket2/newblob/content');
    assert.deepEqual(content.body, data);
    assertType(content, 'text/x-test');

    const again = await req(server, 'PUT', '/api/buckets/bucket2/newblob/stream', { accept: JSON_TYPE, body: 'v2' });
    assert.equal(again.status, 200);
    const j = again.json().blob;
    assert.equal(j.content_length, 2);
    assert.equal(j.content_type, '', 'no Content-Type → empty');
    assert.equal(await size(), before + 2, 'overwrite increments the size too (original quirk)');
    assert.equal((await get(server, '/api/buckets/bucket2/newblob/content')).text, 'v2');
    assertType(await get(server, '/api/buckets/bucket2/newblob/content'), 'application/octet-stream');

    await assertErrorBoth(server, 'PUT', '/api/buckets/nosuchbucket/x', { status: 404 }, { body: 'data' });
  });

  test('equal blob ids in two buckets are distinct records', async () => {
    assert.equal((await req(server, 'PUT', '/api/buckets/bucket1/twin', { body: 'one' })).status, 200);
    assert.equal((await req(server, 'PUT', '/api/buckets/bucket2/twin', { body: 'two' })).status, 200);
    assert.equal((await get(server, '/api/buckets/bucket1/twin/content')).text, 'one');
    assert.equal((await get(server, '/api/buckets/bucket2/twin/content')).text, 'two');
  });

  test('multipart form POST → 201 without Location, file content type, meta_nameN lower-cased', async () => {
    const { body, contentType } = multipart([
      { name: 'blob_id', value: 'formblob' },
      { name: 'meta_params', value: '2' },
      { name: 'meta_name1', value: 'Colour' },
      { name: 'meta_value1', value: 'red' },
      { name: 'meta_name2', value: 'x' },
      { name: 'meta_value2', value: 'y' },
      { name: 'blob_data', value: Buffer.from([0, 1, 2, 3, 255]), filename: 'data.bin', type: 'image/x-foo' },
    ]);
    const res = await req(server, 'POST', '/api/buckets/bucket1', { accept: XML, body, headers: { 'Content-Type': contentType } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.location, undefined);
    const blob = res.xml();
    assert.equal(blob.attrs.id, 'formblob');
    assert.equal(blob.child('content_type').text, 'image/x-foo');
    assert.equal(blob.child('content_length').text, '5');
    const meta = Object.fromEntries(blob.child('user_metadata').all('entry').map((e) => [e.attrs.key, e.text]));
    assert.deepEqual(meta, { colour: 'red', x: 'y' });
    assert.deepEqual([...(await get(server, '/api/buckets/bucket1/formblob/content')).body], [0, 1, 2, 3, 255]);
    const head = await req(server, 'HEAD', '/api/buckets/bucket1/formblob', { accept: XML });
    assert.deepEqual(headersWithPrefix(head, 'x-deltacloud-blobmeta-'), { 'X-Deltacloud-Blobmeta-colour': 'red', 'X-Deltacloud-Blobmeta-x': 'y' });
  });

  test('form POST with a plain blob_data field → text/plain; missing blob_data → 400', async () => {
    const res = await post(server, '/api/buckets/bucket1', { blob_id: 'textblob', blob_data: 'plain text' }, { accept: JSON_TYPE });
    assert.equal(res.status, 201);
    const blob = res.json().blob;
    assert.equal(blob.content_type, 'text/plain');
    assert.equal(blob.content_length, 10);
    assert.equal(blob.content, 'plain text');
    await assertErrorBoth(server, 'POST', '/api/buckets/bucket1', { status: 400, message: "Required parameter 'blob_data' not found in [blob_id,id]" }, { body: { blob_id: 'x' } });
  });

  test('metadata POST replaces all metadata → 204 echoing it; unknown blob → 404', async () => {
    assert.equal((await req(server, 'PUT', '/api/buckets/bucket1/metablob', { body: 'm', headers: { 'X-Deltacloud-Blobmeta-Old': '1' } })).status, 200);
    const res = await req(server, 'POST', '/api/buckets/bucket1/metablob', {
      accept: XML, headers: { 'X-Deltacloud-Blobmeta-New': 'fresh', 'X-Deltacloud-Blobmeta-Other': 'two' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.deepEqual(headersWithPrefix(res, 'x-deltacloud-blobmeta-'), { 'X-Deltacloud-Blobmeta-new': 'fresh', 'X-Deltacloud-Blobmeta-other': 'two' });
    const head = await req(server, 'HEAD', '/api/buckets/bucket1/metablob', { accept: XML });
    assert.deepEqual(headersWithPrefix(head, 'x-deltacloud-blobmeta-'), { 'X-Deltacloud-Blobmeta-new': 'fresh', 'X-Deltacloud-Blobmeta-other': 'two' });
    const notFound = await req(server, 'POST', '/api/buckets/bucket1/nope', { accept: XML, headers: { 'X-Deltacloud-Blobmeta-New': 'x' } });
    assertXmlError(notFound, { status: 404 });
  });

  test('delete blob → 204 and the bucket shrinks; unknown blob → 404 with the mock message (issue 10 item 9)', async () => {
    assert.equal((await req(server, 'PUT', '/api/buckets/bucket1/doomed', { body: 'bye' })).status, 200);
    const size = async () => Number((await getJson(server, '/api/buckets/bucket1')).json().bucket.size);
    const before = await size();
    const del = await req(server, 'DELETE', '/api/buckets/bucket1/doomed', { accept: XML });
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    assert.equal(await size(), before - 1);
    assert.equal((await getXml(server, '/api/buckets/bucket1/doomed')).status, 404);
    await assertErrorBoth(server, 'DELETE', '/api/buckets/bucket1/doomed', { status: 404, message: 'Could not delete a non existent blob' });
  });

  test('segmented upload is not offered by the mock → 412 Expect: init_segmented_blob', async () => {
    for (const headers of [{ 'X-Deltacloud-BlobType': 'segmented' }, {}] as Array<Record<string, string>>) {
      const path = Object.keys(headers).length ? '/api/buckets/bucket1/seg' : '/api/buckets/bucket1/seg?blob_type=segmented';
      const res = await req(server, 'PUT', path, { accept: XML, headers, body: '' });
      assertXmlError(res, { status: 412, message: 'The required capability to execute this operation is missing' });
      assert.equal(res.headers.expect, 'init_segmented_blob');
    }
    assert.equal((await getXml(server, '/api/buckets/bucket1/seg')).status, 404, 'nothing stored');
  });

  test('ids needing percent-encoding: bucket and blob with spaces and non-ASCII; follow the hrefs', async () => {
    const bucketName = 'my bücket #1';
    const created = await post(server, '/api/buckets', { name: bucketName }, { accept: XML });
    assert.equal(created.status, 201);
    const bucketHref = created.xml().attrs.href!;
    assert.equal(created.headers.location, bucketHref);
    assert.doesNotMatch(bucketHref, /[ #\u0080-\uffff]/, 'generated URLs percent-encode what is illegal in a path segment');
    assert.equal(decodeURIComponent(bucketHref.slice(`${A}/buckets/`.length)), bucketName);
    const bucketPath = new URL(bucketHref).pathname;
    const shown = await getXml(server, bucketPath);
    assert.equal(shown.status, 200);
    assert.equal(shown.xml().attrs.id, bucketName);
    assert.equal(shown.xml().child('name').text, bucketName);

    const blobName = 'a b+c ü?.txt';
    const put = await req(server, 'PUT', `${bucketPath}/${encodeURIComponent(blobName)}`, { accept: XML, body: 'encoded', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(put.status, 200);
    const blob = put.xml();
    assert.equal(blob.attrs.id, blobName);
    assert.equal(blob.child('bucket').text, bucketName);
    const blobHref = blob.attrs.href!;
    assert.doesNotMatch(blobHref, /[ ?\u0080-\uffff]/);
    assert.equal(decodeURIComponent(blobHref.slice(bucketHref.length + 1)), blobName);
    const byHref = await getJson(server, new URL(blobHref).pathname);
    assert.equal(byHref.status, 200);
    assert.equal(byHref.json().blob.id, blobName);
    const contentHref = blob.child('content').attrs.href!;
    const content = await get(server, new URL(contentHref).pathname);
    assert.equal(content.status, 200);
    assert.equal(content.text, 'encoded');
    assert.ok(String(content.headers['content-disposition']).startsWith('attachment; filename='));
    // The bucket lists the blob with the same encoded href.
    const list = (await getXml(server, bucketPath)).xml();
    assert.deepEqual(attrsOf(list.all('blob')), [{ href: blobHref, id: blobName }]);
  });
});
