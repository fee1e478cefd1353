// Instances = Resource Manager virtual machines in the provider's resource
// group; realms = the availability zones of the provider's location; hardware
// profiles = VM sizes with fixed values. A VM's state comes from its instance
// view (power state) and provisioning state. `stop` deallocates (the VM
// releases its host and stops being billed for compute; a powered-off VM that
// keeps its host is still billed), `destroy` deletes the VM (and with it what
// create marked `deleteOption: Delete`: its NIC, public IP and OS disk; see
// create.ts), leaving Azure to choose whether to force it. Long-running
// operations are polled by the SDK's pollers with the request's abort signal
// (which carries its deadline).
import type { Image as AzureImage, VirtualMachine, VirtualMachineInstanceView } from '@azure/arm-compute';
import type { Driver, Filter, RequestContext } from '../../core/driver.js';
import { orUndefined } from '../../core/kit/lookup.js';
import type { HardwareProfile, Image, Instance, Realm } from '../../core/model.js';
import { listed, nameOf, pollingOf, type ArmClients, type ArmConnections } from './arm.js';
import { checkResourceName } from './keys.js';
import type { AzureOptions } from './config.js';
import type { AzureSession } from './session.js';

type ComputeOps = Pick<Driver,
  'realms' | 'realm' | 'hardware_profiles' | 'hardware_profile' | 'images' | 'image' | 'instances' | 'instance' | 'start_instance' | 'stop_instance'
  | 'reboot_instance' | 'destroy_instance'>;

/** VM sizes offered (vCPUs, memory MiB, temporary storage GiB: Azure's published figures for each size). */
export const VM_SIZES: ReadonlyArray<[size: string, cpu: number, memoryMiB: number, storageGiB: number]> = [
  ['Standard_B1s', 1, 1024, 4],
  ['Standard_B2s', 2, 4096, 8],
  ['Standard_D1_v2', 1, 3584, 50],
  ['Standard_D2s_v3', 2, 8192, 16],
  ['Standard_D4s_v3', 4, 16384, 32],
  ['Standard_DS3_v2', 4, 14336, 28],
];

const HARDWARE_PROFILES: HardwareProfile[] = VM_SIZES.map(([id, cpu, memory, storage]) => ({
  id, name: id, properties: [
    { name: 'cpu', kind: 'fixed', value: cpu },
    { name: 'memory', kind: 'fixed', value: memory },
    { name: 'storage', kind: 'fixed', value: storage },
    { name: 'architecture', kind: 'fixed', value: 'x86_64' },
  ],
}));

/** Azure regions with availability zones have three. */
export const ZONES = ['1', '2', '3'];

/** `West US` (as some answers spell it) → `westus` (the name a request uses). */
const locationName = (location: string) => location.toLowerCase().replace(/\s+/g, '');

const POWER_STATES: Record<string, string> = {
  starting: 'PENDING', running: 'RUNNING', stopping: 'STOPPING', deallocating: 'STOPPING', stopped: 'STOPPED', deallocated: 'STOPPED',
};

/** Failed provisioning wins; then the power state; without one, the provisioning state (a VM being created has none). */
export function vmState(provisioningState: string | undefined, view: VirtualMachineInstanceView | undefined): string {
  const codes = (view?.statuses ?? []).map((status) => status.code ?? '');
  const provisioning = (codes.find((c) => c.startsWith('ProvisioningState/'))?.slice('ProvisioningState/'.length) ?? provisioningState ?? '').toLowerCase();
  if (provisioning === 'failed') return 'ERROR';
  if (provisioning === 'deleting') return 'STOPPING';
  const power = codes.find((c) => c.startsWith('PowerState/'))?.slice('PowerState/'.length).toLowerCase();
  if (power && POWER_STATES[power]) return POWER_STATES[power];
  return provisioning === 'creating' || provisioning === 'updating' || provisioning === '' ? 'PENDING' : 'STOPPED';
}


function toInstance(vm: VirtualMachine, name: string, view: VirtualMachineInstanceView | undefined): Instance {
  const image = vm.storageProfile?.imageReference;
  const location = vm.location ? locationName(vm.location) : undefined;
  const zone = vm.zones?.[0];
  return {
    id: name,
    name,
    state: vmState(vm.provisioningState, view),
    imageId: image?.id ? nameOf(image.id) : image?.publisher ? [image.publisher, image.offer, image.sku, image.version].join(':') : undefined,
    realmId: location && zone ? `${location}-${zone}` : location,
    hardwareProfileId: vm.hardwareProfile?.vmSize,
    launchTime: vm.timeCreated?.toISOString(),
    keyname: undefined,
    username: vm.osProfile?.adminUsername,
    publicAddresses: [],
    privateAddresses: [],
    storageVolumes: (vm.storageProfile?.dataDisks ?? []).flatMap((disk) => {
      const id = disk.managedDisk?.id ? nameOf(disk.managedDisk.id) : disk.name;
      return id ? [{ id, device: `lun${disk.lun}` }] : [];
    }),
    networkInterfaceIds: (vm.networkProfile?.networkInterfaces ?? []).flatMap((nic) => (nic.id ? [nameOf(nic.id)] : [])),
    // Azure images a VM that is stopped and deallocated (and generalised, which only Azure can tell: see images.ts).
    canCreateImage: vmState(vm.provisioningState, view) === 'STOPPED',
  };
}

/** Marketplace image ids are `publisher:offer:sku:version`; the subscription's own are resource names (no ':'). */
export const isMarketplaceId = (id: string): boolean => id.includes(':');

