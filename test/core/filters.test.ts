// The one filter semantics every listing gets (core/filters.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFilters, filtersFor, filterValue } from '../../src/core/filters.js';
import type { HardwareProfile, Instance } from '../../src/core/model.js';

const instance = (id: string, state: string, realmId: string): Instance =>
  ({ id, state, realmId, publicAddresses: [], privateAddresses: [], storageVolumes: [], canCreateImage: false });
const instances = [instance('a', 'RUNNING', 'us'), instance('b', 'STOPPED', 'eu')];
const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);

test('an empty filter value is no filter; an unknown value matches nothing', () => {
  assert.deepEqual(ids(applyFilters('instances', instances, { state: '' })), ['a', 'b']);
  assert.deepEqual(ids(applyFilters('instances', instances, { state: 'PAUSED' })), []);
  assert.equal(filterValue({ state: '' }, 'state'), undefined);
  assert.equal(filterValue({ state: 'RUNNING' }, 'state'), 'RUNNING');
});

test('filters are exact matches, combined with and', () => {
  assert.deepEqual(ids(applyFilters('instances', instances, { state: 'running' })), []);
  assert.deepEqual(ids(applyFilters('instances', instances, { state: 'STOPPED', realm_id: 'eu' })), ['b']);
  assert.deepEqual(ids(applyFilters('instances', instances, { state: 'STOPPED', realm_id: 'us' })), []);
  assert.deepEqual(ids(applyFilters('instances', instances, { id: 'a' })), ['a']);
});

test('only the collection\'s own filters apply; other parameters are not filters', () => {
  // `state` is not a filter of keys (API spec §11: keys filter on id only).
  assert.deepEqual(filtersFor('keys', { id: 'k', state: 'X', format: 'xml' }), { id: 'k' });
  assert.deepEqual(filtersFor('instances', { state: '', realm_id: ['us', 'eu'], api: 'x' }), { realm_id: 'us' });
});

test('hardware profiles: architecture matches what the property admits; none without the property', () => {
  const profiles: HardwareProfile[] = [
    { id: 'fixed', properties: [{ name: 'architecture', kind: 'fixed', value: 'x86_64' }] },
    { id: 'enum', properties: [{ name: 'architecture', kind: 'enum', value: 'i386', values: ['i386', 'x86_64'] }] },
    { id: 'none', properties: [] },
  ];
  assert.deepEqual(ids(applyFilters('hardware_profiles', profiles, { architecture: 'x86_64' })), ['fixed', 'enum']);
  assert.deepEqual(ids(applyFilters('hardware_profiles', profiles, { architecture: 'i386' })), ['enum']);
});

test('images: owner_id=self is left to the driver (only it knows the caller\'s account)', () => {
  const images = [{ id: 'x', ownerId: 'alice' }, { id: 'y', ownerId: 'bob' }];
  assert.deepEqual(ids(applyFilters('images', images, { owner_id: 'self' })), ['x', 'y']);
  assert.deepEqual(ids(applyFilters('images', images, { owner_id: 'bob' })), ['y']);
});
