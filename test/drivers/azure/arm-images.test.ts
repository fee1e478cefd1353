// Images from a VM and their deletion on Resource Manager, replayed from
// Microsoft's own examples (see test/fixtures/azure-arm/README.md) by
// arm-replay.ts, which checks every request against the example answering it:
// Image_CreateFromAVM.json's body is the VM's (VirtualMachine_Get.json:
// myVM, West US) resource id and location, exactly as the driver must send it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoLeak, JSON_TYPE, req, type Res } from '../../helpers/api.js';
import { CLIENT_ID, inGroup, SUB, TENANT } from './arm-paths.js';
import { replayedServer, type ReplayStep } from './arm-replay.js';

const SECRET = 'images-client-secret-value';
const AUTH = 'Basic ' + Buffer.from(`${CLIENT_ID}@${TENANT}:${SECRET}`).toString('base64');
const GROUP = 'myResourceGroup';
const PROVIDER = `replay;${SUB};${GROUP};westus`;
const VM = `${inGroup('Microsoft.Compute/virtualMachines')}/{vmName}`;
const IMAGE = `${inGroup('Microsoft.Compute/images')}/{imageName}`;
const MARKETPLACE = 'Canonical:ubuntu-24_04-lts:server:latest';

const getVm: ReplayStep = { example: 'compute/VirtualMachine_Get.json', method: 'GET', path: VM };
/** Images_Get of the new name first (a name in use is refused): Resource Manager's ResourceNotFound. */
const nameFree: ReplayStep = { example: 'compute/Image_Get.json', method: 'GET', path: IMAGE, fail: { status: 404, body: 'errors/ResourceNotFound.json' } };
const createImage: ReplayStep = { example: 'compute/Image_CreateFromAVM.json', method: 'PUT', path: IMAGE, body: 'parameters' };
/** The create answers 201 (provisioningState Creating); the driver then reads the image for its state. */
const readImage: ReplayStep = { example: 'compute/Image_Get.json', method: 'GET', path: IMAGE };

let suite: ReturnType<typeof replayedServer>;

async function api(method: string, path: string, body?: Record<string, string>): Promise<Res> {
  const res = await req(suite.server, method, path, { auth: AUTH, accept: JSON_TYPE, headers: { 'X-Deltacloud-Provider': PROVIDER }, ...(body ? { body } : {}) });
  assertNoLeak(res, [SECRET, 'Bearer access_token']);
  return res;
}

const sentTo = (fragment: string) => suite.replay.bodies.filter((b) => b.request.startsWith('PUT ') && b.request.includes(fragment)).at(-1)?.body;

describe('azure images: create from a VM, destroy, Microsoft\'s examples replayed', () => {
  suite = replayedServer({ clientId: CLIENT_ID, clientSecret: SECRET });

  test('create: the VM read, the name found free, the image put with its resource id and location, then read → 201, Location, the image', async () => {
    suite.replay.expect(getVm, nameFree, createImage, readImage);
    const res = await api('POST', '/api/images', { instance_id: 'myVM', name: 'myImage' });
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.location ?? '', /\/api\/images\/myImage$/);
    const image = JSON.parse(res.text).image;
    assert.equal(image.id, 'myImage');
    assert.equal(image.owner, SUB);
    assert.equal(image.state, 'AVAILABLE', 'Image_Get answers provisioningState created');
    assert.deepEqual(sentTo('/images/myImage'), {
      location: 'West US',
      properties: { sourceVirtualMachine: { id: '/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/virtualMachines/myVM' } },
    });
  });

  test('create with a description: kept as the image\'s `description` tag (Azure images have no description)', async () => {
    // `tags` is in the Image definition of the 2026-03-01 Swagger (a Resource's); the example sends none.
    suite.replay.expect(getVm, nameFree, { ...createImage, extra: { tags: { description: 'golden web server' } } }, readImage);
    const res = await api('POST', '/api/images', { instance_id: 'myVM', name: 'myImage', description: 'golden web server' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(JSON.parse(JSON.stringify(sentTo('/images/myImage'))).tags, { description: 'golden web server' });
  });

  test('bad input: no instance_id → 400, a bad name → 400 (nothing sent); an unknown VM → 404 (ResourceNotFound)', async () => {
    const seen = suite.replay.seen.length;
    assert.equal((await api('POST', '/api/images', { name: 'myImage' })).status, 400);
    assert.equal((await api('POST', '/api/images', { instance_id: 'myVM', name: 'bad..name.' })).status, 400);
    assert.equal((await api('POST', '/api/images', { instance_id: '-bad/' })).status, 400);
    assert.equal(suite.replay.seen.length, seen, 'nothing sent for bad input');

    suite.replay.expect({ ...getVm, fail: { status: 404, body: 'errors/ResourceNotFound.json' } });
    const res = await api('POST', '/api/images', { instance_id: 'myVM', name: 'myImage' });
    assert.equal(res.status, 404, res.text);
    assert.equal(suite.replay.bodies.filter((b) => b.request.includes('/images/')).length, 2, 'no image put for an unknown VM (only the two creates above)');
  });

  test('create with the name of an existing image (Image_Get answers it) → 409, nothing put (Images_CreateOrUpdate would overwrite it)', async () => {
    suite.replay.expect(getVm, readImage);
    const puts = suite.replay.bodies.length;
    const res = await api('POST', '/api/images', { instance_id: 'myVM', name: 'myImage' });
    assert.equal(res.status, 409, res.text);
    assert.equal(suite.replay.bodies.length, puts, 'no image put');
  });

  test('destroy: Images_Delete (202, polled) → 204', async () => {
    suite.replay.expect({ example: 'compute/Images_Delete_MinimumSet_Gen.json', method: 'DELETE', path: IMAGE,
      bind: { subscriptionId: SUB, resourceGroupName: GROUP, imageName: 'myImage' } });
    const res = await api('DELETE', '/api/images/myImage');
    assert.equal(res.status, 204, res.text);
  });

  test('destroy a marketplace image → 403, nothing sent; a bad name → 400', async () => {
    const seen = suite.replay.seen.length;
    const res = await api('DELETE', `/api/images/${encodeURIComponent(MARKETPLACE)}`);
    assert.equal(res.status, 403, res.text);
    assert.match(res.text, /Marketplace/);
    assert.equal((await api('DELETE', '/api/images/bad..name.')).status, 400);
    assert.equal(suite.replay.seen.length, seen);
  });

  test('a running VM (VirtualMachine_Get_InstanceView: PowerState/running) offers no create_image', async () => {
    suite.replay.expect(getVm, { example: 'compute/VirtualMachine_Get_InstanceView.json', method: 'GET', path: `${VM}/instanceView` });
    const res = await api('GET', '/api/instances/myVM');
    assert.equal(res.status, 200, res.text);
    const instance = JSON.parse(res.text).instance;
    assert.equal(instance.state, 'RUNNING');
    assert.equal(instance.create_image, undefined);
  });
});
