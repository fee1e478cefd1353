// Entry point of the podman driver (Podman's service or a Docker Engine,
// through the Docker Engine REST API). Loading contacts no engine: requests
// to an engine that is down answer 502 "Container engine not reachable at
// provider '<name>'".
import type { DriverFactory } from '../../core/driver.js';
import { PodmanBackend } from './backend.js';
import { podmanDeclaration } from './declaration.js';
import { createPodmanDriver } from './driver.js';
import { parseOptions } from './options.js';

export const podmanDriverFactory: DriverFactory = {
  declaration: podmanDeclaration(),
  declare: (options) => podmanDeclaration(parseOptions(options)),
  load: async (config) => createPodmanDriver(new PodmanBackend(parseOptions(config.options))),
};

export { CONTAINER_STATE_MACHINE } from './declaration.js';
export { parseOptions, type PodmanOptions } from './options.js';
