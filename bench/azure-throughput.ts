// Blob throughput of the azure driver: a blob uploaded and downloaded through
// the Deltacloud API (built server, `-i azure`, Azurite as an operator-listed
// provider) beside the same bytes sent straight to the same Azurite with
// @azure/storage-blob's uploadStream (same block size and concurrency), in
// the same run. Azurite is started here (node_modules/azurite) on a free port,
// as the tests start it (test/drivers/azure/azurite.ts).
//
//   npx tsc -p . && node --import tsx bench/azure-throughput.ts
//
// Settings (environment): BENCH_AZURE_MB (size in MiB, default 256). A measurement, not a
// test: exits 0 whatever the numbers or when Azurite is not installed (says so); non-zero only
// when something could not be started.
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AZURITE_ACCOUNT as ACCOUNT, AZURITE_AUTH as AUTH, AZURITE_KEY as KEY, azuriteMissing, startAzurite, type Azurite } from '../test/drivers/azure/azurite.js';
import { apiRoundTrip, directRoundTrip, MIB, printRows, startServer, type Row } from './transfer.js';

const SIZE = Number(process.env.BENCH_AZURE_MB ?? 256) * MIB;
const BLOCK = 4 * MIB;
const CONCURRENCY = 4;
async function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

async function main(): Promise<number> {
  const missing = azuriteMissing();
  if (missing) {
    console.error(`!!! Azure blob throughput SKIPPED: ${missing}`);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'deltacloud-bench-azure-'));
  let azurite: Azurite | undefined;
  let serverProc: ChildProcess | undefined;
  try {
    azurite = await startAzurite();
    const port = azurite.port;
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ drivers: { azure: {
      providers: { 'bench-azurite': { blobEndpoint: `http://127.0.0.1:${port}/{account}` } }, blockSizeBytes: BLOCK, uploadConcurrency: CONCURRENCY,
    } } }), { mode: 0o600 });
    const server = await startServer(['-i', 'azure', '-P', 'bench-azurite'], config, join(dir, 'data'), (proc) => (serverProc = proc));
    const service = new BlobServiceClient(`http://127.0.0.1:${port}/${ACCOUNT}`, new StorageSharedKeyCredential(ACCOUNT, KEY));
    const container = `dc-bench-${Date.now().toString(36)}`;
    await service.getContainerClient(container).create();
    console.log(`Azure blob throughput, ${SIZE / MIB} MiB blob, block ${BLOCK / MIB} MiB × ${CONCURRENCY}, Azurite on 127.0.0.1:${port}`);
    const rows: Row[] = [];

    const blobs = service.getContainerClient(container);
    rows.push(...await directRoundTrip(SIZE, 'Azurite', (body) => blobs.getBlockBlobClient('direct.bin').uploadStream(body, BLOCK, CONCURRENCY),
      async () => {
        const body = (await blobs.getBlobClient('direct.bin').download()).readableStreamBody;
        if (!body) throw new Error('Azurite answered the download without a body');
        return body;
      }));
    rows.push(...await apiRoundTrip(AUTH, server.port, server.proc.pid!, container, SIZE, 'Azurite'));
    printRows(rows);
    return 0;
  } finally {
    // Azurite's stop removes its folder: no blob is left anywhere.
    await stop(serverProc);
    await azurite?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(`bench/azure-throughput: could not measure: ${(error as Error).message}`);
  process.exit(1);
});
