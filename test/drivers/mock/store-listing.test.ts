// The SQLite store's listings are re-read only when its revision moves
// (store.ts `rows`): these tests pin down what that may and may not change.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { DATABASE_FILE, OTHER_WRITERS_MS, SqliteMockStore } from '../../../src/drivers/mock/store.js';
import type { Key } from '../../../src/core/model.js';
import type { InstanceRecord } from '../../../src/drivers/mock/records.js';

let dir: string;
let store: SqliteMockStore;

const key = (id: string, state: string): Key => ({ id, credentialType: 'key', state });

/** Commits a key through another connection, as another process on the same file would. */
function putElsewhere(record: Key): void {
  const other = new Database(join(dir, DATABASE_FILE));
  try {
    other.prepare(`INSERT INTO records (collection, id, data) VALUES ('keys', ?, ?)
                   ON CONFLICT (collection, id) DO UPDATE SET data = excluded.data`).run(record.id, JSON.stringify(record));
  } finally {
    other.close();
  }
}

const states = () => store.list('keys').map((k) => `${k.id}=${k.state}`);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'deltacloud-store-listing-'));
  store = new SqliteMockStore(dir);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a listing shows this process\'s writes at once, and callers get their own copies', async () => {
  assert.deepEqual(states(), []);
  store.put('keys', key('a', 'ONE'));
  assert.deepEqual(states(), ['a=ONE']);
  await store.write(() => store.put('keys', key('b', 'TWO')));
  assert.deepEqual(states(), ['a=ONE', 'b=TWO']);
  // A caller changing what it got changes neither the store nor the next caller's copy.
  store.list('keys')[0]!.state = 'SCRIBBLED';
  assert.deepEqual(states(), ['a=ONE', 'b=TWO']);
  store.delete('keys', 'b');
  assert.deepEqual(states(), ['a=ONE']);
});

test('another process\'s commit shows in listings within the revision\'s polling interval', async () => {
  assert.deepEqual(states(), ['a=ONE']);
  putElsewhere(key('a', 'CHANGED-ELSEWHERE'));
  await new Promise((r) => setTimeout(r, OTHER_WRITERS_MS * 4));
  assert.deepEqual(states(), ['a=CHANGED-ELSEWHERE']);
});

test('inside a write, a listing always reads the file (another process\'s commit of a moment ago included)', async () => {
  assert.deepEqual(states(), ['a=CHANGED-ELSEWHERE']); // the snapshot is fresh now
  putElsewhere(key('c', 'THREE'));
  const seen = await store.write(() => states());
  assert.deepEqual(seen, ['a=CHANGED-ELSEWHERE', 'c=THREE']);
});

test('listings are deep copies: changing a nested part of one changes no later listing', async () => {
  const record: InstanceRecord = {
    id: 'inst-copy', ownerId: 'mockuser', state: 'RUNNING', hardwareProfileId: 'm1-small', profileOverrides: { memory: '1024' },
    publicAddresses: [{ address: 'a.example', type: 'hostname' }], privateAddresses: [], storageVolumes: [], canCreateImage: true,
  };
  store.put('instances', record);
  const first = store.list('instances')[0]!;
  first.publicAddresses.push({ address: 'b.example', type: 'hostname' });
  first.publicAddresses[0]!.address = 'scribbled';
  first.profileOverrides.memory = 'scribbled';
  assert.deepEqual(store.list('instances'), [record]);
  assert.deepEqual(store.get('instances', 'inst-copy'), record);
});

test('a stored key named __proto__ comes back as a plain key, as JSON.parse gives it, never as a prototype', async () => {
  const overrides: Record<string, string> = JSON.parse('{"__proto__": "polluted", "cpu": "2"}');
  store.put('instances', {
    id: 'inst-proto', ownerId: 'mockuser', state: 'RUNNING', hardwareProfileId: 'm1-small', profileOverrides: overrides,
    publicAddresses: [], privateAddresses: [], storageVolumes: [], canCreateImage: true,
  });
  for (let i = 0; i < 2; i++) { // the read that fills the snapshot, then a copy of it
    const listed = store.list('instances').find((r) => r.id === 'inst-proto')!;
    assert.deepEqual(Object.keys(listed.profileOverrides), ['__proto__', 'cpu']);
    assert.equal(Object.getPrototypeOf(listed.profileOverrides), Object.prototype);
  }
});
