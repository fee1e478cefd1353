// Storage volumes = the engine's named volumes. These engines mount a volume
// only when a container is created, so attach and detach are not offered
// (412); an instance shows the volumes it mounts, a volume the instance
// using it.
import { randomBytes } from 'node:crypto';
import type { Driver } from '../../core/driver.js';
import { Conflict, NotFound, ValidationFailure } from '../../core/errors.js';
import type { StorageVolume } from '../../core/model.js';
import { LABEL, type PodmanBackend, type VolumeAnswer } from './backend.js';
import { listContainers, type ContainerFacts } from './containers.js';

type Ops = Pick<Driver, 'storage_volumes' | 'storage_volume' | 'create_storage_volume' | 'destroy_storage_volume'>;

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export function toVolume(v: VolumeAnswer, realmId: string, users: ContainerFacts[]): StorageVolume {
  const user = users.find((c) => c.volumes.some((m) => m.name === v.Name));
  return {
    id: v.Name,
    name: v.Name,
    description: v.Labels?.[LABEL.description],
    created: v.CreatedAt,
    kind: v.Driver,
    realmId,
    state: user ? 'IN-USE' : 'AVAILABLE',
    instanceId: user?.id,
    device: user?.volumes.find((m) => m.name === v.Name)?.destination,
    actions: user ? [] : ['destroy'],
  };
}

export function volumeOperations(backend: PodmanBackend): Ops {
  const list = async (ctx: Parameters<NonNullable<Driver['storage_volumes']>>[0], id?: string): Promise<StorageVolume[]> => {
    const engine = backend.engine(ctx);
    const [volumes, containers, realm] = await Promise.all([
      backend.volumes(engine, ctx.signal, id),
      listContainers(backend, engine, ctx.signal),
      backend.realm(engine, ctx.signal),
    ]);
    return volumes.filter((v) => id === undefined || v.Name === id).map((v) => toVolume(v, realm.id, containers)).sort((a, b) => a.id.localeCompare(b.id));
  };
  return {
    storage_volumes: async (ctx, filter) => list(ctx, filter.id),
    storage_volume: async (ctx, id) => (VOLUME_NAME.test(id) ? (await list(ctx, id))[0] : undefined),
    create_storage_volume: async (ctx, { name, description, realmId, snapshotId }) => {
      if (snapshotId !== undefined) throw new ValidationFailure('This driver has no storage snapshots');
      const engine = backend.engine(ctx);
      await backend.checkRealm(engine, realmId, ctx.signal);
      const volumeName = name?.trim() || `vol-${randomBytes(4).toString('hex')}`;
      if (!VOLUME_NAME.test(volumeName)) throw new ValidationFailure('name must start with a letter or digit and hold only letters, digits, _ . - (at most 128)');
      // Docker answers a create of an existing name with that volume: ask first (of every volume, not only ours).
      const existing = await engine.json('GET', `/volumes/${volumeName}`, { signal: ctx.signal }).catch((e: unknown) => {
        if (e instanceof NotFound) return undefined;
        throw e;
      });
      if (existing) throw new Conflict(`Storage volume '${volumeName}' already exists`);
      const labels: Record<string, string> = { [LABEL.driver]: 'podman' };
      if (description) labels[LABEL.description] = description;
      await engine.json('POST', '/volumes/create', { body: { Name: volumeName, Labels: labels }, signal: ctx.signal });
      const created = (await list(ctx, volumeName))[0];
      if (!created) throw new NotFound(`Storage volume '${volumeName}' not found after creation`);
      return created;
    },
    destroy_storage_volume: async (ctx, id) => {
      if (!VOLUME_NAME.test(id) || (await list(ctx, id)).length === 0) throw new NotFound(`Storage volume '${id}' not found`);
      // The engine refuses (409) while a container uses the volume.
      await backend.engine(ctx).json('DELETE', `/volumes/${id}`, { signal: ctx.signal });
    },
  };
}
