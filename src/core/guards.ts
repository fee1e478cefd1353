// Type guards for values whose shape is only known at run time (parsed JSON,
// configuration files, caught errors), so callers narrow instead of asserting.
import { DeltacloudError } from './errors.js';

/** A JSON object (not null, not an array): its keys can be read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** The string `code` a caught error carries (Node's errno codes, SQLite's, the SDKs'), if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The HTTP status of a core error; undefined for anything else. */
export function errorStatus(error: unknown): number | undefined {
  return error instanceof DeltacloudError ? error.status : undefined;
}
