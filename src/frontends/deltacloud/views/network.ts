// Representations of addresses, load balancers, firewalls, networks, subnets
// and network interfaces (spec §11.11–§11.13, §11.15–§11.17).
import type { Address, Firewall, FirewallRule, LoadBalancer, Network, NetworkInterface, Subnet } from '../../../core/model.js';
import { cdataEl, el, textEl, type XmlElement } from '../xml.js';
import { instanceView } from './compute.js';
import { link, type View, type ViewContext } from './view.js';
import { arrayOf, boolean, object, oneOfValues, optionalString, reference, string } from '../openapi/json-schema.js';

const present = <T>(v: T | undefined): v is T => v !== undefined;

export const addressView: View<Address> = {
  singular: 'address',
  plural: 'addresses',
  schema: object({ id: string, href: string, associated: boolean }, { instance_id: string }),
  xml: (a, v) => {
    const self = v.href('addresses', a.id);
    const associated = present(a.instanceId);
    return el('address', { href: self, id: a.id }, [
      textEl('ip', a.id),
      el('actions', {}, [
        v.can('destroy_address') ? link(self, 'destroy', 'delete') : undefined,
        !associated && v.can('associate_address') ? link(`${self}/associate`, 'associate', 'post') : undefined,
        associated && v.can('disassociate_address') ? link(`${self}/disassociate`, 'disassociate', 'post') : undefined,
      ].filter(present)),
      associated ? el('instance', { href: v.href('instances', a.instanceId!), id: a.instanceId }) : undefined,
    ]);
  },
  json: (a, v) => {
    const json: Record<string, unknown> = { id: a.id, href: v.href('addresses', a.id), associated: present(a.instanceId) };
    if (present(a.instanceId)) json.instance_id = a.instanceId;
    return json;
  },
};

export const loadBalancerView: View<LoadBalancer> = {
  singular: 'load_balancer',
  plural: 'load_balancers',
  schema: object({
    id: string, href: string, realms: arrayOf(reference('realm')),
    listeners: arrayOf(object({ id: optionalString, protocol: string, load_balancer_port: string, instance_port: string })),
    instances: arrayOf({ $ref: '#/components/schemas/instance' }), public_addresses: arrayOf(string), created_at: optionalString,
  }),
  xml: (lb, v) => {
    const self = v.href('load_balancers', lb.id);
    const realm = lb.realmIds[0];
    return el('load_balancer', { href: self, id: lb.id }, [
      el('actions', {}, [link(self, 'destroy', 'delete'), link(`${self}/register`, 'register', 'post')]),
      el('public_addresses', {}, lb.publicAddresses.map((a) => textEl('address', a))),
      present(lb.createdAt) ? textEl('created_at', lb.createdAt) : undefined,
      present(realm) ? el('realm', { href: v.href('realms', realm), id: realm }) : undefined,
      el('listeners', {}, lb.listeners.map((l) =>
        el('listener', { protocol: l.protocol }, [
          textEl('load_balancer_port', l.loadBalancerPort),
          textEl('instance_port', l.instancePort),
        ]))),
      el('instances', {}, lb.instances.map((i) =>
        el('instance', { href: v.href('instances', i.id), id: i.id }, [link(`${self}/unregister`, 'unregister')]))),
    ]);
  },
  json: (lb, v) => ({
    id: lb.id,
    href: v.href('load_balancers', lb.id),
    realms: lb.realmIds.map((id) => ({ id, href: v.href('realms', id), rel: 'realm' })),
    listeners: lb.listeners.map((l) => ({
      id: l.id ?? null, protocol: l.protocol,
      load_balancer_port: String(l.loadBalancerPort), instance_port: String(l.instancePort),
    })),
    instances: lb.instances.map((i) => instanceView.json(i, v)),
    public_addresses: lb.publicAddresses,
    created_at: lb.createdAt ?? null,
  }),
};

function sourceXml(s: FirewallRule['sources'][number]): XmlElement {
  return s.type === 'address'
    ? el('source', { address: s.address, family: s.family, prefix: s.prefix, type: 'address' })
    : el('source', { name: s.name, owner: s.owner, type: 'group' });
}

/** `inList`: the list document's variant (action links carry `id`, `add_rule` instead of `update`, rules without href). */
function firewallXml(f: Firewall, v: ViewContext, inList: boolean): XmlElement {
  const self = v.href('firewalls', f.id);
  const idAttr = (id: string): Record<string, string> => (inList ? { id } : {});
  return el('firewall', { href: self, id: f.id }, [
    el('actions', {}, [
      v.can('delete_firewall') ? link(self, 'destroy', 'delete', idAttr(f.id)) : undefined,
      v.can('create_firewall_rule') ? link(`${self}/rules`, inList ? 'add_rule' : 'update', 'post', idAttr(f.id)) : undefined,
    ].filter(present)),
    cdataEl('name', f.name ?? f.id),
    cdataEl('description', f.description),
    textEl('owner_id', f.ownerId),
    el('rules', {}, f.rules.map((r) => {
      const ruleHref = v.href('firewalls', f.id, r.id);
      return el('rule', inList ? { id: r.id } : { href: ruleHref, id: r.id }, [
        el('actions', {}, v.can('delete_firewall_rule') ? [link(ruleHref, 'destroy', 'delete', idAttr(r.id))] : []),
        textEl('allow_protocol', r.protocol),
        textEl('port_from', r.portFrom),
        textEl('port_to', r.portTo),
        textEl('direction', r.direction),
        textEl('rule_action', r.ruleAction),
        textEl('log_rule', r.logRule),
        el('sources', {}, r.sources.map(sourceXml)),
      ]);
    })),
  ]);
}

