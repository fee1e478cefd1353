// The digitalocean driver's Spaces options and the credentials inside the
// Basic password, without any back end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIGITALOCEAN_API } from '../../../src/drivers/digitalocean/declaration.js';
import { digitaloceanDriverFactory } from '../../../src/drivers/digitalocean/index.js';
import { apiToken, parseSpacesOptions } from '../../../src/drivers/digitalocean/spaces-options.js';
import { parseRestOptions } from '../../../src/drivers/shared/rest/provider.js';
import { keyAndSecret } from '../../../src/drivers/shared/s3/credentials.js';

const parse = (raw: Record<string, unknown>) => parseSpacesOptions(raw, parseRestOptions('digitalocean', raw, DIGITALOCEAN_API), DIGITALOCEAN_API.name);

describe('digitalocean Spaces options and credentials', () => {
  test('the official provider gets https://<spacesRegion>.digitaloceanspaces.com (nyc3 by default), listed providers their URL, path-style', () => {
    assert.deepEqual(parse({}).endpoints.get('digitalocean'), { url: 'https://nyc3.digitaloceanspaces.com', region: 'us-east-1', forcePathStyle: false, spacesRegion: 'nyc3' });
    const options = parse({ spacesRegion: 'fra1', endpoints: { local: 'http://127.0.0.1:9' }, spaces: { local: 'http://127.0.0.1:8080/' } });
    assert.equal(options.endpoints.get('digitalocean')?.url, 'https://fra1.digitaloceanspaces.com');
    assert.deepEqual(options.endpoints.get('local'), { url: 'http://127.0.0.1:8080', region: 'us-east-1', forcePathStyle: true });
  });

  test('bad options are refused when the server declares the driver', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ spacesRegion: 'nyc3.evil.example/x' }, /spacesRegion/],
      [{ spaces: { elsewhere: 'https://s3.example' } }, /spaces\.elsewhere.*names no provider/],
      [{ endpoints: { local: 'http://127.0.0.1:9' }, spaces: { local: 'ftp://127.0.0.1' } }, /spaces\.local/],
      [{ endpoints: { local: 'http://127.0.0.1:9' }, spaces: { local: 'http://user:pw@127.0.0.1' } }, /spaces\.local/],
      [{ spaces: ['x'] }, /spaces/],
    ];
    for (const [raw, message] of bad) assert.throws(() => digitaloceanDriverFactory.declare(raw), message, JSON.stringify(raw));
  });

  test('the password: the token up to the first colon; the Spaces key and secret after it, split at the last colon', () => {
    assert.equal(apiToken('dop_v1_abc'), 'dop_v1_abc');
    assert.equal(apiToken('dop_v1_abc:KEY:SECRET'), 'dop_v1_abc');
    assert.deepEqual(keyAndSecret('DO00KEY:se/cr+et'), { accessKeyId: 'DO00KEY', secretAccessKey: 'se/cr+et' });
    assert.deepEqual(keyAndSecret('test:tester:testing'), { accessKeyId: 'test:tester', secretAccessKey: 'testing' });
    assert.equal(keyAndSecret('no-secret'), undefined);
    assert.equal(keyAndSecret('key:'), undefined);
  });
});
