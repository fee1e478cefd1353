// Representations of realms, hardware profiles, images, instances, keys,
// instance states and metrics (spec §11.2–§11.7, §11.14).
import type {
  CommandResult, HardwareProfile, HardwareProperty, Image, Instance, InstanceAction, InstanceAddress, Key, Metric, Realm,
} from '../../../core/model.js';
import type { StateMachine } from '../../../core/state-machine.js';
import { cdataEl, el, textEl, type XmlElement } from '../xml.js';
import { link, type View, type ViewContext } from './view.js';
import { actionLink, arrayOf, number, object, oneOfValues, optionalString, reference, string, stringMap, type JsonSchema } from '../openapi/json-schema.js';
import { INSTANCE_ACTION_CAPABILITY } from '../../../core/kit/capabilities.js';

const present = <T>(v: T | undefined): v is T => v !== undefined;

export const realmView: View<Realm> = {
  singular: 'realm',
  plural: 'realms',
  schema: object({ id: string, href: string, name: optionalString, state: optionalString, limit: { type: ['string', 'number', 'null'] } }),
  xml: (r, v) =>
    el('realm', { href: v.href('realms', r.id), id: r.id }, [
      textEl('name', r.name),
      textEl('state', r.state),
      r.limit !== undefined && r.limit !== 'unlimited' ? cdataEl('limit', r.limit) : undefined,
    ]),
  json: (r, v) => ({
    id: r.id, href: v.href('realms', r.id), name: r.name ?? null, state: r.state ?? null,
    limit: r.limit === undefined ? 'unlimited' : r.limit,
  }),
};

const UNITS: Record<string, string> = { memory: 'MB', storage: 'GB', cpu: 'count', architecture: 'label' };

function propertyXml(p: HardwareProperty, v: ViewContext): XmlElement {
  const attrs = { kind: p.kind, name: p.name, unit: UNITS[p.name], value: p.value };
  if (p.kind === 'fixed') return el('property', attrs);
  const param = el('param', { href: v.href('instances'), method: 'post', name: `hwp_${p.name}`, operation: 'create' });
  const choice = p.kind === 'range'
    ? el('range', { first: p.first, last: p.last })
    : el('enum', {}, (p.values ?? []).map((value) => el('entry', { value })));
  return el('property', attrs, [param, choice]);
}

function defaultOf(profile: HardwareProfile, name: string): number | undefined {
  const p = profile.properties.find((x) => x.name === name);
  return p === undefined ? undefined : Number(p.value);
}

export const hardwareProfileView: View<HardwareProfile> = {
  singular: 'hardware_profile',
  plural: 'hardware_profiles',
  schema: object({ id: string, href: string, name: string }, { properties: stringMap }),
  xml: (p, v) =>
    el('hardware_profile', { href: v.href('hardware_profiles', p.id), id: p.id }, [
      textEl('id', p.id),
      textEl('name', p.name ?? p.id),
      ...p.properties.map((prop) => propertyXml(prop, v)),
    ]),
  json: (p, v) => {
    const json: Record<string, unknown> = { id: p.id, href: v.href('hardware_profiles', p.id), name: p.name ?? p.id };
    if (p.properties.length > 0) {
      json.properties = Object.fromEntries(p.properties.map((prop) => [prop.name, String(prop.value)]));
    }
    return json;
  },
  // Sorted by (cpu, memory) defaults; profiles lacking either come last in driver order (spec §11.3).
  xmlListOrder: (items) => {
    const sized = items.filter((p) => defaultOf(p, 'cpu') !== undefined && defaultOf(p, 'memory') !== undefined);
    const rest = items.filter((p) => !sized.includes(p));
    sized.sort((a, b) => defaultOf(a, 'cpu')! - defaultOf(b, 'cpu')! || defaultOf(a, 'memory')! - defaultOf(b, 'memory')!);
    return [...sized, ...rest];
  },
};

