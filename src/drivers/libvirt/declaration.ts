// What the libvirt driver declares about itself: providers (connection URIs),
// features and its instance state machine.
import type { DriverDeclaration } from '../../core/driver.js';
import { StateMachine } from '../../core/state-machine.js';
import { deepFreeze } from '../../core/freeze.js';
import { DEFAULT_ALLOWED_URIS, type LibvirtOptions } from './options.js';

/**
 * Domains' life: created and started (pending only while libvirt reports no
 * state yet); stop is a graceful ACPI shutdown (stopping) that the driver
 * forces after a timeout, or at once on a second stop; destroy works from
 * running, stopping and stopped (it powers the domain off first); a crashed
 * domain is in error and can be started again or destroyed.
 */
export const LIBVIRT_STATE_MACHINE = new StateMachine([
  { from: 'start', to: 'pending', action: 'create' },
  { from: 'pending', to: 'running', auto: true },
  { from: 'pending', to: 'stopped', auto: true },
  { from: 'running', to: 'running', action: 'reboot' },
  { from: 'running', to: 'stopping', action: 'stop' },
  { from: 'running', to: 'finish', action: 'destroy' },
  { from: 'running', to: 'error', auto: true },
  { from: 'stopping', to: 'stopped', auto: true },
  { from: 'stopping', to: 'stopped', action: 'stop' },
  { from: 'stopping', to: 'finish', action: 'destroy' },
  { from: 'stopped', to: 'running', action: 'start' },
  { from: 'stopped', to: 'finish', action: 'destroy' },
  { from: 'error', to: 'running', action: 'start' },
  { from: 'error', to: 'finish', action: 'destroy' },
]);

/**
 * The declaration for the operator's options: the providers are the allowed
 * connection URIs, the default first. Requests need the operator's Basic
 * credentials (checked by the server for every host-reaching driver).
 */
export function libvirtDeclaration(options: Pick<LibvirtOptions, 'allowedUris' | 'defaultUri'> = { allowedUris: DEFAULT_ALLOWED_URIS, defaultUri: DEFAULT_ALLOWED_URIS[0]! }): DriverDeclaration {
  return deepFreeze({
    id: 'libvirt',
    name: 'Libvirt',
    reach: 'host',
    defaultProvider: options.defaultUri,
    entrypoints: { libvirt: Object.fromEntries(options.allowedUris.map((u) => [u, u])) },
    usernameLabel: 'User (drivers.libvirt.user)',
    passwordLabel: 'Password (drivers.libvirt.password)',
    features: {
      instances: ['user_name', 'user_data', 'authentication_key', 'realm_filter', 'instance_count', 'hardware_profiles'],
      images: ['image_name', 'image_description'],
      keys: ['import_key'],
      storage_volumes: ['volume_name', 'volume_description'],
    },
    constraints: { user_name: { max_length: 255 } },
    stateMachine: LIBVIRT_STATE_MACHINE,
  });
}
