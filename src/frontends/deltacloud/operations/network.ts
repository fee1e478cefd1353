// Addresses, load balancers, firewalls, networks, subnets, network interfaces.
import { ValidationFailure } from '../../../core/errors.js';
import { optParam, param, type ApiRequest, type Operation } from '../operation.js';
import { emptyReply } from '../reply.js';
import {
  addressView, firewallView, loadBalancerView, networkInterfaceView, networkView, subnetView,
} from '../views/network.js';
import { memberReply, readAndDestroy } from './standard.js';
import { call } from '../../../core/kit/pipeline.js';
import { memberOf, noContent } from '../openapi/responses.js';

const addresses: Operation[] = [
  ...readAndDestroy('addresses', addressView, 'destroy_address'),
  {
    collection: 'addresses', name: 'create', method: 'POST', path: '/addresses', capability: 'create_address',
    params: [{ name: 'instance_id', description: 'Where the provider allocates addresses only onto an instance (Linode): the instance to allocate it to. Other drivers ignore it.' }],
    responses: [memberOf(addressView, 201, ['Location'])],
    async run(req) {
      const address = await call(req.driver, 'create_address', req.ctx, { instanceId: optParam(req, 'instance_id') });
      const location = req.view.href('addresses', address.id);
      return { ...memberReply(req, 201, addressView, address, { location }), htmlRedirect: location };
    },
  },
  {
    collection: 'addresses', name: 'associate', method: 'POST', path: '/addresses/:id/associate', capability: 'associate_address',
    params: [{ name: 'id', required: true }, { name: 'instance_id', required: true }], responses: [noContent(202)],
    async run(req) {
      await call(req.driver, 'associate_address', req.ctx, { id: req.pathParams.id!, instanceId: param(req, 'instance_id') });
      return { status: 202, typedEmpty: true, htmlRedirect: req.view.href('addresses', req.pathParams.id!) };
    },
  },
  {
    collection: 'addresses', name: 'disassociate', method: 'POST', path: '/addresses/:id/disassociate', capability: 'disassociate_address',
    params: [{ name: 'id', required: true }], responses: [noContent(202)],
    async run(req) {
      await call(req.driver, 'disassociate_address', req.ctx, req.pathParams.id!);
      return { status: 202, typedEmpty: true, htmlRedirect: req.view.href('addresses', req.pathParams.id!) };
    },
  },
];

const lbAction = (name: 'register' | 'unregister', capability: 'lb_register_instance' | 'lb_unregister_instance'): Operation => ({
  collection: 'load_balancers', name, method: 'POST', path: `/load_balancers/:id/${name}`, capability,
  params: [{ name: 'id', required: true }, { name: 'instance_id', required: true }], responses: [memberOf(loadBalancerView)],
  async run(req) {
    const lb = await call(req.driver, capability, req.ctx, { id: req.pathParams.id!, instanceId: param(req, 'instance_id') });
    return { ...memberReply(req, 200, loadBalancerView, lb), htmlRedirect: req.view.href('load_balancers', lb.id) };
  },
});

const PORT = /^\d{1,5}$/;

const loadBalancers: Operation[] = [
  ...readAndDestroy('load_balancers', loadBalancerView, 'destroy_load_balancer'),
  {
    collection: 'load_balancers', name: 'create', method: 'POST', path: '/load_balancers', capability: 'create_load_balancer',
    params: [
      { name: 'name', required: true }, { name: 'realm_id', required: true }, { name: 'listener_protocol', required: true },
      { name: 'listener_balancer_port', required: true }, { name: 'listener_instance_port', required: true },
    ],
    responses: [memberOf(loadBalancerView, 201, ['Location'])],
    async run(req) {
      for (const p of ['listener_balancer_port', 'listener_instance_port']) {
        if (!PORT.test(param(req, p))) throw new ValidationFailure(`${p} must be a port number`);
      }
      const lb = await call(req.driver, 'create_load_balancer', req.ctx, {
        name: param(req, 'name'), realmId: param(req, 'realm_id'), listenerProtocol: param(req, 'listener_protocol'),
        listenerBalancerPort: param(req, 'listener_balancer_port'), listenerInstancePort: param(req, 'listener_instance_port'),
      });
      const location = req.view.href('load_balancers', lb.id);
      return { ...memberReply(req, 201, loadBalancerView, lb, { location }), htmlRedirect: location };
    },
  },
  lbAction('register', 'lb_register_instance'),
  lbAction('unregister', 'lb_unregister_instance'),
];

/** Rule sources: `ip_address*` / `ip-address*` parameters, and `groupN` + `groupNowner` pairs (spec §11.13). */
function ruleSources(req: ApiRequest): { addresses: string[]; groups: Record<string, string> } {
  const addresses: string[] = [];
  const groupParams: string[] = [];
  for (const [name, value] of Object.entries(req.params)) {
    if (/^ip[-_]address/i.test(name) && typeof value === 'string' && value !== '') addresses.push(value);
    if (name.startsWith('group')) groupParams.push(name);
  }
  const groups: Record<string, string> = {};
  for (let i = 1; i <= Math.floor(groupParams.length / 2); i++) {
    const group = optParam(req, `group${i}`);
    if (group) groups[group] = optParam(req, `group${i}owner`) ?? '';
  }
  return { addresses, groups };
}

