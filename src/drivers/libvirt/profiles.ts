// Hardware profiles from the host: fixed sizes that fit it, and `custom`
// whose ranges span the host (cpu 1..host CPUs, memory 128 MiB..host memory,
// storage 1 GB..the pool's size). `hwp_cpu`, `hwp_memory` and `hwp_storage`
// choose within a profile's range or enum.
import { ValidationFailure } from '../../core/errors.js';
import type { HardwareProfile, HardwareProperty } from '../../core/model.js';

export const MIN_MEMORY_MIB = 128;
export const MAX_STORAGE_GB = 16384;

export interface HostCapacity {
  cpus: number;
  memoryMiB: number;
  arch: string;
  /** Largest root disk in GB (the pool's capacity, capped). */
  storageGB: number;
}

interface Flavor {
  id: string;
  cpu: number;
  memory: number;
  storage: number[];
}

const FLAVORS: Flavor[] = [
  { id: 'small', cpu: 1, memory: 512, storage: [10, 20, 40] },
  { id: 'medium', cpu: 2, memory: 2048, storage: [20, 40, 80] },
  { id: 'large', cpu: 4, memory: 8192, storage: [40, 80, 160] },
];

export const CUSTOM_PROFILE = 'custom';

export function hardwareProfiles(host: HostCapacity): HardwareProfile[] {
  const arch: HardwareProperty = { name: 'architecture', kind: 'fixed', value: host.arch };
  const profiles: HardwareProfile[] = [];
  for (const f of FLAVORS) {
    if (f.cpu > host.cpus || f.memory > host.memoryMiB) continue;
    const storage = f.storage.filter((s) => s <= host.storageGB);
    if (storage.length === 0) continue;
    profiles.push({
      id: f.id,
      name: f.id,
      properties: [
        { name: 'cpu', kind: 'fixed', value: f.cpu },
        { name: 'memory', kind: 'fixed', value: f.memory },
        storage.length === 1 ? { name: 'storage', kind: 'fixed', value: storage[0]! } : { name: 'storage', kind: 'enum', value: storage[0]!, values: storage },
        { ...arch },
      ],
    });
  }
  const memoryMax = Math.max(MIN_MEMORY_MIB, host.memoryMiB);
  const storageMax = Math.max(1, host.storageGB);
  profiles.push({
    id: CUSTOM_PROFILE,
    name: CUSTOM_PROFILE,
    properties: [
      { name: 'cpu', kind: 'range', value: 1, first: 1, last: Math.max(1, host.cpus) },
      { name: 'memory', kind: 'range', value: Math.min(512, memoryMax), first: MIN_MEMORY_MIB, last: memoryMax },
      { name: 'storage', kind: 'range', value: Math.min(10, storageMax), first: 1, last: storageMax },
      { ...arch },
    ],
  });
  return profiles;
}

/** The profile used when the client names none: `small` when the host has it. */
export function defaultProfileId(profiles: HardwareProfile[]): string {
  return profiles.find((p) => p.id === 'small')?.id ?? CUSTOM_PROFILE;
}

export interface Sizing {
  cpu: number;
  memoryMiB: number;
  storageGB: number;
  /** The value of each range/enum property, as recorded on the instance. */
  overrides: Record<string, string>;
}

/** Resolves a profile plus `hwp_*` values into a domain's size; out-of-profile values → 400. */
export function sizeFrom(profile: HardwareProfile, requested: Record<string, string>): Sizing {
  const values: Record<string, number> = {};
  const overrides: Record<string, string> = {};
  for (const p of profile.properties) {
    if (p.name === 'architecture') {
      const want = requested.architecture;
      if (want !== undefined && want !== String(p.value)) throw new ValidationFailure(`hwp_architecture must be ${p.value}`);
      continue;
    }
    const raw = requested[p.name];
    let value = Number(p.value);
    if (raw !== undefined && p.kind === 'fixed' && Number(raw) !== value) {
      throw new ValidationFailure(`hwp_${p.name} is fixed at ${p.value} in hardware profile '${profile.id}'`);
    }
    if (raw !== undefined && p.kind !== 'fixed') {
      value = Number(raw);
      if (!Number.isInteger(value)) throw new ValidationFailure(`hwp_${p.name} must be a whole number, got '${raw}'`);
      if (p.kind === 'range' && (value < p.first! || value > p.last!)) {
        throw new ValidationFailure(`hwp_${p.name} must be from ${p.first} to ${p.last} in hardware profile '${profile.id}', got ${value}`);
      }
      if (p.kind === 'enum' && !(p.values ?? []).map(Number).includes(value)) {
        throw new ValidationFailure(`hwp_${p.name} must be one of ${(p.values ?? []).join(', ')} in hardware profile '${profile.id}', got ${value}`);
      }
    }
    values[p.name] = value;
    if (p.kind !== 'fixed') overrides[p.name] = String(value);
  }
  return {
    cpu: values.cpu ?? 1,
    memoryMiB: values.memory ?? 512,
    storageGB: values.storage ?? 10,
    overrides,
  };
}

/** Profiles an image of `bytes` fits (their largest storage holds it). */
export function profilesFitting(profiles: HardwareProfile[], bytes: number): string[] {
  const gb = bytes / 1024 ** 3;
  return profiles.filter((p) => {
    const s = p.properties.find((x) => x.name === 'storage');
    if (!s) return true;
    const max = s.kind === 'range' ? s.last! : s.kind === 'enum' ? Math.max(...(s.values ?? []).map(Number)) : Number(s.value);
    return max >= gb;
  }).map((p) => p.id);
}
