// The server's own folder for spooled form uploads, `<dataDir>/uploads`:
// being the server's, it can be swept at start of what crashed servers left
// (their names carry the owner process, see core/owned-files.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sweepLeftovers } from '../core/owned-files.js';
import { UPLOAD_PREFIX } from '../frontends/deltacloud/plugin.js';

/** Creates the folder and removes dead servers' uploads from it; undefined (use the OS temp folder) when it cannot be created. */
export function prepareUploadsDir(dataDir: string): string | undefined {
  const dir = join(dataDir, 'uploads');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return undefined;
  }
  sweepLeftovers(dir, (name) => name.startsWith(UPLOAD_PREFIX));
  return dir;
}