/** An operator-listed marketplace image: its id is `publisher:offer:sku:version`. */
function marketplaceImage(id: string): Image {
  const [publisher, offer, sku, version] = id.split(':');
  return { id, name: `${offer} ${sku}`, description: `${publisher} ${offer} ${sku} (version ${version}), Azure Marketplace`, ownerId: publisher, architecture: 'x86_64', state: 'AVAILABLE' };
}

/** One of the subscription's own (managed) images, by its name. */
export function ownImage(image: AzureImage, subscriptionId: string): Image {
  const id = image.name ?? nameOf(image.id) ?? '';
  const os = image.storageProfile?.osDisk;
  const provisioning = (image.provisioningState ?? '').toLowerCase();
  return {
    id, name: id,
    description: image.tags?.description ?? [os?.osType, os?.osState, 'image'].filter(Boolean).join(' '),
    ownerId: subscriptionId,
    architecture: 'x86_64',
    state: provisioning === 'succeeded' || provisioning === 'created' ? 'AVAILABLE' : provisioning === 'failed' ? 'ERROR' : 'PENDING',
  };
}

/** A VM with its instance view (its power state). */
export async function show(s: AzureSession, { compute, scope }: ArmClients, name: string): Promise<Instance> {
  const [vm, view] = await s.call(() => Promise.all([
    compute.virtualMachines.get(scope.resourceGroup, name, { abortSignal: s.signal }),
    compute.virtualMachines.instanceView(scope.resourceGroup, name, { abortSignal: s.signal }),
  ]));
  return toInstance(vm, name, view);
}

export function computeOperations(options: AzureOptions, connections: ArmConnections): ComputeOps {
  const arm = (ctx: RequestContext) => connections.open(ctx);
  const lro = (s: AzureSession) => pollingOf(s, options);

  function realmsOf(ctx: RequestContext): Realm[] {
    const [, { scope }] = arm(ctx);
    return scope.location ? ZONES.map((zone) => ({ id: `${scope.location}-${zone}`, name: `${scope.location} zone ${zone}`, state: 'AVAILABLE' })) : [];
  }

  async function action(ctx: RequestContext, id: string, run: (clients: ArmClients, s: AzureSession) => PromiseLike<unknown>): Promise<Instance> {
    const [s, clients] = arm(ctx);
    await s.call(async () => { await run(clients, s); });
    return show(s, clients, id);
  }

  return {
    realms: async (ctx, filter: Filter) => realmsOf(ctx).filter((realm) => !filter.id || realm.id === filter.id),
    realm: async (ctx, id) => realmsOf(ctx).find((realm) => realm.id === id),
    hardware_profiles: async (ctx, filter: Filter) => {
      arm(ctx);
      return HARDWARE_PROFILES.filter((hwp) => !filter.id || hwp.id === filter.id);
    },
    hardware_profile: async (ctx, id) => {
      arm(ctx);
      return HARDWARE_PROFILES.find((hwp) => hwp.id === id);
    },
    images: async (ctx, filter: Filter) => {
      const [s, { compute, scope }] = arm(ctx);
      const own = await listed(s, compute.images.listByResourceGroup(scope.resourceGroup, { abortSignal: s.signal }), (image) => ownImage(image, scope.subscriptionId), undefined);
      return [...s.provider.images.map(marketplaceImage), ...own].filter((image) => !filter.id || image.id === filter.id);
    },
    image: async (ctx, id) => {
      const [s, { compute, scope }] = arm(ctx);
      // Marketplace images are the operator's list (a client cannot name others); the rest are the subscription's.
      if (isMarketplaceId(id)) return s.provider.images.includes(id) ? marketplaceImage(id) : undefined;
      checkResourceName(id, 'Image');
      return orUndefined(() => s.call(async () => ownImage(await compute.images.get(scope.resourceGroup, id, { abortSignal: s.signal }), scope.subscriptionId)));
    },
    instances: async (ctx, filter: Filter) => {
      const [s, clients] = arm(ctx);
      if (filter.id) {
        const one = await orUndefined(() => show(s, clients, filter.id!));
        return one ? [one] : [];
      }
      return s.call(async () => {
        const vms: VirtualMachine[] = [];
        for await (const vm of clients.compute.virtualMachines.list(clients.scope.resourceGroup, { abortSignal: s.signal })) vms.push(vm);
        // A listing carries no power state: each VM's instance view is read beside it (as `az vm list -d` does).
        return Promise.all(vms.map(async (vm) => {
          const name = vm.name ?? nameOf(vm.id) ?? '';
          const view = await clients.compute.virtualMachines.instanceView(clients.scope.resourceGroup, name, { abortSignal: s.signal });
          return toInstance(vm, name, view);
        }));
      });
    },
    instance: async (ctx, id) => {
      const [s, clients] = arm(ctx);
      return orUndefined(() => show(s, clients, id));
    },
    start_instance: (ctx, id) => action(ctx, id, ({ compute, scope }, s) => compute.virtualMachines.start(scope.resourceGroup, id, lro(s))),
    stop_instance: (ctx, id) => action(ctx, id, ({ compute, scope }, s) => compute.virtualMachines.deallocate(scope.resourceGroup, id, lro(s))),
    reboot_instance: (ctx, id) => action(ctx, id, ({ compute, scope }, s) => compute.virtualMachines.restart(scope.resourceGroup, id, lro(s))),
    destroy_instance: async (ctx, id) => {
      const [s, { compute, scope }] = arm(ctx);
      // No forceDeletion: since api-version 2024-11-01 Azure force-deletes a VM whose disks all go with it (ours: nothing
      // to keep, and faster) and shuts down first one whose disks survive (a volume the client attached, a VM made with
      // Detach elsewhere), as Microsoft advises: force deletion is for disks that will not be reused.
      await s.call(async () => { await compute.virtualMachines.delete(scope.resourceGroup, id, lro(s)); });
    },
  };
}
