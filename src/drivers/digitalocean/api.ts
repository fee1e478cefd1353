// DigitalOcean API v2 conventions every group of the driver's operations
// shares: the error body, listings (`links.pages.next`), the shapes of ids.
import type { RequestContext } from '../../core/driver.js';
import { ValidationFailure } from '../../core/errors.js';
import { linkPaging, type RestCalls } from '../shared/rest/client.js';

/** The message of a DigitalOcean error body: `{"id": "not_found", "message": "…"}`. */
export function digitaloceanErrorMessage(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string' ? body.message : undefined;
}

interface Page {
  links?: { pages?: { next?: string } };
}

/** Every item under `key` of a listing, following `links.pages.next`. */
export function listAll<T extends Identified>(api: RestCalls, path: string, key: string, pageSize: number, query: Record<string, string> = {}): Promise<T[]> {
  const paging = linkPaging<T, Page & Record<string, unknown>>((body) => {
    const items = body[key];
    return Array.isArray(items) ? items : [];
  }, (body) => body.links?.pages?.next, { per_page: pageSize });
  return api.all(path, { ...paging, idOf: (item) => String(item.id ?? item.slug ?? item.ip) }, query);
}

/** Members are named by id, slug (regions, sizes) or address (reserved IPs). */
export interface Identified { id?: string | number; slug?: string | null; ip?: string }

export const enc = encodeURIComponent;
/** Droplet, image, key and action ids are whole numbers; anything else names nothing (404 without a call). */
export const isWholeNumber = (id: string) => /^[1-9]\d{0,17}$/.test(id);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (id: string) => UUID.test(id);

/** A listing of the driver (the page size bound in). */
export type Lister = <T extends Identified>(calls: RestCalls, path: string, key: string, query?: Record<string, string>) => Promise<T[]>;

/** One request's calls to DigitalOcean. */
export type CallsOf = (ctx: RequestContext) => RestCalls;

/** A port number from a client's text (400 otherwise). */
export function portNumber(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ValidationFailure(`${what} must be a port number (1-65535), got '${value}'`);
  return n;
}

/** The slugs of a listing (sizes, regions), read when called. */
export function slugsOf(list: Lister, calls: RestCalls, path: string, key: string): () => Promise<string[]> {
  return async () => (await list<{ slug: string }>(calls, path, key)).map((item) => item.slug);
}
