// Domains: what the driver reads from a domain's XML, the XML of the domains
// it creates, and libvirt's states mapped onto the driver's state machine.
import { esc, attr, child, children, parseXml, text, toBytes, type XmlNode } from './xml.js';
import type { LibvirtOptions } from './options.js';

/** Namespace of the driver's <metadata> element: marks the domains it manages. */
export const METADATA_NS = 'http://deltacloud.apache.org/ns/libvirt/1';

/** What the driver records in a domain it creates. */
export interface InstanceMeta {
  v: 1;
  imageId: string;
  imagePool: string;
  hardwareProfileId: string;
  overrides: Record<string, string>;
  keyname?: string;
  created: string;
  pool: string;
  rootVolume: string;
  seedVolume?: string;
  consoleVolume: string;
}

export interface DiskInfo {
  device: string; // disk, cdrom
  target: string; // vda
  bus?: string;
  source?: string; // file path
  format?: string;
}

export interface InterfaceInfo {
  type: string;
  mac?: string;
  source?: string;
  target?: string;
}

export interface DomainInfo {
  name: string;
  uuid?: string;
  title?: string;
  vcpus: number;
  memoryMiB: number;
  disks: DiskInfo[];
  interfaces: InterfaceInfo[];
  vnc?: { listen: string; port?: number };
  serialLog?: string;
  meta?: InstanceMeta;
  persistent: boolean;
}

/** libvirt's virDomainState numbers, as `domstats --state` reports them. */
export const DOMAIN_STATES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'] as const;
export type DomainState = (typeof DOMAIN_STATES)[number];

export function domainStateFromNumber(n: number): DomainState {
  return DOMAIN_STATES[n] ?? 'nostate';
}

/** `virsh domstate` words → state. */
export function domainStateFromWords(words: string): DomainState {
  const w = words.trim().toLowerCase();
  if (w.startsWith('running')) return 'running';
  if (w.startsWith('idle') || w.startsWith('blocked')) return 'blocked';
  if (w.startsWith('paused')) return 'paused';
  if (w.startsWith('in shutdown')) return 'shutdown';
  if (w.startsWith('shut off')) return 'shutoff';
  if (w.startsWith('crashed')) return 'crashed';
  if (w.startsWith('pmsuspended')) return 'pmsuspended';
  return 'nostate';
}

/**
 * The instance state (upper case) of a domain state. `stopping` is true while
 * the driver's graceful stop of that domain is under way.
 */
export function instanceState(state: DomainState, stopping = false): string {
  switch (state) {
    case 'running':
    case 'blocked':
      return stopping ? 'STOPPING' : 'RUNNING';
    case 'shutdown':
      return 'STOPPING';
    case 'paused':
    case 'pmsuspended':
    case 'shutoff':
      return 'STOPPED';
    case 'crashed':
      return 'ERROR';
    default:
      return 'PENDING';
  }
}

export function isActive(state: DomainState): boolean {
  return state !== 'shutoff' && state !== 'crashed' && state !== 'nostate';
}

