// What every representation needs to know about the request it renders for.
import { hasCapability, type Driver } from '../../../core/driver.js';
import type { XmlElement } from '../xml.js';
import type { JsonSchema } from '../openapi/json-schema.js';

export class ViewContext {
  /** `base` is the absolute URL of the mount, e.g. `http://localhost:3001/api`. */
  constructor(readonly base: string, readonly driver: Driver) {}

  /** Absolute URL of a path under the mount; ids are percent-encoded only where a path segment needs it. */
  href(...segments: string[]): string {
    let url = this.base;
    for (const s of segments) url += '/' + encodePathSegment(s);
    return url;
  }

  /** A link to a member, or to the collection when the id is unknown (spec §1.1). */
  refHref(collection: string, id: string | undefined | null): string {
    return id === undefined || id === null ? this.href(collection) : this.href(collection, id);
  }

  can(capability: string): boolean {
    return hasCapability(this.driver, capability);
  }

  hasFeature(collection: string, feature: string): boolean {
    const declared = this.driver.declaration.features[collection as keyof typeof this.driver.declaration.features];
    return declared?.includes(feature) ?? false;
  }
}

// Characters a path segment may carry verbatim (RFC 3986 pchar) besides
// alphanumerics; `;` is left out because it starts matrix parameters here.
const SEGMENT_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,=:@]*$/;
const KEEP_VERBATIM = /%(21|24|26|27|28|29|2A|2B|2C|3D|3A|40)/g;

export function encodePathSegment(segment: string): string {
  if (SEGMENT_SAFE.test(segment)) return segment;
  return encodeURIComponent(segment).replace(KEEP_VERBATIM, (m) => decodeURIComponent(m));
}

/** One resource's representation: its XML tree and its JSON object, side by side. */
export interface View<T> {
  singular: string;
  plural: string;
  xml(resource: T, v: ViewContext): XmlElement;
  json(resource: T, v: ViewContext): Record<string, unknown>;
  /** JSON Schema of what `json` returns (the OpenAPI document's component; checked against real answers in tests). */
  schema: JsonSchema;
  /** Order of members in the XML list when it differs from the driver's (hardware profiles). */
  xmlListOrder?(items: T[]): T[];
  /** The member element inside a list document, when it differs from the show document (firewalls). */
  xmlInList?(resource: T, v: ViewContext): XmlElement;
}

export function link(href: string, rel: string, method?: string, extra?: Record<string, string>): XmlElement {
  // Most links have no extra attributes: no spread of an empty object (every instance in a list has several links).
  return { name: 'link', attrs: extra ? { href, method, rel, ...extra } : { href, method, rel }, children: [] };
}
