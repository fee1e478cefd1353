// Instances = containers. Create: `containers/create` with the profile's CPU
// and memory limits, user data in the environment, then start; a container
// that fails to start is removed again. Stop and reboot: SIGTERM, SIGKILL
// after the stop timeout (done by the engine). Run: an exec whose output is
// captured.
import type { Driver, InstanceCreate, RequestContext } from '../../core/driver.js';
import { MethodNotAllowed, NotFound, ValidationFailure } from '../../core/errors.js';
import { profileAdmits } from '../../core/filters.js';
import type { Instance } from '../../core/model.js';
import { CUSTOM_PROFILE, DEFAULT_PROFILE, LABEL, type PodmanBackend } from './backend.js';
import { demultiplex, type Engine } from './engine.js';
import { resolveImage } from './images.js';

type Ops = Pick<Driver, 'instances' | 'instance' | 'create_instance' | 'start_instance' | 'stop_instance' | 'reboot_instance' | 'destroy_instance' | 'run_on_instance'>;

/** The environment variable holding the instance's user data, base64-encoded (it may be any bytes). */
export const USER_DATA_VARIABLE = 'DELTACLOUD_USER_DATA';

const CONTAINER_ID = /^[0-9a-f]{64}$/;
/** Where a volume named at creation is mounted unless `volume_mount` says: an absolute path without `:` `,` or blanks. */
const MOUNT_PATH = /^\/[A-Za-z0-9_./-]{0,255}$/;
/** What the engines accept as a container name. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

interface MountAnswer { Type?: string; Name?: string; Destination?: string }

/** A container as `containers/json` lists it. */
interface ListedContainer {
  Id: string;
  Names?: string[];
  ImageID?: string;
  Created?: number;
  State?: string;
  Labels?: Record<string, string> | null;
  Mounts?: MountAnswer[] | null;
}

/** A container as `containers/{id}/json` shows it. */
interface InspectedContainer {
  Id: string;
  Name?: string;
  Image?: string;
  Created?: string;
  State?: { Status?: string };
  Config?: { Labels?: Record<string, string> | null };
  Mounts?: MountAnswer[] | null;
}

/** The fields of a container the API shows, from either answer. */
export interface ContainerFacts {
  id: string;
  name: string;
  imageId?: string;
  created?: string;
  status: string;
  labels: Record<string, string>;
  volumes: Array<{ name: string; destination?: string }>;
}

const hexOf = (imageId: string | undefined) => imageId?.replace(/^sha256:/, '') || undefined;
const namedVolumes = (mounts: MountAnswer[] | null | undefined) =>
  (mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => ({ name: m.Name!, destination: m.Destination }));

export function factsFromList(c: ListedContainer): ContainerFacts {
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    imageId: hexOf(c.ImageID),
    created: c.Created === undefined ? undefined : new Date(c.Created * 1000).toISOString(),
    status: c.State ?? 'unknown',
    labels: c.Labels ?? {},
    volumes: namedVolumes(c.Mounts),
  };
}

