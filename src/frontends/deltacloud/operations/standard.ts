// The operations every collection shares — list, show, destroy — and the
// replies that render one member or a list of them.
import { NotFound } from '../../../core/errors.js';
import { applyFilters, filtersFor, type FilteredCollection, type FilteredItems } from '../../../core/filters.js';
import type { ApiRequest, Operation } from '../operation.js';
import { documentReply, emptyReply, type Reply } from '../reply.js';
import { el } from '../xml.js';
import type { View } from '../views/view.js';

type DriverMethod = (...args: unknown[]) => Promise<unknown>;

export function driverMethod(req: ApiRequest, name: string): DriverMethod {
  const fn = (req.driver as unknown as Record<string, DriverMethod | undefined>)[name];
  // The capability check ran before; reaching here without the method is a server bug.
  if (typeof fn !== 'function') throw new Error(`driver lacks ${name}`);
  return fn.bind(req.driver);
}


const title = (s: string) => s.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');

export function listReply<T>(req: ApiRequest, view: View<T>, items: T[]): Reply {
  const v = req.view;
  return documentReply(200, {
    xml: () => el(view.plural, {}, (view.xmlListOrder ? view.xmlListOrder(items) : items).map((i) => (view.xmlInList ?? view.xml)(i, v))),
    json: () => ({ [view.plural]: items.map((i) => view.json(i, v)) }),
    xmlDeclaration: true,
    title: title(view.plural),
  });
}

export interface MemberReplyOptions {
  location?: string;
  /** Instance actions answer the bare JSON object (spec §11.5.4). */
  unwrappedJson?: boolean;
  headers?: Record<string, string>;
}

export function memberReply<T extends { id: string }>(req: ApiRequest, status: number, view: View<T>, item: T, opts: MemberReplyOptions = {}): Reply {
  const v = req.view;
  const headers = opts.location ? { ...opts.headers, Location: opts.location } : opts.headers;
  return documentReply(status, {
    xml: () => view.xml(item, v),
    json: () => (opts.unwrappedJson ? view.json(item, v) : { [view.singular]: view.json(item, v) }),
    xmlDeclaration: true,
    title: `${title(view.singular)} ${item.id}`,
  }, headers);
}

/** Finds one member: the driver's show method when it has one, else the listing filtered by id. */
export async function fetchOne<T>(req: ApiRequest, collection: string, singular: string, id: string): Promise<T | undefined> {
  const show = (req.driver as unknown as Record<string, unknown>)[singular];
  if (typeof show === 'function') return (await driverMethod(req, singular)(req.ctx, id)) as T | undefined;
  const items = (await driverMethod(req, collection)(req.ctx, { id })) as T[];
  return items.find((i) => (i as { id: string }).id === id);
}

export function listOperation<C extends FilteredCollection>(collection: C, view: View<FilteredItems[C]>): Operation {
  return {
    collection, name: 'index', method: 'GET', path: `/${collection}`, capability: collection, genericErrors: true,
    async run(req) {
      // Drivers push down what their back end filters; the core applies every filter, so results agree across drivers.
      const filter = filtersFor(collection, req.params);
      const listed = (await driverMethod(req, collection)(req.ctx, filter)) as FilteredItems[C][];
      const items = applyFilters(collection, listed, filter);
      return listReply(req, view, items);
    },
  };
}

export function showOperation<T extends { id: string }>(collection: string, view: View<T>): Operation {
  return {
    collection, name: 'show', method: 'GET', path: `/${collection}/:id`, capability: collection,
    params: [{ name: 'id', required: true }],
    async run(req) {
      const item = await fetchOne<T>(req, collection, view.singular, req.pathParams.id!);
      if (!item) throw new NotFound();
      return memberReply(req, 200, view, item);
    },
  };
}

export function destroyOperation(collection: string, capability: string): Operation {
  return {
    collection, name: 'destroy', method: 'DELETE', path: `/${collection}/:id`, capability,
    params: [{ name: 'id', required: true }],
    async run(req) {
      await driverMethod(req, capability)(req.ctx, req.pathParams.id!);
      return emptyReply(204, undefined, req.view.href(collection));
    },
  };
}

/** list + show + destroy, the shape most collections share. */
export function readAndDestroy<C extends FilteredCollection>(collection: C, view: View<FilteredItems[C]>, destroyCapability: string): Operation[] {
  return [listOperation(collection, view), showOperation(collection, view), destroyOperation(collection, destroyCapability)];
}
