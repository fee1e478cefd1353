// What the ec2 driver declares about itself (drivers-matrix.md §1–§6): the
// original's entry points (the seven regions it shipped, four services each),
// its features, and the EC2 life cycle.
import type { DriverDeclaration } from '../../core/driver.js';
import { StateMachine } from '../../core/state-machine.js';
import { deepFreeze } from '../../core/freeze.js';
import { SERVICE_KINDS, type Ec2Options } from './config.js';

/** Regions of the original configuration, in its order. */
export const DECLARED_REGIONS = ['us-west-1', 'us-west-2', 'ap-southeast-1', 'ap-northeast-1', 'eu-west-1', 'us-east-1', 'sa-east-1'] as const;

const S3_HOSTS: Record<string, string> = {
  'us-west-1': 's3-us-west-1.amazonaws.com',
  'us-west-2': 's3-us-west-2.amazonaws.com',
  'ap-southeast-1': 's3-ap-southeast-1.amazonaws.com',
  'ap-northeast-1': 's3-ap-northeast-1.amazonaws.com',
  'eu-west-1': 's3-eu-west-1.amazonaws.com',
  'us-east-1': 's3.amazonaws.com',
  'sa-east-1': 's3-sa-east-1.amazonaws.com',
};

const perRegion = (host: (region: string) => string) =>
  Object.fromEntries(DECLARED_REGIONS.map((r) => [r, host(r)]));

/** drivers-matrix §6: kinds in the order s3, elb, ec2, mon. */
export const EC2_ENTRYPOINTS: Record<string, Record<string, string>> = {
  s3: perRegion((r) => S3_HOSTS[r]!),
  elb: perRegion((r) => `elasticloadbalancing.${r}.amazonaws.com`),
  ec2: perRegion((r) => `ec2.${r}.amazonaws.com`),
  mon: perRegion((r) => `monitoring.${r}.amazonaws.com`),
};

/**
 * drivers-matrix §4, in its order. Instance-store instances get their
 * actions computed per instance instead (stop → destroy, never start).
 */
export const EC2_STATE_MACHINE = new StateMachine([
  { from: 'start', to: 'pending', auto: true },
  { from: 'pending', to: 'running', auto: true },
  { from: 'running', to: 'running', action: 'reboot' },
  { from: 'running', to: 'stopping', action: 'stop' },
  { from: 'stopping', to: 'stopped', auto: true },
  { from: 'stopped', to: 'running', action: 'start' },
  { from: 'stopped', to: 'finish', action: 'destroy' },
]);

export const EC2_DECLARATION: DriverDeclaration = {
  id: 'ec2',
  name: 'EC2',
  reach: 'remote',
  entrypoints: EC2_ENTRYPOINTS,
  // The matrix's features, plus the ones this driver also implements
  // (instance names as Name tags, realm filter, load balancer registration,
  // key import, volume names/descriptions as tags).
  features: {
    instances: [
      'metrics', 'realm_filter', 'user_name', 'user_data', 'firewalls', 'authentication_key',
      'register_to_load_balancer', 'instance_count', 'attach_snapshot',
    ],
    images: ['owner_id', 'image_name', 'image_description'],
    buckets: ['bucket_location'],
    keys: ['import_key'],
    storage_volumes: ['volume_name', 'volume_description'],
  },
  stateMachine: EC2_STATE_MACHINE,
};

/** Entry-point kind of each service (drivers-matrix §6 calls CloudWatch `mon`). */
const KIND_OF_SERVICE = { ec2: 'ec2', s3: 's3', elb: 'elb', cloudwatch: 'mon' } as const;

/**
 * The declaration for the operator's options: the providers a client may
 * choose — the seven declared AWS regions when AWS regions are accepted, and
 * every configured endpoint set with the services it offers.
 */
export function ec2Declaration(options: Ec2Options): DriverDeclaration {
  const entrypoints: Record<string, Record<string, string>> = {};
  const add = (kind: string, provider: string, url: string) => {
    (entrypoints[kind] ??= {})[provider] = url;
  };
  if (options.awsRegions) {
    for (const [kind, byRegion] of Object.entries(EC2_ENTRYPOINTS)) for (const [region, host] of Object.entries(byRegion)) add(kind, region, host);
  }
  for (const [name, set] of Object.entries(options.endpoints)) {
    for (const service of SERVICE_KINDS) if (set[service] !== undefined) add(KIND_OF_SERVICE[service], name, set[service]);
  }
  return deepFreeze({ ...EC2_DECLARATION, entrypoints, defaultProvider: options.defaultRegion });
}
