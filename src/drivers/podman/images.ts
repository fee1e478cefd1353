// Images = the engine's local images (no registry is contacted). Create =
// commit an instance's container; destroy = remove the image, which the
// engine refuses (409) while a container uses it.
import type { Driver } from '../../core/driver.js';
import { NotFound, ValidationFailure } from '../../core/errors.js';
import type { Image } from '../../core/model.js';
import type { PodmanBackend } from './backend.js';
import { inspectContainer } from './containers.js';
import type { Engine } from './engine.js';

type Ops = Pick<Driver, 'images' | 'image' | 'create_image' | 'destroy_image'>;

const IMAGE_ID = /^[0-9a-f]{64}$/;
/** A repository name with an optional tag, as the engines accept it (lower case). */
const REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

interface ListedImage { Id: string; RepoTags?: string[] | null; Created?: number; Labels?: Record<string, string> | null }
interface InspectedImage { Id: string; RepoTags?: string[] | null; Created?: string; Architecture?: string; Comment?: string }

const hex = (id: string) => id.replace(/^sha256:/, '');
/** An image id in a path: with its digest prefix, or Podman's compatible service reads 64 hex digits as a (refused) name. */
const digest = (id: string) => `sha256:${id}`;
const tagsOf = (tags: string[] | null | undefined) => (tags ?? []).filter((t) => t !== '<none>:<none>');

export function toImage(id: string, tags: string[], created: string | undefined, description?: string): Image {
  return {
    id,
    name: tags[0] ?? id.slice(0, 12),
    description: description || (tags.length ? tags.join(', ') : undefined),
    state: 'AVAILABLE',
    creationTime: created,
    rootType: 'transient',
  };
}

/** The image's full id for an image id, or (on create) a name the engine resolves locally; undefined when there is none. */
export async function resolveImage(engine: Engine, idOrName: string, signal: AbortSignal): Promise<string | undefined> {
  if (!IMAGE_ID.test(idOrName) && !REFERENCE.test(idOrName)) return undefined;
  try {
    const image = await engine.json<InspectedImage>('GET', `/images/${IMAGE_ID.test(idOrName) ? digest(idOrName) : encodeURIComponent(idOrName)}/json`, { signal });
    return image?.Id ? hex(image.Id) : undefined;
  } catch (e) {
    if (e instanceof NotFound) return undefined;
    throw e;
  }
}

async function showImage(engine: Engine, id: string, signal: AbortSignal): Promise<Image | undefined> {
  if (!IMAGE_ID.test(id)) return undefined;
  let image: InspectedImage | undefined;
  try {
    image = await engine.json<InspectedImage>('GET', `/images/${digest(id)}/json`, { signal });
  } catch (e) {
    if (e instanceof NotFound) return undefined;
    throw e;
  }
  if (!image || hex(image.Id) !== id) return undefined;
  return toImage(id, tagsOf(image.RepoTags), image.Created, image.Comment);
}

export function imageOperations(backend: PodmanBackend): Ops {
  return {
    images: async (ctx, filter) => {
      const engine = backend.engine(ctx);
      const listed = (await engine.json<ListedImage[]>('GET', '/images/json', { signal: ctx.signal })) ?? [];
      return listed
        .map((i) => toImage(hex(i.Id), tagsOf(i.RepoTags), i.Created === undefined ? undefined : new Date(i.Created * 1000).toISOString()))
        .filter((i) => filter.id === undefined || i.id === filter.id)
        .sort((a, b) => a.id.localeCompare(b.id));
    },
    image: async (ctx, id) => showImage(backend.engine(ctx), id, ctx.signal),
    create_image: async (ctx, { instanceId, name, description }) => {
      const engine = backend.engine(ctx);
      const container = await inspectContainer(backend, engine, instanceId, ctx.signal);
      if (!container) throw new NotFound(`Instance '${instanceId}' not found`);
      const reference = name?.trim() || `deltacloud/${container.name.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}:${Date.now().toString(36)}`;
      if (!REFERENCE.test(reference)) throw new ValidationFailure('name must be an image reference: lower-case repository[/path][:tag]');
      const [path, tag] = reference.includes(':') ? reference.split(':') : [reference, 'latest'];
      // A name without a registry stays local (Podman would otherwise file it under docker.io/library).
      const repo = /^(?:[^/]*\.[^/]*|localhost)\//.test(path!) ? path : `localhost/${path}`;
      const committed = await engine.json<{ Id: string }>('POST', '/commit', {
        query: { container: instanceId, repo, tag, comment: description }, body: {}, signal: ctx.signal,
      });
      const image = committed?.Id ? await showImage(engine, hex(committed.Id), ctx.signal) : undefined;
      if (!image) throw new ValidationFailure('The container engine committed no image');
      return image;
    },
    destroy_image: async (ctx, id) => {
      const engine = backend.engine(ctx);
      if (!(await showImage(engine, id, ctx.signal))) throw new NotFound(`Image '${id}' not found`);
      await engine.json('DELETE', `/images/${digest(id)}`, { signal: ctx.signal });
    },
  };
}
