// The linode driver's Object Storage options and the credentials inside the
// Basic password, without any back end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LINODE_API } from '../../../src/drivers/linode/declaration.js';
import { linodeDriverFactory } from '../../../src/drivers/linode/index.js';
import { parseObjectStorageOptions } from '../../../src/drivers/linode/object-storage-options.js';
import { parseRestOptions } from '../../../src/drivers/shared/rest/provider.js';
import { apiToken } from '../../../src/drivers/shared/s3/provider-options.js';

const parse = (raw: Record<string, unknown>) => parseObjectStorageOptions(raw, parseRestOptions('linode', raw, LINODE_API), LINODE_API.name);

describe('linode Object Storage options and credentials', () => {
  test('the official provider gets https://<cluster>.linodeobjects.com (us-east-1 by default), signed as the cluster; listed providers their URL, path-style', () => {
    assert.deepEqual(parse({}).endpoints.get('linode'), { url: 'https://us-east-1.linodeobjects.com', region: 'us-east-1', forcePathStyle: false, cluster: 'us-east-1' });
    const options = parse({ objectStorageCluster: 'us-iad-1', endpoints: { local: 'http://127.0.0.1:9' }, objectStorage: { local: 'http://127.0.0.1:8080/' } });
    assert.deepEqual(options.endpoints.get('linode'), { url: 'https://us-iad-1.linodeobjects.com', region: 'us-iad-1', forcePathStyle: false, cluster: 'us-iad-1' });
    assert.deepEqual(options.endpoints.get('local'), { url: 'http://127.0.0.1:8080', region: 'us-east-1', forcePathStyle: true });
    assert.equal(parse({ objectStorageCluster: 'us-west-00' }).endpoints.get('linode')?.url, 'https://us-west-00.linodeobjects.com');
  });

  test('bad options are refused when the server declares the driver', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ objectStorageCluster: 'us-east-1.evil.example/x' }, /objectStorageCluster/],
      [{ objectStorageCluster: 'nyc3' }, /objectStorageCluster/],
      [{ objectStorage: { elsewhere: 'https://s3.example' } }, /objectStorage\.elsewhere.*names no provider/],
      [{ endpoints: { local: 'http://127.0.0.1:9' }, objectStorage: { local: 'ftp://127.0.0.1' } }, /objectStorage\.local/],
      [{ endpoints: { local: 'http://127.0.0.1:9' }, objectStorage: { local: 'http://user:pw@127.0.0.1' } }, /objectStorage\.local/],
      [{ endpoints: { local: 'http://127.0.0.1:9' }, objectStorage: { local: 'http://127.0.0.1/?x=1' } }, /objectStorage\.local/],
      [{ objectStorage: ['x'] }, /objectStorage/],
    ];
    for (const [raw, message] of bad) assert.throws(() => linodeDriverFactory.declare(raw), message, JSON.stringify(raw));
    assert.doesNotThrow(() => linodeDriverFactory.declare({ endpoints: { local: 'http://127.0.0.1:9' }, objectStorage: { local: 'http://127.0.0.1:8080' } }));
  });

  test('the API token is the password up to its first colon (a Linode token holds none)', () => {
    assert.equal(apiToken('f3c1d0e2a9b8'), 'f3c1d0e2a9b8');
    assert.equal(apiToken('f3c1d0e2a9b8:G4YAF81XWY61DQM94SE0:se/cr+et'), 'f3c1d0e2a9b8');
  });
});
