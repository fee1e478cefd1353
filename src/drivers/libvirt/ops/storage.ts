// Storage volumes = qcow2 volumes `vol-<hex>.qcow2` of the instance pool,
// hot-attached to domains as virtio disks. Snapshots = point-in-time qcow2
// copies `snap-<hex>--<volume id>.qcow2` of a volume, made with vol-clone when
// no running domain uses it, or with a push backup job while one does; a
// volume made from a snapshot is a copy of it.
import type { Driver } from '../../../core/driver.js';
import { Conflict, MethodNotAllowed, NotFound, ValidationFailure } from '../../../core/errors.js';
import type { StorageSnapshot, StorageVolume } from '../../../core/model.js';
import { gigabytes, isoTime, mapLimit, newId, runJob, type LibvirtBackend } from '../backend.js';
import { pause } from '../../../core/kit/time.js';
import { dataDiskXml, isActive, type DomainInfo } from '../domain.js';
import type { Libvirt, VolumeInfo } from '../libvirt.js';
import { esc } from '../xml.js';
import { listedDomain } from './instances.js';

type Ops = Pick<Driver,
  'storage_volumes' | 'storage_volume' | 'create_storage_volume' | 'destroy_storage_volume' | 'attach_storage_volume'
  | 'detach_storage_volume' | 'storage_snapshots' | 'storage_snapshot' | 'create_storage_snapshot' | 'destroy_storage_snapshot'>;

const VOLUME_ID = /^vol-[0-9a-f]{8}$/;
const SNAPSHOT_ID = /^snap-[0-9a-f]{8}$/;
const VOLUME_FILE = /^(vol-[0-9a-f]{8})\.qcow2$/;
const SNAPSHOT_FILE = /^(snap-[0-9a-f]{8})(?:--(vol-[0-9a-f]{8}))?\.qcow2$/;
/** Devices a volume may be attached as: virtio disks vdb..vdz (sdX/xvdX/hdX are taken to mean the same letter). */
const DEVICE = /^(?:\/dev\/)?(?:vd|sd|xvd|hd)([b-z])$/;

export function targetOf(device: string): string {
  const m = DEVICE.exec(device.trim());
  if (!m) throw new ValidationFailure(`device must name a disk from /dev/vdb to /dev/vdz, got '${device}'`);
  return `vd${m[1]}`;
}

interface Attachment {
  domain: string;
  target: string;
}

/** Which domain uses which file of the pool (live configuration of running domains). */
async function attachments(lv: Libvirt): Promise<Map<string, Attachment>> {
  const map = new Map<string, Attachment>();
  const names = [...(await lv.domainStates()).keys()];
  const infos = await mapLimit(names, 6, (n) => lv.domain(n));
  for (const info of infos) {
    for (const d of info?.disks ?? []) if (d.source && d.device === 'disk') map.set(d.source, { domain: info!.name, target: d.target });
  }
  return map;
}

async function toVolume(backend: LibvirtBackend, lv: Libvirt, vol: VolumeInfo, attached: Attachment | undefined): Promise<StorageVolume> {
  const id = VOLUME_FILE.exec(vol.name)![1]!;
  const meta = backend.store.meta(lv.uri, 'volume', id);
  const creating = lv.state.jobs.has(`volume:${id}`);
  return {
    id,
    name: meta.name,
    description: meta.description,
    created: meta.created ?? isoTime(vol.ctime ?? vol.mtime),
    capacity: gigabytes(vol.capacity),
    kind: vol.format ?? 'qcow2',
    realmId: await backend.realmId(lv),
    state: creating ? 'CREATING' : attached ? 'IN-USE' : 'AVAILABLE',
    instanceId: attached?.domain,
    device: attached ? `/dev/${attached.target}` : undefined,
    actions: creating ? [] : attached ? ['detach'] : ['attach', 'destroy'],
  };
}

async function findVolume(backend: LibvirtBackend, lv: Libvirt, id: string): Promise<VolumeInfo | undefined> {
  if (!VOLUME_ID.test(id) || !(await lv.hasPool(backend.opts.pool))) return undefined;
  return lv.volume(backend.opts.pool, `${id}.qcow2`);
}

