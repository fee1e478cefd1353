// Images (mock-driver.md §6.3): every image lists all four hardware profiles.
import type { Driver } from '../../../core/driver.js';
import { BackendError, MissingParameter, NotFound } from '../../../core/errors.js';
import type { Image } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate, HARDWARE_PROFILE_IDS } from '../catalog.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver, 'images' | 'image' | 'create_image' | 'destroy_image'>;

function withProfiles(image: Image): Image {
  return { ...image, hardwareProfileIds: [...HARDWARE_PROFILE_IDS] };
}

/** Sorted by (owner_id, description), ties by id (mock-driver.md §4.3). */
function compareImages(a: Image, b: Image): number {
  const key = (i: Image) => [i.ownerId ?? '', i.description ?? '', i.id];
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) {
    if (ka[i]! < kb[i]!) return -1;
    if (ka[i]! > kb[i]!) return 1;
  }
  return 0;
}

export function imageOperations({ store }: MockBackend): Ops {
  return {
    images: async (ctx, filter) => {
      const user = authenticate(ctx);
      const owner = filter.owner_id === 'self' ? user : filter.owner_id;
      const images = applyFilters('images', store.list('images'), { ...filter, owner_id: owner });
      return images.sort(compareImages).map(withProfiles);
    },
    image: async (ctx, id) => {
      authenticate(ctx);
      const image = store.get('images', id);
      return image && withProfiles(image);
    },
    create_image: async (ctx, { instanceId, name, description }) => {
      authenticate(ctx);
      return store.write(() => {
        const instance = store.get('instances', instanceId);
        if (!instance) throw new NotFound('NotFound');
        if (!instance.canCreateImage) throw new BackendError('CreateImageNotSupported');
        // The front end normally rejects this first; the original crashed here.
        if (name === undefined || name === '') {
          throw new MissingParameter('name', description === undefined ? ['instance_id'] : ['instance_id', 'description']);
        }
        // The mock has no other image id than the name; an existing image of that name is replaced (original).
        const image: Image = { id: name, name, ownerId: 'root', state: 'AVAILABLE', architecture: 'i386' };
        if (description !== undefined) image.description = description;
        return withProfiles(store.put('images', image));
      });
    },
    destroy_image: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => store.delete('images', id)); // unknown ids too: 204 (original)
    },
  };
}
