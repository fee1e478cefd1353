// The console around the HTML pages: which collections the side navigation
// lists, which back ends the header's switcher offers, and how a resource's
// state is coloured. Rendering stays in html.ts; the browser-side
// enhancements are console-script.ts.
import { collectionsOf } from '../../core/driver.js';
import type { HardwareProfile, HardwareProperty } from '../../core/model.js';
import type { ApiRequest } from './operation.js';

export const CONSOLE_SCRIPT_PATH = '/javascripts/console.js';

export interface ConsoleChrome {
  /** The driver's collections, linked on the chosen back end. */
  collections: Array<{ rel: string; href: string }>;
  drivers: ApiRequest['driverIds'];
}

/** The chrome of a page answering `req` (pass it as the page context's `chrome`). */
export function consoleChrome(req: Pick<ApiRequest, 'driver' | 'driverIds' | 'view'>): ConsoleChrome {
  const collections = collectionsOf(req.driver).filter((c) => c !== 'drivers');
  return { collections: collections.map((rel) => ({ rel, href: req.view.href(rel) })), drivers: req.driverIds };
}

/** States a resource passes through on its own: a page showing one refreshes until it settles. */
const CHANGING = new Set(['PENDING', 'STARTING', 'STOPPING', 'SHUTTING_DOWN', 'REBOOTING', 'CREATING', 'DELETING', 'ATTACHING', 'DETACHING', 'BUILD']);
const OK = new Set(['RUNNING', 'AVAILABLE', 'IN-USE', 'IN_USE', 'ACTIVE', 'COMPLETED', 'UP']);
const BAD = new Set(['ERROR', 'FAILED', 'UNKNOWN']);

export type StateTone = 'ok' | 'changing' | 'bad' | 'off';

export function stateTone(state: string): StateTone {
  const s = state.toUpperCase();
  return OK.has(s) ? 'ok' : CHANGING.has(s) ? 'changing' : BAD.has(s) ? 'bad' : 'off';
}

const PROFILE_SUMMARY: Array<[HardwareProperty['name'], string]> = [['cpu', 'CPU'], ['memory', 'MB memory'], ['storage', 'GB storage']];

/** What a profile offers, for its drop-down entry: `m1-large: 2 CPU, 7680–15360 MB memory, 850/1024 GB storage`. */
export function profileSummary(profile: HardwareProfile): string {
  const parts: string[] = [];
  for (const [name, unit] of PROFILE_SUMMARY) {
    const p = profile.properties.find((x) => x.name === name);
    if (!p) continue;
    const amount = p.kind === 'range' && p.first !== undefined && p.last !== undefined ? `${p.first}–${p.last}`
      : p.kind === 'enum' && p.values?.length ? p.values.join('/') : String(p.value);
    parts.push(`${amount} ${unit}`);
  }
  const title = profile.name && profile.name !== profile.id ? `${profile.name} (${profile.id})` : profile.id;
  return parts.length ? `${title}: ${parts.join(', ')}` : title;
}
