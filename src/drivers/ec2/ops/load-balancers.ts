// Load balancers = Classic Elastic Load Balancing: a balancer is a name,
// zones, listeners (protocol, balancer port → instance port) and registered
// instances — the Deltacloud model one to one (spec §11.12).
import {
  CreateLoadBalancerCommand, DeleteLoadBalancerCommand, DeregisterInstancesFromLoadBalancerCommand,
  RegisterInstancesWithLoadBalancerCommand, paginateDescribeLoadBalancers, type LoadBalancerDescription,
} from '@aws-sdk/client-elastic-load-balancing';
import type { Driver } from '../../../core/driver.js';
import { NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Instance, LoadBalancer } from '../../../core/model.js';
import type { AwsSession } from '../clients.js';
import { bareInstance, toLoadBalancer } from '../mappings.js';
import { describeInstances } from './compute.js';
import { filterValue, orEmpty, orUndefined, type Deps } from './context.js';
import { errorStatus } from '../../../core/guards.js';

type Ops = Pick<Driver,
  'load_balancers' | 'load_balancer' | 'create_load_balancer' | 'destroy_load_balancer' | 'lb_register_instance' | 'lb_unregister_instance'>;

const PROTOCOLS = new Set(['HTTP', 'HTTPS', 'TCP', 'SSL']);

async function describeBalancers(s: AwsSession, name?: string): Promise<LoadBalancerDescription[]> {
  const client = s.elb();
  return s.pages(
    (o) => paginateDescribeLoadBalancers({ client, stopOnSameToken: true, ...(name ? {} : { pageSize: 400 }) },
      name ? { LoadBalancerNames: [name] } : {}, o),
    (page) => page.LoadBalancerDescriptions,
  );
}

/** The balancers with their registered instances described in one DescribeInstances call. */
async function withInstances(s: AwsSession, balancers: LoadBalancerDescription[]): Promise<LoadBalancer[]> {
  const ids = [...new Set(balancers.flatMap((b) => (b.Instances ?? []).map((i) => i.InstanceId ?? '')).filter(Boolean))];
  const byId = new Map<string, Instance>();
  if (ids.length > 0 && s.has('ec2')) {
    try {
      for (const i of await describeInstances(s, { InstanceIds: ids })) byId.set(i.id, i);
    } catch (error) {
      // A registered instance that no longer exists makes the whole call fail: fall back to ids.
      if (errorStatus(error) !== 404) throw error;
    }
  }
  return balancers.map((b) => toLoadBalancer(b, (b.Instances ?? []).map((i) => byId.get(i.InstanceId ?? '') ?? bareInstance(i.InstanceId ?? ''))));
}

function port(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ValidationFailure(`${what} must be a port number, got '${value}'`);
  return n;
}

export function loadBalancerOperations(deps: Deps): Ops {
  async function show(s: AwsSession, id: string): Promise<LoadBalancer | undefined> {
    return orUndefined(async () => (await withInstances(s, await describeBalancers(s, id)))[0]);
  }
  async function requireShow(s: AwsSession, id: string): Promise<LoadBalancer> {
    const lb = await show(s, id);
    if (!lb) throw new NotFound();
    return lb;
  }

  return {
    load_balancers: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      return orEmpty(async () => withInstances(s, await describeBalancers(s, id)));
    },
    load_balancer: async (ctx, id) => show(deps.session(ctx), id),
    create_load_balancer: async (ctx, req) => {
      const s = deps.session(ctx);
      const protocol = req.listenerProtocol.toUpperCase();
      if (!PROTOCOLS.has(protocol)) throw new ValidationFailure(`listener_protocol must be one of ${[...PROTOCOLS].join(', ')}`);
      await s.call((o) => s.elb().send(new CreateLoadBalancerCommand({
        LoadBalancerName: req.name,
        Listeners: [{
          Protocol: protocol,
          LoadBalancerPort: port(req.listenerBalancerPort, 'listener_balancer_port'),
          InstancePort: port(req.listenerInstancePort, 'listener_instance_port'),
          InstanceProtocol: protocol,
        }],
        AvailabilityZones: [req.realmId],
      }), o));
      return requireShow(s, req.name);
    },
    destroy_load_balancer: async (ctx, id) => {
      const s = deps.session(ctx);
      // DeleteLoadBalancer succeeds for unknown names; look first so a typo answers 404.
      await describeBalancers(s, id);
      await s.call((o) => s.elb().send(new DeleteLoadBalancerCommand({ LoadBalancerName: id }), o));
    },
    lb_register_instance: async (ctx, { id, instanceId }) => {
      const s = deps.session(ctx);
      await s.call((o) => s.elb().send(new RegisterInstancesWithLoadBalancerCommand({
        LoadBalancerName: id, Instances: [{ InstanceId: instanceId }],
      }), o));
      return requireShow(s, id);
    },
    lb_unregister_instance: async (ctx, { id, instanceId }) => {
      const s = deps.session(ctx);
      await s.call((o) => s.elb().send(new DeregisterInstancesFromLoadBalancerCommand({
        LoadBalancerName: id, Instances: [{ InstanceId: instanceId }],
      }), o));
      return requireShow(s, id);
    },
  };
}
