// Regions and zones, instance types, images, instances and key pairs:
// realms → availability zones, hardware profiles → instance types,
// images → AMIs, keys → key pairs.
import type { Filter as CoreFilter, InstanceCreate } from '../../../core/driver.js';
import { INSTANCE_ACTION_CAPABILITY } from '../../../core/kit/capabilities.js';
import type { Image, Instance, InstanceAction, Key } from '../../../core/model.js';
import { textEl } from '../../deltacloud/xml.js';
import { Ec2Error, invalidValue, missingParameter } from '../errors.js';
import { derivedReservation, type Placement } from '../memory.js';
import { applyFilters, filters, nameTag, integer, list, optional, paginate, required, tagSpecification } from '../params.js';
import {
  imageItem, imageState, instanceItem, instanceState, instanceTypeItem, itemSet, keyPairItem, opt, profileValue, regionItem,
  reservationChildren, returnTrue, SHUTTING_DOWN, stateChangeItem, TERMINATED, zoneItem, type InstanceState,
} from '../xml.js';
import {
  call, canLookUp, findOne, findRequired, listAll, notFound, selectIds, type Action, type ActionRequest, type Child,
} from './common.js';
import { errorStatus } from '../../../core/guards.js';
import { coreFilterOf, IMAGE_EQUIVALENTS, INSTANCE_EQUIVALENTS, INSTANCE_TYPE_EQUIVALENTS, ZONE_EQUIVALENTS } from '../pushdown.js';

// --- regions, zones, instance types ------------------------------------------------

const DescribeRegions: Action = {
  needs: [],
  async run(req) {
    const unknown = list(req.params, 'RegionName').filter((r) => r !== req.region);
    if (unknown.length > 0) throw invalidValue(`Invalid region: ${unknown.join(', ')}`);
    const regions = applyFilters([req.region], filters(req.params), { 'region-name': (r) => r, endpoint: () => req.endpoint });
    return [itemSet('regionInfo', regions.map((r) => regionItem(r, req.endpoint)))];
  },
};

const DescribeAvailabilityZones: Action = {
  needs: ['realms'],
  async run(req) {
    const names = [...list(req.params, 'ZoneName'), ...list(req.params, 'ZoneId')];
    const realms = await listAll(req, 'realms', coreFilterOf(filters(req.params), names, ZONE_EQUIVALENTS));
    const selected = selectIds(realms, names, (r) => r.id, (ids) => invalidValue(`The zone '${ids.join(', ')}' does not exist in region ${req.region}`));
    const zones = applyFilters(selected, filters(req.params), {
      'zone-name': (r) => r.id, 'zone-id': (r) => r.id, 'region-name': () => req.region, 'zone-type': () => 'availability-zone',
      state: (r) => (r.state === undefined || r.state.toUpperCase() === 'AVAILABLE' ? 'available' : 'unavailable'),
    });
    return [itemSet('availabilityZoneInfo', zones.map((z) => zoneItem(z, req.region)))];
  },
};

const DescribeInstanceTypes: Action = {
  needs: ['hardware_profiles'],
  async run(req) {
    const types = list(req.params, 'InstanceType');
    const profiles = await listAll(req, 'hardware_profiles', coreFilterOf(filters(req.params), types, INSTANCE_TYPE_EQUIVALENTS));
    const selected = selectIds(profiles, types, (p) => p.id,
      (ids) => new Ec2Error('InvalidInstanceType', `The following supplied instance types do not exist: [${ids.join(', ')}]`));
    const matching = applyFilters(selected, filters(req.params), {
      'instance-type': (p) => p.id,
      'processor-info.supported-architecture': (p) => profileValue(p, 'architecture')?.toString(),
      'vcpu-info.default-vcpus': (p) => profileValue(p, 'cpu'),
      'memory-info.size-in-mib': (p) => profileValue(p, 'memory'),
    });
    const { page, nextToken } = paginate(matching, req.params, req.action);
    return [itemSet('instanceTypeSet', page.map(instanceTypeItem)), opt('nextToken', nextToken)];
  },
};

// --- images ------------------------------------------------------------------------

const imageNotFound = (ids: string[]) => notFound('InvalidAMIID.NotFound', 'image id', ids);

