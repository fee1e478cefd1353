// Checks real responses against an OpenAPI document: the request's operation
// is found by its path template, the status must be one the operation
// documents, and a JSON body must validate against the documented schema
// (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it). It records which
// operations it saw, so a test can fail when one was never exercised.
import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Route {
  method: string;
  template: string;
  segments: string[];
  literals: number;
  operation: Json;
}

const SCHEMA_PREFIX = '#/components/schemas/';

/** `#/components/schemas/x` → `x.json`, the id each component is registered under. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_PREFIX) ? `${v.slice(SCHEMA_PREFIX.length)}.json` : rewriteRefs(v);
  }
  return out;
}

export class ResponseValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: Route[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly components: Json;
  /** `METHOD template` of every operation a response was checked for. */
  readonly seen = new Set<string>();

  constructor(readonly document: Json, private readonly mountPath = '/api') {
    this.components = isObject(document.components) ? document.components : {};
    const schemas = isObject(this.components.schemas) ? this.components.schemas : {};
    for (const [name, schema] of Object.entries(schemas)) this.ajv.addSchema({ ...(rewriteRefs(schema) as Json), $id: `${name}.json` });
    const paths = isObject(document.paths) ? document.paths : {};
    for (const [template, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      for (const [method, operation] of Object.entries(item)) {
        if (!isObject(operation)) continue;
        const segments = template.split('/').filter(Boolean);
        this.routes.push({ method: method.toUpperCase(), template, segments, operation, literals: segments.filter((s) => !s.startsWith('{')).length });
      }
    }
  }

  /** Every operation of the document, as `METHOD template`. */
  operations(): string[] {
    return this.routes.map((r) => `${r.method} ${r.template}`);
  }

  /** The operation a request path (`/api/instances/inst1?format=json`) reaches. */
  route(method: string, path: string): Route {
    const bare = path.split('?')[0]!;
    assert.ok(bare.startsWith(this.mountPath), `${path} is not under ${this.mountPath}`);
    const segments = bare.slice(this.mountPath.length).split('/').filter(Boolean).map((s) => decodeURIComponent(s.split(';')[0]!));
    const matches = this.routes
      .filter((r) => r.method === method && r.segments.length === segments.length)
      .filter((r) => r.segments.every((s, i) => s.startsWith('{') || s === segments[i]))
      .sort((a, b) => b.literals - a.literals);
    assert.ok(matches.length > 0, `${method} ${path}: no operation of the document matches`);
    return matches[0]!;
  }

  private resolve(response: unknown): Json {
    if (!isObject(response)) return {};
    const ref = response.$ref;
    if (typeof ref !== 'string') return response;
    const name = ref.split('/').pop()!;
    const responses = isObject(this.components.responses) ? this.components.responses : {};
    const target = responses[name];
    return isObject(target) ? target : {};
  }

  /** Asserts the response is documented and its JSON body matches the schema. */
  check(method: string, path: string, status: number, contentType: string | undefined, body: string): void {
    const route = this.route(method, path);
    const key = `${route.method} ${route.template}`;
    this.seen.add(key);
    const responses = isObject(route.operation.responses) ? route.operation.responses : {};
    assert.ok(String(status) in responses, `${method} ${path} answered ${status}, which ${key} does not document (documents ${Object.keys(responses).join(', ')})\n${body.slice(0, 300)}`);
    const response = this.resolve(responses[String(status)]);
    const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (body.length === 0 || method === 'HEAD') return;
    const content = isObject(response.content) ? response.content : {};
    assert.ok(mediaType in content || '*/*' in content, `${method} ${path} ${status}: media type ${mediaType} is not documented (${Object.keys(content).join(', ')})`);
    if (mediaType !== 'application/json') return;
    const media = content[mediaType];
    const schema = isObject(media) && isObject(media.schema) ? media.schema : undefined;
    assert.ok(schema, `${key} ${status}: no JSON Schema for the JSON answer`);
    const id = `${key} ${status}`;
    let validate = this.compiled.get(id);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(schema) as Json);
      this.compiled.set(id, validate);
    }
    const parsed: unknown = JSON.parse(body);
    assert.ok(validate(parsed), `${method} ${path} ${status}: body does not match the schema of ${key}: ${this.ajv.errorsText(validate.errors)}\n${body.slice(0, 500)}`);
  }
}
