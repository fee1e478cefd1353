// What the podman driver declares: providers (the operator's named engines),
// features and the containers' life cycle.
import type { DriverDeclaration } from '../../core/driver.js';
import { deepFreeze } from '../../core/freeze.js';
import { StateMachine } from '../../core/state-machine.js';
import { DEFAULT_PROVIDERS } from './options.js';

/**
 * Containers' life: created and started at once (pending until the engine
 * says running; a container created but never started is stopped); stop is
 * SIGTERM, then SIGKILL after the stop timeout, done by the engine within the
 * request; destroy removes a running or stopped container; a dead container
 * is in error and can be started again or destroyed.
 */
export const CONTAINER_STATE_MACHINE = new StateMachine([
  { from: 'start', to: 'pending', action: 'create' },
  { from: 'pending', to: 'running', auto: true },
  { from: 'pending', to: 'stopped', auto: true },
  { from: 'running', to: 'running', action: 'reboot' },
  { from: 'running', to: 'stopped', action: 'stop' },
  { from: 'running', to: 'finish', action: 'destroy' },
  { from: 'running', to: 'error', auto: true },
  { from: 'stopped', to: 'running', action: 'start' },
  { from: 'stopped', to: 'finish', action: 'destroy' },
  { from: 'error', to: 'running', action: 'start' },
  { from: 'error', to: 'finish', action: 'destroy' },
]);

/**
 * The declaration for the operator's providers, the default first. Requests
 * need the operator's Basic credentials (checked by the server for every
 * host-reaching driver). Entry points show provider names only: socket paths
 * and engine addresses stay in the operator's configuration.
 */
export function podmanDeclaration(options: { providers: Record<string, unknown>; defaultProvider: string } = { providers: DEFAULT_PROVIDERS, defaultProvider: 'local' }): DriverDeclaration {
  const names = [options.defaultProvider, ...Object.keys(options.providers).filter((n) => n !== options.defaultProvider)];
  return deepFreeze({
    id: 'podman',
    name: 'Podman',
    reach: 'host',
    defaultProvider: options.defaultProvider,
    entrypoints: { engine: Object.fromEntries(names.map((n) => [n, n])) },
    usernameLabel: 'User (drivers.podman.user)',
    passwordLabel: 'Password (drivers.podman.password)',
    features: {
      instances: ['user_name', 'user_data', 'instance_count', 'hardware_profiles', 'realm_filter'],
      images: ['image_name', 'image_description'],
      storage_volumes: ['volume_name', 'volume_description'],
    },
    constraints: { user_name: { max_length: 128 } },
    stateMachine: CONTAINER_STATE_MACHINE,
  });
}