const DescribeImages: Action = {
  needs: ['images'],
  async run(req) {
    const user = req.account.backend?.user;
    const ids = list(req.params, 'ImageId');
    const images = selectIds(await listAll(req, 'images', coreFilterOf(filters(req.params), ids, IMAGE_EQUIVALENTS)), ids, (i) => i.id, imageNotFound);
    const owners = list(req.params, 'Owner').map((o) => (o === 'self' ? user : o));
    const owned = owners.length === 0 ? images : images.filter((i) => owners.includes(i.ownerId));
    const matching = applyFilters(owned, filters(req.params), {
      'image-id': (i) => i.id, name: (i) => i.name, description: (i) => i.description, 'owner-id': (i) => i.ownerId,
      architecture: (i) => i.architecture, state: (i) => imageState(i.state), 'image-type': () => 'machine',
      'is-public': (i) => String(i.ownerId !== undefined && i.ownerId !== user),
    });
    const { page, nextToken } = paginate(matching, req.params, req.action);
    return [itemSet('imagesSet', page.map((i) => imageItem(i, user))), opt('nextToken', nextToken)];
  },
};

const CreateImage: Action = {
  needs: ['create_image'],
  errors: { notFound: 'InvalidInstanceID.NotFound' },
  async run(req) {
    const instanceId = required(req.params, 'InstanceId');
    const name = required(req.params, 'Name');
    if (canLookUp(req, 'instances')) await findRequired(req, 'instances', instanceId, 'InvalidInstanceID.NotFound', 'instance ID');
    const image: Image = await call(req.driver, 'create_image', req.ctx, { instanceId, name, description: optional(req.params, 'Description') });
    return [textEl('imageId', image.id)];
  },
};

const DeregisterImage: Action = {
  needs: ['destroy_image'],
  errors: { notFound: 'InvalidAMIID.NotFound' },
  async run(req) {
    const id = required(req.params, 'ImageId');
    if (canLookUp(req, 'images') && !(await findOne(req, 'images', id))) throw imageNotFound([id]);
    await call(req.driver, 'destroy_image', req.ctx, id);
    return [returnTrue()];
  },
};

// --- instances -----------------------------------------------------------------------

const instanceNotFound = (ids: string[]) => notFound('InvalidInstanceID.NotFound', 'instance ID', ids);

/** Security group names for the groups instances are in (ids stand in when groups cannot be listed). */
async function groupNames(req: ActionRequest, instances: Instance[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (!instances.some((i) => i.firewallIds?.length) || typeof req.driver.firewalls !== 'function') return names;
  for (const f of await listAll(req, 'firewalls')) names.set(f.id, f.name ?? f.id);
  return names;
}

/** Where each instance was launched: remembered for terminated ones, else from the reservations. */
async function placementsOf(req: ActionRequest, instances: Instance[]): Promise<(i: Instance) => Placement> {
  const placements = await req.reservations.of(req.backendScope, instances.map((i) => i.id));
  if (instances.some(isTerminated)) {
    const gone = new Map((await req.terminated.list(req.backendScope)).map((t) => [t.instance.id, t.placement]));
    for (const i of instances) {
      const placement = isTerminated(i) ? gone.get(i.id) : undefined;
      if (placement) placements.set(i.id, placement);
    }
  }
  return (i) => placements.get(i.id) ?? { reservationId: derivedReservation(req.backendScope, i.id), launchIndex: 0 };
}

/** Instances grouped by reservation, in first-seen order. */
async function reservationItems(req: ActionRequest, instances: Instance[], placementOf?: (i: Instance) => Placement): Promise<Array<Child[]>> {
  const names = await groupNames(req, instances);
  const placement = placementOf ?? await placementsOf(req, instances);
  const groups = new Map<string, Instance[]>();
  for (const i of instances) {
    const { reservationId } = placement(i);
    groups.set(reservationId, [...(groups.get(reservationId) ?? []), i]);
  }
  return [...groups].map(([reservationId, members]) => reservationChildren(reservationId, members[0]!.ownerId,
    members.map((i) => instanceItem(i, { placement: placement(i), groupNames: names }))));
}

const isTerminated = (i: Instance) => instanceState(i.state) === TERMINATED;

/** The back end's instances, then those terminated lately that it no longer lists (as AWS shows them for an hour). */
async function visibleInstances(req: ActionRequest, filter: CoreFilter): Promise<Instance[]> {
  const live = await listAll(req, 'instances', filter);
  const liveIds = new Set(live.map((i) => i.id));
  return [...live, ...(await req.terminated.list(req.backendScope)).map((t) => t.instance).filter((i) => !liveIds.has(i.id))];
}

const DescribeInstances: Action = {
  needs: ['instances'],
  async run(req) {
    const ids = list(req.params, 'InstanceId');
    if (ids.length > 0 && optional(req.params, 'MaxResults') !== undefined) {
      throw new Ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    const instances = selectIds(await visibleInstances(req, coreFilterOf(filters(req.params), ids, INSTANCE_EQUIVALENTS)), ids, (i) => i.id, instanceNotFound);
    const placement = await placementsOf(req, instances);
    const matching = applyFilters(instances, filters(req.params), {
      'instance-id': (i) => i.id,
      'instance-state-name': (i) => instanceState(i.state).name,
      'instance-state-code': (i) => instanceState(i.state).code,
      'instance-type': (i) => i.hardwareProfileId,
      'image-id': (i) => i.imageId,
      'availability-zone': (i) => i.realmId,
      'key-name': (i) => i.keyname,
      'owner-id': (i) => i.ownerId,
      'reservation-id': (i) => placement(i).reservationId,
      'client-token': (i) => placement(i).clientToken,
      'dns-name': (i) => i.publicAddresses.filter((a) => a.type === 'hostname').map((a) => a.address),
      'private-dns-name': (i) => i.privateAddresses.filter((a) => a.type === 'hostname').map((a) => a.address),
      'ip-address': (i) => i.publicAddresses.filter((a) => a.type === 'ipv4').map((a) => a.address),
      'private-ip-address': (i) => i.privateAddresses.filter((a) => a.type === 'ipv4').map((a) => a.address),
      'instance.group-id': (i) => i.firewallIds ?? [],
      'block-device-mapping.volume-id': (i) => i.storageVolumes.map((v) => v.id),
    }, (i) => nameTag(i.name));
    const { page, nextToken } = paginate(matching, req.params, req.action);
    return [itemSet('reservationSet', await reservationItems(req, page, placement)), opt('nextToken', nextToken)];
  },
};

function decodeUserData(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value.replace(/\s/g, ''))) throw invalidValue('Invalid BASE64 encoding of user data.');
  return Buffer.from(value, 'base64');
}

