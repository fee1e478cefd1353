// Storage volumes (EBS) and storage snapshots (EBS snapshots).
import {
  AttachVolumeCommand, CreateSnapshotCommand, CreateVolumeCommand, DeleteSnapshotCommand, DeleteVolumeCommand,
  DescribeAvailabilityZonesCommand, DetachVolumeCommand, paginateDescribeSnapshots, paginateDescribeVolumes,
} from '@aws-sdk/client-ec2';
import type { Driver } from '../../../core/driver.js';
import { NotFound, ValidationFailure } from '../../../core/errors.js';
import type { StorageSnapshot, StorageVolume } from '../../../core/model.js';
import type { AwsSession } from '../clients.js';
import { tagSpecifications, toSnapshot, toVolume } from '../mappings.js';
import { filterValue, orEmpty, orUndefined, type Deps } from './context.js';

type Ops = Pick<Driver,
  'storage_volumes' | 'storage_volume' | 'create_storage_volume' | 'destroy_storage_volume' | 'attach_storage_volume'
  | 'detach_storage_volume' | 'storage_snapshots' | 'storage_snapshot' | 'create_storage_snapshot' | 'destroy_storage_snapshot'>;

async function describeVolumes(s: AwsSession, ids?: string[]): Promise<StorageVolume[]> {
  const client = s.ec2();
  const volumes = await s.pages(
    (o) => paginateDescribeVolumes({ client, stopOnSameToken: true, ...(ids ? {} : { pageSize: 500 }) }, ids ? { VolumeIds: ids } : {}, o),
    (page) => page.Volumes,
  );
  return volumes.map(toVolume);
}

async function describeSnapshots(s: AwsSession, ids?: string[]): Promise<StorageSnapshot[]> {
  const client = s.ec2();
  const snapshots = await s.pages(
    (o) => paginateDescribeSnapshots({ client, stopOnSameToken: true, ...(ids ? {} : { pageSize: 1000 }) },
      ids ? { SnapshotIds: ids } : { OwnerIds: ['self'] }, o),
    (page) => page.Snapshots,
  );
  return snapshots.map(toSnapshot);
}

async function volume(s: AwsSession, id: string): Promise<StorageVolume | undefined> {
  return orUndefined(async () => (await describeVolumes(s, [id])).find((v) => v.id === id));
}

/** Whole GiB (EBS sizes are integers); blank → 1 as the original. */
export function capacityGiB(capacity: string | undefined): number | undefined {
  if (capacity === undefined || capacity === '') return undefined;
  const n = Number(capacity);
  if (!Number.isFinite(n) || n <= 0) throw new ValidationFailure('capacity must be a positive number of GB');
  return Math.ceil(n);
}

export function volumeOperations(deps: Deps): Ops {
  return {
    storage_volumes: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      return orEmpty(() => describeVolumes(s, id ? [id] : undefined));
    },
    storage_volume: async (ctx, id) => volume(deps.session(ctx), id),
    create_storage_volume: async (ctx, req) => {
      const s = deps.session(ctx);
      let zone = req.realmId;
      if (!zone) {
        // EBS needs a zone: the region's first available one.
        const out = await s.call((o) => s.ec2().send(new DescribeAvailabilityZonesCommand({}), o));
        zone = out.AvailabilityZones?.find((z) => z.State === 'available')?.ZoneName ?? out.AvailabilityZones?.[0]?.ZoneName;
        if (!zone) throw new ValidationFailure('No availability zone to create the volume in; give realm_id');
      }
      const size = capacityGiB(req.capacity) ?? (req.snapshotId ? undefined : 1);
      const out = await s.call((o) => s.ec2().send(new CreateVolumeCommand({
        AvailabilityZone: zone,
        ...(size !== undefined ? { Size: size } : {}),
        ...(req.snapshotId ? { SnapshotId: req.snapshotId } : {}),
        TagSpecifications: tagSpecifications('volume', { Name: req.name, Description: req.description }),
      }), o));
      return toVolume(out);
    },
    destroy_storage_volume: async (ctx, id) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new DeleteVolumeCommand({ VolumeId: id }), o));
    },
    attach_storage_volume: async (ctx, { id, instanceId, device }) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new AttachVolumeCommand({ VolumeId: id, InstanceId: instanceId, Device: device }), o));
      const v = await volume(s, id);
      if (!v) throw new NotFound();
      return v;
    },
    detach_storage_volume: async (ctx, { id, instanceId, device }) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new DetachVolumeCommand({
        VolumeId: id, ...(instanceId ? { InstanceId: instanceId } : {}), ...(device ? { Device: device } : {}),
      }), o));
      const v = await volume(s, id);
      if (!v) throw new NotFound();
      return v;
    },

    storage_snapshots: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      return orEmpty(() => describeSnapshots(s, id ? [id] : undefined));
    },
    storage_snapshot: async (ctx, id) => {
      const s = deps.session(ctx);
      return orUndefined(async () => (await describeSnapshots(s, [id])).find((x) => x.id === id));
    },
    create_storage_snapshot: async (ctx, { volumeId, name, description }) => {
      const s = deps.session(ctx);
      const out = await s.call((o) => s.ec2().send(new CreateSnapshotCommand({
        VolumeId: volumeId,
        ...(description ? { Description: description } : {}),
        TagSpecifications: tagSpecifications('snapshot', { Name: name }),
      }), o));
      return toSnapshot(out);
    },
    destroy_storage_snapshot: async (ctx, id) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new DeleteSnapshotCommand({ SnapshotId: id }), o));
    },
  };
}
