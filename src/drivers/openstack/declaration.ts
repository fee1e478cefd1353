// What the openstack driver declares: identity, features and the instance
// life cycle mapped from Nova's server status and task state.
import type { DriverDeclaration } from '../../core/driver.js';
import { deepFreeze } from '../../core/freeze.js';
import { StateMachine } from '../../core/state-machine.js';
import type { OpenStackOptions } from './config.js';
import { defaultProviderOf } from './provider.js';

/**
 * Nova servers really start, stop, reboot and delete (unlike Deltacloud 1.x,
 * whose `stop` deleted the server). States in order of first mention:
 * start, pending, running, error, stopping, stopped, finish.
 */
export const OPENSTACK_STATE_MACHINE = new StateMachine([
  { from: 'start', to: 'pending', action: 'create' },
  { from: 'pending', to: 'running', auto: true },
  { from: 'pending', to: 'error', auto: true },
  { from: 'pending', to: 'finish', action: 'destroy' },
  { from: 'running', to: 'running', action: 'reboot' },
  { from: 'running', to: 'stopping', action: 'stop' },
  { from: 'running', to: 'finish', action: 'destroy' },
  { from: 'running', to: 'error', auto: true },
  { from: 'stopping', to: 'stopped', auto: true },
  { from: 'stopping', to: 'error', auto: true },
  { from: 'stopped', to: 'running', action: 'start' },
  { from: 'stopped', to: 'finish', action: 'destroy' },
  { from: 'error', to: 'finish', action: 'destroy' },
]);

export const OPENSTACK_DECLARATION: DriverDeclaration = {
  id: 'openstack',
  name: 'Openstack',
  reach: 'remote',
  usernameLabel: 'user@project[@domain]',
  passwordLabel: 'Password',
  features: {
    instances: ['user_name', 'user_data', 'firewalls', 'authentication_key', 'authentication_password', 'instance_count', 'realm_filter'],
    images: ['owner_id', 'image_name', 'image_description'],
    keys: ['import_key'],
    storage_volumes: ['volume_name', 'volume_description'],
  },
  stateMachine: OPENSTACK_STATE_MACHINE,
};

/**
 * The declaration for the operator's options: its providers are the named
 * Keystones (`URL;region` when a region is set) and the Keystone URLs a
 * client may name directly.
 */
export function openstackDeclaration(options: OpenStackOptions): DriverDeclaration {
  const keystone: Record<string, string> = {};
  for (const [name, p] of options.providers) keystone[name] = p.region ? `${p.authUrl};${p.region}` : p.authUrl;
  for (const url of options.allowedAuthUrls) keystone[url] ??= url;
  const defaultProvider = defaultProviderOf(options);
  return deepFreeze({
    ...OPENSTACK_DECLARATION,
    ...(Object.keys(keystone).length > 0 ? { entrypoints: { keystone } } : {}),
    ...(defaultProvider ? { defaultProvider } : {}),
  });
}

/** Nova status (+ task state) → Deltacloud state. */
export function instanceState(status: string | undefined, taskState: string | null | undefined): string {
  const s = (status ?? '').toUpperCase();
  const task = (taskState ?? '').toLowerCase();
  if (task === 'deleting' || task === 'soft-deleting') return 'STOPPING';
  switch (s) {
    case 'BUILD':
    case 'BUILDING':
    case 'REBUILD':
    case 'RESIZE':
    case 'REVERT_RESIZE':
    case 'MIGRATING':
      return 'PENDING';
    case 'ACTIVE':
    case 'VERIFY_RESIZE':
    case 'REBOOT':
    case 'HARD_REBOOT':
    case 'PASSWORD':
    case 'RESCUE':
      if (task === 'powering-off' || task === 'suspending' || task === 'pausing' || task === 'shelving' || task === 'shelving_image_uploading') return 'STOPPING';
      return 'RUNNING';
    case 'SHUTOFF':
    case 'STOPPED':
    case 'SUSPENDED':
    case 'PAUSED':
    case 'SHELVED':
    case 'SHELVED_OFFLOADED':
      if (task === 'powering-on' || task === 'resuming' || task === 'unpausing' || task === 'unshelving' || task === 'spawning') return 'PENDING';
      return 'STOPPED';
    case 'ERROR':
      return 'ERROR';
    case 'DELETED':
    case 'SOFT_DELETED':
      return 'FINISH';
    default:
      return 'PENDING'; // UNKNOWN and anything newer: no action offered until Nova says more
  }
}