async function showVolume(backend: LibvirtBackend, lv: Libvirt, id: string): Promise<StorageVolume | undefined> {
  const vol = await findVolume(backend, lv, id);
  if (!vol) return undefined;
  return toVolume(backend, lv, vol, (await attachments(lv)).get(vol.path));
}

async function requireVolume(backend: LibvirtBackend, lv: Libvirt, id: string): Promise<StorageVolume> {
  const v = await showVolume(backend, lv, id);
  if (!v) throw new NotFound(`Storage volume '${id}' not found`);
  return v;
}

async function snapshotFiles(backend: LibvirtBackend, lv: Libvirt): Promise<Array<{ id: string; volumeId?: string; name: string }>> {
  if (!(await lv.hasPool(backend.opts.pool))) return [];
  return (await lv.volumeNames(backend.opts.pool)).flatMap((v) => {
    const m = SNAPSHOT_FILE.exec(v.name);
    return m ? [{ id: m[1]!, volumeId: m[2], name: v.name }] : [];
  });
}

async function toSnapshot(backend: LibvirtBackend, lv: Libvirt, file: { id: string; volumeId?: string; name: string }): Promise<StorageSnapshot | undefined> {
  const meta = backend.store.meta(lv.uri, 'snapshot', file.id);
  const pending = hasJob(lv, `snapshot:${file.id}:`);
  const vol = pending ? undefined : await lv.volume(backend.opts.pool, file.name);
  if (!pending && !vol) return undefined;
  return {
    id: file.id,
    name: meta.name,
    description: meta.description,
    created: meta.created ?? isoTime(vol?.ctime ?? vol?.mtime),
    state: pending ? 'PENDING' : 'COMPLETED',
    volumeId: file.volumeId,
  };
}

/** Whether a background copy whose key starts with `prefix` is running. */
function hasJob(lv: Libvirt, prefix: string): boolean {
  return [...lv.state.jobs.keys()].some((k) => k.startsWith(prefix));
}

/** Volume XML for a new empty qcow2 volume. */
function volumeXml(name: string, bytes: number): string {
  return `<volume><name>${esc(name)}</name><capacity unit='bytes'>${bytes}</capacity>`
    + `<target><format type='qcow2'/><compat>1.1</compat></target></volume>`;
}

/** GB (may be fractional) → bytes, rounded up to whole MiB. */
function bytesOf(gb: number): number {
  return Math.ceil((gb * 1024 ** 3) / 1024 ** 2) * 1024 ** 2;
}

