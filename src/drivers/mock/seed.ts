// The seed data of mock-driver.md §4, quirks included (they are what clients
// and the original test-suites see), plus the project's additions: the
// `default` firewall and the `lb1` load balancer.
import type { Address, Firewall, Image, Key, Network, StorageSnapshot, StorageVolume, Subnet } from '../../core/model.js';
import type { BlobContent } from './blob-files.js';
import type { BlobRecord, BucketRecord, InstanceRecord, LoadBalancerRecord, NetworkInterfaceRecord } from './records.js';
import type { MockStore } from './store.js';

const IMAGE_TIME = 'Thu Oct 25 14:27:53 CEST 2012';

const IMAGES: Image[] = [
  { id: 'img1', name: 'img1', description: 'Fedora 10', ownerId: 'fedoraproject', architecture: 'x86_64', state: 'AVAILABLE', creationTime: IMAGE_TIME },
  { id: 'img2', name: 'img2', description: 'Fedora 10', ownerId: 'fedoraproject', architecture: 'i386', state: 'AVAILABLE', creationTime: IMAGE_TIME },
  { id: 'img3', name: 'img3', description: 'JBoss', ownerId: 'mockuser', architecture: 'i386', state: 'AVAILABLE', creationTime: IMAGE_TIME },
];

const host = (address: string) => ({ address, type: 'hostname' as const });

const INSTANCES: InstanceRecord[] = [
  {
    id: 'inst0', name: 'Mock Instance With Profile Change', ownerId: 'mockuser', imageId: 'img1', realmId: 'us',
    state: 'RUNNING', hardwareProfileId: 'm1-large', profileOverrides: { memory: '12288' },
    publicAddresses: [host('img1.inst0.public.com')], privateAddresses: [host('img1.inst0.private.com')],
    storageVolumes: [], networkInterfaceIds: [], canCreateImage: true,
  },
  {
    // Quirk: addresses say img1 although the image is img3.
    id: 'inst1', name: 'MockUserInstance', ownerId: 'mockuser', imageId: 'img3', realmId: 'us',
    state: 'RUNNING', hardwareProfileId: 'm1-small', profileOverrides: {},
    publicAddresses: [host('img1.inst1.public.com')], privateAddresses: [host('img1.inst1.private.com')],
    storageVolumes: [], networkInterfaceIds: ['nic1'], canCreateImage: true,
  },
  {
    // Quirk: no network-interface list at all.
    id: 'inst2', name: 'AnotherInstance', ownerId: 'mockuser', imageId: 'img1', realmId: 'us',
    state: 'RUNNING', hardwareProfileId: 'm1-large', profileOverrides: {},
    publicAddresses: [host('img1.inst2.public.com')], privateAddresses: [host('img1.inst2.private.com')],
    storageVolumes: [], canCreateImage: true,
  },
  {
    // Quirks: empty name and key name; cannot be imaged.
    id: 'inst3', name: '', ownerId: 'mockuser', imageId: 'img3', realmId: 'eu',
    state: 'RUNNING', hardwareProfileId: 'm1-small', profileOverrides: {},
    publicAddresses: [host('img3.inst3.public.com')], privateAddresses: [host('img3.inst3.private.com')],
    storageVolumes: [], keyname: '', networkInterfaceIds: ['nicinst3'], canCreateImage: false,
  },
];

