// Where an HTML page leads, derived from the operation declarations rather
// than written per page: list pages link to the form that creates a member,
// member pages without actions of their own get a Delete button and links to
// the forms that act on them, and an action that needs more input (an image's
// "Create instance") opens its form instead of posting at once. The driver
// and provider chosen in the picker travel in every link as matrix parameters
// of the `/api` segment, so a page stays on the back end it was opened for.
import { hasCapability } from '../../core/driver.js';
import { DeltacloudError, MissingParameter } from '../../core/errors.js';
import type { ApiRequest, HttpMethod, Operation } from './operation.js';
import { fillPath, type HelperForm } from './operations/forms.js';
import { parsePath, type Params } from './params.js';
import type { Reply } from './reply.js';
import type { RouteMatch, Router } from './router.js';
import type { ListFilter } from './html.js';
import { link } from './views/view.js';
import { el, isElement, type XmlElement } from './xml.js';

/** The matrix parameters of `/api` that choose the back end; HTML links carry them (`;driver=ec2;provider=eu-west-1`). */
const SELECTION_KEYS = ['driver', 'provider'] as const;

/** `;driver=…;provider=…` as the request chose them on the `/api` segment, or '' when it chose none. */
export function selectionOf(params: Params | undefined): string {
  const api = params?.api;
  if (!api || typeof api !== 'object' || Array.isArray(api)) return '';
  let selection = '';
  for (const key of SELECTION_KEYS) {
    const value = api[key];
    if (typeof value === 'string') selection += `;${key}=${encodeURIComponent(value)}`;
  }
  return selection;
}

const pathParamsOf = (path: string) => path.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1));

export class HtmlNavigation {
  /** Each operation that has a helper form → that form. */
  private readonly formOf = new Map<Operation, HelperForm>();

  constructor(private readonly router: Router, private readonly operations: readonly Operation[], forms: readonly HelperForm[]) {
    for (const form of forms) this.formOf.set(form.target, form);
  }

  /** The URL of the helper form asking for `op`'s input, if there is one. */
  formUrl(req: Pick<ApiRequest, 'base'>, op: Operation, pathParams: Record<string, string>): string | undefined {
    const form = this.formOf.get(op);
    return form && fillPath(req.base, form.form.path, pathParams);
  }

  /**
   * For a form post the server refused (400, or 409 for a name already taken): the form again, filled with
   * what was sent and the message next to the field it names, so that a browser without JavaScript keeps the
   * input. Undefined when `op` has no form or the error is of another kind.
   */
  async refill(req: ApiRequest, op: Operation, error: unknown): Promise<Reply | undefined> {
    const form = this.formOf.get(op);
    if (!form || !(error instanceof DeltacloudError) || (error.status !== 400 && error.status !== 409)) return undefined;
    const field = error instanceof MissingParameter ? error.parameter : undefined;
    const html = await form.render(req, { status: error.status, message: error.message, field });
    return { status: error.status, body: { kind: 'html', html } };
  }

  /** The document to render as `op`'s page, with the navigation it lacks, and its "create" form. */
  page(req: ApiRequest, op: Operation, doc: XmlElement): { doc: XmlElement; newFormUrl?: string; filters?: ListFilter[] } {
    const linked = this.links(req, doc);
    if (op.name === 'index') {
      const filters = (op.filters ?? []).map((name) => ({ name, value: typeof req.params[name] === 'string' ? String(req.params[name]) : '' }));
      return { doc: linked, newFormUrl: this.createFormUrl(req, op), filters };
    }
    // A document's own actions follow the resource's state: they are complete as they are.
    if (doc.attrs.href === undefined || doc.children.some((c) => isElement(c) && c.name === 'actions')) return { doc: linked };
    const actions = this.memberActions(req, op, String(doc.attrs.href));
    return { doc: actions.length > 0 ? { ...linked, children: [...linked.children, el('actions', {}, actions)] } : linked };
  }

  private offered(req: ApiRequest, op: Operation): boolean {
    const capability = typeof op.capability === 'function' ? op.capability(req) : op.capability;
    return capability === undefined || hasCapability(req.driver, capability);
  }

  /** The form creating a member of a list's collection: the one targeting POST on the list's own path. */
  private createFormUrl(req: ApiRequest, list: Operation): string | undefined {
    for (const [target, form] of this.formOf) {
      if (target.method === 'POST' && target.path === list.path && pathParamsOf(form.form.path).length === 0 && this.offered(req, target)) {
        return req.base + form.form.path;
      }
    }
    return undefined;
  }

  /** For a member without actions of its own: Delete, where its path has a DELETE, and the forms acting on it. */
  private memberActions(req: ApiRequest, show: Operation, self: string): XmlElement[] {
    const actions: XmlElement[] = [];
    const destroy = this.operations.find((o) => o.path === show.path && o.method === 'DELETE');
    if (destroy && this.offered(req, destroy)) actions.push(link(self, 'delete', 'delete'));
    const known = new Set(pathParamsOf(show.path));
    for (const [target, form] of this.formOf) {
      const below = target.path === show.path || target.path.startsWith(`${show.path}/`);
      if (below && pathParamsOf(form.form.path).every((p) => known.has(p)) && this.offered(req, target)) {
        // A link without a method: the page shows it as a link named after the form (rel is its label).
        actions.push(link(fillPath(req.base, form.form.path, req.pathParams), form.title));
      }
    }
    return actions;
  }

  /**
   * The document with each action that has a form (and so needs input)
   * turned into a link to that form, and without the links that no page
   * answers (a firewall rule's URL only takes DELETE): those show as text.
   */
  private links(req: ApiRequest, doc: XmlElement): XmlElement {
    const children = doc.children.map((c) => {
      if (!isElement(c) || typeof c.attrs.href !== 'string') return isElement(c) ? this.links(req, c) : c;
      if (c.name === 'link' && typeof c.attrs.method === 'string') {
        const form = this.formLink(req, c.attrs.href, c.attrs.method);
        return form === undefined ? c : link(form, String(c.attrs.rel ?? 'action'));
      }
      const target = this.route(req, 'GET', c.attrs.href);
      const linked = this.links(req, c);
      return target === undefined || target.kind === 'found' ? linked : { ...linked, attrs: { ...linked.attrs, href: undefined } };
    });
    return { ...doc, children };
  }

  /** What `method href` reaches, for a URL of this API; undefined for any other URL. */
  private route(req: ApiRequest, method: string, href: string): (RouteMatch & { matrix: Record<string, string> }) | undefined {
    if (!href.startsWith(`${req.base}/`)) return undefined;
    try {
      const path = parsePath(`/api${href.slice(req.base.length)}`);
      return { ...this.router.match(method.toUpperCase() as HttpMethod, path.segments.slice(1)), matrix: path.lastSegmentMatrix };
    } catch {
      return undefined;
    }
  }

  /** The URL of the form for the action `method href`, prefilled from the action's parameters; undefined without one. */
  private formLink(req: ApiRequest, href: string, method: string): string | undefined {
    const match = this.route(req, method, href);
    const form = match?.kind === 'found' ? this.formOf.get(match.op) : undefined;
    if (!form || match?.kind !== 'found') return undefined;
    const query = new URLSearchParams(Object.entries(match.matrix).filter(([k]) => !(k in match.pathParams))).toString();
    return fillPath(req.base, form.form.path, match.pathParams) + (query ? `?${query}` : '');
  }
}
