// Temporary files and folders named after the process that made them, so a
// starting server can remove at once what a crashed one (kill -9, power
// loss) left behind, while another live server sharing the directory keeps
// its uploads in progress.
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from './guards.js';

/** Tells this process from an earlier one that had the same pid (pid 1 in every container start). */
const INCARNATION = randomBytes(4).toString('hex');

/** `<pid>-<incarnation>`: put into the names of this process's temporary entries. */
export const OWNER_TAG = `${process.pid}-${INCARNATION}`;

const TAG = /(?:^|[.-])(\d{1,10})-([0-9a-f]{8})(?:[.-]|$)/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(e) === 'EPERM';
  }
}

/** Whether an entry named with an owner tag belongs to no running process (its maker is gone). */
export function isLeftover(name: string): boolean {
  const m = TAG.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return m[2] !== INCARNATION;
  return !alive(pid);
}

/**
 * Removes the entries of `dir` that `matches` selects and whose maker is gone;
 * returns how many. A missing directory has none.
 */
export function sweepLeftovers(dir: string, matches: (name: string) => boolean): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!matches(name) || !isLeftover(name)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
