// The rackspace driver's operator options: the documented regions only, the
// identity URL normalised, ServiceNet choosing the catalogue's internal URLs,
// the options shared with the openstack session read under drivers.rackspace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRackspaceOptions } from '../../../src/drivers/rackspace/config.js';
import { rackspaceDeclaration } from '../../../src/drivers/rackspace/declaration.js';

test('defaults: the global identity endpoint, all six regions, public URLs, no microversion', () => {
  const o = parseRackspaceOptions({});
  assert.equal(o.identityUrl, 'https://identity.api.rackspacecloud.com/v2.0');
  assert.deepEqual(o.regions, ['DFW', 'ORD', 'IAD', 'LON', 'SYD', 'HKG']);
  assert.equal(o.serviceNet, false);
  assert.equal(o.openstack.interface, 'public');
  assert.equal(o.openstack.computeMicroversion, undefined);
  assert.equal(rackspaceDeclaration(o).defaultProvider, undefined);
});

test('regions, default region, ServiceNet and shared options', () => {
  const o = parseRackspaceOptions({
    identityUrl: 'https://lon.identity.api.rackspacecloud.com/', regions: ['lon', 'DFW'], defaultRegion: 'lon',
    serviceNet: true, segmentSize: 1024, requestTimeoutMs: 5000,
  });
  assert.equal(o.identityUrl, 'https://lon.identity.api.rackspacecloud.com/v2.0');
  assert.deepEqual(o.regions, ['DFW', 'LON'], 'documented order');
  assert.equal(o.defaultRegion, 'LON');
  assert.equal(o.openstack.interface, 'internal');
  assert.equal(o.openstack.segmentSize, 1024);
  assert.equal(o.openstack.requestTimeoutMs, 5000);
  const d = rackspaceDeclaration(o);
  assert.equal(d.defaultProvider, 'LON');
  assert.deepEqual(Object.keys(d.entrypoints!.identity!), ['DFW', 'LON']);
});

test('refused: undocumented regions, a default outside them, odd identity URLs, non-boolean serviceNet', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ regions: ['DFW', 'RegionOne'] }, /drivers\.rackspace\.regions may only name DFW, ORD, IAD, LON, SYD, HKG/],
    [{ regions: [] }, /drivers\.rackspace\.regions must name at least one region/],
    [{ regions: ['DFW'], defaultRegion: 'ORD' }, /drivers\.rackspace\.defaultRegion must be one of DFW/],
    [{ identityUrl: 'ftp://identity.example/v2.0' }, /drivers\.rackspace\.identityUrl must be an http\(s\) URL/],
    [{ identityUrl: 'https://user:pw@identity.example/v2.0' }, /must not carry user information/],
    [{ serviceNet: 'yes' }, /drivers\.rackspace\.serviceNet must be true or false/],
    [{ segmentSize: 0 }, /drivers\.rackspace\.segmentSize must be/],
  ];
  for (const [raw, message] of cases) assert.throws(() => parseRackspaceOptions(raw), message, JSON.stringify(raw));
});
