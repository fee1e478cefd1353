// Resource Manager for one request: the service principal's Entra ID
// credential (@azure/identity) and the SDK clients in the provider's scope
// (subscription, resource group, location). Clients are cached per
// endpoint, scope and whole credential (ClientCache keys on a keyed hash).
import { ComputeManagementClient } from '@azure/arm-compute';
import { MonitorClient } from '@azure/arm-monitor';
import { NetworkManagementClient } from '@azure/arm-network';
import { ClientSecretCredential } from '@azure/identity';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Filter, RequestContext } from '../../core/driver.js';
import { orUndefined } from '../../core/kit/lookup.js';
import { NotSupported, ValidationFailure } from '../../core/errors.js';
import { CLOUDS, type AzureOptions, type AzureProvider } from './config.js';
import { AzureSession, ClientCache } from './session.js';
import { measuredPolicies } from './service-calls.js';

/** The name in an ARM resource id (its last segment: `…/virtualMachines/myVM` → `myVM`). */
export const nameOf = (id: string | undefined): string => (id ? id.slice(id.lastIndexOf('/') + 1) : '');

/** A listing of the resource group, every page, mapped; the id filter is applied here too (the core re-applies it). */
export async function listed<T, R extends { id: string }>(s: AzureSession, pages: AsyncIterable<T>, map: (item: T) => R, id: string | undefined): Promise<R[]> {
  return s.call(async () => {
    const found: R[] = [];
    for await (const item of pages) found.push(map(item));
    return found.filter((item) => !id || item.id === id);
  });
}

/** A long-running operation's polling: the request's abort signal (its deadline) and the operator's interval. */
export const pollingOf = (s: AzureSession, options: AzureOptions) => ({ abortSignal: s.signal, updateIntervalInMs: options.pollIntervalMs });

/** A resource group's resources of one type as a listing and a show (404 → undefined), names checked before any call. */
export function membersOf<T, R extends { id: string }>(connections: ArmConnections, what: string, check: (name: string, what: string) => string, api: {
  list(clients: ArmClients, signal: AbortSignal): AsyncIterable<T>;
  get(clients: ArmClients, name: string, signal: AbortSignal): Promise<T>;
  map(item: T, clients: ArmClients): R;
}): { list(ctx: RequestContext, filter: Filter): Promise<R[]>; show(ctx: RequestContext, id: string): Promise<R | undefined> } {
  return {
    list: async (ctx, filter) => {
      const [s, clients] = connections.open(ctx);
      return listed(s, api.list(clients, s.signal), (item) => api.map(item, clients), filter.id);
    },
    show: async (ctx, id) => {
      check(id, what);
      const [s, clients] = connections.open(ctx);
      return orUndefined(() => s.call(async () => api.map(await api.get(clients, id, s.signal), clients)));
    },
  };
}

export interface ArmScopeOf {
  subscriptionId: string;
  resourceGroup: string;
  location?: string;
}

/** The scope a Resource Manager call works in; without one the provider offers no Resource Manager collections. */
export function armScopeOf(provider: AzureProvider): ArmScopeOf | undefined {
  const { subscriptionId, resourceGroup, location } = provider;
  return subscriptionId && resourceGroup ? { subscriptionId, resourceGroup, ...(location ? { location } : {}) } : undefined;
}

/** The scope's location, which creating `what` needs. */
export function locationOf(scope: ArmScopeOf, what: string): string {
  if (!scope.location) throw new ValidationFailure(`Creating ${what} needs a location: choose <provider>;<subscription id>;<resource group>;<location>`);
  return scope.location;
}

/** The built-in clouds' Entra ID knows its own instances; an operator's authority host is used as given. */
function isBuiltInAuthority(provider: AzureProvider): boolean {
  return Object.values(CLOUDS).some((cloud) => cloud.authorityHost === provider.authorityHost);
}

export interface ArmClients {
  scope: ArmScopeOf;
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  monitor: MonitorClient;
}

