// Firewalls in the EC2 style (API spec §11.13) — beyond the original mock.
// Rule ids encode the rule: owner~protocol~from~to~ then one entry per source.
import type { Driver, FirewallRuleCreate } from '../../../core/driver.js';
import { Conflict, Forbidden, NotFound, ValidationFailure } from '../../../core/errors.js';
import type { Firewall, FirewallRule, FirewallSource } from '../../../core/model.js';
import type { MockBackend } from '../backend.js';
import { authenticate } from '../catalog.js';
import type { MockStore } from '../store.js';
import { applyFilters } from '../../../core/filters.js';

type Ops = Pick<Driver,
  'firewalls' | 'firewall' | 'create_firewall' | 'delete_firewall' | 'create_firewall_rule' | 'delete_firewall_rule'>;

/** `10.0.0.0/8` → an address source; no prefix means a single host. */
function addressSource(cidr: string): FirewallSource {
  const [address = '', prefix] = cidr.trim().split('/');
  const family = address.includes(':') ? 'ipv6' : 'ipv4';
  return { type: 'address', family, address, prefix: prefix ?? (family === 'ipv6' ? '128' : '32') };
}

function sourceKey(source: FirewallSource): string {
  return source.type === 'group'
    ? `@group,${source.owner},${source.name}`
    : `@address,${source.family},${source.address},${source.prefix}`;
}

export function ruleId(owner: string, protocol: string, from: string, to: string, sources: FirewallSource[]): string {
  return `${owner}~${protocol}~${from}~${to}~${sources.map(sourceKey).join(',')}`;
}

function buildRule(owner: string, req: FirewallRuleCreate): FirewallRule {
  const sources: FirewallSource[] = [
    ...req.addresses.map(addressSource),
    ...Object.entries(req.groups).map(([name, groupOwner]): FirewallSource => ({ type: 'group', name, owner: groupOwner })),
  ];
  if (sources.length === 0) throw new ValidationFailure('No sources. Specify at least one source ip address or group.');
  return {
    id: ruleId(owner, req.protocol, req.portFrom, req.portTo, sources),
    protocol: req.protocol,
    portFrom: req.portFrom,
    portTo: req.portTo,
    direction: 'ingress',
    sources,
  };
}

function requireFirewall(store: MockStore, id: string): Firewall {
  const firewall = store.get('firewalls', id);
  if (!firewall) throw new NotFound();
  return firewall;
}

export function firewallOperations({ store }: MockBackend): Ops {
  return {
    firewalls: async (ctx, filter) => {
      authenticate(ctx);
      return applyFilters('firewalls', store.list('firewalls'), filter);
    },
    firewall: async (ctx, id) => {
      authenticate(ctx);
      return store.get('firewalls', id);
    },
    create_firewall: async (ctx, { name, description }) => {
      const user = authenticate(ctx);
      return store.write(() => {
        if (store.has('firewalls', name)) throw new Forbidden('Firewall with same name already exists');
        return store.put('firewalls', { id: name, name, description, ownerId: user, rules: [] });
      });
    },
    delete_firewall: async (ctx, id) => {
      authenticate(ctx);
      await store.write(() => {
        requireFirewall(store, id);
        // Allowed while instances use it; they simply stop listing it.
        for (const instance of store.list('instances')) {
          if (!instance.firewallIds?.includes(id)) continue;
          store.put('instances', { ...instance, firewallIds: instance.firewallIds.filter((f) => f !== id) });
        }
        store.delete('firewalls', id);
      });
    },
    create_firewall_rule: async (ctx, req) => {
      authenticate(ctx);
      return store.write(() => {
        const firewall = requireFirewall(store, req.firewallId);
        const rule = buildRule(firewall.ownerId ?? '', req);
        if (firewall.rules.some((r) => r.id === rule.id)) throw new Conflict('Firewall rule already exists');
        return store.put('firewalls', { ...firewall, rules: [...firewall.rules, rule] });
      });
    },
    delete_firewall_rule: async (ctx, { firewallId, ruleId: id }) => {
      authenticate(ctx);
      await store.write(() => {
        const firewall = requireFirewall(store, firewallId);
        if (!firewall.rules.some((r) => r.id === id)) throw new NotFound();
        store.put('firewalls', { ...firewall, rules: firewall.rules.filter((r) => r.id !== id) });
      });
    },
  };
}