export function factsFromInspect(c: InspectedContainer): ContainerFacts {
  return {
    id: c.Id,
    name: (c.Name ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    imageId: hexOf(c.Image),
    created: c.Created,
    status: c.State?.Status ?? 'unknown',
    labels: c.Config?.Labels ?? {},
    volumes: namedVolumes(c.Mounts),
  };
}

/**
 * Engine status → Deltacloud state: created, exited, paused → STOPPED
 * (start runs or resumes it); running → RUNNING; restarting → PENDING;
 * removing → FINISH (the API has no state between running and gone other
 * than STOPPING, whose actions do not apply); dead → ERROR.
 */
export function instanceState(status: string): string {
  switch (status) {
    case 'running': return 'RUNNING';
    case 'created': case 'exited': case 'paused': case 'stopped': case 'configured': return 'STOPPED';
    case 'restarting': return 'PENDING';
    case 'removing': return 'FINISH';
    default: return 'ERROR';
  }
}

export function toInstance(c: ContainerFacts, realmId: string, ownerId: string | undefined): Instance {
  const overrides: Record<string, string> = {};
  if (c.labels[LABEL.cpu]) overrides.cpu = c.labels[LABEL.cpu]!;
  if (c.labels[LABEL.memory]) overrides.memory = c.labels[LABEL.memory]!;
  return {
    id: c.id,
    name: c.name,
    ownerId,
    imageId: c.imageId,
    realmId,
    state: instanceState(c.status),
    hardwareProfileId: c.labels[LABEL.profile],
    profileOverrides: Object.keys(overrides).length ? overrides : undefined,
    launchTime: c.created,
    publicAddresses: [],
    privateAddresses: [],
    storageVolumes: c.volumes.map((v) => ({ id: v.name, device: v.destination })),
    canCreateImage: true,
  };
}

export async function listContainers(backend: PodmanBackend, engine: Engine, signal: AbortSignal, id?: string): Promise<ContainerFacts[]> {
  const listed = await engine.json<ListedContainer[]>('GET', '/containers/json', {
    query: { all: true, filters: backend.labelFilter(id === undefined ? {} : { id: [id] }) }, signal,
  });
  return (listed ?? []).map(factsFromList).filter((c) => id === undefined || c.id === id).sort((a, b) => a.id.localeCompare(b.id));
}

/** The container with exactly this id (never a name or a prefix), when it is the driver's to show. */
export async function inspectContainer(backend: PodmanBackend, engine: Engine, id: string, signal: AbortSignal): Promise<ContainerFacts | undefined> {
  if (!CONTAINER_ID.test(id)) return undefined;
  let answer: InspectedContainer | undefined;
  try {
    answer = await engine.json<InspectedContainer>('GET', `/containers/${id}/json`, { signal });
  } catch (e) {
    if (e instanceof NotFound) return undefined;
    throw e;
  }
  if (!answer || answer.Id !== id) return undefined;
  const facts = factsFromInspect(answer);
  if (!backend.opts.listAll && facts.labels[LABEL.driver] === undefined) return undefined;
  return facts;
}

async function requireContainer(backend: PodmanBackend, engine: Engine, id: string, signal: AbortSignal): Promise<ContainerFacts> {
  const facts = await inspectContainer(backend, engine, id, signal);
  if (!facts) throw new NotFound(`Instance '${id}' not found`);
  return facts;
}

interface Sizing { profileId: string; cpu?: string; memory?: string }

/** The profile and `hwp_cpu`/`hwp_memory` within it (out of range → 400). */
async function sizing(backend: PodmanBackend, engine: Engine, req: InstanceCreate, signal: AbortSignal): Promise<Sizing> {
  const profiles = await backend.profiles(engine, signal);
  const profileId = req.hardwareProfileId ?? DEFAULT_PROFILE;
  const profile = profiles.find((p) => p.id === profileId);
  if (!profile) throw new ValidationFailure(`Hardware profile '${profileId}' does not exist`);
  const chosen: Sizing = { profileId };
  for (const property of ['cpu', 'memory', 'architecture'] as const) {
    const value = req.profileOverrides[property] ?? (req.params[`hwp_${property}`] || undefined);
    if (value === undefined) continue;
    if (!profileAdmits(profile, property, value)) {
      const p = profile.properties.find((x) => x.name === property);
      const allowed = p?.kind === 'range' ? `from ${p.first} to ${p.last}` : `${p?.value ?? 'not settable'}`;
      throw new ValidationFailure(`hwp_${property} must be ${allowed} in hardware profile '${profileId}', got '${value}'`);
    }
    if (property !== 'architecture' && profileId === CUSTOM_PROFILE) chosen[property] = String(Number(value));
  }
  if (profileId === CUSTOM_PROFILE) {
    const defaults = Object.fromEntries(profile.properties.map((p) => [p.name, String(p.value)]));
    chosen.cpu ??= defaults.cpu;
    chosen.memory ??= defaults.memory;
  }
  return chosen;
}

export function containerOperations(backend: PodmanBackend): Ops {
  const { opts } = backend;
  const owner = (ctx: RequestContext) => ctx.credentials?.user;
  const show = async (ctx: RequestContext, engine: Engine, id: string) => {
    const facts = await inspectContainer(backend, engine, id, ctx.signal);
    if (!facts) return undefined;
    return toInstance(facts, (await backend.realm(engine, ctx.signal)).id, owner(ctx));
  };
  const mustShow = async (ctx: RequestContext, engine: Engine, id: string) => {
    const instance = await show(ctx, engine, id);
    if (!instance) throw new NotFound(`Instance '${id}' not found`);
    return instance;
  };
  const stopQuery = { t: Math.ceil(opts.stopTimeoutMs / 1000) };
  const waitingCall = { timeoutMs: opts.stopTimeoutMs + opts.requestTimeoutMs };

  /**
   * The named volume to mount (`volume_id`, at `volume_mount`, default `/data`): these engines mount
   * volumes only when a container is created, so this is the one way to attach one.
   */
  async function volumeBind(ctx: RequestContext, engine: Engine, req: InstanceCreate): Promise<string | undefined> {
    const volume = req.params.volume_id || undefined;
    const mount = req.params.volume_mount || undefined;
    if (volume === undefined) {
      if (mount !== undefined) throw new ValidationFailure('volume_mount needs volume_id');
      return undefined;
    }
    const path = mount ?? '/data';
    if (!MOUNT_PATH.test(path) || path.split('/').includes('..')) throw new ValidationFailure('volume_mount must be an absolute path of letters, digits, _ . - /');
    const known = (await backend.volumes(engine, ctx.signal, volume)).some((v) => v.Name === volume);
    if (!known) throw new ValidationFailure(`Storage volume '${volume}' does not exist`);
    return `${volume}:${path}`;
  }

  /** Creates and starts one container; a container that does not start is removed. */
  async function createOne(ctx: RequestContext, engine: Engine, imageId: string, name: string | undefined, size: Sizing, userData: Buffer | undefined, bind: string | undefined): Promise<string> {
    const labels: Record<string, string> = { [LABEL.driver]: 'podman', [LABEL.profile]: size.profileId };
    if (size.cpu !== undefined) labels[LABEL.cpu] = size.cpu;
    if (size.memory !== undefined) labels[LABEL.memory] = size.memory;
    const created = await engine.json<{ Id: string }>('POST', '/containers/create', {
      query: { name },
      body: {
        Image: imageId,
        Env: userData ? [`${USER_DATA_VARIABLE}=${userData.toString('base64')}`] : [],
        Labels: labels,
        HostConfig: {
          NetworkMode: opts.networkMode,
          ...(bind ? { Binds: [bind] } : {}),
          ...(size.cpu !== undefined ? { NanoCpus: Math.round(Number(size.cpu) * 1e9) } : {}),
          ...(size.memory !== undefined ? { Memory: Number(size.memory) * 2 ** 20 } : {}),
        },
      },
      signal: ctx.signal,
    });
    const id = created?.Id;
    if (!id) throw new ValidationFailure('The container engine created no container');
    try {
      await engine.json('POST', `/containers/${id}/start`, { signal: ctx.signal });
    } catch (error) {
      // No half-made instance is left behind, even when the request was cancelled.
      await engine.json('DELETE', `/containers/${id}`, { query: { force: true, v: true }, signal: AbortSignal.timeout(opts.requestTimeoutMs) }).catch(() => undefined);
      throw error;
    }
    return id;
  }

  return {
    instances: async (ctx, filter) => {
      const engine = backend.engine(ctx);
      const [containers, realm] = await Promise.all([listContainers(backend, engine, ctx.signal, filter.id), backend.realm(engine, ctx.signal)]);
      return containers.map((c) => toInstance(c, realm.id, owner(ctx)));
    },
    instance: async (ctx, id) => show(ctx, backend.engine(ctx), id),

    create_instance: async (ctx, req) => {
      const engine = backend.engine(ctx);
      await backend.checkRealm(engine, req.realmId, ctx.signal);
      const count = req.instanceCount ?? 1;
      if (!Number.isInteger(count) || count < 1 || count > opts.maxInstanceCount) {
        throw new ValidationFailure(`instance_count must be from 1 to ${opts.maxInstanceCount}`);
      }
      const name = req.name?.trim() || undefined;
      if (name !== undefined && !CONTAINER_NAME.test(name)) {
        throw new ValidationFailure('name must start with a letter or digit and hold only letters, digits, _ . - (at most 128)');
      }
      const size = await sizing(backend, engine, req, ctx.signal);
      const image = await resolveImage(engine, req.imageId, ctx.signal);
      if (!image) throw new ValidationFailure(`Image '${req.imageId}' does not exist`);
      const bind = await volumeBind(ctx, engine, req);
      const names = Array.from({ length: count }, (_, i) => (name === undefined ? undefined : count === 1 ? name : `${name}-${i + 1}`));
      const settled = await Promise.allSettled(names.map((n) => createOne(ctx, engine, image, n, size, req.userData, bind)));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      const ids = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      if (failed) {
        // All or nothing: the ones that did start are removed too.
        await Promise.all(ids.map((id) => engine.json('DELETE', `/containers/${id}`, { query: { force: true, v: true }, signal: AbortSignal.timeout(opts.requestTimeoutMs) }).catch(() => undefined)));
        throw failed.reason;
      }
      return Promise.all(ids.map((id) => mustShow(ctx, engine, id)));
    },

    start_instance: async (ctx, id) => {
      const engine = backend.engine(ctx);
      const facts = await requireContainer(backend, engine, id, ctx.signal);
      await engine.json('POST', `/containers/${id}/${facts.status === 'paused' ? 'unpause' : 'start'}`, { signal: ctx.signal });
      return mustShow(ctx, engine, id);
    },
    stop_instance: async (ctx, id) => {
      const engine = backend.engine(ctx);
      await engine.json('POST', `/containers/${id}/stop`, { query: stopQuery, signal: ctx.signal, ...waitingCall });
      return mustShow(ctx, engine, id);
    },
    reboot_instance: async (ctx, id) => {
      const engine = backend.engine(ctx);
      await engine.json('POST', `/containers/${id}/restart`, { query: stopQuery, signal: ctx.signal, ...waitingCall });
      return mustShow(ctx, engine, id);
    },
    destroy_instance: async (ctx, id) => {
      const engine = backend.engine(ctx);
      await requireContainer(backend, engine, id, ctx.signal);
      // Anonymous volumes go with the container; named ones (storage volumes) stay.
      await engine.json('DELETE', `/containers/${id}`, { query: { force: true, v: true }, signal: ctx.signal, ...waitingCall });
    },

    run_on_instance: async (ctx, command) => {
      const engine = backend.engine(ctx);
      const facts = await requireContainer(backend, engine, command.id, ctx.signal);
      if (facts.status !== 'running') throw new MethodNotAllowed(`Instance '${command.id}' is not running`);
      const exec = await engine.json<{ Id: string }>('POST', `/containers/${command.id}/exec`, {
        body: { Cmd: ['/bin/sh', '-c', command.cmd], AttachStdout: true, AttachStderr: true, Tty: false }, signal: ctx.signal,
      });
      if (!exec?.Id) throw new ValidationFailure('The container engine created no exec session');
      const stream = await engine.bytes('POST', `/exec/${exec.Id}/start`, { body: { Detach: false, Tty: false }, signal: ctx.signal });
      return { instanceId: command.id, publicAddress: facts.name, command: command.cmd, output: demultiplex(stream) };
    },
  };
}
