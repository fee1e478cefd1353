// The feature catalogue (spec §12): optional abilities a driver advertises per
// collection. Each extends one operation with parameters. Catalogue order is
// the order the entry point lists them in.

export interface FeatureParam {
  name: string;
  type: 'string' | 'array';
  /** Label and one-line help on HTML forms. */
  label?: string;
  description?: string;
  /** Free text over several lines (a textarea) that the console sends base64-encoded. */
  base64?: boolean;
  /** A yes/no choice: the console offers a checkbox sending `true` when ticked (and nothing otherwise). */
  flag?: boolean;
}

export interface FeatureDefinition {
  name: FeatureName;
  collection: string;
  /** The operation the feature extends (`rel`); undefined = never rendered. */
  operation?: 'index' | 'create';
  params: FeatureParam[];
}

const s = (name: string, label?: string, description?: string): FeatureParam => ({ name, type: 'string', label, description });

/** The feature names of the catalogue. */
export type FeatureName =
  | 'owner_id' | 'image_name' | 'image_description' | 'bucket_location' | 'bucket_cdn' | 'metrics' | 'realm_filter' | 'user_name'
  | 'user_data' | 'user_files' | 'user_iso' | 'firewalls' | 'authentication_key' | 'authentication_password'
  | 'hardware_profiles' | 'register_to_load_balancer' | 'instance_count' | 'attach_snapshot' | 'sandboxing'
  | 'import_key' | 'volume_name' | 'volume_description';

export const FEATURE_CATALOGUE: readonly FeatureDefinition[] = [
  { name: 'owner_id', collection: 'images', operation: 'index', params: [s('owner_id')] },
  { name: 'image_name', collection: 'images', operation: 'create', params: [s('name', 'Image name')] },
  { name: 'image_description', collection: 'images', operation: 'create', params: [s('description')] },
  { name: 'bucket_location', collection: 'buckets', operation: 'create', params: [s('location', 'Location', 'Where the back end keeps the bucket (a region or zone name).')] },
  // Publication through the back end's CDN: `cdn=true` at creation; later POST /buckets/:id/cdn/enable|disable.
  { name: 'bucket_cdn', collection: 'buckets', operation: 'create', params: [{ ...s('cdn', 'Publish through the CDN', 'Make the bucket\'s blobs public through the back end\'s content delivery network.'), flag: true }] },
  { name: 'metrics', collection: 'instances', operation: 'create', params: [{ ...s('metrics', 'Monitoring', 'Collect the instance\'s metrics (CPU, network, disk) from the start.'), flag: true }] },
  { name: 'realm_filter', collection: 'instances', operation: 'index', params: [s('realm_id')] },
  { name: 'user_name', collection: 'instances', operation: 'create', params: [s('name', 'Name', 'A name of your choice, shown in lists.')] },
  { name: 'user_data', collection: 'instances', operation: 'create', params: [{ ...s('user_data', 'User data', 'Text handed to the instance at boot (cloud-init); the console encodes it as base64.'), base64: true }] },
  { name: 'user_files', collection: 'instances', operation: 'create', params: [s('user_files')] },
  { name: 'user_iso', collection: 'instances', operation: 'create', params: [s('user_iso')] },
  { name: 'firewalls', collection: 'instances', operation: 'create', params: [{ name: 'firewalls', type: 'array', label: 'Firewall', description: 'A firewall (security group) to put the instance in.' }] },
  { name: 'authentication_key', collection: 'instances', operation: 'create', params: [s('keyname', 'SSH key', 'The key pair whose public key the instance accepts for log-in.')] },
  { name: 'authentication_password', collection: 'instances', operation: 'create', params: [s('password', 'Root password')] },
  { name: 'hardware_profiles', collection: 'instances', params: [] },
  { name: 'register_to_load_balancer', collection: 'instances', operation: 'create', params: [s('load_balancer_id', 'Load balancer', 'Register the new instance with this load balancer.')] },
  { name: 'instance_count', collection: 'instances', operation: 'create', params: [s('instance_count', 'Number of instances', 'How many identical instances to launch (1 to 1000).')] },
  { name: 'attach_snapshot', collection: 'instances', operation: 'create', params: [s('snapshot_id', 'Snapshot to attach'), s('device_name', 'Device name', 'Where the snapshot\'s volume appears, e.g. /dev/sdf.')] },
  { name: 'sandboxing', collection: 'instances', operation: 'create', params: [s('sandbox')] },
  { name: 'import_key', collection: 'keys', operation: 'create', params: [s('public_key', 'Public key', 'An existing public key to import instead of generating a key pair.')] },
  { name: 'volume_name', collection: 'storage_volumes', operation: 'create', params: [s('name', 'Volume name')] },
  { name: 'volume_description', collection: 'storage_volumes', operation: 'create', params: [s('description')] },
];

export type FeatureConstraints = Record<string, string | number>;

/** The catalogue features a driver declared for one collection, in catalogue order, renderable ones only. */
export function advertisedFeatures(declared: readonly string[] | undefined, collection: string): FeatureDefinition[] {
  if (!declared || declared.length === 0) return [];
  return FEATURE_CATALOGUE.filter(
    (f) => f.collection === collection && f.operation !== undefined && declared.includes(f.name),
  );
}
