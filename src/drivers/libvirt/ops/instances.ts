// Instances = domains. Create: a qcow2 overlay of the image, a cloud-init
// NoCloud seed, a serial log, the domain defined and started. Stop: ACPI
// shutdown, repeated, then forced at the deadline. Destroy: off, undefine,
// and every file the driver made for the domain deleted.
import { rm } from 'node:fs/promises';
import type { Driver, InstanceCreate, RequestContext } from '../../../core/driver.js';
import { Conflict, MethodNotAllowed, NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Instance, InstanceAddress } from '../../../core/model.js';
import { mapLimit, newId, type LibvirtBackend } from '../backend.js';
import { pause, sleep } from '../../../core/kit/time.js';
import { LIBVIRT_STATE_MACHINE } from '../declaration.js';
import {
  domainXml, instanceState, isActive, type DomainInfo, type DomainSpec, type DomainState, type InstanceMeta,
} from '../domain.js';
import type { Libvirt } from '../libvirt.js';
import { defaultProfileId, sizeFrom } from '../profiles.js';
import { buildSeedIso, hostnameFrom, isoTool } from '../seed.js';
import { isKind } from '../virsh.js';
import { esc } from '../xml.js';
import { findImage } from './images.js';

type Ops = Pick<Driver, 'instances' | 'instance' | 'create_instance' | 'start_instance' | 'stop_instance' | 'reboot_instance' | 'destroy_instance'>;

/** A domain name a client may name: anything libvirt accepts except `/` and control characters. */
export function plausibleDomainName(id: string): boolean {
  return id.length > 0 && id.length <= 255 && !/[/\u0000-\u001f]/.test(id);
}

const VOLUME_PATH = /\/(vol-[0-9a-f]{8})\.qcow2$/;

/** What the API shows of a domain. Domains the driver did not create are never offered destroy. */
export function toInstance(info: DomainInfo, state: DomainState, realmId: string, stopping: boolean, addresses: InstanceAddress[] = []): Instance {
  const meta = info.meta;
  const instance: Instance = {
    id: info.name,
    name: info.title ?? info.name,
    imageId: meta?.imageId,
    realmId,
    state: instanceState(state, stopping),
    hardwareProfileId: meta?.hardwareProfileId,
    profileOverrides: meta ? { ...meta.overrides } : undefined,
    launchTime: meta?.created,
    publicAddresses: info.vnc?.port ? [{ address: info.vnc.listen, type: 'vnc', port: info.vnc.port }] : [],
    privateAddresses: addresses,
    storageVolumes: info.disks
      .filter((d) => d.device === 'disk' && d.source !== undefined && VOLUME_PATH.test(d.source))
      .map((d) => ({ id: VOLUME_PATH.exec(d.source!)![1]!, device: `/dev/${d.target}` })),
    keyname: meta?.keyname,
    canCreateImage: meta !== undefined && info.disks.some((d) => d.device === 'disk' && d.target === 'vda'),
  };
  if (!meta) instance.actions = LIBVIRT_STATE_MACHINE.actionsFor(instance.state).filter((a) => a !== 'destroy');
  return instance;
}

async function addressesOf(lv: Libvirt, info: DomainInfo, state: DomainState): Promise<InstanceAddress[]> {
  if (!isActive(state) || !info.interfaces.some((i) => i.type === 'network')) return [];
  const ips = await lv.leaseAddresses(info.name);
  return ips.map((address) => ({ address, type: address.includes(':') ? 'ipv6' as const : 'ipv4' as const }));
}

/** The domain, or undefined when it does not exist or is not the driver's to show. */
export async function listedDomain(backend: LibvirtBackend, lv: Libvirt, id: string): Promise<DomainInfo | undefined> {
  if (!plausibleDomainName(id)) return undefined;
  const info = await lv.domain(id);
  if (!info || (!info.meta && !backend.opts.listAllDomains)) return undefined;
  return info;
}

export async function showInstance(backend: LibvirtBackend, lv: Libvirt, id: string): Promise<Instance | undefined> {
  const info = await listedDomain(backend, lv, id);
  if (!info) return undefined;
  let state: DomainState;
  try {
    state = await lv.domainState(id);
  } catch (e) {
    if (isKind(e, 'no-domain')) return undefined;
    throw e;
  }
  return toInstance(info, state, await backend.realmId(lv), lv.state.stopping.has(id), await addressesOf(lv, info, state));
}

