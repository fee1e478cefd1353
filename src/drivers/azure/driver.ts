// The azure Driver: Blob Storage with a storage account's key (or a SAS).
import type { CollectionName, Driver } from '../../core/driver.js';
import { blobOperations } from './blob.js';
import type { AzureOptions } from './config.js';
import { azureDeclaration } from './declaration.js';
import { parseCredentials, resolveProvider } from './provider.js';

const BLOB_COLLECTIONS: CollectionName[] = ['buckets'];

export function createAzureDriver(options: AzureOptions): Driver {
  const blobs = blobOperations(options);
  return {
    declaration: azureDeclaration(options),
    supported_collections: async (ctx) => {
      resolveProvider(ctx.provider, options);
      if (!ctx.credentials) return ['drivers', ...BLOB_COLLECTIONS];
      return parseCredentials(ctx.credentials).kind === 'storage' ? ['drivers', ...BLOB_COLLECTIONS] : ['drivers'];
    },
    verify_credentials: async (ctx) => {
      await blobs.buckets!(ctx, {});
    },
    ...blobs,
    close: async () => {},
  };
}
