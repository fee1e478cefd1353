// Load balancers in the ELB style (API spec §11.12) — beyond the original mock.
// Records keep instance ids; the model carries the full instances.
import type { Driver } from '../../../core/driver.js';
import { Forbidden, NotFound, ValidationFailure } from '../../../core/errors.js';
import type { LoadBalancer } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate, REALMS } from '../catalog.js';
import { toInstance, type LoadBalancerRecord } from '../records.js';
import type { MockStore } from '../store.js';
import { formatLocalTime } from '../util.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver,
  'load_balancers' | 'load_balancer' | 'create_load_balancer' | 'destroy_load_balancer'
  | 'lb_register_instance' | 'lb_unregister_instance'>;

function toLoadBalancer(store: MockStore, r: LoadBalancerRecord): LoadBalancer {
  const instances = r.instanceIds.flatMap((id) => {
    const record = store.get('instances', id);
    return record ? [toInstance(record)] : [];
  });
  return {
    id: r.id,
    realmIds: r.realmIds,
    listeners: r.listeners,
    instances,
    publicAddresses: r.publicAddresses,
    createdAt: r.createdAt,
  };
}

function requireBalancer(store: MockStore, id: string): LoadBalancerRecord {
  const balancer = store.get('load_balancers', id);
  if (!balancer) throw new NotFound();
  return balancer;
}

export function loadBalancerOperations({ store }: MockBackend): Ops {
  return {
    load_balancers: async (ctx, filter) => {
      authenticate(ctx);
      return applyFilters('load_balancers', store.list('load_balancers').map((r) => toLoadBalancer(store, r)), filter);
    },
    load_balancer: async (ctx, id) => {
      authenticate(ctx);
      const record = store.get('load_balancers', id);
      return record && toLoadBalancer(store, record);
    },
    create_load_balancer: async (ctx, req) => {
      authenticate(ctx);
      if (!REALMS.some((r) => r.id === req.realmId)) throw new ValidationFailure(`Realm '${req.realmId}' does not exist`);
      return store.write(() => {
        if (store.has('load_balancers', req.name)) throw new Forbidden('Load balancer with same name already exists');
        const record = store.put('load_balancers', {
          id: req.name,
          realmIds: [req.realmId],
          listeners: [{
            protocol: req.listenerProtocol,
            loadBalancerPort: req.listenerBalancerPort,
            instancePort: req.listenerInstancePort,
          }],
          instanceIds: [],
          publicAddresses: [`${req.name}.mock.example.com`],
          createdAt: formatLocalTime(),
        });
        return toLoadBalancer(store, record);
      });
    },
    destroy_load_balancer: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => {
        if (!store.delete('load_balancers', id)) throw new NotFound();
      });
    },
    lb_register_instance: async (ctx, { id, instanceId }) => {
      authenticate(ctx);
      return store.write(() => {
        const balancer = requireBalancer(store, id);
        if (!store.has('instances', instanceId)) throw new NotFound();
        // Registering twice is harmless, as with ELB.
        if (!balancer.instanceIds.includes(instanceId)) balancer.instanceIds.push(instanceId);
        return toLoadBalancer(store, store.put('load_balancers', balancer));
      });
    },
    lb_unregister_instance: async (ctx, { id, instanceId }) => {
      authenticate(ctx);
      return store.write(() => {
        const balancer = requireBalancer(store, id);
        if (!balancer.instanceIds.includes(instanceId)) throw new NotFound();
        balancer.instanceIds = balancer.instanceIds.filter((i) => i !== instanceId);
        return toLoadBalancer(store, store.put('load_balancers', balancer));
      });
    },
  };
}
