// The life cycle of a cloud server with power actions (DigitalOcean droplets,
// Linodes): created pending, running, powered off and on, destroyed in any
// settled state. Each driver maps its own status values onto these states.
import { StateMachine } from '../../core/state-machine.js';

export const POWER_CYCLE_STATE_MACHINE = new StateMachine([
  { from: 'start', to: 'pending', action: 'create' },
  { from: 'pending', to: 'running', auto: true },
  // A server created without booting (Linode `booted: false`), or one whose power-on failed.
  { from: 'pending', to: 'stopped', auto: true },
  { from: 'pending', to: 'finish', action: 'destroy' },
  { from: 'running', to: 'running', action: 'reboot' },
  { from: 'running', to: 'stopping', action: 'stop' },
  { from: 'running', to: 'finish', action: 'destroy' },
  { from: 'stopping', to: 'stopped', auto: true },
  { from: 'stopped', to: 'running', action: 'start' },
  { from: 'stopped', to: 'finish', action: 'destroy' },
]);
