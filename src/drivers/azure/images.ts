// The subscription's own (managed) images: created from a VM (Images_CreateOrUpdate
// with `sourceVirtualMachine`, in the VM's location; answered once Azure has
// accepted it) and deleted (polled with the request's abort signal). Azure captures a VM that is deallocated
// and generalised; this driver does not generalise one itself (that makes the
// VM unusable), so a VM not generalised is Azure's refusal (409) to pass on.
import type { Driver, RequestContext } from '../../core/driver.js';
import { Conflict, Forbidden } from '../../core/errors.js';
import { orUndefined } from '../../core/kit/lookup.js';
import { pollingOf, type ArmConnections } from './arm.js';
import { isMarketplaceId, ownImage } from './compute.js';
import type { AzureOptions } from './config.js';
import { checkResourceName } from './keys.js';

type ImageOps = Pick<Driver, 'create_image' | 'destroy_image'>;

/** `<vm>-<yyyymmddhhmmss>`: a name for an image the client did not name. */
const defaultName = (vm: string) => `${vm}-${new Date().toISOString().replace(/[-:T]|\..*$/g, '')}`;

export function imageOperations(options: AzureOptions, connections: ArmConnections): ImageOps {
  const arm = (ctx: RequestContext) => connections.open(ctx);
  return {
    create_image: async (ctx, { instanceId, name, description }) => {
      checkResourceName(instanceId, 'Virtual machine');
      const imageName = checkResourceName(name || defaultName(instanceId), 'Image');
      const [s, { compute, scope }] = arm(ctx);
      const vm = await s.call(() => compute.virtualMachines.get(scope.resourceGroup, instanceId, { abortSignal: s.signal }));
      // Images_CreateOrUpdate would overwrite an image of that name: a name in use is refused instead.
      const existing = await orUndefined(() => s.call(() => compute.images.get(scope.resourceGroup, imageName, { abortSignal: s.signal })));
      if (existing) throw new Conflict(`An image named ${imageName} exists`);
      return s.call(async () => {
        // Azure images have no description: it is kept as a tag.
        await compute.images.beginCreateOrUpdate(scope.resourceGroup, imageName, {
          location: vm.location ?? '', sourceVirtualMachine: { id: vm.id }, ...(description ? { tags: { description } } : {}),
        }, pollingOf(s, options));
        // Accepted (a capture takes minutes, beyond a request's deadline): the image as Azure has it now, PENDING while
        // it is being created; the client follows it with GET /api/images/:id as with any provider's create_image.
        return ownImage(await compute.images.get(scope.resourceGroup, imageName, { abortSignal: s.signal }), scope.subscriptionId);
      });
    },
    destroy_image: async (ctx, id) => {
      if (isMarketplaceId(id)) throw new Forbidden(`${id} is an Azure Marketplace image: only the subscription's own images can be destroyed`);
      checkResourceName(id, 'Image');
      const [s, { compute, scope }] = arm(ctx);
      await s.call(async () => { await compute.images.beginDeleteAndWait(scope.resourceGroup, id, pollingOf(s, options)); });
    },
  };
}
