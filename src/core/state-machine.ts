// Instance life cycles (spec §11.6). A driver declares its transitions in
// order; states are listed in order of first mention.
import type { InstanceAction } from './model.js';

/** The life-cycle states of the API (lower case; instances report them upper case). */
export type StateName = 'start' | 'pending' | 'running' | 'stopping' | 'stopped' | 'finish' | 'error';

export type Transition =
  | { from: StateName; to: StateName; action: InstanceAction | 'create' }
  | { from: StateName; to: StateName; auto: true };

export interface StateDefinition {
  name: StateName;
  transitions: Transition[];
}

export class StateMachine {
  readonly states: StateDefinition[];
  private readonly actionsByState = new Map<string, InstanceAction[]>();

  constructor(readonly transitions: readonly Transition[]) {
    const states = new Map<string, StateDefinition>();
    const mention = (name: StateName) => {
      if (!states.has(name)) states.set(name, { name, transitions: [] });
      return states.get(name)!;
    };
    for (const t of transitions) {
      mention(t.from).transitions.push(t);
      mention(t.to);
    }
    this.states = [...states.values()];
    for (const state of this.states) {
      const actions: InstanceAction[] = [];
      for (const t of state.transitions) {
        if ('action' in t && t.action !== 'create') actions.push(t.action);
      }
      this.actionsByState.set(state.name, actions);
    }
  }

  /** Actions a client may take on an instance in `state` (upper or lower case). */
  actionsFor(state: string | undefined): InstanceAction[] {
    if (!state) return [];
    return this.actionsByState.get(state.toLowerCase()) ?? [];
  }
}

/** The life cycle most clouds share (and the mock's, spec mock §5). */
export const STANDARD_STATE_MACHINE = new StateMachine([
  { from: 'start', to: 'pending', action: 'create' },
  { from: 'pending', to: 'running', auto: true },
  { from: 'running', to: 'running', action: 'reboot' },
  { from: 'running', to: 'stopped', action: 'stop' },
  { from: 'stopped', to: 'running', action: 'start' },
  { from: 'stopped', to: 'finish', action: 'destroy' },
]);