/** Every listed domain as an instance (the driver's own, or all with listAllDomains), in id order. */
export async function listInstances(backend: LibvirtBackend, lv: Libvirt, filter: Record<string, string | undefined>): Promise<Instance[]> {
  const states = await lv.domainStates();
  let names = [...states.keys()].sort();
  if (filter.id !== undefined) names = names.filter((n) => n === filter.id);
  const realmId = await backend.realmId(lv);
  const found = await mapLimit(names, 6, async (name) => {
    const info = await lv.domain(name);
    if (!info || (!info.meta && !backend.opts.listAllDomains)) return undefined;
    const state = states.get(name) ?? 'nostate';
    return toInstance(info, state, realmId, lv.state.stopping.has(name), await addressesOf(lv, info, state));
  });
  return found.filter((i): i is Instance => i !== undefined);
}

async function requireInstance(backend: LibvirtBackend, lv: Libvirt, id: string): Promise<Instance> {
  const instance = await showInstance(backend, lv, id);
  if (!instance) throw new NotFound(`Instance '${id}' not found`);
  return instance;
}

interface Plan {
  image: { id: string; path: string; format: string; capacity: number };
  profileId: string;
  sizing: ReturnType<typeof sizeFrom>;
  keyname?: string;
  publicKeys: string[];
  title?: string;
  userData?: Buffer;
  network: DomainSpec['network'];
  arch: string;
  poolPath: string;
}

async function plan(backend: LibvirtBackend, lv: Libvirt, req: InstanceCreate): Promise<Plan> {
  const { opts } = backend;
  await backend.checkRealm(lv, req.realmId);
  const profiles = await backend.profiles(lv);
  const profileId = req.hardwareProfileId ?? defaultProfileId(profiles);
  const profile = profiles.find((p) => p.id === profileId);
  if (!profile) throw new ValidationFailure(`Hardware profile '${profileId}' does not exists.`);
  const requested: Record<string, string> = { ...req.profileOverrides };
  for (const p of ['cpu', 'memory', 'storage', 'architecture']) {
    const v = req.params[`hwp_${p}`];
    if (requested[p] === undefined && v !== undefined && v !== '') requested[p] = v;
  }
  const sizing = sizeFrom(profile, requested);
  let publicKeys: string[] = [];
  if (req.keyname !== undefined) {
    const key = await backend.keys.key(req.keyname);
    if (!key) throw new ValidationFailure(`Key '${req.keyname}' does not exist`);
    publicKeys = [key.publicKey];
  }
  const title = req.name?.trim() || undefined;
  if (title !== undefined && title.length > 255) throw new ValidationFailure('name must be at most 255 characters');
  const image = await findImage(backend, lv, req.imageId);
  if (!image) throw new ValidationFailure(`Image '${req.imageId}' does not exist`);
  if (sizing.storageGB * 1024 ** 3 < image.volume.capacity) {
    throw new ValidationFailure(`Image '${image.id}' needs at least ${Math.ceil(image.volume.capacity / 1024 ** 3)} GB of storage (hwp_storage)`);
  }
  let network: DomainSpec['network'];
  switch (opts.network.kind) {
    case 'auto': network = await lv.autoNetwork(); break;
    case 'none': network = { type: 'none' }; break;
    case 'user': network = { type: 'user' }; break;
    default: network = { type: opts.network.kind, source: opts.network.name };
  }
  const node = await lv.nodeInfo();
  return {
    image: { id: image.id, path: image.volume.path, format: image.volume.format ?? 'qcow2', capacity: image.volume.capacity },
    profileId,
    sizing,
    keyname: req.keyname,
    publicKeys,
    title,
    userData: req.userData,
    network,
    arch: node.arch,
    poolPath: await lv.poolPath(opts.pool),
  };
}

