// The azure driver's Blob Storage half against a live Azurite, started here
// on a free port (test/drivers/azure/azurite.ts). With a storage account's
// credentials the driver offers buckets only. The Resource Manager half
// (service principal) is its own target: azure-arm.test.ts.
import type { TestServer } from '../../helpers/server.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, azuriteMissing, PROVIDER, startAzurite, startAzureServer, type Azurite } from '../azure/azurite.js';
import { describeConformance } from './conformance.js';

let azurite: Azurite | undefined;

describeConformance({
  name: 'azure (Blob Storage on Azurite)',
  unavailable: async () => azuriteMissing(),
  async start(): Promise<TestServer> {
    azurite = await startAzurite();
    return startAzureServer(azurite);
  },
  async stop() {
    await azurite?.stop();
  },
  user: AZURITE_ACCOUNT,
  password: AZURITE_KEY,
  driver: 'azure',
  provider: PROVIDER,
});