/** Reproduced byte for byte (mock-driver.md §4.5): lines joined by `\n`, no trailing newline. */
export const TEST_KEY_PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'P9mRXOY7p2SmMzTGA6dwKxUp1NB8LNCIJ7sMGgAljsf=ToAi9qn9myx0EQJkE8FZ8FigUIMHS/T',
  '8EwP7Ayjztb8dczbC6sb/Ep2UWcegNUVHimyHstaEaO/3dCaFwLJ/kw=laAfLQAVj4sIr8EHDTg',
  '/BFkgmwTAYlS/ybkEfO9J7AJlY6/agwYzDWp+VGAD9rMsl2EkkbkWdoTX4Aob9RqyHaFi2m1AAw',
  '2nhhqYpa1W4H=PJvyBcsXT3JynowSI8rTvo41oVwgSzv7YofGP0yV7BePm5pXZUUP2ZMByxbAUv',
  'jvYRN/cMHbC6RW1ezR3uehCKdKFRXLTkoivoGj4ugrKgOwQP0HWI2orx/NW+6vYBxyCKiTJPZcK',
  'x4BlRrlgvPST/7eaFv7/5Pqc3jWcp+bRC0qyYqQT9iq3gGNoc4ABFTI7zCeZ3p9tK8oje5fWo5m',
  '54P32hVGeBjfqT/MrEYbY5gbJU6LejCj7x6Ozlp4iHQtrYNhiZ0iP0W3nRhVFQHamKx9aoBXyeg',
  'LLGxBOr+TfaeeBXRkXiaMuWoyPSzUQwWmaJhm0sjHf7e/iKiUggZkOHQ/eF9MWI4M+4wvyepfS0',
  '5vl2Ql/2rXv+Mx+c4cx1fjBhRrMPcGKmHGjNMjPyamTrlqueFRJYP45AYABP2U2AsNxoPfEG0qu',
  'ki3DJOeC5x/03nODd=hQLzfdiQ3Yyt0GMw1EQN96cPaRtnjr3U4/ngxt0Fi6o7Z8E2+Uh5t4n8D',
  'h0exXCOlOi9BDsJJz677mga/=5Sin/4Cw8=D8O1FHrWoA4ZQbWFE71F=/29PM90RHJf2bjgk2WF',
  'piltKwVfGAxPOTcpmf=J+V3NHgT/EawMPHuEmwgNvx6smDBUgJaw0QYX/XG5xuiQ7HTkffJN6Cm',
  '6D4WCJPZUvO1r+v=T9v7Qu4j9ue/l2WwVZuvQsVD67jpzq2R72EHna6rcwwyMcdAlwikP9nzJIL',
  'Ale7hQAWHIEeAvAxtwxEMSfTkuLQcD=i0ORysmInDxdORw4ue2YThj2Id/jmUy6IiEqMYeVpiRq',
  '6spq2ukt=+HHn6aBcYWbsD=e8/wOk0X0=ixZ0HF+xqYgsiiAk==rA4QEgrf+5djbIRZk1wegeIO',
  'po/HZdF4qk32cKBjrrel2AzxfZeGxWNX7ObAE4HACXi3eSdcnm1fIHsoSC+1eDqFkfAIve3Dj/a',
  'afZxrda6zzp3g6IPcHAqleCn7XNcS0v5tk4Fag8Wr5Wq7IipRfixAs+GESGiyugeRvZWN2mtDOL',
  'CGHGGAbpvplw2vjdryVyj7P6bVcwLNgl0t1ufZBaGRBpyontJ1/UQQMew7e2lW=EZr/GxHke8HN',
  'X5vIw9ssx8=LL00fxAuX9SRdcrtVyTYGXORXe9NnldXjBXmLPgwqJAjoBTjTBQxzrQOtdla=/yw',
  'MsDlFWumPz1HAFw7R5zS2VCHrwkLDm=h7k3y+fUvYOx6IYf+MmevANuJT+2qY6s/ilTBNDYq6jJ',
  '8LYpsBo4XpQm1ZleFCIyRldHfmaC5EMxkVQVqCV7X9I6JgzDEetUre25LQTpDa31M=ucVHNWlT+',
  '6rjiLETNeMTWGcuIkLPe/PElmp4llKeFi6g2=E2AKeSDzNycr5eXHEnBuKfEnENXXo6n-----END RSA PRIVATE KEY-----',
].join('\n');

const KEYS: Key[] = [
  { id: 'test-key', credentialType: 'key', fingerprint: '5e:ce:b6:dc:59:3b:5c:93:f8:2e:9d:20:ce:60:ca:f5:0b:8a:66:93', pem: TEST_KEY_PEM },
];

const VOLUME_TIME = 'Thu Jul 30 14:35:11 UTC 2009';

const VOLUMES: StorageVolume[] = [
  { id: 'vol1', capacity: 1, realmId: 'us', state: 'AVAILABLE', created: VOLUME_TIME },
  { id: 'vol2', capacity: 1, realmId: 'us', state: 'AVAILABLE', created: VOLUME_TIME },
  // Quirk: claims inst1, whose volume list is empty.
  { id: 'vol3', capacity: 1, realmId: 'us', state: 'IN-USE', created: VOLUME_TIME, instanceId: 'inst1', device: '/dev/sda1' },
];

const SNAPSHOT_TIME = 'Wed Jul 29 18:15:24 UTC 2009';

const SNAPSHOTS: StorageSnapshot[] = [
  { id: 'snap1', volumeId: 'vol1', state: 'COMPLETED', created: SNAPSHOT_TIME },
  { id: 'snap2', volumeId: 'vol2', state: 'COMPLETED', created: SNAPSHOT_TIME },
  { id: 'snap3', volumeId: 'vol2', state: 'COMPLETED', created: SNAPSHOT_TIME },
];

const BUCKETS: BucketRecord[] = [
  { id: 'bucket1', name: 'bucket1', size: 3 },
  { id: 'bucket2', name: 'bucket2', size: 2 },
];

interface SeedBlob {
  id: string;
  bucketId: string;
  contentType: string;
  lastModified: string;
  content: string;
  userMetadata: Record<string, string>;
}

