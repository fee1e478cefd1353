// Storage volumes = managed disks, snapshots = disk snapshots, in the
// provider's resource group. Attaching and detaching go through the VM's
// attach/detach operation; Azure picks the LUN, so the API's `device` is not
// sent (the attached volume reports `lun<N>` as its device on the instance).
// Creation and deletion are long-running operations polled by the SDK's
// pollers with the request's abort signal.
import type { Disk, Snapshot } from '@azure/arm-compute';
import type { Driver, Filter, RequestContext } from '../../core/driver.js';
import { ValidationFailure } from '../../core/errors.js';
import type { StorageSnapshot, StorageVolume } from '../../core/model.js';
import { locationOf, membersOf, nameOf, pollingOf, type ArmClients, type ArmConnections } from './arm.js';
import type { AzureOptions } from './config.js';
import { checkResourceName } from './keys.js';
import type { AzureSession } from './session.js';

type VolumeOps = Pick<Driver,
  'storage_volumes' | 'storage_volume' | 'create_storage_volume' | 'destroy_storage_volume' | 'attach_storage_volume' | 'detach_storage_volume'
  | 'storage_snapshots' | 'storage_snapshot' | 'create_storage_snapshot' | 'destroy_storage_snapshot'>;

const BUSY = new Set(['creating', 'updating', 'deleting']);

function volumeState(disk: Disk): string {
  if (BUSY.has((disk.provisioningState ?? '').toLowerCase())) return (disk.provisioningState ?? '').toUpperCase() === 'DELETING' ? 'DELETING' : 'CREATING';
  if ((disk.provisioningState ?? '').toLowerCase() === 'failed') return 'ERROR';
  return disk.managedBy || disk.diskState === 'Attached' || disk.diskState === 'Reserved' ? 'IN-USE' : 'AVAILABLE';
}

function toVolume(disk: Disk, location: string | undefined): StorageVolume {
  const id = disk.name ?? nameOf(disk.id);
  const state = volumeState(disk);
  const zone = disk.zones?.[0];
  return {
    id, name: id,
    created: disk.timeCreated?.toISOString(),
    capacity: disk.diskSizeGB,
    kind: disk.sku?.name,
    realmId: zone && location ? `${location}-${zone}` : undefined,
    state,
    instanceId: disk.managedBy ? nameOf(disk.managedBy) : undefined,
    actions: state === 'AVAILABLE' ? ['attach', 'destroy'] : state === 'IN-USE' ? ['detach'] : [],
  };
}

function toSnapshot(snapshot: Snapshot): StorageSnapshot {
  const id = snapshot.name ?? nameOf(snapshot.id);
  const provisioning = (snapshot.provisioningState ?? '').toLowerCase();
  return {
    id, name: id,
    created: snapshot.timeCreated?.toISOString(),
    state: provisioning === 'succeeded' ? 'COMPLETED' : provisioning === 'failed' ? 'ERROR' : 'PENDING',
    volumeId: snapshot.creationData?.sourceResourceId ? nameOf(snapshot.creationData.sourceResourceId) : undefined,
  };
}

/** `<name>-<time>` for a resource the client did not name. */
const generatedName = (prefix: string) => `${prefix}-${Date.now().toString(36)}`;

