// `npm install` must not warn EBADENGINE on a Node version the project
// supports: every locked package's `engines.node` has to admit the oldest
// supported major (package.json `engines.node`), e.g. cookie 2 (Node >= 22),
// pulled in by Fastify's light-my-request, does not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';
import { ROOT } from '../helpers/server.js';

interface LockedPackage {
  version?: string;
  engines?: Record<string, string> | string[];
}

test('every locked package runs on the oldest Node major package.json supports', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };
  const oldest = semver.minVersion(manifest.engines.node);
  assert.ok(oldest, `package.json engines.node is a range: ${manifest.engines.node}`);
  const supportedMajor = `${oldest.major}.x`;
  const refusing = Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .flatMap(([path, pkg]) => {
      const range = !pkg.engines || Array.isArray(pkg.engines) ? undefined : pkg.engines.node;
      return range !== undefined && !semver.intersects(range, supportedMajor) ? [`${path}@${pkg.version} wants node ${range}`] : [];
    });
  assert.deepEqual(refusing, [], `packages that npm would warn EBADENGINE about on Node ${supportedMajor}`);
});
