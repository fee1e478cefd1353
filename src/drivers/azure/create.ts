// Instance create: a Resource Manager VM needs a network interface, which
// carries the public IP. Three resources are made in order: the public IP
// `<name>-ip`, the NIC `<name>-nic` in the operator's subnet (the provider's
// `subnetId`) carrying that IP (and the firewall, a network security group,
// when one is given), then the VM `<name>` on that NIC, signing in with the
// SSH public key resource `keyname` (Linux images; user data is the VM's
// custom data). Everything a client can get wrong is checked before the
// first call. When a step fails, what the earlier steps made is deleted (the
// VM first, if Azure accepted it, then the NIC, then the IP) and the client
// gets the failed step's error: a failed create leaves nothing behind.
//
// What is made goes with the VM (Azure's "delete a VM and attached
// resources"): the VM's NIC reference and its OS disk carry
// `deleteOption: Delete`, and the NIC's reference to the public IP does too
// (where Microsoft's documentation and the portal's own template set it: the
// IP then goes when the NIC goes). Deleting the VM makes Azure delete the
// NIC, the IP and the OS disk: destroy stays one VM delete.
import type { VirtualMachine } from '@azure/arm-compute';
import { randomBytes } from 'node:crypto';
import type { Driver, InstanceCreate, RequestContext } from '../../core/driver.js';
import { NotSupported, ValidationFailure } from '../../core/errors.js';
import type { Instance } from '../../core/model.js';
import { locationOf, pollingOf, type ArmClients, type ArmConnections } from './arm.js';
import { show, VM_SIZES, ZONES } from './compute.js';
import type { AzureOptions } from './config.js';
import { checkResourceName } from './keys.js';
import type { AzureSession } from './session.js';

/** The administrator Azure's own tools create on Linux VMs (`az vm create`): the key signs in as it. */
export const ADMIN_USERNAME = 'azureuser';
/** Linux VM (and computer) names: 1-64 letters, digits and '-', not starting or ending with '-'. */
const VM_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$/;
const DEFAULT_SIZE = VM_SIZES[0]![0];

interface CreatePlan {
  name: string;
  vmSize: string;
  zone?: string;
  imageReference: NonNullable<NonNullable<VirtualMachine['storageProfile']>['imageReference']>;
  keyname: string;
  customData?: string;
  /** The network security group put on the NIC (the instance's one firewall). */
  firewall?: string;
}

/** The request as a VM to create, or a 400 (a 501 for what the operator did not configure) before any call. */
function planOf(args: InstanceCreate, s: AzureSession, { scope }: ArmClients): CreatePlan & { location: string; subnetId: string } {
  if ((args.instanceCount ?? 1) !== 1) throw new ValidationFailure('Azure instances are created one at a time (instance_count 1)');
  if (args.firewallIds.length > 1) throw new ValidationFailure('Azure puts one network security group on an instance\'s NIC: give at most one firewall');
  const firewall = args.firewallIds[0] === undefined ? undefined : checkResourceName(args.firewallIds[0], 'Firewall');
  if (args.loadBalancerId) throw new ValidationFailure('Load balancers cannot be given at create on Azure yet');
  if (args.password) throw new ValidationFailure('Azure Linux instances sign in with an SSH key (keyname), not a password');
  const name = args.name ?? `deltacloud-${randomBytes(4).toString('hex')}`;
  if (!VM_NAME.test(name)) throw new ValidationFailure('Instance names are 1-64 letters, digits and \'-\', not starting or ending with \'-\'');
  const vmSize = args.hardwareProfileId ?? DEFAULT_SIZE;
  if (!VM_SIZES.some(([size]) => size === vmSize)) throw new ValidationFailure(`hwp_id must be one of ${VM_SIZES.map(([size]) => size).join(', ')}`);
  const location = locationOf(scope, 'an instance');
  let zone: string | undefined;
  if (args.realmId !== undefined) {
    zone = args.realmId.startsWith(`${location}-`) ? args.realmId.slice(location.length + 1) : undefined;
    if (!zone || !ZONES.includes(zone)) throw new ValidationFailure(`realm_id must be one of ${ZONES.map((z) => `${location}-${z}`).join(', ')}`);
  }
  let imageReference: CreatePlan['imageReference'];
  if (args.imageId.includes(':')) {
    // Marketplace images are the operator's list (a client cannot name others).
    if (!s.provider.images.includes(args.imageId)) throw new ValidationFailure(`Image ${args.imageId} is not offered here`);
    const [publisher, offer, sku, version] = args.imageId.split(':');
    imageReference = { publisher, offer, sku, version };
  } else {
    const image = checkResourceName(args.imageId, 'Image');
    imageReference = { id: `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.Compute/images/${image}` };
  }
  if (!args.keyname) throw new ValidationFailure('Azure Linux instances sign in with an SSH key: keyname is required');
  const keyname = checkResourceName(args.keyname, 'Key');
  const subnetId = s.provider.subnetId;
  if (!subnetId) throw new NotSupported('This provider has no subnet for new instances: the operator sets its subnetId');
  return {
    name, vmSize, zone, imageReference, keyname, location, subnetId, firewall,
    ...(args.userData ? { customData: args.userData.toString('base64') } : {}),
  };
}

