// Images = the disk volumes (qcow2 or raw) of the image pool; an image's id is
// its volume name without the extension. Creating an image copies an
// instance's disk — flattened, so the image stands alone — with vol-create-from
// when the domain is off, or a push backup job while it runs.
import type { Driver } from '../../../core/driver.js';
import { Conflict, NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Image } from '../../../core/model.js';
import { isoTime, mapLimit, newId, runJob, type LibvirtBackend } from '../backend.js';
import { isActive } from '../domain.js';
import type { Libvirt, VolumeInfo } from '../libvirt.js';
import { profilesFitting } from '../profiles.js';
import { esc } from '../xml.js';
import { listedDomain } from './instances.js';

type Ops = Pick<Driver, 'images' | 'image' | 'create_image' | 'destroy_image'>;

const EXTENSION = /\.(qcow2|img|raw)$/;
const DISK_FORMATS = new Set(['qcow2', 'raw']);
/** Ids a client may give an image (through its name) and that name volumes safely. */
export const IMAGE_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,62}$/;

/** Image files the operator copies into the pool's directory show up within this time. */
const REFRESH_MS = 30_000;

export const imageIdOf = (volumeName: string) => volumeName.replace(EXTENSION, '');

export interface FoundImage {
  id: string;
  volume: VolumeInfo;
}

/** The image of that id, or undefined. */
export async function findImage(backend: LibvirtBackend, lv: Libvirt, id: string): Promise<FoundImage | undefined> {
  if (!/^[^/\u0000-\u001f]{1,255}$/.test(id)) return undefined;
  const pool = backend.opts.imagePool;
  if (!(await lv.hasPool(pool))) return undefined;
  await lv.refreshEvery(pool, REFRESH_MS);
  const names = await lv.volumeNames(pool);
  const entry = names.find((v) => imageIdOf(v.name) === id);
  if (!entry) return undefined;
  const volume = await lv.volume(pool, entry.name);
  if (!volume || !DISK_FORMATS.has(volume.format ?? '')) return undefined;
  return { id, volume };
}

async function toImage(backend: LibvirtBackend, lv: Libvirt, found: FoundImage): Promise<Image> {
  const meta = backend.store.meta(lv.uri, 'image', found.id);
  const [node, profiles] = await Promise.all([lv.nodeInfo(), backend.profiles(lv)]);
  const pending = lv.state.jobs.has(`image:${found.id}`) || [...lv.state.jobs.keys()].some((k) => k.startsWith(`image:${found.id}@`));
  const gb = Math.round((found.volume.capacity / 1024 ** 3) * 100) / 100;
  return {
    id: found.id,
    name: meta.name ?? found.id,
    description: meta.description ?? `${found.volume.format ?? 'disk'} image, ${gb} GB`,
    architecture: node.arch,
    state: pending ? 'PENDING' : 'AVAILABLE',
    creationTime: meta.created ?? isoTime(found.volume.ctime ?? found.volume.mtime),
    hardwareProfileIds: profilesFitting(profiles, found.volume.capacity),
    rootType: 'persistent',
  };
}

async function listImages(backend: LibvirtBackend, lv: Libvirt, filter: Record<string, string | undefined>): Promise<Image[]> {
  const pool = backend.opts.imagePool;
  if (!(await lv.hasPool(pool))) return [];
  await lv.refreshEvery(pool, REFRESH_MS);
  let names = await lv.volumeNames(pool);
  if (filter.id !== undefined) names = names.filter((v) => imageIdOf(v.name) === filter.id);
  const volumes = await mapLimit(names, 6, (v) => lv.volume(pool, v.name));
  const images: Image[] = [];
  for (const volume of volumes) {
    if (!volume || !DISK_FORMATS.has(volume.format ?? '')) continue;
    images.push(await toImage(backend, lv, { id: imageIdOf(volume.name), volume }));
  }
  images.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return images;
}

