// Which Azure endpoints a request talks to, and as whom. The provider is one
// of the operator's (or a built-in cloud, by name); the only part of a URL a
// client contributes is the storage account, checked against Azure's rule
// (3-24 lower-case letters and digits) before it is put into the operator's
// blob endpoint template.
import type { Credentials } from '../../core/driver.js';
import { AuthenticationFailure, ValidationFailure } from '../../core/errors.js';
import { refuseProvider } from '../../core/kit/providers.js';
import { LOCATION, RESOURCE_GROUP, SUBSCRIPTION_ID, type AzureOptions, type AzureProvider } from './config.js';

const STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Tenants are GUIDs or verified domain names. */
const TENANT = /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)$/;

/**
 * Provider forms: `<name>` or `<name>;<subscriptionId>;<resourceGroup>[;<location>]`
 * (the Resource Manager scope, which only selects among what the credentials
 * may reach; it never changes an endpoint).
 */
export function resolveProvider(requested: string | undefined, options: AzureOptions): AzureProvider {
  const choice = requested?.trim() || options.defaultProvider;
  const [head = '', subscriptionId, resourceGroup, location, ...rest] = choice.split(';').map((part) => part.trim());
  const provider = options.providers.get(head);
  if (!provider) refuseProvider(head, `choose one of: ${[...options.providers.keys()].join(', ')}`);
  if (subscriptionId === undefined) return provider;
  if (rest.length > 0 || !SUBSCRIPTION_ID.test(subscriptionId) || resourceGroup === undefined || !RESOURCE_GROUP.test(resourceGroup)
    || (location !== undefined && !LOCATION.test(location))) {
    throw new ValidationFailure('An Azure provider is <name> or <name>;<subscription id>;<resource group>[;<location>]');
  }
  return { ...provider, subscriptionId, resourceGroup, location: location ?? provider.location };
}

/** The provider's blob endpoint for a storage account. */
export function blobEndpointOf(provider: AzureProvider, account: string): string {
  if (!STORAGE_ACCOUNT.test(account)) throw new AuthenticationFailure('Azure storage account names are 3-24 lower-case letters and digits');
  return provider.blobEndpoint.split('{account}').join(account);
}

export type AzureCredentials =
  | { kind: 'storage'; account: string; secret: { sharedKey: string } | { sas: string } }
  | { kind: 'service-principal'; clientId: string; tenantId: string; clientSecret: string };

/**
 * Basic user `account`, password the account key (or a SAS token) → Blob
 * Storage; Basic user `clientId@tenantId`, password the client secret → a
 * service principal for Resource Manager.
 */
export function parseCredentials(credentials: Credentials): AzureCredentials {
  const { user, password } = credentials;
  const at = user.indexOf('@');
  if (at >= 0) {
    const clientId = user.slice(0, at);
    const tenantId = user.slice(at + 1);
    if (!GUID.test(clientId) || !TENANT.test(tenantId)) {
      throw new AuthenticationFailure('Azure service principals log in as <client id>@<tenant id or domain>');
    }
    return { kind: 'service-principal', clientId, tenantId, clientSecret: password };
  }
  if (!STORAGE_ACCOUNT.test(user)) throw new AuthenticationFailure('Azure storage account names are 3-24 lower-case letters and digits');
  // A shared access signature is a query string (`sv=…&sig=…`); an account key is base64.
  const sas = password.replace(/^\?/, '');
  if (/(^|&)sig=/.test(sas)) return { kind: 'storage', account: user, secret: { sas } };
  return { kind: 'storage', account: user, secret: { sharedKey: password } };
}
