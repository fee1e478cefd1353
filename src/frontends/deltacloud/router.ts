// Matches a request's path segments (below the mount) against the declared
// operations. Literal segments beat parameters, so `/instances/new` wins over
// `/instances/:id` whatever the declaration order.
import type { HttpMethod, Operation } from './operation.js';

interface CompiledRoute {
  op: Operation;
  segments: string[];
  literals: number;
}

export type RouteMatch =
  | { kind: 'found'; op: Operation; pathParams: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

export class Router {
  private readonly byLength = new Map<number, CompiledRoute[]>();

  constructor(readonly operations: readonly Operation[]) {
    for (const op of operations) {
      const segments = op.path.split('/').filter(Boolean);
      const route = { op, segments, literals: segments.filter((s) => !s.startsWith(':')).length };
      const list = this.byLength.get(segments.length) ?? [];
      list.push(route);
      this.byLength.set(segments.length, list);
    }
    for (const list of this.byLength.values()) list.sort((a, b) => b.literals - a.literals);
  }

  match(method: HttpMethod, path: readonly string[]): RouteMatch {
    const candidates = this.byLength.get(path.length) ?? [];
    const allowed: HttpMethod[] = [];
    let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
    let bestLiterals = -1;
    for (const route of candidates) {
      const params = matchSegments(route.segments, path);
      if (!params) continue;
      // Only the most specific matching path counts (so `/instances/new` hides `/instances/:id`).
      if (route.literals < bestLiterals && (best || allowed.length > 0)) break;
      bestLiterals = route.literals;
      if (!allowed.includes(route.op.method)) allowed.push(route.op.method);
      if (!best && route.op.method === method) best = { route, params };
    }
    if (best) return { kind: 'found', op: best.route.op, pathParams: best.params };
    if (allowed.length > 0) return { kind: 'method-not-allowed', allowed };
    return { kind: 'not-found' };
  }

  /** Operations of a collection, in declaration order (for OPTIONS). */
  ofCollection(collection: string): Operation[] {
    return this.operations.filter((o) => o.collection === collection);
  }
}

function matchSegments(pattern: string[], path: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) {
      if (path[i] === '') return undefined;
      params[p.slice(1)] = path[i]!;
    } else if (p !== path[i]) return undefined;
  }
  return params;
}
