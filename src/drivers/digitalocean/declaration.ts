// What the digitalocean driver declares: identity, features, and the droplet
// life cycle mapped from DigitalOcean's status values.
import type { DriverDeclaration } from '../../core/driver.js';
import { POWER_CYCLE_STATE_MACHINE } from '../shared/power-cycle.js';
import type { OfficialApi } from '../shared/rest/provider.js';

/** The official API (paths carry `/v2`); at most 200 items per page. */
export const DIGITALOCEAN_API: OfficialApi = { name: 'digitalocean', url: 'https://api.digitalocean.com', maxPageSize: 200 };

export const DIGITALOCEAN_DECLARATION: DriverDeclaration = {
  id: 'digitalocean',
  name: 'DigitalOcean',
  reach: 'remote',
  usernameLabel: 'Label of your choice (not sent to DigitalOcean)',
  passwordLabel: 'API token (for Spaces: token:Spaces key:Spaces secret)',
  features: {
    instances: ['user_name', 'user_data', 'authentication_key', 'firewalls', 'realm_filter'],
    images: ['image_name'],
    keys: ['import_key'],
    storage_volumes: ['volume_name', 'volume_description'],
  },
  stateMachine: POWER_CYCLE_STATE_MACHINE,
};

/** Droplet status (+ a power action still in progress) → Deltacloud state. */
export function dropletState(status: string | undefined): string {
  switch (status) {
    case 'new': return 'PENDING';
    case 'active': return 'RUNNING';
    case 'off': return 'STOPPED';
    case 'archive': return 'FINISH';
    default: return 'PENDING';
  }
}
