// Glance (image v2): images.
import type { Filter } from '../../core/driver.js';
import type { Image } from '../../core/model.js';
import { allFlavors, flavorFits, type Flavor, type ImageNeeds } from './flavors.js';
import { asList, type Session } from './session.js';

interface GlanceImage extends ImageNeeds {
  id: string;
  name?: string | null;
  status?: string;
  owner?: string;
  created_at?: string;
  architecture?: string;
  description?: string;
}

/** `flavors` undefined: the cloud offers no compute service, so no profiles are listed. */
function imageOf(g: GlanceImage, flavors: Flavor[] | undefined): Image {
  const status = (g.status ?? '').toUpperCase();
  return {
    id: g.id,
    name: g.name ?? undefined,
    description: typeof g.description === 'string' ? g.description : undefined,
    ownerId: g.owner,
    architecture: typeof g.architecture === 'string' ? g.architecture : undefined,
    state: status === 'ACTIVE' ? 'AVAILABLE' : status || undefined,
    creationTime: g.created_at,
    // Nova boots images onto the hypervisor's local (ephemeral) disk.
    rootType: 'transient',
    ...(flavors ? { hardwareProfileIds: flavors.filter((f) => flavorFits(f, g)).map((f) => String(f.id)) } : {}),
  };
}

function flavorsOf(s: Session): Promise<Flavor[] | undefined> {
  return s.has('compute') ? allFlavors(s) : Promise.resolve(undefined);
}

export async function images(s: Session, filter: Filter): Promise<Image[]> {
  if (filter.id !== undefined) return asList(await image(s, filter.id));
  const owner = filter.owner_id === 'self' ? s.projectId : filter.owner_id;
  const [listed, flavors] = await Promise.all([s.listAll<GlanceImage>('image', '/v2/images', 'images', { query: { owner } }), flavorsOf(s)]);
  let all = listed.map((g) => imageOf(g, flavors));
  if (owner) all = all.filter((i) => i.ownerId === owner);
  return all;
}

export async function image(s: Session, id: string): Promise<Image | undefined> {
  const body = await s.getOrUndefined<GlanceImage>('image', `/v2/images/${encodeURIComponent(id)}`);
  return body?.id ? imageOf(body, await flavorsOf(s)) : undefined;
}

export async function destroyImage(s: Session, id: string): Promise<void> {
  await s.exec('image', 'DELETE', `/v2/images/${encodeURIComponent(id)}`);
}
