// What the linode driver declares: identity, features, and the Linode life
// cycle mapped from Linode's status values.
import type { DriverDeclaration } from '../../core/driver.js';
import { POWER_CYCLE_STATE_MACHINE } from '../shared/power-cycle.js';
import type { OfficialApi } from '../shared/rest/provider.js';

/** The official API (paths carry `/v4`); at most 500 items per page. */
export const LINODE_API: OfficialApi = { name: 'linode', url: 'https://api.linode.com', maxPageSize: 500 };

export const LINODE_DECLARATION: DriverDeclaration = {
  id: 'linode',
  name: 'Linode',
  reach: 'remote',
  usernameLabel: 'Label of your choice (not sent to Linode)',
  passwordLabel: 'Personal access token (for Object Storage: token:access key:secret)',
  features: {
    instances: ['user_name', 'user_data', 'authentication_key', 'authentication_password', 'realm_filter', 'firewalls'],
    images: ['image_name', 'image_description'],
    keys: ['import_key'],
    storage_volumes: ['volume_name'],
  },
  stateMachine: POWER_CYCLE_STATE_MACHINE,
};

/** Linode status → Deltacloud state. */
export function linodeState(status: string | undefined): string {
  switch (status) {
    case 'running':
    case 'rebooting':
      return 'RUNNING';
    case 'offline':
    case 'stopped':
      return 'STOPPED';
    case 'shutting_down':
    case 'deleting':
      return 'STOPPING';
    default:
      // provisioning, booting, migrating, rebuilding, cloning, restoring, resizing and anything newer
      return 'PENDING';
  }
}