const firewalls: Operation[] = [
  ...readAndDestroy('firewalls', firewallView, 'delete_firewall'),
  {
    collection: 'firewalls', name: 'create', method: 'POST', path: '/firewalls', capability: 'create_firewall',
    params: [{ name: 'name', required: true }, { name: 'description', required: true }],
    responses: [memberOf(firewallView, 201, ['Location'])],
    async run(req) {
      const firewall = await call(req.driver, 'create_firewall', req.ctx, {
        name: param(req, 'name'), description: param(req, 'description'),
      });
      const location = req.view.href('firewalls', firewall.id);
      return { ...memberReply(req, 201, firewallView, firewall, { location }), htmlRedirect: location };
    },
  },
  {
    collection: 'firewalls', name: 'rules', method: 'POST', path: '/firewalls/:id/rules', capability: 'create_firewall_rule',
    params: [{ name: 'id', required: true }, { name: 'protocol', required: true }, { name: 'port_from', required: true }, { name: 'port_to', required: true }],
    responses: [memberOf(firewallView, 201)],
    async run(req) {
      const { addresses, groups } = ruleSources(req);
      if (addresses.length === 0 && Object.keys(groups).length === 0) {
        throw new ValidationFailure('No sources. Specify at least one source ip address or group.');
      }
      const firewall = await call(req.driver, 'create_firewall_rule', req.ctx, {
        firewallId: req.pathParams.id!, protocol: param(req, 'protocol'), portFrom: param(req, 'port_from'), portTo: param(req, 'port_to'),
        addresses, groups,
      });
      return { ...memberReply(req, 201, firewallView, firewall), htmlRedirect: req.view.href('firewalls', firewall.id) };
    },
  },
  {
    collection: 'firewalls', name: 'destroy_rule', method: 'DELETE', path: '/firewalls/:id/:rule_id', capability: 'delete_firewall_rule',
    params: [{ name: 'id', required: true }, { name: 'rule_id', required: true }], responses: [noContent()],
    async run(req) {
      await call(req.driver, 'delete_firewall_rule', req.ctx, { firewallId: req.pathParams.id!, ruleId: req.pathParams.rule_id! });
      return emptyReply(204, undefined, req.view.href('firewalls', req.pathParams.id!));
    },
  },
];

const networks: Operation[] = [
  ...readAndDestroy('networks', networkView, 'destroy_network'),
  {
    collection: 'networks', name: 'create', method: 'POST', path: '/networks', capability: 'create_network',
    params: [{ name: 'address_block' }, { name: 'name' }], responses: [memberOf(networkView)],
    async run(req) {
      const network = await call(req.driver, 'create_network', req.ctx, {
        addressBlock: optParam(req, 'address_block') || undefined, name: optParam(req, 'name') || undefined,
      });
      return { ...memberReply(req, 200, networkView, network), htmlRedirect: req.view.href('networks', network.id) };
    },
  },
];

const subnets: Operation[] = [
  ...readAndDestroy('subnets', subnetView, 'destroy_subnet'),
  {
    collection: 'subnets', name: 'create', method: 'POST', path: '/subnets', capability: 'create_subnet',
    params: [{ name: 'network_id', required: true }, { name: 'address_block', required: true }, { name: 'name' }], responses: [memberOf(subnetView)],
    async run(req) {
      const subnet = await call(req.driver, 'create_subnet', req.ctx, {
        networkId: param(req, 'network_id'), addressBlock: param(req, 'address_block'), name: optParam(req, 'name') || undefined,
      });
      return { ...memberReply(req, 200, subnetView, subnet), htmlRedirect: req.view.href('subnets', subnet.id) };
    },
  },
];

const networkInterfaces: Operation[] = [
  ...readAndDestroy('network_interfaces', networkInterfaceView, 'destroy_network_interface'),
  {
    collection: 'network_interfaces', name: 'create', method: 'POST', path: '/network_interfaces', capability: 'create_network_interface',
    params: [
      { name: 'instance', required: true }, { name: 'network', required: true }, { name: 'name' },
      { name: 'subnet', label: 'Subnet (where the driver needs one)', description: 'The subnet, for drivers whose interfaces attach to one.' },
    ],
    responses: [memberOf(networkInterfaceView)],
    async run(req) {
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.params)) if (typeof v === 'string') flat[k] = v;
      const nic = await call(req.driver, 'create_network_interface', req.ctx, {
        instanceId: param(req, 'instance'), networkId: param(req, 'network'), name: optParam(req, 'name') || undefined, params: flat,
      });
      return { ...memberReply(req, 200, networkInterfaceView, nic), htmlRedirect: req.view.href('network_interfaces', nic.id) };
    },
  },
];

export const networkOperations: Operation[] = [
  ...addresses, ...loadBalancers, ...firewalls, ...networks, ...subnets, ...networkInterfaces,
];