export function imageOperations(backend: LibvirtBackend): Ops {
  const { opts, store } = backend;
  return {
    images: async (ctx, filter) => listImages(backend, backend.connect(ctx), filter),
    image: async (ctx, id) => {
      const lv = backend.connect(ctx);
      const found = await findImage(backend, lv, id);
      return found && toImage(backend, lv, found);
    },

    create_image: async (ctx, { instanceId, name, description }) => {
      const lv = backend.connect(ctx);
      const domain = await listedDomain(backend, lv, instanceId);
      if (!domain) throw new NotFound(`Instance '${instanceId}' not found`);
      const meta = domain.meta;
      const root = domain.disks.find((d) => d.device === 'disk' && d.target === 'vda');
      if (!meta || !root) throw new ValidationFailure(`An image can be made only of an instance this driver created (with a vda disk)`);
      const imagePool = opts.imagePool;
      const imageDir = await lv.poolPath(imagePool);
      const taken = new Set((await lv.volumeNames(imagePool)).map((v) => imageIdOf(v.name)));
      const wanted = name?.trim();
      let id: string;
      if (wanted && IMAGE_ID.test(wanted) && !EXTENSION.test(wanted)) {
        if (taken.has(wanted)) throw new Conflict(`Image '${wanted}' already exists`);
        id = wanted;
      } else {
        do id = newId('img'); while (taken.has(id));
      }
      const volumeName = `${id}.qcow2`;
      const source = await lv.volume(meta.pool, meta.rootVolume);
      if (!source) throw new Conflict(`The disk of instance '${instanceId}' is missing from pool ${meta.pool}`);
      store.putMeta(lv.uri, 'image', id, {
        name: wanted || id, description: description?.trim() || `Image of instance ${instanceId}`, created: new Date().toISOString(), instanceId,
      });
      const bg = lv.detached();
      const copy = async () => {
        try {
          if (isActive(await bg.domainState(instanceId))) {
            await bg.backupDisk(domain, root.target, `${imageDir}/${volumeName}`, opts.copyTimeoutMs);
            await bg.refresh(imagePool);
          } else {
            const xml = `<volume><name>${esc(volumeName)}</name><capacity unit='bytes'>${source.capacity}</capacity>`
              + `<target><format type='qcow2'/><compat>1.1</compat></target></volume>`;
            await bg.createVolumeFrom(imagePool, xml, meta.pool, meta.rootVolume, opts.copyTimeoutMs);
          }
        } catch (e) {
          await bg.refresh(imagePool).catch(() => undefined);
          await bg.deleteVolume(imagePool, volumeName).catch(() => undefined);
          store.deleteMeta(lv.uri, 'image', id);
          throw e;
        }
      };
      await runJob(lv.state, `image:${id}@${instanceId}`, copy, opts.waitMs, ctx.signal);
      const found = await findImage(backend, bg, id);
      if (found) return toImage(backend, bg, found);
      // Still copying and not yet visible in the pool: answer what it will be.
      return {
        id, name: wanted || id, description: description?.trim() || `Image of instance ${instanceId}`, state: 'PENDING',
        // The copy has the instance disk's capacity: the same profiles fit it.
        architecture: (await lv.nodeInfo()).arch, hardwareProfileIds: profilesFitting(await backend.profiles(lv), source.capacity), rootType: 'persistent',
      };
    },

    destroy_image: async (ctx, id) => {
      const lv = backend.connect(ctx);
      const found = await findImage(backend, lv, id);
      if (!found) throw new NotFound(`Image '${id}' not found`);
      if ([...lv.state.jobs.keys()].some((k) => k.startsWith(`image:${id}@`))) throw new Conflict(`Image '${id}' is still being created`);
      // Instances are overlays of their image: it must outlive them.
      const users: string[] = [];
      for (const name of (await lv.domainStates()).keys()) {
        const d = await lv.domain(name, true);
        if (d?.meta?.imageId === id && d.meta.imagePool === opts.imagePool) users.push(name);
        else if (d?.disks.some((disk) => disk.source === found.volume.path)) users.push(name);
      }
      if (users.length > 0) throw new Conflict(`Image '${id}' is in use by instance(s) ${users.sort().join(', ')}`);
      await lv.deleteVolume(opts.imagePool, found.volume.name);
      store.deleteMeta(lv.uri, 'image', id);
    },
  };
}