export class ArmConnections {
  private readonly agents = new Map<string, Agent>();
  private readonly clients = new ClientCache<ComputeManagementClient>();
  private readonly networkClients = new ClientCache<NetworkManagementClient>();
  private readonly monitorClients = new ClientCache<MonitorClient>();
  private readonly credentials = new ClientCache<ClientSecretCredential>();

  constructor(private readonly options: AzureOptions) {}

  /** Trusts the provider's own CA besides the public roots (Azure Stack, a private endpoint). */
  private agentFor(provider: AzureProvider): Agent | undefined {
    const ca = provider.ca;
    if (!ca) return undefined;
    let agent = this.agents.get(ca);
    if (!agent) {
      agent = new Agent({ ca: [...rootCertificates, ca], keepAlive: true });
      this.agents.set(ca, agent);
    }
    return agent;
  }

  /** One request's session and clients. */
  open(ctx: RequestContext): [AzureSession, ArmClients] {
    const s = new AzureSession(ctx, this.options);
    return [s, this.for(s)];
  }

  /** The service principal's Entra ID credential for the provider's authority (cached: it keeps its token). */
  private credentialOf(s: AzureSession): ClientSecretCredential {
    const { clientId, tenantId, clientSecret } = s.servicePrincipal();
    const provider = s.provider;
    return this.credentials.get([provider.authorityHost, provider.ca ?? '', tenantId, clientId, clientSecret], () => new ClientSecretCredential(tenantId, clientId, clientSecret, {
      ...this.transport(provider),
      additionalPolicies: measuredPolicies('EntraID'),
      authorityHost: provider.authorityHost,
      disableInstanceDiscovery: !isBuiltInAuthority(provider),
    }));
  }

  private transport(provider: AzureProvider) {
    const agent = this.agentFor(provider);
    return {
      ...(agent ? { agent } : {}),
      retryOptions: { maxRetries: this.options.retries - 1, retryDelayInMs: 200, maxRetryDelayInMs: 5_000 },
      userAgentOptions: { userAgentPrefix: 'deltacloud-ts' },
    };
  }

  /** Whether Entra ID issues the service principal a token for the provider's Resource Manager (no scope needed). */
  async verify(s: AzureSession): Promise<void> {
    const credential = this.credentialOf(s);
    await s.call(() => credential.getToken(`${s.provider.armEndpoint}/.default`, { abortSignal: s.signal }));
  }

  for(s: AzureSession): ArmClients {
    const scope = armScopeOf(s.provider);
    // Without a scope this provider offers no Resource Manager collections: the back end lacks them (501), as for any unoffered collection.
    if (!scope) {
      throw new NotSupported('This provider has no Resource Manager scope: choose <provider>;<subscription id>;<resource group>[;<location>]');
    }
    const credential = this.credentialOf(s);
    const provider = s.provider;
    const { clientId, tenantId, clientSecret } = s.servicePrincipal();
    const key = [provider.armEndpoint, provider.authorityHost, provider.ca ?? '', tenantId, clientId, clientSecret, scope.subscriptionId];
    const clientOptions = {
      ...this.transport(provider), additionalPolicies: measuredPolicies('ARM'), endpoint: provider.armEndpoint, credentials: { scopes: [`${provider.armEndpoint}/.default`] },
    };
    const compute = this.clients.get(key, () => new ComputeManagementClient(credential, scope.subscriptionId, clientOptions));
    const network = this.networkClients.get(key, () => new NetworkManagementClient(credential, scope.subscriptionId, clientOptions));
    // @azure/arm-monitor 7 (the last for Node 20) is of the older generation: its host and token scope are options of their own.
    const monitorOptions = { ...clientOptions, $host: provider.armEndpoint, credentialScopes: [`${provider.armEndpoint}/.default`] };
    const monitor = this.monitorClients.get(key, () => new MonitorClient(credential, scope.subscriptionId, monitorOptions));
    return { scope, compute, network, monitor };
  }
}
