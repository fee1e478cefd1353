// Glance (image v2): images.
import type { Filter } from '../../core/driver.js';
import type { Image } from '../../core/model.js';
import { asList, type Session } from './session.js';

interface GlanceImage {
  id: string;
  name?: string | null;
  status?: string;
  owner?: string;
  created_at?: string;
  architecture?: string;
  description?: string;
}

function imageOf(g: GlanceImage): Image {
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
  };
}

export async function images(s: Session, filter: Filter): Promise<Image[]> {
  if (filter.id !== undefined) return asList(await image(s, filter.id));
  const owner = filter.owner_id === 'self' ? s.projectId : filter.owner_id;
  let all = (await s.listAll<GlanceImage>('image', '/v2/images', 'images', { query: { owner } })).map(imageOf);
  if (owner) all = all.filter((i) => i.ownerId === owner);
  return all;
}

export async function image(s: Session, id: string): Promise<Image | undefined> {
  const body = await s.getOrUndefined<GlanceImage>('image', `/v2/images/${encodeURIComponent(id)}`);
  return body?.id ? imageOf(body) : undefined;
}

export async function destroyImage(s: Session, id: string): Promise<void> {
  await s.exec('image', 'DELETE', `/v2/images/${encodeURIComponent(id)}`);
}