export const imageView: View<Image> = {
  singular: 'image',
  plural: 'images',
  schema: object({
    id: string, href: string, name: optionalString, description: optionalString, owner: optionalString, architecture: optionalString,
    state: optionalString, root_type: string, hardware_profiles: arrayOf(reference('hardware_profile')),
  }, { creation_time: string }),
  xml: (i, v) =>
    el('image', { href: v.href('images', i.id), id: i.id }, [
      textEl('name', i.name),
      textEl('description', i.description),
      textEl('owner_id', i.ownerId),
      textEl('architecture', i.architecture),
      present(i.state) ? textEl('state', i.state) : undefined,
      present(i.creationTime) ? textEl('creation_time', i.creationTime) : undefined,
      i.hardwareProfileIds && i.hardwareProfileIds.length > 0
        ? el('hardware_profiles', {}, i.hardwareProfileIds.map((id) =>
            el('hardware_profile', { href: v.href('hardware_profiles', id), id, rel: 'hardware_profile' })))
        : undefined,
      textEl('root_type', i.rootType ?? 'transient'),
      el('actions', {}, [
        link(v.href('instances') + `;image_id=${encodeMatrixValue(i.id)}`, 'create_instance', 'post'),
        v.can('destroy_image') ? link(v.href('images', i.id), 'destroy_image', 'delete') : undefined,
      ].filter(present)),
    ]),
  json: (i, v) => {
    const json: Record<string, unknown> = {
      id: i.id, href: v.href('images', i.id), name: i.name ?? null, description: i.description ?? null,
      owner: i.ownerId ?? null, architecture: i.architecture ?? null, state: i.state ?? null,
      root_type: i.rootType ?? 'transient',
    };
    if (present(i.creationTime)) json.creation_time = i.creationTime;
    json.hardware_profiles = (i.hardwareProfileIds ?? []).map((id) => ({
      id, href: v.href('hardware_profiles', id), rel: 'hardware_profile',
    }));
    return json;
  },
};

