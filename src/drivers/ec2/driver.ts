// The ec2 Driver: the declaration plus one group of operations per AWS
// service area, all sharing one client pool.
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import type { CollectionName, Driver } from '../../core/driver.js';
import { ClientPool } from './clients.js';
import { offers, resolveProvider, SERVICE_KINDS, type Ec2Options, type ServiceKind } from './config.js';
import { ec2Declaration } from './declaration.js';
import { bucketOperations } from './ops/buckets.js';
import { computeOperations } from './ops/compute.js';
import { makeDeps } from './ops/context.js';
import { loadBalancerOperations } from './ops/load-balancers.js';
import { metricOperations } from './ops/metrics.js';
import { networkOperations } from './ops/network.js';
import { volumeOperations } from './ops/volumes.js';

/** Which collections each service carries (for providers that offer only some). */
const COLLECTIONS_OF: Record<ServiceKind, CollectionName[]> = {
  ec2: [
    'realms', 'hardware_profiles', 'images', 'instances', 'instance_states', 'keys', 'storage_volumes', 'storage_snapshots',
    'addresses', 'firewalls', 'networks', 'subnets', 'network_interfaces',
  ],
  s3: ['buckets'],
  elb: ['load_balancers'],
  cloudwatch: ['metrics'],
};

export function createEc2Driver(options: Ec2Options): Driver {
  const pool = new ClientPool(options);
  const deps = makeDeps(pool);
  return {
    declaration: ec2Declaration(options),
    supported_collections: async (ctx) => {
      const provider = resolveProvider(options, ctx.provider);
      return SERVICE_KINDS.filter((k) => offers(provider, k)).flatMap((k) => COLLECTIONS_OF[k]);
    },
    verify_credentials: async (ctx) => {
      // The cheapest authenticated call the provider offers.
      const s = deps.session(ctx);
      if (s.has('ec2')) await s.call((o) => s.ec2().send(new DescribeRegionsCommand({}), o));
      else if (s.has('s3')) await s.call((o) => s.s3().send(new ListBucketsCommand({}), o));
      else if (s.has('elb')) await s.call((o) => s.elb().send(new DescribeLoadBalancersCommand({ PageSize: 1 }), o));
      else await s.call((o) => s.cloudwatch().send(new ListMetricsCommand({ Namespace: 'AWS/EC2' }), o));
    },
    ...computeOperations(deps),
    ...volumeOperations(deps),
    ...networkOperations(deps),
    ...loadBalancerOperations(deps),
    ...metricOperations(deps),
    ...bucketOperations(deps),
    close: async () => {
      pool.close();
    },
  };
}
