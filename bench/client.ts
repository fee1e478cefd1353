// The client's costs, measured against the built server on the mock:
//  1. a blob round trip (upload, then download) of CLIENT_BLOB_MIB (default 1024) MiB through the
//     client: the growth of the client process's peak RSS over its baseline (target < 64 MB);
//  2. the client's overhead over raw fetch for `GET /api/instances` (median of CLIENT_CALLS calls each).
// A measurement, not a test: it prints figures and exits 0 whenever it could measure.
//
//   node --import tsx bench/client.ts
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { DeltacloudClient } from '../packages/client/src/index.js';
import { startServer } from '../test/helpers/server.js';

const MIB = 1024 * 1024;
const blobMiB = Number(process.env.CLIENT_BLOB_MIB ?? 1024);
const calls = Number(process.env.CLIENT_CALLS ?? 500);

const server = await startServer();
try {
  const url = `http://127.0.0.1:${server.port}/api`;
  const client = new DeltacloudClient({ url, user: 'mockuser', password: 'mockpassword' });
  await client.buckets.create({ name: 'benchbucket' });

  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const chunk = Buffer.alloc(MIB, 0x5a);
  const source = Readable.from((function* () { for (let i = 0; i < blobMiB; i++) yield chunk; })());
  const started = performance.now();
  const blob = await client.blobs.put('benchbucket', 'big', source);
  const uploaded = performance.now();
  let received = 0;
  for await (const part of await client.blobs.download('benchbucket', 'big')) received += part.byteLength;
  const downloaded = performance.now();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (blob.content_length !== blobMiB * MIB || received !== blobMiB * MIB) throw new Error(`sizes differ: ${blob.content_length} up, ${received} down`);
  console.log(`blob round trip ${blobMiB} MiB: upload ${((blobMiB / (uploaded - started)) * 1000).toFixed(0)} MiB/s, download ${((blobMiB / (downloaded - uploaded)) * 1000).toFixed(0)} MiB/s`);
  console.log(`client RSS: baseline ${(baseline / MIB).toFixed(1)} MiB, peak ${(peak / MIB).toFixed(1)} MiB, growth ${((peak - baseline) / MIB).toFixed(1)} MiB (target < 64 MB)`);
  await client.blobs.destroy('benchbucket', 'big');
  await client.buckets.destroy('benchbucket');

  const auth = 'Basic ' + Buffer.from('mockuser:mockpassword').toString('base64');
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rawCall = async () => (await fetch(`${url}/instances`, { headers: { Accept: 'application/json', Authorization: auth } })).json();
  const clientCall = () => client.instances.list(); // the entry point is read once, then cached
  const elapsed = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  for (let i = 0; i < 50; i++) await Promise.all([rawCall(), clientCall()]); // warm both paths up
  // Alternating calls, so load from other processes weighs on both alike.
  const rawSamples: number[] = [];
  const clientSamples: number[] = [];
  for (let i = 0; i < calls; i++) {
    rawSamples.push(await elapsed(rawCall));
    clientSamples.push(await elapsed(clientCall));
  }
  const raw = median(rawSamples);
  const viaClient = median(clientSamples);
  console.log(`GET /api/instances (median of ${calls}): raw fetch ${raw.toFixed(3)} ms, client ${viaClient.toFixed(3)} ms, overhead ${(viaClient - raw).toFixed(3)} ms`);
} finally {
  await server.stop();
}