const BLOBS: SeedBlob[] = [
  { id: 'blob1', bucketId: 'bucket1', contentType: 'text/plain', lastModified: '2010-09-23 16:44:54 +0100', content: 'content of blob 1', userMetadata: { SOMENEWKEY: 'NEWVALUE' } },
  { id: 'blob2', bucketId: 'bucket1', contentType: 'text/html', lastModified: '2010-09-23 16:55:05 +0100', content: '<html><head></head><body>content of blob 2</body></html>', userMetadata: { VERSION: '1.2' } },
  { id: 'blob3', bucketId: 'bucket1', contentType: 'text/plain', lastModified: '2010-08-14 02:14:31 +0100', content: 'content of blob 3', userMetadata: {} },
  { id: 'blob4', bucketId: 'bucket2', contentType: 'application/octet-stream', lastModified: '2010-09-21 06:17:24 +0100', content: 'content of blob 4', userMetadata: { some: 'value' } },
  { id: 'blob5', bucketId: 'bucket2', contentType: 'application/pdf', lastModified: '2009-07-21 11:12:13 +0100', content: 'content of blob 5', userMetadata: {} },
];

const ADDRESSES: Address[] = ['192.168.0.1', '192.168.0.2', '192.168.0.3', '192.168.0.4'].map((id) => ({ id }));

const NETWORKS: Network[] = [
  { id: 'net1', name: 'network1', addressBlocks: ['192.168.0.0/16'], subnetIds: ['subnet1', 'subnet2'], state: 'UP' },
  { id: 'net2', name: 'network2', addressBlocks: ['10.0.0.0/8'], subnetIds: ['subnet3', 'subnet4'], state: 'UP' },
];

const SUBNETS: Subnet[] = [
  { id: 'subnet1', name: 'subnet1', networkId: 'net1', addressBlock: '192.168.1.0/24', type: 'PRIVATE', state: 'UP' },
  { id: 'subnet2', name: 'subnet2', networkId: 'net1', addressBlock: '192.168.2.0/24', type: 'PRIVATE', state: 'UP' },
  { id: 'subnet3', name: 'subnet3', networkId: 'net2', addressBlock: '10.1.0.0/16', type: 'PRIVATE', state: 'UP' },
  { id: 'subnet4', name: 'subnet4', networkId: 'net2', addressBlock: '10.2.0.0/16', type: 'PRIVATE', state: 'UP' },
];

const NETWORK_INTERFACES: NetworkInterfaceRecord[] = [
  { id: 'nic1', name: 'nic1', instanceId: 'inst1', networkId: 'subnet1', ipAddress: '192.168.1.2' },
  // Quirk: its network is a network id, with an unused extra subnet.
  { id: 'nicinst3', name: 'nicinst3', instanceId: 'inst3', networkId: 'net1', subnet: 'subnet2', ipAddress: '192.168.2.189' },
];

// Beyond the original: EC2-style firewall and load balancer data.
const FIREWALLS: Firewall[] = [
  {
    id: 'default', name: 'default', description: 'default group', ownerId: 'mockuser',
    rules: [{
      id: 'mockuser~tcp~22~22~@address,ipv4,0.0.0.0,0', protocol: 'tcp', portFrom: '22', portTo: '22', direction: 'ingress',
      sources: [{ type: 'address', family: 'ipv4', address: '0.0.0.0', prefix: '0' }],
    }],
  },
];

const LOAD_BALANCERS: LoadBalancerRecord[] = [
  {
    id: 'lb1', realmIds: ['us'], listeners: [{ protocol: 'HTTP', loadBalancerPort: '80', instancePort: '8080' }],
    instanceIds: [], publicAddresses: ['lb1.mock.example.com'], createdAt: 'Thu Oct 25 14:27:53 UTC 2012',
  },
];

/** Writes the seed's blob content (before the seeding transaction: content is stored apart); the records to put. */
export async function writeSeedContent(files: BlobContent): Promise<BlobRecord[]> {
  const records: BlobRecord[] = [];
  for (const { content, ...blob } of BLOBS) {
    const { file, length } = await files.writeSmall(blob.bucketId, blob.id, content);
    records.push({ ...blob, contentLength: length, file });
  }
  return records;
}

/** Writes the whole seed, with blob records from writeSeedContent. Call inside `store.write` so it is one transaction. */
export function writeSeed(store: MockStore, blobs: BlobRecord[]): void {
  for (const r of IMAGES) store.put('images', r);
  for (const r of INSTANCES) store.put('instances', r);
  for (const r of KEYS) store.put('keys', r);
  for (const r of VOLUMES) store.put('storage_volumes', r);
  for (const r of SNAPSHOTS) store.put('storage_snapshots', r);
  for (const r of BUCKETS) store.put('buckets', r);
  for (const r of ADDRESSES) store.put('addresses', r);
  for (const r of NETWORKS) store.put('networks', r);
  for (const r of SUBNETS) store.put('subnets', r);
  for (const r of NETWORK_INTERFACES) store.put('network_interfaces', r);
  for (const r of FIREWALLS) store.put('firewalls', r);
  for (const r of LOAD_BALANCERS) store.put('load_balancers', r);
  for (const blob of blobs) store.putBlob(blob);
}
