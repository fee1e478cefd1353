// The message inside an OpenStack service's error answer (spec §8.3): the
// shared REST client maps the status onto the core errors, this finds the
// service's own words.
import { isRecord } from '../../core/guards.js';

/** The human message of an OpenStack error body (Nova/Cinder, Keystone, Neutron JSON; Glance/Swift text or HTML). */
export function openstackErrorMessage(json: unknown, text: string): string | undefined {
  const found = json === undefined ? undefined : messageIn(json);
  if (found) return found;
  return text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() || undefined;
}

function messageIn(json: unknown): string | undefined {
  if (!isRecord(json)) return typeof json === 'string' ? json : undefined;
  const o = json;
  if (typeof o.message === 'string' && o.message) return o.message; // {"message": …} (Ironic/Placement style)
  if (typeof o.error === 'string' && o.error) return o.error;
  for (const value of Object.values(o)) {
    // {"itemNotFound": {"message", "code"}}, {"error": {"message", "code", "title"}}, {"NeutronError": {"message", "type"}}
    if (isRecord(value) && typeof value.message === 'string' && value.message) return value.message;
  }
  if (Array.isArray(o.errors) && o.errors.length > 0) return messageIn(o.errors[0]); // Placement/Cinder v3 style
  return undefined;
}
