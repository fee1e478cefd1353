// The operator's settings for the libvirt driver (`drivers.libvirt` in the
// server's JSON configuration file), validated once at load. Clients never set
// these: a client only picks one of `allowedUris` as its provider.
import { OptionReader } from '../../core/kit/options.js';

export type NetworkChoice =
  | { kind: 'auto' }
  | { kind: 'none' }
  | { kind: 'user' }
  | { kind: 'network'; name: string }
  | { kind: 'bridge'; name: string };

export interface LibvirtOptions {
  /** Connection URIs a client may select as its provider (X-Deltacloud-Provider / ;provider=). */
  allowedUris: string[];
  /** The URI used when the request names no provider. */
  defaultUri: string;
  /** Dir pool holding instance disks (qcow2 overlays), cloud-init seeds, serial logs, volumes and snapshots. */
  pool: string;
  /** Dir pool whose disk volumes are the images. */
  imagePool: string;
  /** How new instances are networked: auto (libvirt network `default` when active, else user-mode NAT), none, user, network:NAME, bridge:NAME. */
  network: NetworkChoice;
  /** `qemu` (software emulation, works everywhere) or `kvm` (hardware virtualisation). */
  domainType: 'qemu' | 'kvm';
  /** QEMU machine type of new domains. */
  machine: string;
  /** Graceful stop: how long the guest may take to power off after ACPI shutdown before it is forced off. */
  shutdownTimeoutMs: number;
  /** How long a request waits for a slow operation (stop, disk copies, detach) before answering with the in-between state. */
  waitMs: number;
  /** Limit of one virsh call. */
  commandTimeoutMs: number;
  /** Limit of one disk copy (image from instance, snapshot, volume from snapshot). */
  copyTimeoutMs: number;
  /** List every domain of the host, not only those this driver created (others cannot be destroyed or imaged). */
  listAllDomains: boolean;
  /** The `owner_id` of every instance; unset = the request's Basic user (else `libvirt`). */
  owner?: string;
  /** Give new domains a VNC display on 127.0.0.1 (reported as a `vnc` address). */
  vnc: boolean;
  /** Largest `instance_count`. */
  maxInstanceCount: number;
  /** The virsh binary. */
  virsh: string;
}

export const DEFAULT_ALLOWED_URIS = ['qemu:///system', 'test:///default'];

export class LibvirtConfigError extends Error {}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;

export function parseNetwork(value: string): NetworkChoice {
  if (value === 'auto' || value === 'none' || value === 'user') return { kind: value };
  const m = /^(network|bridge):(.+)$/.exec(value);
  if (m && NAME.test(m[2]!)) return { kind: m[1] as 'network' | 'bridge', name: m[2]! };
  throw new LibvirtConfigError(`drivers.libvirt.network must be auto, none, user, network:NAME or bridge:NAME, got '${value}'`);
}

/** A libvirt URI: scheme[+transport]://[host]/path[?query]; no whitespace, no shell or XML specials. */
export function isPlausibleUri(uri: string): boolean {
  return /^[a-z][a-z0-9+]*:\/\/[^\s'"<>`\\]*$/i.test(uri);
}

export function parseOptions(raw: Record<string, unknown> = {}): LibvirtOptions {
  const o: OptionReader = new OptionReader(raw, 'drivers.libvirt', LibvirtConfigError);
  let allowedUris = DEFAULT_ALLOWED_URIS;
  if (raw.allowedUris !== undefined) {
    if (!Array.isArray(raw.allowedUris) || raw.allowedUris.length === 0 || !raw.allowedUris.every((u) => typeof u === 'string' && isPlausibleUri(u))) {
      o.fail('allowedUris', 'must be a non-empty array of libvirt URIs');
    }
    allowedUris = [...new Set(raw.allowedUris as string[])];
  }
  const defaultUri = o.string('defaultUri', allowedUris[0]!);
  if (!allowedUris.includes(defaultUri)) o.fail('defaultUri', `'${defaultUri}' is not in allowedUris`);
  const pool = o.string('pool', 'deltacloud');
  const imagePool = o.string('imagePool', 'deltacloud-images');
  for (const [k, v] of [['pool', pool], ['imagePool', imagePool]] as const) {
    if (!NAME.test(v)) o.fail(k, 'must be a plain pool name');
  }
  if (pool === imagePool) o.fail('pool', 'and imagePool must be different pools');
  const domainType = o.string('domainType', 'qemu');
  if (domainType !== 'qemu' && domainType !== 'kvm') o.fail('domainType', "must be 'qemu' or 'kvm'");
  const machine = o.string('machine', 'pc');
  if (!/^[A-Za-z0-9_.-]+$/.test(machine)) o.fail('machine', 'must be a machine type name');
  return {
    allowedUris,
    defaultUri,
    pool,
    imagePool,
    network: parseNetwork(o.string('network', 'auto')),
    domainType,
    machine,
    shutdownTimeoutMs: o.durationMs('shutdownTimeout', { min: 0 }, 60_000),
    waitMs: o.number('waitMs', { min: 0 }, 20_000),
    commandTimeoutMs: o.durationMs('commandTimeout', { min: 100 }, 30_000),
    copyTimeoutMs: o.durationMs('copyTimeout', { min: 1000 }, 30 * 60_000),
    listAllDomains: o.boolean('listAllDomains', false),
    owner: o.string('owner'),
    vnc: o.boolean('vnc', false),
    maxInstanceCount: o.number('maxInstanceCount', { min: 1, integer: true }, 10),
    virsh: o.string('virsh', 'virsh'),
  };
}
