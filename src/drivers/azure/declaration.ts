// What the azure driver declares: identity, the providers (Azure's clouds
// and the operator's endpoints) and features.
import type { DriverDeclaration } from '../../core/driver.js';
import { deepFreeze } from '../../core/freeze.js';
import { POWER_CYCLE_STATE_MACHINE } from '../shared/power-cycle.js';
import type { AzureOptions } from './config.js';

export const AZURE_DECLARATION: DriverDeclaration = {
  id: 'azure',
  name: 'Azure',
  reach: 'remote',
  usernameLabel: 'Storage account, or client id@tenant id',
  passwordLabel: 'Account key or SAS, or client secret',
  // Containers have no location of their own (the storage account has one): no `bucket_location`.
  // Keys are SSH public key resources: imported, never generated.
  // Instances: named (user_name), custom data (user_data), an SSH public key resource to sign in (authentication_key),
  // one network security group on the NIC (firewalls).
  features: { instances: ['user_name', 'user_data', 'authentication_key', 'firewalls'], keys: ['import_key'], storage_volumes: ['volume_name'] },
  // Virtual machines: created pending, running, deallocated (stop) and started, deleted in any settled state.
  stateMachine: POWER_CYCLE_STATE_MACHINE,
};

/** The declaration for the operator's options: every provider's blob endpoint (and Resource Manager endpoint). */
export function azureDeclaration(options: AzureOptions): DriverDeclaration {
  const blob: Record<string, string> = {};
  const arm: Record<string, string> = {};
  for (const [name, provider] of options.providers) {
    blob[name] = provider.blobEndpoint;
    arm[name] = provider.armEndpoint;
  }
  return deepFreeze({ ...AZURE_DECLARATION, entrypoints: { blob, arm }, defaultProvider: options.defaultProvider });
}
