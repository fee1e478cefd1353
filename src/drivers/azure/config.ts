// Operator settings of the azure driver (the `drivers.azure` object of the
// server's configuration file). Nothing here comes from clients.
//
//   {
//     "providers": {
//       "azurite": { "blobEndpoint": "http://127.0.0.1:10000/{account}" },
//       "prod": { "cloud": "AzureCloud", "subscriptionId": "…", "resourceGroup": "deltacloud", "location": "westeurope",
//                 "images": ["Canonical:ubuntu-24_04-lts:server:latest"],
//                 "subnetId": "/subscriptions/…/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default" }
//     },
//     "defaultProvider": "azurite",
//     "blockSizeBytes": 4194304,
//     "uploadConcurrency": 4,
//     "requestTimeoutMs": 60000,
//     "retries": 3
//   }
//
// Azure's public, US Government and China clouds are providers by their
// names (`AzureCloud`, `AzureUSGovernment`, `AzureChinaCloud`) without any
// configuration; every other endpoint is one the operator lists here.
import { readFileSync } from 'node:fs';
import { OptionReader } from '../../core/kit/options.js';

export class AzureConfigError extends Error {}

/** The endpoints of one Azure cloud. `{account}` in `blobEndpoint` is the storage account (checked: 3-24 a-z0-9). */
export interface CloudEndpoints {
  blobEndpoint: string;
  armEndpoint: string;
  authorityHost: string;
}

/** Microsoft's sovereign clouds (the `az cloud list` endpoints). */
export const CLOUDS: Readonly<Record<string, CloudEndpoints>> = Object.freeze({
  AzureCloud: {
    blobEndpoint: 'https://{account}.blob.core.windows.net',
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
  },
  AzureUSGovernment: {
    blobEndpoint: 'https://{account}.blob.core.usgovcloudapi.net',
    armEndpoint: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
  },
  AzureChinaCloud: {
    blobEndpoint: 'https://{account}.blob.core.chinacloudapi.cn',
    armEndpoint: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
  },
});

/** Where Resource Manager calls of a provider go, and in which scope. */
export interface ArmScope {
  subscriptionId?: string;
  resourceGroup?: string;
  location?: string;
}

export interface AzureProvider extends CloudEndpoints, ArmScope {
  name: string;
  /** Marketplace images offered besides the subscription's own: `publisher:offer:sku:version`. */
  images: string[];
  /** The subnet (its resource id) a new instance's network interface joins; without one instances cannot be created. */
  subnetId?: string;
  /** PEM certificates trusted besides the public roots for this provider's endpoints (`caFile`; Azure Stack, a private CA). */
  ca?: string;
}

export interface AzureOptions {
  /** Built-in clouds first, then the operator's providers (which may replace them). */
  providers: Map<string, AzureProvider>;
  defaultProvider: string;
  /** Size of each staged block of an upload; at most `uploadConcurrency` of them are in memory per upload. */
  blockSizeBytes: number;
  uploadConcurrency: number;
  /** Limit for one back-end call (streamed transfers excepted). */
  requestTimeoutMs: number;
  /** Attempts of the SDKs' own retry policies (the first included). */
  retries: number;
  /** How often a Resource Manager long-running operation is polled when Azure names no Retry-After. */
  pollIntervalMs: number;
}