export function storageOperations(backend: LibvirtBackend): Ops {
  const { opts, store } = backend;
  const pool = opts.pool;

  /** Copies `source` (a pool volume) into the new volume `name`, live through the domain using it if it runs. */
  async function copyVolume(lv: Libvirt, source: VolumeInfo, name: string): Promise<void> {
    const user = (await attachments(lv)).get(source.path);
    const domain: DomainInfo | undefined = user ? await lv.domain(user.domain) : undefined;
    if (user && domain && isActive(await lv.domainState(user.domain))) {
      await lv.backupDisk(domain, user.target, `${await lv.poolPath(pool)}/${name}`, opts.copyTimeoutMs);
      await lv.refresh(pool);
    } else {
      await lv.cloneVolume(pool, source.name, name, opts.copyTimeoutMs);
    }
  }

  async function removeFailed(lv: Libvirt, name: string): Promise<void> {
    await lv.refresh(pool).catch(() => undefined);
    await lv.deleteVolume(pool, name).catch(() => undefined);
  }

  return {
    storage_volumes: async (ctx, filter) => {
      const lv = backend.connect(ctx);
      if (!(await lv.hasPool(pool))) return [];
      let names = (await lv.volumeNames(pool)).filter((v) => VOLUME_FILE.test(v.name));
      if (filter.id !== undefined) names = names.filter((v) => v.name === `${filter.id}.qcow2`);
      if (names.length === 0) return [];
      const used = await attachments(lv);
      const vols = await mapLimit(names, 6, (v) => lv.volume(pool, v.name));
      const result: StorageVolume[] = [];
      for (const vol of vols) if (vol) result.push(await toVolume(backend, lv, vol, used.get(vol.path)));
      return result.sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    storage_volume: async (ctx, id) => showVolume(backend, backend.connect(ctx), id),

    create_storage_volume: async (ctx, { capacity, realmId, snapshotId, name, description }) => {
      const lv = backend.connect(ctx);
      await backend.checkRealm(lv, realmId);
      await lv.poolPath(pool); // a missing pool answers 502 with the fix
      const gb = capacity === undefined ? undefined : Number(capacity);
      if (gb !== undefined && (!Number.isFinite(gb) || gb <= 0)) throw new ValidationFailure('capacity must be a positive number of GB');
      const { capacity: poolBytes } = await lv.poolInfo(pool);
      if (gb !== undefined && poolBytes > 0 && bytesOf(gb) > poolBytes) throw new ValidationFailure(`capacity must be at most ${gigabytes(poolBytes)} GB`);
      const id = newId('vol');
      const volumeName = `${id}.qcow2`;
      store.putMeta(lv.uri, 'volume', id, {
        name: name?.trim() || undefined, description: description?.trim() || undefined, created: new Date().toISOString(), snapshotId,
      });
      try {
        if (snapshotId === undefined) {
          await lv.createVolume(pool, volumeXml(volumeName, bytesOf(gb ?? 1)));
        } else {
          const snap = SNAPSHOT_ID.test(snapshotId) ? (await snapshotFiles(backend, lv)).find((f) => f.id === snapshotId) : undefined;
          if (!snap || hasJob(lv, `snapshot:${snapshotId}:`)) throw new ValidationFailure(`Storage snapshot '${snapshotId}' does not exist`);
          const source = await lv.volume(pool, snap.name);
          if (!source) throw new ValidationFailure(`Storage snapshot '${snapshotId}' does not exist`);
          const bg = lv.detached();
          const copy = async () => {
            try {
              await bg.cloneVolume(pool, snap.name, volumeName, opts.copyTimeoutMs);
              if (gb !== undefined && bytesOf(gb) > source.capacity) await bg.resizeVolume(pool, volumeName, bytesOf(gb));
            } catch (e) {
              await removeFailed(bg, volumeName);
              store.deleteMeta(lv.uri, 'volume', id);
              throw e;
            }
          };
          await runJob(lv.state, `volume:${id}`, copy, opts.waitMs, ctx.signal);
        }
      } catch (e) {
        store.deleteMeta(lv.uri, 'volume', id);
        throw e;
      }
      const shown = await showVolume(backend, lv.detached(), id);
      return shown ?? { id, name: name?.trim() || undefined, state: 'CREATING', realmId: await backend.realmId(lv), capacity: gb, actions: [] };
    },

    destroy_storage_volume: async (ctx, id) => {
      const lv = backend.connect(ctx);
      const v = await requireVolume(backend, lv, id);
      if (v.state === 'CREATING') throw new Conflict(`Storage volume '${id}' is still being created`);
      if (v.instanceId !== undefined) throw new Conflict(`Storage volume '${id}' is attached to instance '${v.instanceId}'; detach it first`);
      if ([...lv.state.jobs.keys()].some((k) => k.startsWith('snapshot:') && k.includes(`:${id}@`))) {
        throw new Conflict(`Storage volume '${id}' is being snapshotted`);
      }
      await lv.deleteVolume(pool, `${id}.qcow2`);
      store.deleteMeta(lv.uri, 'volume', id);
    },

    attach_storage_volume: async (ctx, { id, instanceId, device }) => {
      const lv = backend.connect(ctx);
      const target = targetOf(device);
      const vol = await findVolume(backend, lv, id);
      if (!vol) throw new NotFound(`Storage volume '${id}' not found`);
      if (lv.state.jobs.has(`volume:${id}`)) throw new Conflict(`Storage volume '${id}' is still being created`);
      const used = (await attachments(lv)).get(vol.path);
      if (used) throw new Conflict(`Storage volume '${id}' is already attached to instance '${used.domain}'`);
      const domain = await listedDomain(backend, lv, instanceId);
      if (!domain) throw new NotFound(`Instance '${instanceId}' not found`);
      if (domain.disks.some((d) => d.target === target)) throw new Conflict(`Device /dev/${target} is in use on instance '${instanceId}'`);
      await lv.attachDevice(instanceId, dataDiskXml(vol.path, target, id));
      return requireVolume(backend, lv, id);
    },

    detach_storage_volume: async (ctx, { id }) => {
      const lv = backend.connect(ctx);
      const vol = await findVolume(backend, lv, id);
      if (!vol) throw new NotFound(`Storage volume '${id}' not found`);
      const used = (await attachments(lv)).get(vol.path);
      if (!used) throw new MethodNotAllowed('Storage volume is not attached');
      const active = isActive(await lv.domainState(used.domain));
      const xml = dataDiskXml(vol.path, used.target, id);
      try {
        await lv.detachDevice(used.domain, xml, active);
      } catch (e) {
        // Attached live only (by hand): detach it from the running domain alone.
        if (!active) throw e;
        await lv.detachDevice(used.domain, xml, true).catch(() => { throw e; });
      }
      if (active) {
        // The guest must let go of a hot-plugged disk; wait for it a while.
        const until = Date.now() + opts.waitMs;
        while (Date.now() < until && !ctx.signal.aborted) {
          const info = await lv.detached().domain(used.domain);
          if (!info?.disks.some((d) => d.source === vol.path)) break;
          await pause(300, ctx.signal);
        }
      }
      return requireVolume(backend, lv.detached(), id);
    },

    storage_snapshots: async (ctx, filter) => {
      const lv = backend.connect(ctx);
      let files = await snapshotFiles(backend, lv);
      if (filter.id !== undefined) files = files.filter((f) => f.id === filter.id);
      const snaps = await mapLimit(files, 6, (f) => toSnapshot(backend, lv, f));
      return snaps.filter((s): s is StorageSnapshot => s !== undefined).sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    storage_snapshot: async (ctx, id) => {
      const lv = backend.connect(ctx);
      if (!SNAPSHOT_ID.test(id)) return undefined;
      const file = (await snapshotFiles(backend, lv)).find((f) => f.id === id);
      return file && toSnapshot(backend, lv, file);
    },

    create_storage_snapshot: async (ctx, { volumeId, name, description }) => {
      const lv = backend.connect(ctx);
      const source = await findVolume(backend, lv, volumeId);
      if (!source) throw new NotFound(`Storage volume '${volumeId}' not found`);
      if (lv.state.jobs.has(`volume:${volumeId}`)) throw new Conflict(`Storage volume '${volumeId}' is still being created`);
      const id = newId('snap');
      const fileName = `${id}--${volumeId}.qcow2`;
      store.putMeta(lv.uri, 'snapshot', id, {
        name: name?.trim() || undefined, description: description?.trim() || undefined, created: new Date().toISOString(),
      });
      const bg = lv.detached();
      const copy = async () => {
        try {
          await copyVolume(bg, source, fileName);
        } catch (e) {
          await removeFailed(bg, fileName);
          store.deleteMeta(lv.uri, 'snapshot', id);
          throw e;
        }
      };
      const user = (await attachments(lv)).get(source.path)?.domain ?? '';
      await runJob(lv.state, `snapshot:${id}:${volumeId}@${user}`, copy, opts.waitMs, ctx.signal);
      const snap = await toSnapshot(backend, bg, { id, volumeId, name: fileName });
      return snap ?? { id, volumeId, state: 'PENDING', created: new Date().toISOString() };
    },

    destroy_storage_snapshot: async (ctx, id) => {
      const lv = backend.connect(ctx);
      const file = SNAPSHOT_ID.test(id) ? (await snapshotFiles(backend, lv)).find((f) => f.id === id) : undefined;
      if (!file) throw new NotFound(`Storage snapshot '${id}' not found`);
      if (hasJob(lv, `snapshot:${id}:`)) {
        throw new Conflict(`Storage snapshot '${id}' is still being made`);
      }
      await lv.deleteVolume(pool, file.name);
      store.deleteMeta(lv.uri, 'snapshot', id);
    },
  };
}
