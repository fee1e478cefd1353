// Realms (availability zones), hardware profiles (instance types), images
// (AMIs), instances and keys (key pairs).
import { randomUUID } from 'node:crypto';
import {
  CreateImageCommand, CreateKeyPairCommand, DeleteKeyPairCommand, DeregisterImageCommand, DescribeAvailabilityZonesCommand,
  DescribeImagesCommand, DescribeInstanceTypesCommand, DescribeKeyPairsCommand, ImportKeyPairCommand, RebootInstancesCommand,
  RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, paginateDescribeImages,
  paginateDescribeInstanceTypes, paginateDescribeInstances,
  type BlockDeviceMapping, type Filter as Ec2Filter, type InstanceTypeInfo, type RunInstancesCommandInput, type _InstanceType,
} from '@aws-sdk/client-ec2';
import { RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import type { Driver, InstanceCreate } from '../../../core/driver.js';
import { NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Image, Instance, Realm } from '../../../core/model.js';
import { credentialKey, headerOf, type AwsSession } from '../clients.js';
import {
  cpuOptionsFor, ec2StatesFor, profileAdmits, tagSpecifications, toHardwareProfile, toImage, toInstance, toKey, toRealm,
} from '../mappings.js';
import { filterValue, orEmpty, orUndefined, type Deps } from './context.js';
import { errorStatus } from '../../../core/guards.js';

type Ops = Pick<Driver,
  'realms' | 'realm' | 'hardware_profiles' | 'hardware_profile' | 'images' | 'image' | 'create_image' | 'destroy_image'
  | 'instances' | 'instance' | 'create_instance' | 'start_instance' | 'stop_instance' | 'reboot_instance' | 'destroy_instance'
  | 'keys' | 'key' | 'create_key' | 'destroy_key'>;

/** Page sizes for paginated listings (the SDK paginators follow every NextToken). */
const PAGE = { instances: 1000, images: 1000, instanceTypes: 100 } as const;

/** A client token (RunInstances idempotency): printable ASCII, at most 64 characters. */
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;

/** Request header naming the idempotency key, read when the front end passes headers to drivers. */
export const IDEMPOTENCY_HEADER = 'x-deltacloud-idempotency-key';

/**
 * The ClientToken of a launch: the client's idempotency key (parameter
 * `client_token`, or the X-Deltacloud-Idempotency-Key header) so that a
 * client retrying its own request gets the first launch back, else a fresh
 * UUID that the SDK's own retries resend unchanged.
 */
export function clientTokenFor(params: Record<string, string>, header?: string): string {
  const given = params.client_token ?? params.idempotency_key ?? header;
  if (given === undefined || given === '') return randomUUID();
  if (!CLIENT_TOKEN.test(given)) throw new ValidationFailure('client_token must be 1 to 64 printable ASCII characters');
  return given;
}

/** Instances of every page of DescribeInstances, with their reservation's owner. */
export async function describeInstances(s: AwsSession, input: { InstanceIds?: string[]; Filters?: Ec2Filter[] }): Promise<Instance[]> {
  const client = s.ec2();
  const byIds = input.InstanceIds !== undefined && input.InstanceIds.length > 0;
  const reservations = await s.pages(
    (o) => paginateDescribeInstances({ client, stopOnSameToken: true, ...(byIds ? {} : { pageSize: PAGE.instances }) }, { ...input }, o),
    (page) => page.Reservations,
  );
  return reservations.flatMap((r) => (r.Instances ?? []).map((i) => toInstance(i, r.OwnerId)));
}

/** One availability zone; an unknown zone name is "invalid" (400) to EC2, and not found to us. */
async function showRealm(s: AwsSession, id: string): Promise<Realm | undefined> {
  return orUndefined(async () => {
    const out = await s.call((o) => s.ec2().send(new DescribeAvailabilityZonesCommand({ ZoneNames: [id] }), o));
    const zone = out.AvailabilityZones?.find((z) => z.ZoneName === id);
    return zone && toRealm(zone);
  }).catch((e: unknown) => {
    if (errorStatus(e) === 400) return undefined;
    throw e;
  });
}

export function computeOperations(deps: Deps): Ops {
  /**
   * Instance types per (provider, whole credential), cached: they change
   * rarely and lists are long. The whole credential, so that only a caller
   * the provider accepted once is answered from the cache.
   */
  const typeCache = new Map<string, { at: number; types: Promise<Map<string, InstanceTypeInfo>> }>();
  const typeKey = (s: AwsSession) => `${s.provider.name}|${credentialKey(s.creds)}`;

  function allTypes(s: AwsSession): Promise<Map<string, InstanceTypeInfo>> {
    const key = typeKey(s);
    const hit = typeCache.get(key);
    if (hit && Date.now() - hit.at < deps.options.instanceTypeCacheMs) return hit.types;
    const client = s.ec2();
    const types = s.pages(
      (o) => paginateDescribeInstanceTypes({ client, pageSize: PAGE.instanceTypes, stopOnSameToken: true }, {}, o),
      (page) => page.InstanceTypes,
    ).then((list) => new Map(list.map((t) => [t.InstanceType ?? '', t])));
    typeCache.set(key, { at: Date.now(), types });
    types.catch(() => typeCache.delete(key));
    if (typeCache.size > 256) typeCache.delete(typeCache.keys().next().value!);
    return types;
  }

  async function oneType(s: AwsSession, id: string): Promise<InstanceTypeInfo | undefined> {
    const key = typeKey(s);
    const hit = typeCache.get(key);
    if (hit && Date.now() - hit.at < deps.options.instanceTypeCacheMs) {
      try {
        return (await hit.types).get(id);
      } catch {
        // fall through to a direct look-up
      }
    }
    return orUndefined(async () => {
      const out = await s.call((o) => s.ec2().send(new DescribeInstanceTypesCommand({ InstanceTypes: [id as _InstanceType] }), o));
      return out.InstanceTypes?.find((t) => t.InstanceType === id);
    }).catch((e: unknown) => {
      // An unknown type name is an invalid parameter to EC2: for a show it means "no such profile".
      if (errorStatus(e) === 400) return undefined;
      throw e;
    });
  }

  /**
   * The instance types images are matched against for their compatible
   * profiles; none (and images without profiles) when the credentials may
   * describe images but not instance types.
   */
  async function typesForImages(s: AwsSession): Promise<InstanceTypeInfo[] | undefined> {
    try {
      return [...(await allTypes(s)).values()];
    } catch (e) {
      if (errorStatus(e) === 403) return undefined;
      throw e;
    }
  }

  async function describeImage(s: AwsSession, id: string): Promise<Image | undefined> {
    const image = await orUndefined(async () => {
      const out = await s.call((o) => s.ec2().send(new DescribeImagesCommand({ ImageIds: [id] }), o));
      return out.Images?.find((i) => i.ImageId === id);
    });
    return image && toImage(image, await typesForImages(s));
  }

  async function describeInstance(s: AwsSession, id: string): Promise<Instance | undefined> {
    return orUndefined(async () => (await describeInstances(s, { InstanceIds: [id] })).find((i) => i.id === id));
  }

  async function afterAction(s: AwsSession, id: string): Promise<Instance> {
    const instance = await describeInstance(s, id);
    if (!instance) throw new NotFound();
    return instance;
  }

  /** Launch parameters that depend on the chosen profile's overrides (hwp_cpu, hwp_storage, …). */
  async function profileParameters(s: AwsSession, req: InstanceCreate): Promise<Partial<RunInstancesCommandInput>> {
    const overrides = req.profileOverrides;
    if (Object.keys(overrides).length === 0) return {};
    const typeId = req.hardwareProfileId;
    if (!typeId) throw new ValidationFailure('hwp_* values need hwp_id (the instance type)');
    const info = await oneType(s, typeId);
    if (!info) throw new ValidationFailure(`Hardware profile '${typeId}' does not exists.`);
    const profile = toHardwareProfile(info);
    const extra: Partial<RunInstancesCommandInput> = {};
    for (const [name, value] of Object.entries(overrides)) {
      if (!profileAdmits(profile, name, value)) throw new ValidationFailure(`Hardware profile '${typeId}' does not offer ${name} = ${value}`);
    }
    if (overrides.cpu !== undefined) {
      const cpu = cpuOptionsFor(info, Number(overrides.cpu));
      if (cpu) extra.CpuOptions = cpu;
    }
    const storage = profile.properties.find((p) => p.name === 'storage');
    if (overrides.storage !== undefined && storage?.kind === 'range') {
      const out = await s.call((o) => s.ec2().send(new DescribeImagesCommand({ ImageIds: [req.imageId] }), o));
      const root = out.Images?.[0]?.RootDeviceName;
      if (!root) throw new ValidationFailure(`Image '${req.imageId}' has no root device to size`);
      extra.BlockDeviceMappings = [{ DeviceName: root, Ebs: { VolumeSize: Number(overrides.storage) } }];
    }
    return extra;
  }

  return {
    realms: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      if (id) {
        const realm = await showRealm(s, id);
        return realm ? [realm] : [];
      }
      const out = await s.call((o) => s.ec2().send(new DescribeAvailabilityZonesCommand({}), o));
      return (out.AvailabilityZones ?? []).map(toRealm);
    },
    realm: async (ctx, id) => showRealm(deps.session(ctx), id),

    hardware_profiles: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      if (id) {
        const info = await oneType(s, id);
        return info ? [toHardwareProfile(info)] : [];
      }
      return [...(await allTypes(s)).values()].map(toHardwareProfile).sort((a, b) => a.id.localeCompare(b.id));
    },
    hardware_profile: async (ctx, id) => {
      const info = await oneType(deps.session(ctx), id);
      return info && toHardwareProfile(info);
    },

    images: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      if (id) {
        const image = await describeImage(s, id);
        return image ? [image] : [];
      }
      const owner = filterValue(filter, 'owner_id');
      const architecture = filterValue(filter, 'architecture');
      // The original listed Amazon's images by default; all public images would be hundreds of thousands.
      const owners = owner ? [owner] : s.provider.custom ? (s.provider.custom.imageOwners ?? []) : deps.options.imageOwners;
      const Filters: Ec2Filter[] = [{ Name: 'image-type', Values: ['machine'] }];
      if (architecture) Filters.push({ Name: 'architecture', Values: [architecture] });
      const client = s.ec2();
      const images = await s.pages(
        (o) => paginateDescribeImages({ client, pageSize: PAGE.images, stopOnSameToken: true }, { ...(owners.length ? { Owners: owners } : {}), Filters }, o),
        (page) => page.Images,
      );
      const types = images.length > 0 ? await typesForImages(s) : undefined;
      return images.map((i) => toImage(i, types)).sort((a, b) => (a.ownerId ?? '').localeCompare(b.ownerId ?? '') || (a.name ?? '').localeCompare(b.name ?? ''));
    },
    image: async (ctx, id) => describeImage(deps.session(ctx), id),
    create_image: async (ctx, { instanceId, name, description }) => {
      const s = deps.session(ctx);
      const imageName = name && name !== '' ? name : `${instanceId}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      const out = await s.call((o) => s.ec2().send(new CreateImageCommand({
        InstanceId: instanceId, Name: imageName, ...(description ? { Description: description } : {}),
      }), o));
      const id = out.ImageId!;
      return (await describeImage(s, id)) ?? { id, name: imageName, description, state: 'PENDING', rootType: 'persistent' };
    },
    destroy_image: async (ctx, id) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new DeregisterImageCommand({ ImageId: id }), o));
    },

    instances: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      const state = filterValue(filter, 'state');
      const realm = filterValue(filter, 'realm_id');
      const Filters: Ec2Filter[] = [];
      if (state) Filters.push({ Name: 'instance-state-name', Values: ec2StatesFor(state) });
      if (realm) Filters.push({ Name: 'availability-zone', Values: [realm] });
      return orEmpty(() => describeInstances(s, { ...(id ? { InstanceIds: [id] } : {}), ...(Filters.length ? { Filters } : {}) }));
    },
    instance: async (ctx, id) => describeInstance(deps.session(ctx), id),
    create_instance: async (ctx, req) => {
      const s = deps.session(ctx);
      const count = req.instanceCount ?? 1;
      const [zone, subnet] = (req.realmId ?? '').split(':');
      const groupIds = req.firewallIds.filter((f) => f.startsWith('sg-'));
      const groupNames = req.firewallIds.filter((f) => !f.startsWith('sg-'));
      const blockDevices: BlockDeviceMapping[] = [];
      const snapshotId = req.params.snapshot_id;
      if (snapshotId) {
        const device = req.params.device_name;
        if (!device) throw new ValidationFailure('attach_snapshot needs device_name with snapshot_id');
        blockDevices.push({ DeviceName: device, Ebs: { SnapshotId: snapshotId, DeleteOnTermination: true } });
      }
      const profile = await profileParameters(s, req);
      const input: RunInstancesCommandInput = {
        ImageId: req.imageId,
        MinCount: count,
        MaxCount: count,
        ...(req.hardwareProfileId ? { InstanceType: req.hardwareProfileId as _InstanceType } : {}),
        ...(req.keyname ? { KeyName: req.keyname } : {}),
        ...(req.userData ? { UserData: req.userData.toString('base64') } : {}),
        ...(zone ? { Placement: { AvailabilityZone: zone } } : {}),
        ...(subnet ? { SubnetId: subnet } : {}),
        ...(groupIds.length ? { SecurityGroupIds: groupIds } : {}),
        ...(groupNames.length ? { SecurityGroups: groupNames } : {}),
        ...(req.metrics ? { Monitoring: { Enabled: true } } : {}),
        ...(req.name ? { TagSpecifications: tagSpecifications('instance', { Name: req.name }) } : {}),
        ...profile,
        // One token per create request, sent unchanged by every SDK retry: a retried
        // launch returns the first launch's instances instead of starting new ones.
        ClientToken: clientTokenFor(req.params, headerOf(ctx, IDEMPOTENCY_HEADER)),
      };
      if (blockDevices.length) input.BlockDeviceMappings = [...(input.BlockDeviceMappings ?? []), ...blockDevices];
      const out = await s.call((o) => s.ec2().send(new RunInstancesCommand(input), o));
      const created = (out.Instances ?? []).map((i) => toInstance(i, out.OwnerId));
      if (req.loadBalancerId && created.length > 0) {
        await s.call((o) => s.elb().send(new RegisterInstancesWithLoadBalancerCommand({
          LoadBalancerName: req.loadBalancerId, Instances: created.map((i) => ({ InstanceId: i.id })),
        }), o));
      }
      return created;
    },
    start_instance: async (ctx, id) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new StartInstancesCommand({ InstanceIds: [id] }), o));
      return afterAction(s, id);
    },
    stop_instance: async (ctx, id) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new StopInstancesCommand({ InstanceIds: [id] }), o));
      return afterAction(s, id);
    },
    reboot_instance: async (ctx, id) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new RebootInstancesCommand({ InstanceIds: [id] }), o));
      return afterAction(s, id);
    },
    destroy_instance: async (ctx, id) => {
      const s = deps.session(ctx);
      await s.call((o) => s.ec2().send(new TerminateInstancesCommand({ InstanceIds: [id] }), o));
    },

    keys: async (ctx, filter) => {
      const s = deps.session(ctx);
      const id = filterValue(filter, 'id');
      return orEmpty(async () => {
        const out = await s.call((o) => s.ec2().send(new DescribeKeyPairsCommand(id ? { KeyNames: [id] } : {}), o));
        return (out.KeyPairs ?? []).map(toKey).filter((k) => !id || k.id === id);
      });
    },
    key: async (ctx, id) => {
      const s = deps.session(ctx);
      return orUndefined(async () => {
        const out = await s.call((o) => s.ec2().send(new DescribeKeyPairsCommand({ KeyNames: [id] }), o));
        const key = out.KeyPairs?.find((k) => k.KeyName === id);
        return key && toKey(key);
      });
    },
    create_key: async (ctx, { name, publicKey }) => {
      const s = deps.session(ctx);
      if (publicKey) {
        const out = await s.call((o) => s.ec2().send(new ImportKeyPairCommand({
          KeyName: name, PublicKeyMaterial: Buffer.from(publicKey.trim(), 'utf8'),
        }), o));
        return toKey({ KeyName: out.KeyName ?? name, KeyFingerprint: out.KeyFingerprint });
      }
      const out = await s.call((o) => s.ec2().send(new CreateKeyPairCommand({ KeyName: name }), o));
      return toKey({ KeyName: out.KeyName ?? name, KeyFingerprint: out.KeyFingerprint, KeyMaterial: out.KeyMaterial });
    },
    destroy_key: async (ctx, id) => {
      const s = deps.session(ctx);
      // DeleteKeyPair succeeds for unknown names; look first so a typo answers 404.
      await s.call((o) => s.ec2().send(new DescribeKeyPairsCommand({ KeyNames: [id] }), o));
      await s.call((o) => s.ec2().send(new DeleteKeyPairCommand({ KeyName: id }), o));
    },
  };
}
