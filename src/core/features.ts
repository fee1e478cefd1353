// The feature catalogue (spec §12): optional abilities a driver advertises per
// collection. Each extends one operation with parameters. Catalogue order is
// the order the entry point lists them in.

export interface FeatureParam {
  name: string;
  type: 'string' | 'array';
}

export interface FeatureDefinition {
  name: FeatureName;
  collection: string;
  /** The operation the feature extends (`rel`); undefined = never rendered. */
  operation?: 'index' | 'create';
  params: FeatureParam[];
}

const s = (name: string): FeatureParam => ({ name, type: 'string' });

/** The feature names of the catalogue. */
export type FeatureName =
  | 'owner_id' | 'image_name' | 'image_description' | 'bucket_location' | 'bucket_cdn' | 'metrics' | 'realm_filter' | 'user_name'
  | 'user_data' | 'user_files' | 'user_iso' | 'firewalls' | 'authentication_key' | 'authentication_password'
  | 'hardware_profiles' | 'register_to_load_balancer' | 'instance_count' | 'attach_snapshot' | 'sandboxing'
  | 'import_key' | 'volume_name' | 'volume_description';

export const FEATURE_CATALOGUE: readonly FeatureDefinition[] = [
  { name: 'owner_id', collection: 'images', operation: 'index', params: [s('owner_id')] },
  { name: 'image_name', collection: 'images', operation: 'create', params: [s('name')] },
  { name: 'image_description', collection: 'images', operation: 'create', params: [s('description')] },
  { name: 'bucket_location', collection: 'buckets', operation: 'create', params: [s('location')] },
  // Publication through the back end's CDN: `cdn=true` at creation; later POST /buckets/:id/cdn/enable|disable.
  { name: 'bucket_cdn', collection: 'buckets', operation: 'create', params: [s('cdn')] },
  { name: 'metrics', collection: 'instances', operation: 'create', params: [s('metrics')] },
  { name: 'realm_filter', collection: 'instances', operation: 'index', params: [s('realm_id')] },
  { name: 'user_name', collection: 'instances', operation: 'create', params: [s('name')] },
  { name: 'user_data', collection: 'instances', operation: 'create', params: [s('user_data')] },
  { name: 'user_files', collection: 'instances', operation: 'create', params: [s('user_files')] },
  { name: 'user_iso', collection: 'instances', operation: 'create', params: [s('user_iso')] },
  { name: 'firewalls', collection: 'instances', operation: 'create', params: [{ name: 'firewalls', type: 'array' }] },
  { name: 'authentication_key', collection: 'instances', operation: 'create', params: [s('keyname')] },
  { name: 'authentication_password', collection: 'instances', operation: 'create', params: [s('password')] },
  { name: 'hardware_profiles', collection: 'instances', params: [] },
  { name: 'register_to_load_balancer', collection: 'instances', operation: 'create', params: [s('load_balancer_id')] },
  { name: 'instance_count', collection: 'instances', operation: 'create', params: [s('instance_count')] },
  { name: 'attach_snapshot', collection: 'instances', operation: 'create', params: [s('snapshot_id'), s('device_name')] },
  { name: 'sandboxing', collection: 'instances', operation: 'create', params: [s('sandbox')] },
  { name: 'import_key', collection: 'keys', operation: 'create', params: [s('public_key')] },
  { name: 'volume_name', collection: 'storage_volumes', operation: 'create', params: [s('name')] },
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