/** Security groups from `SecurityGroupId.N` and, by name, `SecurityGroup.N`. */
async function securityGroupIds(req: ActionRequest): Promise<string[]> {
  const ids = list(req.params, 'SecurityGroupId');
  const names = list(req.params, 'SecurityGroup');
  if (ids.length === 0 && names.length === 0) return [];
  const groups = await listAll(req, 'firewalls');
  selectIds(groups, ids, (g) => g.id, (missing) => notFound('InvalidGroup.NotFound', 'security group', missing));
  const named = selectIds(groups, names, (g) => g.name ?? g.id, (missing) => notFound('InvalidGroup.NotFound', 'security group', missing));
  return [...new Set([...ids, ...named.map((g) => g.id)])];
}

/** Checks what AWS checks before launching, where the driver can tell. */
async function checkLaunchReferences(req: ActionRequest, create: InstanceCreate): Promise<void> {
  if (canLookUp(req, 'images') && !(await findOne(req, 'images', create.imageId))) throw imageNotFound([create.imageId]);
  if (create.keyname !== undefined && canLookUp(req, 'keys') && !(await findOne(req, 'keys', create.keyname))) {
    throw notFound('InvalidKeyPair.NotFound', 'key pair', [create.keyname]);
  }
  if (create.realmId !== undefined && canLookUp(req, 'realms') && !(await findOne(req, 'realms', create.realmId))) {
    throw invalidValue(`Invalid availability zone: [${create.realmId}]`);
  }
  if (create.hardwareProfileId !== undefined && canLookUp(req, 'hardware_profiles')
    && !(await findOne(req, 'hardware_profiles', create.hardwareProfileId))) {
    throw invalidValue(`Invalid value '${create.hardwareProfileId}' for InstanceType.`);
  }
}

