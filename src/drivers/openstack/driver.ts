// The openstack Driver: every capability opens (or reuses) the request's
// session, which resolves the provider against the allow-list, logs in to
// Keystone (cached) and finds the service in the catalogue.
import type { CollectionName, Driver, RequestContext } from '../../core/driver.js';
import type { OpenStackOptions } from './config.js';
import * as compute from './compute.js';
import { openstackDeclaration } from './declaration.js';
import * as glance from './image.js';
import * as neutron from './network.js';
import * as swift from './object-store.js';
import { OpenStackClient, type ServiceKind, type Session } from './session.js';
import type { Identity } from './sign-in.js';
import * as cinder from './volume.js';

/** Collections each catalogue service brings (drivers is always there). */
const COLLECTIONS_OF: Record<ServiceKind, CollectionName[]> = {
  compute: ['realms', 'hardware_profiles', 'instances', 'instance_states', 'keys'],
  image: ['images'],
  volume: ['storage_volumes', 'storage_snapshots'],
  network: ['addresses', 'firewalls', 'networks', 'subnets', 'network_interfaces'],
  'object-store': ['buckets'],
  cdn: [], // a feature of buckets (rackspace)
};

export interface OpenStackDriver extends Driver {
  /** The shared client (token cache), for tests and diagnostics. */
  readonly client: OpenStackClient;
}

/** The driver; `identity` is how requests sign in (default Keystone v3; the rackspace driver passes Identity v2.0). */
export function createOpenStackDriver(options: OpenStackOptions, identity?: Identity): OpenStackDriver {
  const client = new OpenStackClient(options, identity);
  const session = (ctx: RequestContext) => client.session(ctx);
  /** Adapts `fn(session, ...args)` to a driver method `(ctx, ...args)`. */
  const op = <A extends unknown[], R>(fn: (s: Session, ...args: A) => Promise<R>) =>
    async (ctx: RequestContext, ...args: A): Promise<R> => fn(await session(ctx), ...args);

  return {
    declaration: openstackDeclaration(options),
    client,

    verify_credentials: async (ctx) => {
      await session(ctx);
    },
    supported_collections: async (ctx) => {
      const s = await session(ctx);
      return ['drivers', ...s.services().flatMap((k) => COLLECTIONS_OF[k])];
    },

    realms: op(compute.realms),
    hardware_profiles: op(compute.hardwareProfiles),
    hardware_profile: op(compute.hardwareProfile),

    images: op(glance.images),
    image: op(glance.image),
    create_image: op(compute.createImage),
    destroy_image: op(glance.destroyImage),

    instances: op(compute.instances),
    instance: op(compute.instance),
    create_instance: op(compute.createInstance),
    start_instance: op(compute.startInstance),
    stop_instance: op(compute.stopInstance),
    reboot_instance: op(compute.rebootInstance),
    destroy_instance: op(compute.destroyInstance),

    keys: op(compute.keys),
    key: op(compute.key),
    create_key: op(compute.createKey),
    destroy_key: op(compute.destroyKey),

    storage_volumes: op(cinder.volumes),
    storage_volume: op(cinder.volume),
    create_storage_volume: op(cinder.createVolume),
    destroy_storage_volume: op(cinder.destroyVolume),
    attach_storage_volume: op(cinder.attachVolume),
    detach_storage_volume: op(cinder.detachVolume),

    storage_snapshots: op(cinder.snapshots),
    storage_snapshot: op(cinder.snapshot),
    create_storage_snapshot: op(cinder.createSnapshot),
    destroy_storage_snapshot: op(cinder.destroySnapshot),

    buckets: op(swift.buckets),
    bucket: op(swift.bucket),
    create_bucket: op(swift.createBucket),
    delete_bucket: op(swift.deleteBucket),
    blob: op(swift.blob),
    blob_data: op(swift.blobData),
    create_blob: op(swift.createBlob),
    delete_blob: op(swift.deleteBlob),
    blob_metadata: op(swift.blobMetadata),
    update_blob_metadata: op(swift.updateBlobMetadata),
    init_segmented_blob: op(swift.initSegmentedBlob),
    blob_segment: op(swift.blobSegment),
    finalize_segmented_blob: op(swift.finalizeSegmentedBlob),

    addresses: op(neutron.addresses),
    address: op(neutron.address),
    create_address: op(neutron.createAddress),
    destroy_address: op(neutron.destroyAddress),
    associate_address: op(neutron.associateAddress),
    disassociate_address: op(neutron.disassociateAddress),

    firewalls: op(neutron.firewalls),
    firewall: op(neutron.firewall),
    create_firewall: op(neutron.createFirewall),
    delete_firewall: op(neutron.deleteFirewall),
    create_firewall_rule: op(neutron.createFirewallRule),
    delete_firewall_rule: op(neutron.deleteFirewallRule),

    networks: op(neutron.networks),
    network: op(neutron.network),
    create_network: op(neutron.createNetwork),
    destroy_network: op(neutron.destroyNetwork),

    subnets: op(neutron.subnets),
    subnet: op(neutron.subnet),
    create_subnet: op(neutron.createSubnet),
    destroy_subnet: op(neutron.destroySubnet),

    network_interfaces: op(neutron.networkInterfaces),
    network_interface: op(neutron.networkInterface),
    create_network_interface: op(neutron.createNetworkInterface),
    destroy_network_interface: op(neutron.destroyNetworkInterface),

    close: () => client.close(),
  };
}
