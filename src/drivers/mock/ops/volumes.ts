// Storage volumes and snapshots (mock-driver.md §6.5, §6.6).
import type { Driver } from '../../../core/driver.js';
import { MethodNotAllowed, NotFound } from '../../../core/errors.js';
import type { StorageSnapshot, StorageVolume } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate } from '../catalog.js';
import { timedId } from '../ids.js';
import { toSnapshot, type InstanceRecord } from '../records.js';
import type { MockStore } from '../store.js';
import { formatLocalTime } from '../util.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver,
  'storage_volumes' | 'storage_volume' | 'create_storage_volume' | 'destroy_storage_volume'
  | 'attach_storage_volume' | 'detach_storage_volume'
  | 'storage_snapshots' | 'storage_snapshot' | 'create_storage_snapshot' | 'destroy_storage_snapshot'>;

function withoutVolume(instance: InstanceRecord, volumeId: string): InstanceRecord {
  instance.storageVolumes = instance.storageVolumes.filter((v) => v.id !== volumeId);
  return instance;
}

function attach(store: MockStore, volumeId: string, instanceId: string, device: string): Promise<StorageVolume> {
  return store.write(() => {
    const volume = store.get('storage_volumes', volumeId);
    if (!volume) throw new NotFound();
    const instance = store.get('instances', instanceId);
    if (!instance) throw new NotFound();
    // Re-attaching moves the volume: drop it from the instance that had it.
    if (volume.instanceId !== undefined && volume.instanceId !== instanceId) {
      const previous = store.get('instances', volume.instanceId);
      if (previous) store.put('instances', withoutVolume(previous, volumeId));
    }
    withoutVolume(instance, volumeId).storageVolumes.push({ id: volumeId, device });
    store.put('instances', instance);
    return store.put('storage_volumes', { ...volume, instanceId, device, state: 'IN-USE' });
  });
}

/** Uses the volume's own instance and device; a volume that is not attached cannot be detached (405). */
function detach(store: MockStore, volumeId: string): Promise<StorageVolume> {
  return store.write(() => {
    const volume = store.get('storage_volumes', volumeId);
    if (!volume) throw new NotFound();
    if (volume.instanceId === undefined) throw new MethodNotAllowed();
    const instance = store.get('instances', volume.instanceId);
    if (instance) store.put('instances', withoutVolume(instance, volumeId));
    const { instanceId: _instance, device: _device, ...rest } = volume;
    return store.put('storage_volumes', { ...rest, state: 'AVAILABLE' });
  });
}

export function volumeOperations({ store }: MockBackend): Ops {
  return {
    storage_volumes: async (ctx, filter) => {
      authenticate(ctx);
      return applyFilters('storage_volumes', store.list('storage_volumes'), filter);
    },
    storage_volume: async (ctx, id) => {
      authenticate(ctx);
      return store.get('storage_volumes', id);
    },
    create_storage_volume: async (ctx, { capacity, name }) => {
      authenticate(ctx);
      // realm_id, snapshot_id and description are ignored (original).
      return store.write(() => {
        const id = timedId(store, 'volume_', (candidate) => store.has('storage_volumes', candidate));
        const volume: StorageVolume = {
          id,
          name: name ?? `Volume${id}`,
          created: formatLocalTime(),
          state: 'AVAILABLE',
          capacity: capacity ?? '1',
        };
        return store.put('storage_volumes', volume);
      });
    },
    destroy_storage_volume: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => store.delete('storage_volumes', id)); // no checks (original)
    },
    attach_storage_volume: async (ctx, { id, instanceId, device }) => {
      authenticate(ctx);
      return attach(store, id, instanceId, device);
    },
    detach_storage_volume: async (ctx, { id }) => {
      authenticate(ctx);
      return detach(store, id);
    },

    storage_snapshots: async (ctx, filter) => {
      authenticate(ctx);
      return applyFilters('storage_snapshots', store.list('storage_snapshots').map(toSnapshot), filter);
    },
    storage_snapshot: async (ctx, id) => {
      authenticate(ctx);
      const snapshot = store.get('storage_snapshots', id);
      return snapshot && toSnapshot(snapshot);
    },
    create_storage_snapshot: async (ctx, { volumeId, name, description }) => {
      authenticate(ctx);
      return store.write(() => {
        const id = timedId(store, 'store_snapshot_', (candidate) => store.has('storage_snapshots', candidate));
        // volume_id is not validated (original); name and description are stored, never shown.
        const snapshot: StorageSnapshot = { id, created: formatLocalTime(), state: 'COMPLETED', volumeId };
        if (name !== undefined) snapshot.name = name;
        if (description !== undefined) snapshot.description = description;
        return toSnapshot(store.put('storage_snapshots', snapshot));
      });
    },
    destroy_storage_snapshot: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => store.delete('storage_snapshots', id));
    },
  };
}
