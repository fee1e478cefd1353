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

/** What an error page says about a status: what happened, what to do, and which link helps. */
export interface ErrorAdvice {
  happened: string;
  todo: string;
  /** `up`: the page above the failed one (the list, the resource); `backend`: the driver picker. */
  lead?: 'up' | 'backend';
}

const ERROR_ADVICE: Record<number, ErrorAdvice> = {
  400: { happened: 'The server could not accept the request as it was sent.', todo: 'Correct the value the message names and send it again; each form field says what it takes.', lead: 'up' },
  401: { happened: 'This back end needs credentials, or refused the ones sent.', todo: 'Reload the page and give the user name and password (or access key and secret) of your account with this back end when the browser asks, or choose another driver.', lead: 'backend' },
  403: { happened: 'The credentials were accepted, but they do not allow this.', todo: 'Use an account that is allowed to do it, or ask the back end\'s administrator for the permission.', lead: 'up' },
  404: { happened: 'Nothing exists at this address: the resource may have been deleted, or the link is out of date.', todo: 'Go back to the list and choose the resource from there.', lead: 'up' },
  405: { happened: 'The resource cannot do this now: its current state does not allow it (for example, starting a running instance), or the driver never allows it.', todo: 'Open the resource: its page offers the actions that are possible now.', lead: 'up' },
  406: { happened: 'The server cannot answer in the format asked for.', todo: 'Ask for HTML, XML or JSON (the links next to a page\'s title).', lead: 'up' },
  409: { happened: 'The request conflicts with the resource as it is now, for example a name that is already taken.', todo: 'Choose another name, or open the resource again to see its current state and retry.', lead: 'up' },
  412: { happened: 'The current driver cannot do this.', todo: 'Choose a driver that can, with the switcher in the header.', lead: 'backend' },
  413: { happened: 'What was sent is larger than this server accepts.', todo: 'Send less (a smaller file), or ask the operator to raise the upload limit.', lead: 'up' },
  415: { happened: 'The request body is of a kind this operation does not take.', todo: 'Send the form from its page in the console.', lead: 'up' },
  500: { happened: 'The server failed while answering; nothing you sent is at fault.', todo: 'Try again in a moment. If it keeps failing, the server\'s log names the cause (never shown here).' },
  501: { happened: 'This driver does not offer this operation.', todo: 'Choose a driver that does, with the switcher in the header.', lead: 'backend' },
  502: { happened: 'The back end answered with an error.', todo: 'Try again in a moment; if it keeps failing, check the back end itself.' },
  503: { happened: 'The back end is unavailable or asks to slow down.', todo: 'Wait a moment and try again.' },
  504: { happened: 'The back end took too long to answer; the operation may still complete.', todo: 'Open the list to see whether it did before trying again.', lead: 'up' },
};

export function errorAdvice(status: number): ErrorAdvice {
  return ERROR_ADVICE[status] ?? (status >= 500 ? ERROR_ADVICE[500]! : ERROR_ADVICE[400]!);
}