const RunInstances: Action = {
  needs: ['create_instance'],
  async run(req) {
    const p = req.params;
    const imageId = required(p, 'ImageId');
    const minCount = integer(p, 'MinCount', 1, 1000) ?? 1;
    const maxCount = integer(p, 'MaxCount', 1, 1000) ?? minCount;
    if (minCount > maxCount) throw invalidValue('MinCount must be less than or equal to MaxCount');
    const clientToken = optional(p, 'ClientToken');
    return req.clientTokens.once(`${req.account.accessKeyId}\nRunInstances`, clientToken, p, async () => {
      const create: InstanceCreate = {
        imageId,
        realmId: optional(p, 'Placement.AvailabilityZone'),
        hardwareProfileId: optional(p, 'InstanceType'),
        profileOverrides: {},
        // Only the Name tag has a place in the model.
        name: tagSpecification(p, 'instance').Name,
        keyname: optional(p, 'KeyName'),
        userData: decodeUserData(optional(p, 'UserData')),
        firewallIds: await securityGroupIds(req),
        instanceCount: maxCount,
        params: {},
      };
      await checkLaunchReferences(req, create);
      // A driver may launch fewer than asked per call (the mock launches one): ask again for the rest.
      const created: Instance[] = [];
      while (created.length < maxCount) {
        const batch = await call(req.driver, 'create_instance', req.ctx, { ...create, instanceCount: maxCount - created.length });
        if (batch.length === 0) break;
        created.push(...batch);
      }
      if (created.length < minCount) {
        throw new Ec2Error('InsufficientInstanceCapacity', `Only ${created.length} of the minimum ${minCount} instances could be launched`, 500);
      }
      await req.reservations.record(req.backendScope, created.map((i) => i.id), clientToken);
      // Launched together, the instances are one reservation.
      return (await reservationItems(req, created))[0]!;
    });
  },
};

// Start, stop, reboot and terminate check every instance before changing any.

/** Actions the instance allows now; undefined when the driver cannot say (then the driver decides). */
function allowedActions(req: ActionRequest, i: Instance): InstanceAction[] | undefined {
  return i.actions ?? req.driver.declaration.stateMachine?.actionsFor(i.state);
}

/** The instances of `InstanceId.N`, also those terminated lately (in state FINISH, allowing no action). */
async function instancesNamed(req: ActionRequest): Promise<Instance[]> {
  const ids = list(req.params, 'InstanceId');
  if (ids.length === 0) throw missingParameter('InstanceId');
  const found = await Promise.all(ids.map(async (id) => (await findOne(req, 'instances', id)) ?? (await req.terminated.get(req.backendScope, id))?.instance));
  const missing = ids.filter((_, n) => found[n] === undefined);
  if (missing.length > 0) throw instanceNotFound(missing);
  return found as Instance[];
}