export function volumeOperations(options: AzureOptions, connections: ArmConnections): VolumeOps {
  const arm = (ctx: RequestContext) => connections.open(ctx);
  const volumes = membersOf(connections, 'Volume', checkResourceName, {
    list: ({ compute, scope }, abortSignal) => compute.disks.listByResourceGroup(scope.resourceGroup, { abortSignal }),
    get: ({ compute, scope }, name, abortSignal) => compute.disks.get(scope.resourceGroup, name, { abortSignal }),
    map: (disk, { scope }) => toVolume(disk, scope.location),
  });
  const snapshots = membersOf(connections, 'Snapshot', checkResourceName, {
    list: ({ compute, scope }, abortSignal) => compute.snapshots.listByResourceGroup(scope.resourceGroup, { abortSignal }),
    get: ({ compute, scope }, name, abortSignal) => compute.snapshots.get(scope.resourceGroup, name, { abortSignal }),
    map: toSnapshot,
  });
  const lro = (s: AzureSession) => pollingOf(s, options);
  const resourceId = ({ scope }: ArmClients, type: 'disks' | 'snapshots', name: string) =>
    `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.Compute/${type}/${name}`;
  const located = ({ scope }: ArmClients): string => locationOf(scope, 'a volume or snapshot');

  async function volume(s: AzureSession, clients: ArmClients, id: string): Promise<StorageVolume> {
    return toVolume(await s.call(() => clients.compute.disks.get(clients.scope.resourceGroup, id, { abortSignal: s.signal })), clients.scope.location);
  }

  async function attachDetach(ctx: RequestContext, volumeId: string, instanceId: string, attach: boolean): Promise<StorageVolume> {
    checkResourceName(volumeId, 'Volume');
    checkResourceName(instanceId, 'Instance');
    const [s, clients] = arm(ctx);
    const disk = [{ diskId: resourceId(clients, 'disks', volumeId) }];
    await s.call(async () => {
      await clients.compute.virtualMachines.attachDetachDataDisks(clients.scope.resourceGroup, instanceId,
        attach ? { dataDisksToAttach: disk } : { dataDisksToDetach: disk }, lro(s));
    });
    return volume(s, clients, volumeId);
  }

  return {
    storage_volumes: (ctx, filter: Filter) => volumes.list(ctx, filter),
    storage_volume: (ctx, id) => volumes.show(ctx, id),
    create_storage_volume: async (ctx, { capacity, realmId, snapshotId, name }) => {
      const diskName = checkResourceName(name || generatedName('volume'), 'Volume');
      const size = capacity === undefined ? undefined : Number(capacity);
      if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 65536)) throw new ValidationFailure('capacity is a whole number of GiB from 1 to 65536');
      if (size === undefined && !snapshotId) throw new ValidationFailure('capacity (GiB) is required for an empty volume');
      const [s, clients] = arm(ctx);
      const location = located(clients);
      const zone = realmId?.startsWith(`${location}-`) ? realmId.slice(location.length + 1) : undefined;
      if (realmId && !zone) throw new ValidationFailure(`realm_id must be one of ${location}-1, -2, -3`);
      const creationData = snapshotId
        ? { createOption: 'Copy' as const, sourceResourceId: resourceId(clients, 'snapshots', checkResourceName(snapshotId, 'Snapshot')) }
        : { createOption: 'Empty' as const };
      const disk = await s.call(() => clients.compute.disks.createOrUpdate(clients.scope.resourceGroup, diskName, {
        location, creationData, ...(size !== undefined ? { diskSizeGB: size } : {}), ...(zone ? { zones: [zone] } : {}),
      }, lro(s)));
      // The answer names the disk as Azure stored it; the id is the name asked for.
      return { ...toVolume(disk, location), id: diskName, name: diskName };
    },
    destroy_storage_volume: async (ctx, id) => {
      checkResourceName(id, 'Volume');
      const [s, { compute, scope }] = arm(ctx);
      await s.call(async () => { await compute.disks.delete(scope.resourceGroup, id, lro(s)); });
    },
    attach_storage_volume: (ctx, { id, instanceId }) => attachDetach(ctx, id, instanceId, true),
    detach_storage_volume: async (ctx, { id, instanceId }) => {
      const owner = instanceId ?? (await (async () => {
        const [s, clients] = arm(ctx);
        return (await volume(s, clients, id)).instanceId;
      })());
      if (!owner) throw new ValidationFailure(`Volume '${id}' is not attached`);
      return attachDetach(ctx, id, owner, false);
    },

    storage_snapshots: (ctx, filter: Filter) => snapshots.list(ctx, filter),
    storage_snapshot: (ctx, id) => snapshots.show(ctx, id),
    create_storage_snapshot: async (ctx, { volumeId, name }) => {
      checkResourceName(volumeId, 'Volume');
      const snapshotName = checkResourceName(name || generatedName(volumeId), 'Snapshot');
      const [s, clients] = arm(ctx);
      const location = located(clients);
      const snapshot = await s.call(() => clients.compute.snapshots.createOrUpdate(clients.scope.resourceGroup, snapshotName, {
        location, creationData: { createOption: 'Copy', sourceResourceId: resourceId(clients, 'disks', volumeId) },
      }, lro(s)));
      return { ...toSnapshot(snapshot), id: snapshotName, name: snapshotName };
    },
    destroy_storage_snapshot: async (ctx, id) => {
      checkResourceName(id, 'Snapshot');
      const [s, { compute, scope }] = arm(ctx);
      await s.call(async () => { await compute.snapshots.delete(scope.resourceGroup, id, lro(s)); });
    },
  };
}
