// Azure's naming rules for containers, blobs and metadata ("Naming and
// Referencing Containers, Blobs, and Metadata", Microsoft Learn), checked
// before any request: a name Azure cannot take answers 400 here instead of
// reaching the service (where a `?` or `#` would change the request).
import { ValidationFailure } from '../../core/errors.js';

const CONTAINER = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;
/** Containers with a meaning of their own: the root container, static websites, analytics logs. */
const SPECIAL_CONTAINERS = new Set(['$root', '$web', '$logs']);
const MAX_BLOB_CHARS = 1024;
const MAX_SEGMENTS = 254;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Metadata names are C# identifiers (they travel as `x-ms-meta-<name>` headers). */
const METADATA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const METADATA_VALUE = /^[\x20-\x7e]*$/;
const MAX_METADATA_BYTES = 8 * 1024;

/** 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit. */
export function checkContainerName(name: string): void {
  if (SPECIAL_CONTAINERS.has(name)) return;
  if (!CONTAINER.test(name)) {
    throw new ValidationFailure('Invalid bucket name: Azure container names are 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit');
  }
}

/** 1-1024 characters, at most 254 path segments, no control characters, not ending in `.`, `/` or `\`. */
export function checkBlobName(name: string): void {
  const chars = [...name].length;
  if (chars < 1 || chars > MAX_BLOB_CHARS) throw new ValidationFailure(`Invalid blob name: must be 1 to ${MAX_BLOB_CHARS} characters, got ${chars}`);
  if (name.split('/').length > MAX_SEGMENTS) throw new ValidationFailure(`Invalid blob name: at most ${MAX_SEGMENTS} path segments`);
  if (CONTROL.test(name)) throw new ValidationFailure('Invalid blob name: control characters are not allowed');
  if (/[./\\]$/.test(name)) throw new ValidationFailure('Invalid blob name: it must not end with a dot, a slash or a backslash');
}

export function checkNames(container: string, blob?: string): void {
  checkContainerName(container);
  if (blob !== undefined) checkBlobName(blob);
}

/** User metadata as Azure can carry it: identifier names, printable ASCII values, 8 KiB in all. */
export function checkMetadata(metadata: Record<string, string>): Record<string, string> {
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME.test(name)) throw new ValidationFailure(`Metadata key '${name}' is not allowed by Azure (letters, digits and _, not starting with a digit)`);
    if (!METADATA_VALUE.test(value)) throw new ValidationFailure(`Metadata value of '${name}' must be printable ASCII`);
    bytes += name.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) throw new ValidationFailure(`Metadata must be at most ${MAX_METADATA_BYTES} bytes in all`);
  return metadata;
}
