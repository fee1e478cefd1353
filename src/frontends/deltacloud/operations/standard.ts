// The operations every collection shares — list, show, destroy — and the
// replies that render one member or a list of them.
import type { ListCapability } from '../../../core/kit/capabilities.js';
import { findOne, list, type ItemOf } from '../../../core/kit/lookup.js';
import { call, type DestroyCapability } from '../../../core/kit/pipeline.js';
import { NotFound } from '../../../core/errors.js';
import { applyFilters, filterNames, filtersFor, type FilteredCollection } from '../../../core/filters.js';
import type { ApiRequest, Operation } from '../operation.js';
import { documentReply, emptyReply, type Reply } from '../reply.js';
import { el, serializeXmlList } from '../xml.js';
import { memberMemo, type MemberMemo } from '../member-memo.js';
import type { View } from '../views/view.js';
import { listOf, memberOf, noContent } from '../openapi/responses.js';


const title = (s: string) => s.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');

export function listReply<T>(req: Pick<ApiRequest, 'view'>, view: View<T>, items: T[], memo: MemberMemo = memberMemo): Reply {
  const v = req.view;
  const member = view.xmlInList ?? view.xml;
  const xmlMembers = () => (view.xmlListOrder ? view.xmlListOrder(items) : items);
  return documentReply(200, {
    // The HTML page walks the tree; XML is the same document made from remembered member texts.
    xml: () => el(view.plural, {}, xmlMembers().map((i) => member(i, v))),
    xmlText: () => serializeXmlList(view.plural, xmlMembers().map(memo.members(member, v))),
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

export function memberReply<T>(req: ApiRequest, status: number, view: View<T>, item: T & { id: string }, opts: MemberReplyOptions = {}): Reply {
  const v = req.view;
  const headers = opts.location ? { ...opts.headers, Location: opts.location } : opts.headers;
  return documentReply(status, {
    xml: () => view.xml(item, v),
    json: () => (opts.unwrappedJson ? view.json(item, v) : { [view.singular]: view.json(item, v) }),
    xmlDeclaration: true,
    title: `${title(view.singular)} ${item.id}`,
  }, headers);
}

export function listOperation<C extends ListCapability & FilteredCollection>(collection: C, view: View<ItemOf<C>>): Operation {
  return {
    collection, name: 'index', method: 'GET', path: `/${collection}`, capability: collection, genericErrors: true,
    filters: filterNames(collection), responses: [listOf(view)],
    async run(req) {
      // Drivers push down what their back end filters; the core applies every filter, so results agree across drivers.
      const filter = filtersFor(collection, req.params);
      const listed = await list(req.driver, collection, req.ctx, filter);
      const items = applyFilters(collection, listed, filter);
      return listReply(req, view, items);
    },
  };
}

export function showOperation<C extends ListCapability>(collection: C, view: View<ItemOf<C>>): Operation {
  return {
    collection, name: 'show', method: 'GET', path: `/${collection}/:id`, capability: collection,
    params: [{ name: 'id', required: true }], responses: [memberOf(view)],
    async run(req) {
      const item = await findOne(req.driver, collection, req.ctx, req.pathParams.id!);
      if (!item) throw new NotFound();
      return memberReply(req, 200, view, item);
    },
  };
}

export function destroyOperation(collection: ListCapability, capability: DestroyCapability): Operation {
  return {
    collection, name: 'destroy', method: 'DELETE', path: `/${collection}/:id`, capability,
    params: [{ name: 'id', required: true }], responses: [noContent()],
    async run(req) {
      await call(req.driver, capability, req.ctx, req.pathParams.id!);
      return emptyReply(204, undefined, req.view.href(collection));
    },
  };
}

/** list + show + destroy, the shape most collections share. */
export function readAndDestroy<C extends ListCapability & FilteredCollection>(collection: C, view: View<ItemOf<C>>, destroyCapability: DestroyCapability): Operation[] {
  return [listOperation(collection, view), showOperation(collection, view), destroyOperation(collection, destroyCapability)];
}