const incorrectState = (i: Instance, verb: string) =>
  new Ec2Error('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be ${verb}.`);

function stateChangeAction(action: 'start' | 'stop', verb: string, target: string): Action {
  return {
    needs: [INSTANCE_ACTION_CAPABILITY[action]],
    errors: { notFound: 'InvalidInstanceID.NotFound', conflict: 'IncorrectInstanceState' },
    async run(req) {
      const instances = await instancesNamed(req);
      // Already there is success, as on AWS; otherwise the state machine must allow the action.
      const todo = instances.filter((i) => instanceState(i.state).name !== target);
      for (const i of todo) if (allowedActions(req, i)?.includes(action) === false) throw incorrectState(i, verb);
      const items: Array<Child[]> = [];
      for (const i of instances) {
        const previous = instanceState(i.state);
        const after = todo.includes(i) ? await call(req.driver, INSTANCE_ACTION_CAPABILITY[action], req.ctx, i.id) : i;
        items.push(stateChangeItem(i.id, previous, instanceState(after.state)));
      }
      return [itemSet('instancesSet', items)];
    },
  };
}

const RebootInstances: Action = {
  needs: ['reboot_instance'],
  errors: { notFound: 'InvalidInstanceID.NotFound', conflict: 'IncorrectInstanceState' },
  async run(req) {
    const instances = await instancesNamed(req);
    for (const i of instances) if (allowedActions(req, i)?.includes('reboot') === false) throw incorrectState(i, 'rebooted');
    for (const i of instances) await call(req.driver, 'reboot_instance', req.ctx, i.id);
    return [returnTrue()];
  },
};

/**
 * EC2 terminates running instances; Deltacloud life cycles often destroy
 * only stopped ones (the mock's does). Then the instance is stopped first.
 * An instance already terminated stays so (success, as on AWS). Terminated
 * instances are remembered, so DescribeInstances shows them for a while.
 */
const TerminateInstances: Action = {
  needs: ['destroy_instance'],
  errors: { notFound: 'InvalidInstanceID.NotFound', conflict: 'IncorrectInstanceState' },
  async run(req) {
    const instances = await instancesNamed(req);
    const stopFirst = new Set<Instance>();
    for (const i of instances) {
      if (isTerminated(i)) continue;
      const allowed = allowedActions(req, i);
      if (allowed === undefined || allowed.includes('destroy')) continue;
      if (!allowed.includes('stop') || typeof req.driver.stop_instance !== 'function') throw incorrectState(i, 'terminated');
      stopFirst.add(i);
    }
    const items: Array<Child[]> = [];
    for (const i of instances) {
      const previous = instanceState(i.state);
      if (previous === TERMINATED) {
        items.push(stateChangeItem(i.id, previous, previous));
        continue;
      }
      if (stopFirst.has(i)) {
        const stopped = await call(req.driver, 'stop_instance', req.ctx, i.id);
        if (allowedActions(req, stopped)?.includes('destroy') === false) throw incorrectState(stopped, 'terminated');
      }
      await call(req.driver, 'destroy_instance', req.ctx, i.id);
      await req.terminated.record(req.backendScope, i, (await placementsOf(req, [i]))(i));
      const after = await findOne(req, 'instances', i.id);
      const current: InstanceState = after === undefined ? TERMINATED : instanceState(after.state);
      items.push(stateChangeItem(i.id, previous, current === TERMINATED ? current : SHUTTING_DOWN));
    }
    return [itemSet('instancesSet', items)];
  },
};

// --- key pairs -----------------------------------------------------------------------

const keyNotFound = (ids: string[]) => notFound('InvalidKeyPair.NotFound', 'key pair', ids);
const duplicateKey = (name: string) => new Ec2Error('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);

async function createKey(req: ActionRequest, publicKey?: string): Promise<Key> {
  const name = required(req.params, 'KeyName');
  if (canLookUp(req, 'keys') && (await findOne(req, 'keys', name))) throw duplicateKey(name);
  return call(req.driver, 'create_key', req.ctx, { name, publicKey });
}

const CreateKeyPair: Action = {
  needs: ['create_key'],
  errors: { conflict: 'InvalidKeyPair.Duplicate' },
  async run(req) {
    const key = await createKey(req);
    return [textEl('keyName', key.name ?? key.id), opt('keyFingerprint', key.fingerprint), opt('keyMaterial', key.pem), textEl('keyPairId', key.id)];
  },
};

const ImportKeyPair: Action = {
  needs: ['create_key'],
  errors: { conflict: 'InvalidKeyPair.Duplicate' },
  async run(req) {
    // The SDKs and the CLI send the key base64-encoded (it is a blob).
    const material = Buffer.from(required(req.params, 'PublicKeyMaterial'), 'base64').toString('utf8').trim();
    if (!/^(ssh-|ecdsa-)\S+ \S+/.test(material)) throw invalidValue('Key is not in valid OpenSSH public key format');
    const key = await createKey(req, material);
    return [opt('keyFingerprint', key.fingerprint), textEl('keyName', key.name ?? key.id), textEl('keyPairId', key.id)];
  },
};

const DescribeKeyPairs: Action = {
  needs: ['keys'],
  async run(req) {
    const keys = (await listAll(req, 'keys')).filter((k) => k.credentialType === 'key');
    const named = selectIds(keys, list(req.params, 'KeyName'), (k) => k.name ?? k.id, keyNotFound);
    const selected = selectIds(named, list(req.params, 'KeyPairId'), (k) => k.id, keyNotFound);
    const matching = applyFilters(selected, filters(req.params), {
      'key-name': (k) => k.name ?? k.id, 'key-pair-id': (k) => k.id, fingerprint: (k) => k.fingerprint,
    });
    return [itemSet('keySet', matching.map(keyPairItem))];
  },
};

const DeleteKeyPair: Action = {
  needs: ['destroy_key'],
  async run(req) {
    const id = optional(req.params, 'KeyPairId') ?? optional(req.params, 'KeyName');
    if (id === undefined) throw missingParameter('KeyName');
    // AWS answers success for a key that does not exist; clients rely on that to clean up.
    if (!canLookUp(req, 'keys') || (await findOne(req, 'keys', id))) {
      try {
        await call(req.driver, 'destroy_key', req.ctx, id);
      } catch (e) {
        if (errorStatus(e) !== 404) throw e;
      }
    }
    return [returnTrue()];
  },
};

export const computeActions: Record<string, Action> = {
  DescribeRegions, DescribeAvailabilityZones, DescribeInstanceTypes,
  DescribeImages, CreateImage, DeregisterImage,
  DescribeInstances, RunInstances,
  StartInstances: stateChangeAction('start', 'started', 'running'),
  StopInstances: stateChangeAction('stop', 'stopped', 'stopped'),
  RebootInstances, TerminateInstances,
  CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair,
};
