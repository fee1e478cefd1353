// Cinder (block storage v3, or v2 where that is all the catalogue has):
// volumes and snapshots. Attaching goes through Nova (compute.ts).
import type { Filter } from '../../core/driver.js';
import { ValidationFailure } from '../../core/errors.js';
import type { StorageSnapshot, StorageVolume } from '../../core/model.js';
import { attachVolume as novaAttach, detachVolume as novaDetach } from './compute.js';
import { asList, type Session } from './session.js';

const enc = encodeURIComponent;

interface CinderVolume {
  id: string;
  name?: string | null;
  display_name?: string | null;
  description?: string | null;
  display_description?: string | null;
  status?: string;
  size?: number;
  availability_zone?: string;
  created_at?: string;
  volume_type?: string | null;
  attachments?: Array<{ server_id?: string; device?: string }>;
}

function volumeOf(v: CinderVolume): StorageVolume {
  const attachment = (v.attachments ?? []).find((a) => a && a.server_id);
  const state = (v.status ?? '').toUpperCase() || undefined;
  const actions: StorageVolume['actions'] = [];
  if (state === 'AVAILABLE') actions.push('attach', 'destroy');
  else if (state === 'IN-USE') actions.push('detach');
  else if (state === 'ERROR' || state === 'ERROR_RESTORING' || state === 'ERROR_EXTENDING') actions.push('destroy');
  return {
    id: v.id,
    name: (v.name ?? v.display_name) || undefined,
    description: (v.description ?? v.display_description) || undefined,
    created: v.created_at,
    capacity: v.size,
    kind: v.volume_type && v.volume_type !== 'None' ? v.volume_type : undefined,
    realmId: v.availability_zone || undefined,
    state,
    instanceId: attachment?.server_id ? String(attachment.server_id) : undefined,
    device: attachment?.device,
    actions,
  };
}

export async function volumes(s: Session, filter: Filter): Promise<StorageVolume[]> {
  if (filter.id !== undefined) return asList(await volume(s, filter.id));
  return (await s.listAll<CinderVolume>('volume', '/volumes/detail', 'volumes')).map(volumeOf);
}

export async function volume(s: Session, id: string): Promise<StorageVolume | undefined> {
  const body = await s.getOrUndefined<{ volume: CinderVolume }>('volume', `/volumes/${enc(id)}`);
  return body?.volume ? volumeOf(body.volume) : undefined;
}

export async function createVolume(
  s: Session, args: { capacity?: string; realmId?: string; snapshotId?: string; name?: string; description?: string },
): Promise<StorageVolume> {
  const volume: Record<string, unknown> = {};
  if (args.capacity !== undefined) {
    const gb = Number(args.capacity);
    if (!Number.isInteger(gb) || gb < 1) throw new ValidationFailure('capacity must be a whole number of GB (at least 1)');
    volume.size = gb;
  } else if (!args.snapshotId) {
    volume.size = 1;
  }
  if (args.snapshotId) volume.snapshot_id = args.snapshotId;
  if (args.realmId && args.realmId !== 'default') volume.availability_zone = args.realmId;
  if (args.name) volume.name = args.name;
  if (args.description) volume.description = args.description;
  const body = await s.json<{ volume: CinderVolume }>('volume', 'POST', '/volumes', { json: { volume } });
  if (!body?.volume) throw new ValidationFailure('Cinder did not return the volume');
  return volumeOf(body.volume);
}

export async function destroyVolume(s: Session, id: string): Promise<void> {
  await s.exec('volume', 'DELETE', `/volumes/${enc(id)}`);
}

async function current(s: Session, id: string, fallback: StorageVolume): Promise<StorageVolume> {
  return (await volume(s, id)) ?? fallback;
}

export async function attachVolume(s: Session, args: { id: string; instanceId: string; device: string }): Promise<StorageVolume> {
  await novaAttach(s, args.id, args.instanceId, args.device);
  return current(s, args.id, { id: args.id, instanceId: args.instanceId, device: args.device, state: 'ATTACHING' });
}

export async function detachVolume(s: Session, args: { id: string; instanceId?: string }): Promise<StorageVolume> {
  let instanceId = args.instanceId;
  if (!instanceId) instanceId = (await volume(s, args.id))?.instanceId;
  if (!instanceId) throw new ValidationFailure(`Storage volume '${args.id}' is not attached`);
  await novaDetach(s, args.id, instanceId);
  return current(s, args.id, { id: args.id, state: 'DETACHING' });
}

// ---------------------------------------------------------------- snapshots

interface CinderSnapshot {
  id: string;
  name?: string | null;
  display_name?: string | null;
  description?: string | null;
  display_description?: string | null;
  status?: string;
  volume_id?: string;
  created_at?: string;
}

function snapshotOf(x: CinderSnapshot): StorageSnapshot {
  return {
    id: x.id,
    name: (x.name ?? x.display_name) || undefined,
    description: (x.description ?? x.display_description) || undefined,
    created: x.created_at,
    state: (x.status ?? '').toUpperCase() || undefined,
    volumeId: x.volume_id,
  };
}

export async function snapshots(s: Session, filter: Filter): Promise<StorageSnapshot[]> {
  if (filter.id !== undefined) return asList(await snapshot(s, filter.id));
  return (await s.listAll<CinderSnapshot>('volume', '/snapshots/detail', 'snapshots')).map(snapshotOf);
}

export async function snapshot(s: Session, id: string): Promise<StorageSnapshot | undefined> {
  const body = await s.getOrUndefined<{ snapshot: CinderSnapshot }>('volume', `/snapshots/${enc(id)}`);
  return body?.snapshot ? snapshotOf(body.snapshot) : undefined;
}

export async function createSnapshot(s: Session, args: { volumeId: string; name?: string; description?: string }): Promise<StorageSnapshot> {
  // force: snapshot attached (in-use) volumes too, as EC2 does.
  const snapshot: Record<string, unknown> = { volume_id: args.volumeId, force: true };
  if (args.name) snapshot.name = args.name;
  if (args.description) snapshot.description = args.description;
  const body = await s.json<{ snapshot: CinderSnapshot }>('volume', 'POST', '/snapshots', { json: { snapshot } });
  if (!body?.snapshot) throw new ValidationFailure('Cinder did not return the snapshot');
  return snapshotOf(body.snapshot);
}

export async function destroySnapshot(s: Session, id: string): Promise<void> {
  await s.exec('volume', 'DELETE', `/snapshots/${enc(id)}`);
}
