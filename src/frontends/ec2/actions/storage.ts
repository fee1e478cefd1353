// EBS: storage volumes → volumes, storage snapshots → snapshots.
import type { StorageVolume } from '../../../core/model.js';
import { Ec2Error, missingParameter } from '../errors.js';
import { applyFilters, filters, nameTag, integer, list, optional, paginate, required, tagSpecification } from '../params.js';
import {
  attachmentChildren, isoTime, itemSet, opt, returnTrue, snapshotItem, snapshotStatus, volumeItem, volumeSize, volumeStatus,
} from '../xml.js';
import { call, canLookUp, findRequired, listAll, notFound, selectIds, type Action, type ActionRequest } from './common.js';
import { coreFilterOf, SNAPSHOT_EQUIVALENTS, VOLUME_EQUIVALENTS } from '../pushdown.js';

const volumeNotFound = (ids: string[]) => notFound('InvalidVolume.NotFound', 'volume', ids);
const snapshotNotFound = (ids: string[]) => notFound('InvalidSnapshot.NotFound', 'snapshot', ids);

const findVolume = (req: ActionRequest, id: string) => findRequired(req, 'storage_volumes', id, 'InvalidVolume.NotFound', 'volume');

const CreateVolume: Action = {
  needs: ['create_storage_volume'],
  errors: { notFound: 'InvalidSnapshot.NotFound' },
  async run(req) {
    const p = req.params;
    const size = integer(p, 'Size', 1, 65536);
    const snapshotId = optional(p, 'SnapshotId');
    if (size === undefined && snapshotId === undefined) throw missingParameter('Size');
    // The SDKs fill in a ClientToken on their own, so a retried CreateVolume makes one volume.
    return req.clientTokens.once(`${req.account.accessKeyId}\nCreateVolume`, optional(p, 'ClientToken'), p, async () => {
      if (snapshotId !== undefined && canLookUp(req, 'storage_snapshots')) {
        await findRequired(req, 'storage_snapshots', snapshotId, 'InvalidSnapshot.NotFound', 'snapshot');
      }
      const volume = await call(req.driver, 'create_storage_volume', req.ctx, {
        capacity: size === undefined ? undefined : String(size),
        realmId: optional(p, 'AvailabilityZone'),
        snapshotId,
        name: tagSpecification(p, 'volume').Name,
      });
      return volumeItem(volume);
    });
  },
};

const DescribeVolumes: Action = {
  needs: ['storage_volumes'],
  async run(req) {
    const ids = list(req.params, 'VolumeId');
    const volumes = selectIds(await listAll(req, 'storage_volumes', coreFilterOf(filters(req.params), ids, VOLUME_EQUIVALENTS)), ids, (v) => v.id, volumeNotFound);
    const matching = applyFilters(volumes, filters(req.params), {
      'volume-id': (v) => v.id, status: (v) => volumeStatus(v.state), 'availability-zone': (v) => v.realmId,
      size: (v) => volumeSize(v), 'create-time': (v) => isoTime(v.created), 'volume-type': () => 'standard',
      'attachment.instance-id': (v) => v.instanceId, 'attachment.device': (v) => v.device,
      'attachment.status': (v) => (v.instanceId === undefined ? undefined : 'attached'),
    }, (v) => nameTag(v.name));
    const { page, nextToken } = paginate(matching, req.params, req.action);
    return [itemSet('volumeSet', page.map(volumeItem)), opt('nextToken', nextToken)];
  },
};

const inUse = (v: StorageVolume) => new Ec2Error('VolumeInUse', `${v.id} is already attached to an instance`);

const AttachVolume: Action = {
  needs: ['attach_storage_volume'],
  errors: { notFound: 'InvalidVolume.NotFound', conflict: 'VolumeInUse' },
  async run(req) {
    const volumeId = required(req.params, 'VolumeId');
    const instanceId = required(req.params, 'InstanceId');
    const device = required(req.params, 'Device');
    if (canLookUp(req, 'storage_volumes')) {
      const volume = await findVolume(req, volumeId);
      if (volume.instanceId !== undefined) throw inUse(volume);
    }
    if (canLookUp(req, 'instances')) await findRequired(req, 'instances', instanceId, 'InvalidInstanceID.NotFound', 'instance ID');
    const volume = await call(req.driver, 'attach_storage_volume', req.ctx, { id: volumeId, instanceId, device });
    return [...attachmentChildren({ ...volume, instanceId, device }, 'attached'), opt('attachTime', new Date().toISOString())];
  },
};