export const SUBSCRIPTION_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Resource group names: 1-90 of letters, digits, `_-.()`, not ending in a period (ARM's rule). */
export const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
export const LOCATION = /^[a-z][a-z0-9]{1,39}$/;
const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A virtual network's subnet: `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>`. */
const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
const MARKETPLACE_IMAGE = /^[A-Za-z0-9._-]+:[A-Za-z0-9._-]+:[A-Za-z0-9._-]+:[A-Za-z0-9._-]+$/;

/** An http(s) endpoint without user info, query or fragment; no trailing slash. */
function endpoint(raw: string, what: string, template = false): string {
  // The placeholder is not a valid host character: check the URL with a sample account in its place.
  const sample = template ? raw.split('{account}').join('account') : raw;
  let url: URL;
  try {
    url = new URL(sample);
  } catch {
    throw new AzureConfigError(`drivers.azure.${what} '${raw}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AzureConfigError(`drivers.azure.${what} must be an http(s) URL`);
  if (url.username || url.password || url.search || url.hash) throw new AzureConfigError(`drivers.azure.${what} must not carry user information, a query or a fragment`);
  if (template && !raw.includes('{account}')) throw new AzureConfigError(`drivers.azure.${what} must contain {account} (the storage account)`);
  return raw.replace(/\/+$/, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pemFile(path: string, fail: () => never): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    fail();
  }
  return text.includes('-----BEGIN CERTIFICATE-----') ? text : fail();
}

function providerOf(name: string, raw: unknown): AzureProvider {
  if (!PROVIDER_NAME.test(name)) throw new AzureConfigError(`drivers.azure.providers: name '${name}' may only hold letters, digits, '.', '_' and '-'`);
  if (!isRecord(raw)) throw new AzureConfigError(`drivers.azure.providers.${name} must be an object`);
  const o = new OptionReader(raw, `drivers.azure.providers.${name}`, AzureConfigError);
  const cloudName = o.string('cloud', 'AzureCloud');
  const cloud = CLOUDS[cloudName];
  if (!cloud) o.fail('cloud', `must be one of ${Object.keys(CLOUDS).join(', ')}`);
  const subscriptionId = o.string('subscriptionId');
  if (subscriptionId !== undefined && !SUBSCRIPTION_ID.test(subscriptionId)) o.fail('subscriptionId', 'must be a subscription id (a GUID)');
  const resourceGroup = o.string('resourceGroup');
  if (resourceGroup !== undefined && !RESOURCE_GROUP.test(resourceGroup)) o.fail('resourceGroup', 'must be a resource group name');
  const location = o.string('location');
  if (location !== undefined && !LOCATION.test(location)) o.fail('location', 'must be a location name such as westeurope');
  const images = o.strings('images') ?? [];
  for (const image of images) if (!MARKETPLACE_IMAGE.test(image)) o.fail('images', `entry '${image}' must be publisher:offer:sku:version`);
  const subnetId = o.string('subnetId');
  if (subnetId !== undefined && !SUBNET_ID.test(subnetId)) o.fail('subnetId', 'must be a subnet resource id (/subscriptions/…/virtualNetworks/<vnet>/subnets/<subnet>)');
  const path = `providers.${name}`;
  const caFile = o.string('caFile');
  const ca = caFile === undefined ? undefined : pemFile(caFile, () => o.fail('caFile', 'must be a readable file of PEM certificates'));
  return {
    name,
    blobEndpoint: endpoint(o.string('blobEndpoint', cloud.blobEndpoint), `${path}.blobEndpoint`, true),
    armEndpoint: endpoint(o.string('armEndpoint', cloud.armEndpoint), `${path}.armEndpoint`),
    authorityHost: endpoint(o.string('authorityHost', cloud.authorityHost), `${path}.authorityHost`),
    subscriptionId, resourceGroup, location, images, ...(subnetId ? { subnetId } : {}), ...(ca ? { ca } : {}),
  };
}

export function parseOptions(raw: Record<string, unknown>): AzureOptions {
  const o = new OptionReader(raw, 'drivers.azure', AzureConfigError);
  const providers = new Map<string, AzureProvider>();
  for (const [name, cloud] of Object.entries(CLOUDS)) providers.set(name, { name, ...cloud, images: [] });
  const configured = raw.providers ?? {};
  if (!isRecord(configured)) throw new AzureConfigError('drivers.azure.providers must be an object: name → provider');
  const named = Object.entries(configured);
  for (const [name, value] of named) providers.set(name, providerOf(name, value));
  const defaultProvider = o.string('defaultProvider') ?? (named.length === 1 ? named[0]![0] : 'AzureCloud');
  if (!providers.has(defaultProvider)) o.fail('defaultProvider', `names no provider (${[...providers.keys()].join(', ')})`);
  const blockSizeBytes = o.number('blockSizeBytes', { min: 64 * 1024, max: 4000 * 1024 * 1024, integer: true }, 4 * 1024 * 1024);
  return {
    providers,
    defaultProvider,
    blockSizeBytes,
    uploadConcurrency: o.number('uploadConcurrency', { min: 1, max: 64, integer: true }, 4),
    requestTimeoutMs: o.durationMs('requestTimeout', { min: 1 }, 60_000),
    retries: o.number('retries', { min: 1, max: 10, integer: true }, 3),
    pollIntervalMs: o.durationMs('pollInterval', { min: 1 }, 2_000),
  };
}
