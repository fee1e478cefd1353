// Load balancers: a balancer has a region, forwarding rules (entry protocol
// and port → target protocol and port) and droplets. Deltacloud's listener is
// one forwarding rule with the same protocol on both sides.
import type { Driver } from '../../core/driver.js';
import { NotFound, ValidationFailure } from '../../core/errors.js';
import type { Instance, LoadBalancer } from '../../core/model.js';
import type { RestCalls } from '../shared/rest/client.js';
import { checkListed, providerName, type NameRule } from '../shared/rest/create.js';
import { isUuid, isWholeNumber, portNumber, slugsOf, type CallsOf, type Lister } from './api.js';

interface ForwardingRule { entry_protocol?: string; entry_port?: number; target_protocol?: string; target_port?: number; tls_passthrough?: boolean }
interface DoLoadBalancer { id: string; name?: string; ip?: string; created_at?: string; region?: { slug?: string }; forwarding_rules?: ForwardingRule[]; droplet_ids?: number[] | null }

type Ops = Pick<Driver, 'load_balancers' | 'load_balancer' | 'create_load_balancer' | 'destroy_load_balancer' | 'lb_register_instance' | 'lb_unregister_instance'>;

/** Protocols on both sides of a forwarding rule (http3 is entry-only). */
const PROTOCOLS = new Set(['http', 'https', 'http2', 'tcp', 'udp']);
/** Load balancer names as DigitalOcean's control panel takes them. */
const BALANCER_NAME: NameRule = {
  pattern: /^[a-zA-Z0-9][a-zA-Z0-9.-]*$/, max: 255,
  message: 'DigitalOcean load balancer names start with a letter or digit and hold only letters, digits, "." and "-"',
};

/** A droplet known only by its id. */
function dropletRef(id: number): Instance {
  return { id: String(id), publicAddresses: [], privateAddresses: [], storageVolumes: [], canCreateImage: false, actions: [] };
}

function balancerOf(b: DoLoadBalancer): LoadBalancer {
  return {
    id: b.id,
    realmIds: b.region?.slug ? [b.region.slug] : [],
    listeners: (b.forwarding_rules ?? []).map((r) => ({
      protocol: (r.entry_protocol ?? '').toUpperCase(), loadBalancerPort: r.entry_port ?? '', instancePort: r.target_port ?? '',
    })),
    instances: (b.droplet_ids ?? []).map(dropletRef),
    publicAddresses: b.ip ? [b.ip] : [],
    createdAt: b.created_at,
  };
}

export function loadBalancerOperations(api: CallsOf, list: Lister): Ops {
  async function find(calls: RestCalls, id: string): Promise<DoLoadBalancer | undefined> {
    if (!isUuid(id)) return undefined;
    return (await calls.find<{ load_balancer: DoLoadBalancer }>(`/v2/load_balancers/${id}`))?.load_balancer;
  }

  /** Adds (POST) or removes (DELETE) a droplet; the balancer as it is afterwards. */
  async function droplets(calls: RestCalls, method: 'POST' | 'DELETE', id: string, instanceId: string): Promise<LoadBalancer> {
    if (!isUuid(id)) throw new NotFound(`No load balancer ${id}`);
    if (!isWholeNumber(instanceId)) throw new NotFound(`No droplet ${instanceId}`);
    await calls.send(method, `/v2/load_balancers/${id}/droplets`, { droplet_ids: [Number(instanceId)] });
    const b = await find(calls, id);
    if (!b) throw new NotFound(`No load balancer ${id}`);
    return balancerOf(b);
  }

  return {
    load_balancers: async (ctx) => (await list<DoLoadBalancer>(api(ctx), '/v2/load_balancers', 'load_balancers')).map(balancerOf),
    load_balancer: async (ctx, id) => {
      const b = await find(api(ctx), id);
      return b ? balancerOf(b) : undefined;
    },
    create_load_balancer: async (ctx, req) => {
      const protocol = req.listenerProtocol.toLowerCase();
      if (!PROTOCOLS.has(protocol)) throw new ValidationFailure(`listener_protocol must be one of ${[...PROTOCOLS].join(', ')}`);
      const rule: ForwardingRule = {
        entry_protocol: protocol,
        entry_port: portNumber(req.listenerBalancerPort, 'listener_balancer_port'),
        target_protocol: protocol,
        target_port: portNumber(req.listenerInstancePort, 'listener_instance_port'),
        // HTTPS without a certificate of the account: the droplets terminate TLS.
        ...(protocol === 'https' || protocol === 'http2' ? { tls_passthrough: true } : {}),
      };
      const name = providerName(req.name, BALANCER_NAME);
      const calls = api(ctx);
      await checkListed('DigitalOcean', 'realm', req.realmId, slugsOf(list, calls, '/v2/regions', 'regions'));
      const body = { name, region: req.realmId, forwarding_rules: [rule], droplet_ids: [] };
      const b = (await calls.send<{ load_balancer: DoLoadBalancer }>('POST', '/v2/load_balancers', body))?.load_balancer;
      if (!b) throw new ValidationFailure('DigitalOcean created no load balancer');
      return balancerOf(b);
    },
    destroy_load_balancer: async (ctx, id) => {
      if (!isUuid(id)) throw new NotFound(`No load balancer ${id}`);
      await api(ctx).send('DELETE', `/v2/load_balancers/${id}`);
    },
    lb_register_instance: async (ctx, { id, instanceId }) => droplets(api(ctx), 'POST', id, instanceId),
    lb_unregister_instance: async (ctx, { id, instanceId }) => droplets(api(ctx), 'DELETE', id, instanceId),
  };
}
