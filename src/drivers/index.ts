// Every driver this server ships. Declarations are cheap; `load` brings in a
// driver's SDKs only when a request first selects it.
import type { DriverFactory } from '../core/driver.js';
import { mockDriverFactory } from './mock/index.js';

export const DRIVER_FACTORIES: readonly DriverFactory[] = [mockDriverFactory];
