// The one table from API actions to driver capabilities, and which
// capabilities only read (and so may be repeated after a passing failure).
import type { Capability, Driver, DriverCall } from '../driver.js';
import type { InstanceAction } from '../model.js';

/** The capability each instance action needs (Deltacloud operations, instance views and EC2 actions alike). */
export const INSTANCE_ACTION_CAPABILITY = {
  start: 'start_instance',
  stop: 'stop_instance',
  reboot: 'reboot_instance',
  destroy: 'destroy_instance',
} as const satisfies Record<InstanceAction, Capability>;

/** What each capability does to the back end; reads may be repeated after a passing failure. A new capability must say. */
export const CAPABILITY_KIND: Readonly<Record<DriverCall, 'read' | 'write'>> = {
  verify_credentials: 'read', supported_collections: 'read',
  realms: 'read', realm: 'read', hardware_profiles: 'read', hardware_profile: 'read',
  images: 'read', image: 'read', create_image: 'write', destroy_image: 'write',
  instances: 'read', instance: 'read', create_instance: 'write', start_instance: 'write', stop_instance: 'write',
  reboot_instance: 'write', destroy_instance: 'write', run_on_instance: 'write',
  keys: 'read', key: 'read', create_key: 'write', destroy_key: 'write',
  storage_volumes: 'read', storage_volume: 'read', create_storage_volume: 'write', destroy_storage_volume: 'write',
  attach_storage_volume: 'write', detach_storage_volume: 'write',
  storage_snapshots: 'read', storage_snapshot: 'read', create_storage_snapshot: 'write', destroy_storage_snapshot: 'write',
  buckets: 'read', bucket: 'read', create_bucket: 'write', delete_bucket: 'write', update_bucket_cdn: 'write',
  blob: 'read', blob_data: 'read', create_blob: 'write', delete_blob: 'write', blob_metadata: 'read', update_blob_metadata: 'write',
  init_segmented_blob: 'write', blob_segment: 'write', finalize_segmented_blob: 'write',
  addresses: 'read', address: 'read', create_address: 'write', destroy_address: 'write',
  associate_address: 'write', disassociate_address: 'write',
  load_balancers: 'read', load_balancer: 'read', create_load_balancer: 'write', destroy_load_balancer: 'write',
  lb_register_instance: 'write', lb_unregister_instance: 'write',
  firewalls: 'read', firewall: 'read', create_firewall: 'write', delete_firewall: 'write',
  create_firewall_rule: 'write', delete_firewall_rule: 'write',
  metrics: 'read', metric: 'read',
  networks: 'read', network: 'read', create_network: 'write', destroy_network: 'write',
  subnets: 'read', subnet: 'read', create_subnet: 'write', destroy_subnet: 'write',
  network_interfaces: 'read', network_interface: 'read', create_network_interface: 'write', destroy_network_interface: 'write',
};

/** Whether repeating the call cannot do anything twice: a read, or a write the driver declares idempotent (e.g. by a client token). */
export function isIdempotent(driver: Driver, capability: DriverCall, args: readonly unknown[]): boolean {
  return CAPABILITY_KIND[capability] === 'read' || driver.idempotent?.(capability, args) === true;
}

/** Each listing and the show capability of one of its members. */
export const SHOW_CAPABILITY = {
  realms: 'realm', hardware_profiles: 'hardware_profile', images: 'image', instances: 'instance', keys: 'key',
  storage_volumes: 'storage_volume', storage_snapshots: 'storage_snapshot', buckets: 'bucket', addresses: 'address',
  load_balancers: 'load_balancer', firewalls: 'firewall', metrics: 'metric', networks: 'network', subnets: 'subnet',
  network_interfaces: 'network_interface',
} as const satisfies Partial<Record<Capability, Capability>>;

/** Capabilities that list a collection (by a filter). */
export type ListCapability = keyof typeof SHOW_CAPABILITY;