export const firewallView: View<Firewall> = {
  singular: 'firewall',
  plural: 'firewalls',
  schema: object({
    id: string, href: string, name: string, description: optionalString, owner_id: optionalString,
    rules: arrayOf(object({ id: string, sources: arrayOf({
      oneOf: [
        object({ type: { const: 'address' }, family: oneOfValues('ipv4', 'ipv6'), address: string, prefix: string }),
        object({ type: { const: 'group' }, name: string, owner: string }),
      ],
    }) }, { allow_protocol: string, port_from: string, port_to: string, direction: string, rule_action: string, log_rule: string })),
  }),
  xml: (f, v) => firewallXml(f, v, false),
  xmlInList: (f, v) => firewallXml(f, v, true),
  json: (f, v) => ({
    id: f.id,
    href: v.href('firewalls', f.id),
    name: f.name ?? f.id,
    description: f.description ?? null,
    owner_id: f.ownerId ?? null,
    rules: f.rules.map((r) => {
      const rule: Record<string, unknown> = {
        id: r.id, allow_protocol: r.protocol, port_from: r.portFrom, port_to: r.portTo,
        sources: r.sources.map((s) => ({ ...s })), direction: r.direction, rule_action: r.ruleAction, log_rule: r.logRule,
      };
      for (const k of Object.keys(rule)) if (rule[k] === undefined || rule[k] === null) delete rule[k];
      return rule;
    }),
  }),
};

export const networkView: View<Network> = {
  singular: 'network',
  plural: 'networks',
  schema: object({
    id: string, name: optionalString, href: string, state: optionalString, address_blocks: arrayOf(optionalString),
    subnets: arrayOf(object({ id: string, href: string })),
  }),
  xml: (n, v) =>
    el('network', { href: v.href('networks', n.id), id: n.id }, [
      textEl('name', n.name),
      textEl('state', n.state),
      el('address_blocks', {}, n.addressBlocks.map((b) => textEl('address_block', b))),
      el('subnets', {}, n.subnetIds.map((id) => el('subnet', { href: v.href('subnets', id), id }))),
      el('actions', {}, v.can('destroy_network') ? [link(v.href('networks', n.id), 'destroy', 'delete')] : []),
    ]),
  json: (n, v) => ({
    id: n.id, name: n.name ?? null, href: v.href('networks', n.id), state: n.state ?? null,
    address_blocks: n.addressBlocks,
    subnets: n.subnetIds.map((id) => ({ id, href: v.href('subnets', id) })),
  }),
};

export const subnetView: View<Subnet> = {
  singular: 'subnet',
  plural: 'subnets',
  schema: object({
    id: string, name: optionalString, href: string, type: optionalString, state: optionalString, address_block: optionalString,
    network: object({ id: optionalString, href: string }),
  }),
  xml: (s, v) =>
    el('subnet', { href: v.href('subnets', s.id), id: s.id }, [
      textEl('name', s.name),
      textEl('state', s.state),
      textEl('address_block', s.addressBlock),
      textEl('network', s.networkId),
      el('actions', {}, v.can('destroy_subnet') ? [link(v.href('subnets', s.id), 'destroy', 'delete')] : []),
    ]),
  json: (s, v) => ({
    id: s.id, name: s.name ?? null, href: v.href('subnets', s.id), type: s.type ?? null, state: s.state ?? null,
    address_block: s.addressBlock ?? null,
    network: { id: s.networkId ?? null, href: v.refHref('networks', s.networkId) },
  }),
};

export const networkInterfaceView: View<NetworkInterface> = {
  singular: 'network_interface',
  plural: 'network_interfaces',
  schema: object({
    id: string, name: optionalString, href: string, network: object({ id: optionalString, href: string }),
    instance: object({ id: optionalString, href: string }), ip_address: optionalString,
  }),
  xml: (n, v) => {
    // Points at a subnet when the driver has subnets, else at a network (spec §11.17).
    const viaSubnet = v.can('subnets');
    return el('network_interface', { href: v.href('network_interfaces', n.id), id: n.id }, [
      textEl('name', n.name),
      textEl('ip_address', n.ipAddress),
      present(n.networkId)
        ? el('network', {
            href: v.href(viaSubnet ? 'subnets' : 'networks', n.networkId), id: n.networkId, rel: viaSubnet ? 'subnet' : 'network',
          }, [n.networkId])
        : undefined,
      present(n.instanceId) ? el('instance', { href: v.href('instances', n.instanceId), id: n.instanceId }, [n.instanceId]) : undefined,
      el('actions', {}, v.can('destroy_network_interface') ? [link(v.href('network_interfaces', n.id), 'destroy', 'delete')] : []),
    ]);
  },
  json: (n, v) => ({
    id: n.id, name: n.name ?? null, href: v.href('network_interfaces', n.id),
    network: { id: n.networkId ?? null, href: v.refHref('networks', n.networkId) },
    instance: { id: n.instanceId ?? null, href: v.refHref('instances', n.instanceId) },
    ip_address: n.ipAddress ?? null,
  }),
};
