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