const DetachVolume: Action = {
  needs: ['detach_storage_volume'],
  errors: { notFound: 'InvalidVolume.NotFound' },
  async run(req) {
    const id = required(req.params, 'VolumeId');
    let attached: StorageVolume = { id, instanceId: optional(req.params, 'InstanceId'), device: optional(req.params, 'Device') };
    if (canLookUp(req, 'storage_volumes')) {
      const volume = await findVolume(req, id);
      if (volume.instanceId === undefined) throw new Ec2Error('IncorrectState', `Volume '${id}' is in the 'available' state.`);
      if (attached.instanceId !== undefined && attached.instanceId !== volume.instanceId) {
        throw new Ec2Error('InvalidAttachment.NotFound', `The volume '${id}' is not attached to instance '${attached.instanceId}'.`);
      }
      attached = volume;
    }
    await call(req.driver, 'detach_storage_volume', req.ctx, { id, instanceId: attached.instanceId, device: attached.device });
    return attachmentChildren(attached, 'detached');
  },
};

const DeleteVolume: Action = {
  needs: ['destroy_storage_volume'],
  errors: { notFound: 'InvalidVolume.NotFound', conflict: 'VolumeInUse' },
  async run(req) {
    const id = required(req.params, 'VolumeId');
    if (canLookUp(req, 'storage_volumes')) {
      const volume = await findVolume(req, id);
      if (volume.instanceId !== undefined) throw new Ec2Error('VolumeInUse', `Volume ${id} is currently attached to ${volume.instanceId}`);
    }
    await call(req.driver, 'destroy_storage_volume', req.ctx, id);
    return [returnTrue()];
  },
};

const CreateSnapshot: Action = {
  needs: ['create_storage_snapshot'],
  errors: { notFound: 'InvalidVolume.NotFound' },
  async run(req) {
    const volumeId = required(req.params, 'VolumeId');
    const volume = canLookUp(req, 'storage_volumes') ? await findVolume(req, volumeId) : undefined;
    const snapshot = await call(req.driver, 'create_storage_snapshot', req.ctx, {
      volumeId, description: optional(req.params, 'Description'), name: tagSpecification(req.params, 'snapshot').Name,
    });
    // Drivers may not echo what they stored; the client's own values are the truth here.
    return snapshotItem({
      ...snapshot, description: snapshot.description ?? optional(req.params, 'Description'),
      name: snapshot.name ?? tagSpecification(req.params, 'snapshot').Name,
    }, volume && volumeSize(volume));
  },
};

const DescribeSnapshots: Action = {
  needs: ['storage_snapshots'],
  async run(req) {
    const ids = list(req.params, 'SnapshotId');
    const snapshots = selectIds(await listAll(req, 'storage_snapshots', coreFilterOf(filters(req.params), ids, SNAPSHOT_EQUIVALENTS)), ids, (s) => s.id, snapshotNotFound);
    const matching = applyFilters(snapshots, filters(req.params), {
      'snapshot-id': (s) => s.id, 'volume-id': (s) => s.volumeId, status: (s) => snapshotStatus(s.state),
      description: (s) => s.description, 'start-time': (s) => isoTime(s.created),
    }, (s) => nameTag(s.name));
    const { page, nextToken } = paginate(matching, req.params, req.action);
    return [itemSet('snapshotSet', page.map((s) => snapshotItem(s))), opt('nextToken', nextToken)];
  },
};

const DeleteSnapshot: Action = {
  needs: ['destroy_storage_snapshot'],
  errors: { notFound: 'InvalidSnapshot.NotFound' },
  async run(req) {
    const id = required(req.params, 'SnapshotId');
    if (canLookUp(req, 'storage_snapshots')) await findRequired(req, 'storage_snapshots', id, 'InvalidSnapshot.NotFound', 'snapshot');
    await call(req.driver, 'destroy_storage_snapshot', req.ctx, id);
    return [returnTrue()];
  },
};

export const storageActions: Record<string, Action> = {
  CreateVolume, DescribeVolumes, AttachVolume, DetachVolume, DeleteVolume, CreateSnapshot, DescribeSnapshots, DeleteSnapshot,
};
