// Instances (mock-driver.md §6.2). New instances start RUNNING at once; the
// front end has already checked existence (403) and allowed actions (405)
// before start/stop/reboot/destroy reach the driver.
import type { Driver, InstanceCreate } from '../../../core/driver.js';
import { NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Instance } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate, HARDWARE_PROFILE_IDS } from '../catalog.js';
import { countedId } from '../ids.js';
import { toInstance, type InstanceRecord } from '../records.js';
import type { MockStore } from '../store.js';
import { unixNow } from '../util.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver,
  'instances' | 'instance' | 'create_instance' | 'start_instance' | 'stop_instance' | 'reboot_instance'
  | 'destroy_instance' | 'run_on_instance'>;

/** The properties a client may override, in the order instances render them. */
const OVERRIDABLE = ['memory', 'storage', 'architecture', 'cpu'] as const;

/**
 * `inst<N>` above every id issued before (after the seed: `inst4`). The
 * original reused a destroyed instance's id; EC2 clients still see a
 * terminated instance for an hour by its id, so ids are never reused.
 */
function nextInstanceId(store: MockStore): string {
  const highest = store.ids('instances').reduce((max, id) => (/^inst\d+$/.test(id) ? Math.max(max, Number(id.slice(4))) : max), -1);
  return countedId(store, 'instances', highest + 1, (n) => `inst${n}`, (id) => store.has('instances', id));
}

/** `initial_state=STARTED` means RUNNING; any other value is taken verbatim (CIMI leftovers). */
function initialState(params: Record<string, string>): string {
  const requested = params.initial_state;
  return requested === undefined || requested === 'STARTED' ? 'RUNNING' : requested;
}

function profileOverrides(req: InstanceCreate): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const prop of OVERRIDABLE) {
    const value = req.profileOverrides[prop] ?? req.params[`hwp_${prop}`];
    if (value !== undefined) overrides[prop] = value; // not validated against the profile (original)
  }
  return overrides;
}

function createInstance(store: MockStore, user: string, req: InstanceCreate): Promise<Instance> {
  const hardwareProfileId = req.hardwareProfileId ?? 'm1-small';
  if (!HARDWARE_PROFILE_IDS.includes(hardwareProfileId)) {
    throw new ValidationFailure(`Hardware profile '${hardwareProfileId}' does not exists.`);
  }
  const overrides = profileOverrides(req);
  const state = initialState(req.params);
  return store.write(() => {
    for (const firewallId of req.firewallIds) {
      if (!store.has('firewalls', firewallId)) throw new ValidationFailure(`Firewall '${firewallId}' does not exist`);
    }
    const balancer = req.loadBalancerId === undefined ? undefined : store.get('load_balancers', req.loadBalancerId);
    if (req.loadBalancerId !== undefined && !balancer) {
      throw new ValidationFailure(`Load balancer '${req.loadBalancerId}' does not exist`);
    }
    const id = nextInstanceId(store);
    // image_id and realm_id are not validated (original).
    const record: InstanceRecord = {
      id,
      name: req.name ?? `i-${unixNow()}`,
      ownerId: user,
      imageId: req.imageId,
      realmId: req.realmId ?? 'us',
      state,
      hardwareProfileId,
      profileOverrides: overrides,
      publicAddresses: [{ address: `${req.imageId}.${id}.public.com`, type: 'hostname' }],
      privateAddresses: [{ address: `${req.imageId}.${id}.private.com`, type: 'hostname' }],
      storageVolumes: [],
      canCreateImage: true,
    };
    if (req.keyname !== undefined) record.keyname = req.keyname;
    if (req.userData !== undefined) record.userData = req.userData.toString('base64');
    if (req.firewallIds.length > 0) record.firewallIds = [...new Set(req.firewallIds)];
    store.put('instances', record);
    if (balancer) {
      balancer.instanceIds.push(id);
      store.put('load_balancers', balancer);
    }
    return toInstance(record);
  });
}

function setState(store: MockStore, id: string, state: string): Promise<Instance> {
  return store.write(() => {
    const record = store.get('instances', id);
    if (!record) throw new NotFound();
    record.state = state;
    return toInstance(store.put('instances', record));
  });
}

/** Deletes the instance and its network interfaces; volumes and addresses keep pointing at it (original). */
async function destroyInstance(store: MockStore, id: string): Promise<void> {
  await store.write(() => {
    const record = store.get('instances', id);
    if (!record) throw new NotFound();
    const nicIds = new Set(record.networkInterfaceIds ?? []);
    for (const nic of store.list('network_interfaces')) if (nic.instanceId === id) nicIds.add(nic.id);
    for (const nicId of nicIds) store.delete('network_interfaces', nicId);
    for (const balancer of store.list('load_balancers')) {
      if (!balancer.instanceIds.includes(id)) continue;
      balancer.instanceIds = balancer.instanceIds.filter((i) => i !== id);
      store.put('load_balancers', balancer);
    }
    store.delete('instances', id);
  });
}

/** The user's instances, in id order, filtered (mock-driver.md §6.2). Shared with metrics. */
export function listInstances(store: MockStore, user: string, filter: Record<string, string | undefined>): Instance[] {
  const own = store.list('instances').filter((r) => r.ownerId === user);
  return applyFilters('instances', own.map(toInstance), filter);
}

export function instanceOperations({ store }: MockBackend): Ops {
  return {
    instances: async (ctx, filter) => listInstances(store, authenticate(ctx), filter),
    instance: async (ctx, id) => {
      authenticate(ctx);
      const record = store.get('instances', id); // any owner (original)
      return record && toInstance(record);
    },
    create_instance: async (ctx, req) => [await createInstance(store, authenticate(ctx), req)],
    start_instance: async (ctx, id) => {
      authenticate(ctx);
      return setState(store, id, 'RUNNING');
    },
    reboot_instance: async (ctx, id) => {
      authenticate(ctx);
      return setState(store, id, 'RUNNING');
    },
    stop_instance: async (ctx, id) => {
      authenticate(ctx);
      return setState(store, id, 'STOPPED');
    },
    destroy_instance: async (ctx, id) => {
      authenticate(ctx);
      await destroyInstance(store, id);
    },
    run_on_instance: async (ctx, { id, cmd, ip }) => {
      authenticate(ctx);
      const record = store.get('instances', id);
      if (!record) throw new NotFound();
      return {
        instanceId: id,
        publicAddress: ip ?? record.publicAddresses[0]?.address ?? '',
        command: cmd,
        output: `This is where the output from '${cmd}' would appear if this were not a mock provider`,
      };
    },
  };
}