/** Deletes what a failed create made, newest first, each with its own time (the request's deadline may be what failed). */
async function cleanUp(ctx: RequestContext, options: AzureOptions, made: Array<[what: string, remove: (polling: { abortSignal: AbortSignal; updateIntervalInMs: number }) => Promise<unknown>]>): Promise<void> {
  for (const [what, remove] of made.reverse()) {
    try {
      await remove({ abortSignal: AbortSignal.timeout(options.requestTimeoutMs), updateIntervalInMs: options.pollIntervalMs });
    } catch (error) {
      // The create's own error is what the client gets; what could not be removed is logged by name only.
      ctx.log?.debug({ resource: what, error: error instanceof Error ? error.name : typeof error }, 'azure: a failed create left a resource behind');
    }
  }
}

export function instanceCreateOperations(options: AzureOptions, connections: ArmConnections): Required<Pick<Driver, 'create_instance'>> {
  return {
    create_instance: async (ctx, args): Promise<Instance[]> => {
      const [s, clients] = connections.open(ctx);
      const plan = planOf(args, s, clients);
      const { compute, network, scope } = clients;
      const group = scope.resourceGroup;
      const networkId = (type: string, name: string) => `/subscriptions/${scope.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Network/${type}/${name}`;
      const lro = pollingOf(s, options);
      const key = await s.call(() => compute.sshPublicKeys.get(group, plan.keyname, { abortSignal: s.signal }));
      if (!key.publicKey) throw new ValidationFailure(`Key ${plan.keyname} holds no public key`);

      const made: Parameters<typeof cleanUp>[2] = [];
      try {
        const ipName = `${plan.name}-ip`;
        const ip = await s.call(() => network.publicIPAddresses.beginCreateOrUpdateAndWait(group, ipName, { location: plan.location }, lro));
        made.push([ipName, (polling) => network.publicIPAddresses.beginDeleteAndWait(group, ipName, polling)]);

        const nicName = `${plan.name}-nic`;
        const nic = await s.call(() => network.networkInterfaces.beginCreateOrUpdateAndWait(group, nicName, {
          location: plan.location,
          ipConfigurations: [{
            name: 'ipconfig1', subnet: { id: plan.subnetId },
            // Deleted with the NIC (and so with the VM): an IP left behind is billed.
            publicIPAddress: { id: ip.id ?? networkId('publicIPAddresses', ipName), deleteOption: 'Delete' },
          }],
          ...(plan.firewall ? { networkSecurityGroup: { id: networkId('networkSecurityGroups', plan.firewall) } } : {}),
        }, lro));
        made.push([nicName, (polling) => network.networkInterfaces.beginDeleteAndWait(group, nicName, polling)]);

        const poller = compute.virtualMachines.createOrUpdate(group, plan.name, {
          location: plan.location,
          ...(plan.zone ? { zones: [plan.zone] } : {}),
          hardwareProfile: { vmSize: plan.vmSize },
          storageProfile: {
            imageReference: plan.imageReference,
            osDisk: {
              name: `${plan.name}osdisk`, caching: 'ReadWrite', createOption: 'FromImage', managedDisk: { storageAccountType: 'Standard_LRS' }, deleteOption: 'Delete',
            },
          },
          osProfile: {
            adminUsername: ADMIN_USERNAME,
            computerName: plan.name,
            ...(plan.customData ? { customData: plan.customData } : {}),
            linuxConfiguration: {
              ssh: { publicKeys: [{ path: `/home/${ADMIN_USERNAME}/.ssh/authorized_keys`, keyData: key.publicKey }] },
              disablePasswordAuthentication: true,
            },
          },
          networkProfile: { networkInterfaces: [{ id: nic.id ?? networkId('networkInterfaces', nicName), primary: true, deleteOption: 'Delete' }] },
        }, lro);
        // Once Azure has accepted the VM it exists (perhaps failed): a later failure deletes it too (forced: the client never
        // got it, nothing on it is to be kept). Its NIC and IP may go with it (their deleteOption); deleting them again is harmless
        // (Azure answers a delete of what is gone with 204), and covers a VM that failed before it took them on.
        const accepted = poller.submitted().then(() => true, () => false);
        try {
          await s.call(async () => { await poller; });
        } catch (error) {
          if (await accepted) made.push([plan.name, (polling) => compute.virtualMachines.delete(group, plan.name, { ...polling, forceDeletion: true })]);
          throw error;
        }
      } catch (error) {
        await cleanUp(ctx, options, made);
        throw error;
      }
      return [await show(s, clients, plan.name)];
    },
  };
}