/** Creates, defines and starts one domain; on failure removes whatever it made. */
async function createOne(backend: LibvirtBackend, lv: Libvirt, p: Plan): Promise<string> {
  const pool = backend.opts.pool;
  const id = newId('inst');
  const rootVolume = `${id}.qcow2`;
  const seedVolume = `${id}-seed.iso`;
  const consoleVolume = `${id}-console.log`;
  const made: string[] = [];
  let defined = false;
  try {
    const overlay = `<volume>
  <name>${esc(rootVolume)}</name>
  <capacity unit='bytes'>${p.sizing.storageGB * 1024 ** 3}</capacity>
  <target><format type='qcow2'/><compat>1.1</compat></target>
  <backingStore><path>${esc(p.image.path)}</path><format type='${esc(p.image.format)}'/></backingStore>
</volume>`;
    await lv.createVolume(pool, overlay);
    made.push(rootVolume);

    // The seed: whenever an ISO tool is there (cloud images wait for a datasource); required for user_data and keys.
    let withSeed = false;
    if ((await isoTool()) || p.userData !== undefined || p.publicKeys.length > 0) {
      const iso = await buildSeedIso({
        instanceId: id, hostname: hostnameFrom(p.title ?? id, id), publicKeys: p.publicKeys, userData: p.userData,
      }, lv.signal);
      try {
        await lv.createRawVolume(pool, seedVolume, iso.size);
        made.push(seedVolume);
        await lv.upload(pool, seedVolume, iso.path);
        withSeed = true;
      } finally {
        await iso.cleanup();
      }
    }

    const meta: InstanceMeta = {
      v: 1,
      imageId: p.image.id,
      imagePool: backend.opts.imagePool,
      hardwareProfileId: p.profileId,
      overrides: p.sizing.overrides,
      keyname: p.keyname,
      created: new Date().toISOString(),
      pool,
      rootVolume,
      seedVolume: withSeed ? seedVolume : undefined,
      consoleVolume,
    };
    const xml = domainXml({
      name: id,
      title: p.title,
      vcpus: p.sizing.cpu,
      memoryMiB: p.sizing.memoryMiB,
      rootPath: `${p.poolPath}/${rootVolume}`,
      seedPath: withSeed ? `${p.poolPath}/${seedVolume}` : undefined,
      consolePath: `${p.poolPath}/${consoleVolume}`,
      network: p.network,
      meta,
      arch: p.arch,
    }, backend.opts);
    await lv.define(xml);
    defined = true;
    await lv.start(id);
    return id;
  } catch (e) {
    const bg = lv.detached();
    if (defined) {
      await bg.destroy(id).catch(() => undefined);
      await bg.undefine(id).catch(() => undefined);
    }
    await bg.refresh(pool).catch(() => undefined);
    for (const v of [...made, consoleVolume]) await bg.deleteVolume(pool, v).catch(() => undefined);
    throw e;
  }
}

/** Removes a domain of the driver and the files it made for it. */
async function destroyDomain(lv: Libvirt, id: string): Promise<void> {
  const info = await lv.domain(id, true);
  if (!info) throw new NotFound(`Instance '${id}' not found`);
  if (!info.meta) throw new MethodNotAllowed('Only instances created by this driver can be destroyed');
  lv.state.stopping.delete(id);
  lv.state.cpuSamples.delete(id);
  const bg = lv.detached(); // once begun, finish even if the client goes away
  if (isActive(await bg.domainState(id))) {
    try {
      await bg.destroy(id);
    } catch (e) {
      if (!isKind(e, 'invalid-state')) throw e; // it stopped meanwhile
    }
  }
  await bg.undefine(id);
  const { pool, rootVolume, seedVolume, consoleVolume } = info.meta;
  await bg.refresh(pool).catch(() => undefined); // the serial log was made by QEMU, not through the pool
  for (const v of [rootVolume, seedVolume]) if (v) await bg.deleteVolume(pool, v);
  if (!(await bg.deleteVolume(pool, consoleVolume)) && isLocalUri(bg.uri)) {
    // Not (yet) seen by the pool: on this host the file can go directly.
    const path = info.serialLog;
    if (path && path === `${await bg.poolPath(pool)}/${consoleVolume}`) await rm(path, { force: true });
  }
}

/** A URI of this machine's libvirt (no host part). */
function isLocalUri(uri: string): boolean {
  return /^[a-z0-9+]+:\/\/\//i.test(uri);
}

/** The graceful stop: ACPI power button every 3 s until the guest is off, forced off at the deadline. */
async function gracefulStop(lv: Libvirt, id: string, deadline: number): Promise<void> {
  let lastPress = 0;
  let failures = 0;
  try {
    for (;;) {
      let state: DomainState;
      try {
        state = await lv.domainState(id);
        failures = 0;
      } catch (e) {
        if (isKind(e, 'no-domain') || ++failures >= 5) return;
        await sleep(500);
        continue;
      }
      if (!isActive(state)) return;
      const now = Date.now();
      if (now >= deadline || state === 'paused') {
        // A paused guest cannot hear the power button.
        await lv.destroy(id).catch(() => undefined);
        return;
      }
      if (now - lastPress >= 3000) {
        lastPress = now;
        await lv.shutdown(id).catch(() => undefined);
      }
      await sleep(250);
    }
  } finally {
    if (lv.state.stopping.get(id) === deadline) lv.state.stopping.delete(id);
  }
}

