// A 1 GiB blob through the Deltacloud API to Azurite and back: byte-exact
// (streaming SHA-256 on both sides) with the server's resident memory growing
// by less than 64 MB (blocks of 4 MiB, 4 in flight). Azurite is started here.
// Run alone with: node --test --import tsx test/drivers/azure/blob-1gib.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { req } from '../../helpers/api.js';
import type { TestServer } from '../../helpers/server.js';
import { assertBigRoundTrip, getDigest, MiB, patternStream, putStream } from '../ec2/helpers.js';
import { AZURITE_AUTH, azuriteMissing, startAzurite, startAzureServer, type Azurite } from './azurite.js';

const missing = azuriteMissing();
if (missing && process.env.CI) throw new Error(`CI: ${missing}`);
const SIZE = 1024 * MiB;
const LIMIT = 64 * 1000 * 1000;
const BUCKET = `dc-azure-1gib-${Date.now().toString(36)}`;
const BLOB = 'one-gibibyte.bin';

describe('azure driver: a 1 GiB blob through the API to Azurite', { skip: missing }, () => {
  let azurite: Azurite;
  let server: TestServer;

  before(async () => {
    azurite = await startAzurite();
    server = await startAzureServer(azurite);
    const made = await req(server, 'POST', '/api/buckets', { auth: AZURITE_AUTH, body: { name: BUCKET } });
    assert.equal(made.status, 201, made.text);
    // Warm up: load the SDK paths an upload and a download use, so the baseline is the idle server.
    const small = patternStream(9 * MiB, 3);
    const warm = await putStream(server.port, `/api/buckets/${BUCKET}/warm.bin`, small.stream, 9 * MiB, { Authorization: AZURITE_AUTH });
    assert.equal(warm.status, 200, warm.body);
    const back = await getDigest(server.port, `/api/buckets/${BUCKET}/warm.bin/content`, { Authorization: AZURITE_AUTH });
    assert.equal(back.sha256, small.digest());
  });
  after(async () => {
    await server?.stop();
    await azurite?.stop();
  });

  test('upload and download 1 GiB byte-exact, server RSS growth < 64 MB', { timeout: 15 * 60_000 }, async () => {
    await assertBigRoundTrip(server, `/api/buckets/${BUCKET}/${BLOB}`, AZURITE_AUTH, SIZE, LIMIT);
  });
});