function parseMeta(metadata: XmlNode | undefined): InstanceMeta | undefined {
  if (!metadata) return undefined;
  for (const [key, value] of Object.entries(metadata)) {
    if (key.startsWith('@') || key === '#text') continue;
    for (const el of Array.isArray(value) ? value : [value]) {
      if (!el || typeof el !== 'object') continue;
      const ns = Object.entries(el as XmlNode).find(([k]) => k.startsWith('@xmlns'))?.[1];
      if (ns !== METADATA_NS) continue;
      try {
        const parsed = JSON.parse(text(el) ?? '') as InstanceMeta;
        if (parsed && parsed.v === 1 && typeof parsed.rootVolume === 'string') return parsed;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function parseDomainXml(xml: string): DomainInfo {
  const doc = parseXml(xml);
  const dom = child(doc, 'domain');
  if (!dom) throw new Error('not a domain document');
  const devices = child(dom, 'devices');
  const memory = child(dom, 'memory');
  const disks: DiskInfo[] = children(devices, 'disk').map((d) => ({
    device: attr(d, 'device') ?? 'disk',
    target: attr(child(d, 'target'), 'dev') ?? '',
    bus: attr(child(d, 'target'), 'bus'),
    source: attr(child(d, 'source'), 'file') ?? attr(child(d, 'source'), 'dev'),
    format: attr(child(d, 'driver'), 'type'),
  }));
  const interfaces: InterfaceInfo[] = children(devices, 'interface').map((i) => ({
    type: attr(i, 'type') ?? 'unknown',
    mac: attr(child(i, 'mac'), 'address'),
    source: attr(child(i, 'source'), 'network') ?? attr(child(i, 'source'), 'bridge'),
    target: attr(child(i, 'target'), 'dev'),
  }));
  const vncNode = children(devices, 'graphics').find((g) => attr(g, 'type') === 'vnc');
  const port = vncNode ? Number(attr(vncNode, 'port')) : NaN;
  const serial = children(devices, 'serial').find((s) => attr(s, 'type') === 'file');
  return {
    name: text(dom, 'name') ?? '',
    uuid: text(dom, 'uuid'),
    title: text(dom, 'title') || undefined,
    vcpus: Number(text(dom, 'vcpu') ?? 1) || 1,
    memoryMiB: Math.round(toBytes(text(memory), attr(memory, 'unit') ?? 'KiB') / 1024 ** 2),
    disks,
    interfaces,
    vnc: vncNode ? { listen: attr(vncNode, 'listen') ?? '127.0.0.1', port: Number.isFinite(port) && port > 0 ? port : undefined } : undefined,
    serialLog: attr(child(serial, 'source'), 'path'),
    meta: parseMeta(child(dom, 'metadata')),
    persistent: true,
  };
}

/** Everything a new domain's XML needs. */
export interface DomainSpec {
  name: string;
  title?: string;
  vcpus: number;
  memoryMiB: number;
  rootPath: string;
  seedPath?: string;
  consolePath: string;
  network: { type: 'none' } | { type: 'user' } | { type: 'network' | 'bridge'; source: string };
  meta: InstanceMeta;
  arch: string;
}

export function domainXml(spec: DomainSpec, opts: Pick<LibvirtOptions, 'domainType' | 'machine' | 'vnc'>): string {
  const q35 = /q35/.test(opts.machine);
  const cdrom = spec.seedPath
    ? `    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='${esc(spec.seedPath)}'/>
      <target dev='${q35 ? 'sda' : 'hdc'}' bus='${q35 ? 'sata' : 'ide'}'/>
      <readonly/>
    </disk>\n`
    : '';
  let nic = '';
  if (spec.network.type === 'user') nic = `    <interface type='user'>\n      <model type='virtio'/>\n    </interface>\n`;
  else if (spec.network.type === 'network') nic = `    <interface type='network'>\n      <source network='${esc(spec.network.source)}'/>\n      <model type='virtio'/>\n    </interface>\n`;
  else if (spec.network.type === 'bridge') nic = `    <interface type='bridge'>\n      <source bridge='${esc(spec.network.source)}'/>\n      <model type='virtio'/>\n    </interface>\n`;
  const graphics = opts.vnc ? `    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>\n` : '';
  return `<domain type='${opts.domainType}'>
  <name>${esc(spec.name)}</name>
${spec.title ? `  <title>${esc(spec.title.replace(/[\r\n]+/g, ' '))}</title>\n` : ''}  <metadata>
    <deltacloud:instance xmlns:deltacloud='${METADATA_NS}'>${esc(JSON.stringify(spec.meta))}</deltacloud:instance>
  </metadata>
  <memory unit='MiB'>${spec.memoryMiB}</memory>
  <vcpu>${spec.vcpus}</vcpu>
  <os>
    <type arch='${esc(spec.arch)}' machine='${esc(opts.machine)}'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
${opts.domainType === 'kvm' ? "  <cpu mode='host-passthrough'/>\n" : ''}  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${esc(spec.rootPath)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
${cdrom}${nic}    <serial type='file'>
      <source path='${esc(spec.consolePath)}' append='on'/>
      <target port='0'/>
    </serial>
${graphics}    <memballoon model='virtio'>
      <stats period='5'/>
    </memballoon>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
  </devices>
</domain>
`;
}

/** The XML of a data disk (a storage volume) at `target` (vdb, vdc, ...). */
export function dataDiskXml(path: string, target: string, serial: string): string {
  return `<disk type='file' device='disk'>
  <driver name='qemu' type='qcow2'/>
  <source file='${esc(path)}'/>
  <target dev='${esc(target)}' bus='virtio'/>
  <serial>${esc(serial.slice(0, 20))}</serial>
</disk>
`;
}