/**
 * The graceful reboot: ACPI (the guest powers off, QEMU resets it) every 3 s
 * until the guest resets, a hard reset at the deadline.
 */
async function gracefulReboot(lv: Libvirt, id: string, deadline: number): Promise<void> {
  let rebooted = false;
  const watch = lv.waitForReboot(id, Math.max(1000, deadline - Date.now())).then((r) => (rebooted = r), () => false);
  await sleep(300); // let the event watch register first
  let lastPress = 0;
  while (!rebooted && Date.now() < deadline) {
    if (Date.now() - lastPress >= 3000) {
      lastPress = Date.now();
      try {
        await lv.reboot(id);
      } catch (e) {
        if (isKind(e, 'no-domain', 'invalid-state')) return; // gone or stopped meanwhile
      }
    }
    await Promise.race([watch, sleep(250)]);
  }
  if (!rebooted) await lv.reset(id).catch(() => undefined);
}

export function instanceOperations(backend: LibvirtBackend): Ops {
  const { opts } = backend;
  // libvirt has no owners: every instance a request sees is owned as backend.ownerOf says.
  const own = (ctx: RequestContext) => (i: Instance): Instance => ({ ...i, ownerId: backend.ownerOf(ctx) });
  return {
    instances: async (ctx, filter) => (await listInstances(backend, backend.connect(ctx), filter)).map(own(ctx)),
    instance: async (ctx, id) => {
      const found = await showInstance(backend, backend.connect(ctx), id);
      return found && own(ctx)(found);
    },

    create_instance: async (ctx, req) => {
      const lv = backend.connect(ctx);
      const count = req.instanceCount ?? 1;
      if (count > opts.maxInstanceCount) throw new ValidationFailure(`instance_count must be at most ${opts.maxInstanceCount}`);
      const p = await plan(backend, lv, req);
      const ids: string[] = [];
      try {
        for (let i = 0; i < count; i++) ids.push(await createOne(backend, lv, p));
      } catch (e) {
        for (const id of ids) await destroyDomain(lv, id).catch(() => undefined);
        throw e;
      }
      const created: Instance[] = [];
      for (const id of ids) created.push(await requireInstance(backend, lv.detached(), id));
      return created.map(own(ctx));
    },

    start_instance: async (ctx, id) => {
      const lv = backend.connect(ctx);
      await requireInstance(backend, lv, id);
      lv.state.stopping.delete(id);
      const state = await lv.domainState(id);
      try {
        if (state === 'paused') await lv.resume(id);
        else if (state === 'pmsuspended') await lv.wakeup(id);
        else if (!isActive(state)) await lv.start(id);
      } catch (e) {
        if (!isKind(e, 'exists', 'invalid-state')) throw e; // started meanwhile
      }
      return own(ctx)(await requireInstance(backend, lv, id));
    },

    stop_instance: async (ctx, id) => {
      const lv = backend.connect(ctx);
      await requireInstance(backend, lv, id);
      if (lv.state.stopping.has(id)) {
        // A second stop while stopping: power off now.
        lv.state.stopping.delete(id);
        await lv.destroy(id).catch((e: unknown) => {
          if (!isKind(e, 'invalid-state')) throw e;
        });
        return own(ctx)(await requireInstance(backend, lv, id));
      }
      if (!isActive(await lv.domainState(id))) return own(ctx)(await requireInstance(backend, lv, id));
      const deadline = Date.now() + opts.shutdownTimeoutMs;
      lv.state.stopping.set(id, deadline);
      const bg = lv.detached();
      const job = gracefulStop(bg, id, deadline);
      await Promise.race([job, pause(opts.waitMs, ctx.signal)]);
      return own(ctx)(await requireInstance(backend, bg, id));
    },

    reboot_instance: async (ctx, id) => {
      const lv = backend.connect(ctx);
      await requireInstance(backend, lv, id);
      const bg = lv.detached();
      const job = gracefulReboot(bg, id, Date.now() + opts.shutdownTimeoutMs);
      await Promise.race([job, pause(opts.waitMs, ctx.signal)]);
      return own(ctx)(await requireInstance(backend, bg, id));
    },

    destroy_instance: async (ctx, id) => {
      const lv = backend.connect(ctx);
      if (!plausibleDomainName(id)) throw new NotFound();
      const busy = [...lv.state.jobs.keys()].find((k) => k.endsWith(`@${id}`));
      if (busy) throw new Conflict(`Instance '${id}' is being copied (${busy.split('@')[0]}); try again when that is done`);
      await destroyDomain(lv, id);
    },
  };
}
