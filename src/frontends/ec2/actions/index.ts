// Every EC2 action this front end answers, by its `Action` name.
import type { Action } from './common.js';
import { computeActions } from './compute.js';
import { networkActions } from './network.js';
import { storageActions } from './storage.js';

export const ACTIONS: Readonly<Record<string, Action>> = { ...computeActions, ...storageActions, ...networkActions };