/** Matrix values end at `;`, `/` or `?`, so those must be escaped inside them. */
export function encodeMatrixValue(value: string): string {
  return value.replace(/[;/?%#\s]/g, (c) => encodeURIComponent(c));
}

const OVERRIDE_ORDER = ['memory', 'storage', 'architecture', 'cpu'];

function overridesInOrder(i: Instance): Array<[string, string]> {
  const o = i.profileOverrides;
  if (!o) return [];
  // Loops rather than filter/map/entries: this runs for every instance of every listing.
  const ordered: Array<[string, string]> = [];
  for (const k of OVERRIDE_ORDER) {
    const value = o[k];
    if (value !== undefined) ordered.push([k, value]);
  }
  for (const k in o) if (!OVERRIDE_ORDER.includes(k)) ordered.push([k, o[k]!]);
  return ordered;
}

const ACTION_METHOD: Record<InstanceAction, string> = { start: 'post', stop: 'post', reboot: 'post', destroy: 'delete' };

/** The instance's action links in order: state-machine actions, then run, then create_image (spec §11.5.3). */
export function instanceActions(i: Instance, v: ViewContext): Array<{ href: string; rel: string; method: string }> {
  const actions = allowedActions(i, v.driver.declaration.stateMachine);
  const links: Array<{ href: string; rel: string; method: string }> = actions
    .filter((a) => v.can(INSTANCE_ACTION_CAPABILITY[a]))
    .map((a) => ({ href: a === 'destroy' ? v.href('instances', i.id) : v.href('instances', i.id, a), rel: a, method: ACTION_METHOD[a] }));
  if (v.can('run_on_instance')) {
    links.push({ href: v.href('instances', i.id, 'run') + `;id=${encodeMatrixValue(i.id)}`, rel: 'run', method: 'post' });
  }
  if (canImage(i, v)) {
    links.push({ href: v.href('images') + `;instance_id=${encodeMatrixValue(i.id)}`, rel: 'create_image', method: 'post' });
  }
  return links;
}

export function allowedActions(i: Instance, machine: StateMachine | undefined): InstanceAction[] {
  return i.actions ?? machine?.actionsFor(i.state) ?? [];
}

const canImage = (i: Instance, v: ViewContext) => i.canCreateImage && v.can('create_image');

function addressXml(a: InstanceAddress): XmlElement {
  const blank = a.address === '';
  return el('address', { type: blank ? 'unavailable' : a.type, port: a.port }, [a.address]);
}

const ADDRESS_SCHEMA: JsonSchema = object(
  { address: string, type: oneOfValues('ipv4', 'ipv6', 'hostname', 'mac', 'vnc', 'unavailable') },
  { port: { type: ['string', 'number'] } },
);

function addressJson(a: InstanceAddress): Record<string, unknown> {
  const json: Record<string, unknown> = { address: a.address, type: a.address === '' ? 'unavailable' : a.type };
  if (a.port !== undefined) json.port = a.port;
  return json;
}

function authenticationType(v: ViewContext): 'key' | 'password' | undefined {
  if (v.hasFeature('instances', 'authentication_key')) return 'key';
  if (v.hasFeature('instances', 'authentication_password')) return 'password';
  return undefined;
}

function authenticationXml(i: Instance, v: ViewContext): XmlElement | undefined {
  const type = authenticationType(v);
  if (!type) return undefined;
  if (i.authError !== undefined) return el('authentication', { type }, [textEl('error', i.authError)]);
  return el('authentication', { type }, [
    i.password !== undefined
      ? el('login', {}, [textEl('username', i.username), cdataEl('password', i.password)])
      : undefined,
    i.keyname !== undefined ? el('login', {}, [textEl('keyname', i.keyname)]) : undefined,
  ]);
}

export const instanceView: View<Instance> = {
  singular: 'instance',
  plural: 'instances',
  schema: object({
    id: string, href: string, name: optionalString, state: optionalString, owner: optionalString,
    image: reference('image'), realm: reference('realm'), actions: arrayOf(actionLink),
    hardware_profile: reference('hardware_profile', { properties: stringMap }),
    public_addresses: arrayOf(ADDRESS_SCHEMA), private_addresses: arrayOf(ADDRESS_SCHEMA), storage_volumes: arrayOf(reference('storage_volume')),
  }, {
    create_time: string, create_image: { const: true }, firewalls: arrayOf(reference('firewall')),
    authentication_type: { const: 'key' },
    authentication: object({}, { keyname: string, user: string, password: optionalString }),
  }),
  xml: (i, v) =>
    el('instance', { href: v.href('instances', i.id), id: i.id }, [
      present(i.name) ? textEl('name', i.name) : undefined,
      present(i.ownerId) ? textEl('owner_id', i.ownerId) : undefined,
      present(i.imageId) ? el('image', { href: v.href('images', i.imageId), id: i.imageId }) : undefined,
      present(i.realmId) ? el('realm', { href: v.href('realms', i.realmId), id: i.realmId }) : undefined,
      present(i.state) ? textEl('state', i.state) : undefined,
      present(i.hardwareProfileId)
        ? el('hardware_profile', { href: v.href('hardware_profiles', i.hardwareProfileId), id: i.hardwareProfileId },
            overridesInOrder(i).map(([name, value]) => el('property', { kind: 'fixed', name, unit: UNITS[name], value })))
        : undefined,
      el('actions', {}, instanceActions(i, v).map((a) => link(a.href, a.rel, a.method))),
      present(i.launchTime) ? textEl('launch_time', i.launchTime) : undefined,
      el('public_addresses', {}, i.publicAddresses.map(addressXml)),
      el('private_addresses', {}, i.privateAddresses.map(addressXml)),
      i.firewallIds
        ? el('firewalls', {}, i.firewallIds.map((id) => el('firewall', { href: v.href('firewalls', id), id })))
        : undefined,
      el('storage_volumes', {}, i.storageVolumes.map((s) =>
        el('storage_volume', { device: s.device, href: v.href('storage_volumes', s.id), id: s.id }))),
      authenticationXml(i, v),
      i.networkInterfaceIds
        ? el('network_interfaces', {}, i.networkInterfaceIds.map((id) =>
            el('network_interface', { href: v.href('network_interfaces', id), id })))
        : undefined,
    ]),
  json: (i, v) => {
    const json: Record<string, unknown> = {
      id: i.id,
      href: v.href('instances', i.id),
      name: i.name ?? null,
      state: i.state ?? null,
      owner: i.ownerId ?? null,
      image: { href: v.refHref('images', i.imageId), id: i.imageId ?? null, rel: 'image' },
      realm: { href: v.refHref('realms', i.realmId), id: i.realmId ?? null, rel: 'realm' },
      actions: instanceActions(i, v),
      hardware_profile: {
        id: i.hardwareProfileId ?? null,
        href: v.refHref('hardware_profiles', i.hardwareProfileId),
        rel: 'hardware_profile',
        properties: Object.fromEntries(overridesInOrder(i)),
      },
      public_addresses: i.publicAddresses.map(addressJson),
      private_addresses: i.privateAddresses.map(addressJson),
    };
    if (present(i.launchTime)) json.create_time = i.launchTime;
    if (canImage(i, v)) json.create_image = true;
    if (i.firewallIds) json.firewalls = i.firewallIds.map((id) => ({ id, href: v.href('firewalls', id), rel: 'firewall' }));
    json.storage_volumes = i.storageVolumes.map((s) => ({ id: s.id, href: v.href('storage_volumes', s.id), rel: 'storage_volume' }));
    const authType = authenticationType(v);
    if (authType === 'key') json.authentication_type = 'key';
    const auth: Record<string, unknown> = {};
    if (i.keyname !== undefined) auth.keyname = i.keyname;
    if (authType === 'password' && i.username !== undefined) {
      auth.user = i.username;
      auth.password = i.password ?? null;
    }
    if (Object.keys(auth).length > 0) json.authentication = auth;
    return json;
  },
};

export const commandResultView = {
  schema: object({ instance: object({ id: string, public_address: optionalString, command: string, output: optionalString }) }),
  xml: (r: CommandResult, v: ViewContext) =>
    el('instance', { href: v.href('instances', r.instanceId), id: r.instanceId }, [
      textEl('public_address', r.publicAddress),
      textEl('command', r.command),
      textEl('output', r.output),
    ]),
  json: (r: CommandResult) => ({
    instance: { id: r.instanceId, public_address: r.publicAddress, command: r.command, output: r.output },
  }),
};

export const keyView: View<Key> = {
  singular: 'key',
  plural: 'keys',
  schema: object({
    id: string, href: string, credential_type: oneOfValues('key', 'password'), username: optionalString, password: optionalString, state: optionalString,
  }, { pem_rsa_key: string, fingerprint: string }),
  xml: (k, v) =>
    el('key', { href: v.href('keys', k.id), id: k.id, type: k.credentialType }, [
      textEl('name', k.name ?? k.id),
      el('actions', {}, [v.can('destroy_key') ? link(v.href('keys', k.id), 'destroy', 'delete') : undefined].filter(present)),
      ...(k.credentialType === 'key'
        ? [present(k.fingerprint) ? textEl('fingerprint', k.fingerprint) : undefined, present(k.pem) ? cdataEl('pem', k.pem) : undefined]
        : [cdataEl('username', k.username), cdataEl('password', k.password)]),
      textEl('state', k.state),
    ]),
  json: (k, v) => {
    const json: Record<string, unknown> = {
      id: k.id, href: v.href('keys', k.id), credential_type: k.credentialType,
      username: k.username ?? null, password: k.password ?? null, state: k.state ?? null,
    };
    if (present(k.pem)) json.pem_rsa_key = k.pem;
    if (present(k.fingerprint)) json.fingerprint = k.fingerprint;
    return json;
  },
};

/** Instance states: XML `<states>`, JSON a bare array (spec §11.6). */
export const instanceStatesView = {
  schema: arrayOf(object({
    name: string,
    transitions: arrayOf(object({ to: string }, { action: string, auto: { const: 'true' } })),
  })),
  xml: (m: StateMachine) =>
    el('states', {}, m.states.map((s) =>
      el('state', { name: s.name }, s.transitions.map((t) =>
        'auto' in t ? el('transition', { auto: 'true', to: t.to }) : el('transition', { action: t.action, to: t.to }))))),
  json: (m: StateMachine) =>
    m.states.map((s) => ({
      name: s.name,
      transitions: s.transitions.map((t) => ('auto' in t ? { to: t.to, auto: 'true' } : { to: t.to, action: t.action })),
    })),
};

const SAMPLE_FIELDS = ['minimum', 'maximum', 'average', 'timestamp', 'unit'] as const;
const SAMPLE_SCHEMA: JsonSchema = object(
  { minimum: number, maximum: number, average: number, timestamp: number, unit: string }, { partial: { const: true } },
);
// Property names become element names; anything that is not a safe XML name is dropped from the XML.
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export const metricView: View<Metric> = {
  singular: 'metric',
  plural: 'metrics',
  schema: object({
    id: string, href: string, entity: string,
    properties: arrayOf(object({ name: string, values: { anyOf: [arrayOf(SAMPLE_SCHEMA), { type: 'null' }] } })),
  }),
  xml: (m, v) =>
    el('metric', { href: v.href('metrics', m.id), id: m.id }, [
      textEl('entity', m.entity ?? m.id),
      el('properties', {}, m.properties.filter((p) => XML_NAME.test(p.name)).map((p) =>
        el(p.name, {}, (p.values ?? []).map((s) =>
          el('sample', {}, [
            ...SAMPLE_FIELDS.map((f) => el('property', { name: f, value: s[f] })),
            // Only on the sample of a period still running (a sixth property, which clients keyed by name ignore).
            ...(s.partial ? [el('property', { name: 'partial', value: 'true' })] : []),
          ]))))),
    ]),
  json: (m, v) => ({
    id: m.id, href: v.href('metrics', m.id), entity: m.entity ?? m.id,
    properties: m.properties.map((p) => ({ name: p.name, values: p.values })),
  }),
};
