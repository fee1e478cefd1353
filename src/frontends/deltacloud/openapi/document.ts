// The OpenAPI 3.1 document of the API as one driver offers it, derived from
// the operation declarations (paths, parameters, `responses`), the feature
// catalogue (feature parameters), the list filters and the views' JSON Schemas.
// Nothing here is written per route: a new operation appears by being declared.
import { hasCapability, type CollectionName, type Driver } from '../../../core/driver.js';
import { GENERIC_MESSAGES } from '../../../core/errors.js';
import { advertisedFeatures } from '../../../core/features.js';
import { HTML_ONLY, type Operation, type ParamDeclaration } from '../operation.js';
import type { JsonSchema } from './json-schema.js';
import type { DescribedView, SuccessResponse } from './responses.js';

export const OPENAPI_VERSION = '3.1.0';

export interface DocumentRequest {
  operations: readonly Operation[];
  driver: Driver;
  driverId: string;
  provider: string | undefined;
  /** Absolute URL the paths are relative to (the mount, with the driver and provider as matrix parameters). */
  serverUrl: string;
  apiVersion: string;
}

type Json = { [key: string]: unknown };

/** Every operation can answer these (spec §8): bad input, credentials, unknown member, format, the driver (501: not supported) and its back end. */
const COMMON_ERRORS = [400, 401, 404, 406, 500, 501, 502, 503, 504];
/** Operations that change state can also be refused by the state of things. */
const WRITE_ERRORS = [403, 405, 409];
/** Operations that read a body can find it too large or of the wrong type. */
const BODY_ERRORS = [413, 415];

const DOCUMENT_TYPES = ['application/xml', 'application/json', 'text/html'] as const;
const COMPONENT = '#/components/schemas/';
const ref = (name: string): JsonSchema => ({ $ref: COMPONENT + name });

/** The capability an operation needs, when it needs one that does not depend on the request's details. */
function isOffered(op: Operation, driver: Driver): boolean {
  if (op.capability === undefined) return true;
  // Capabilities chosen per request (blob PUT: plain or segmented) are judged by their plain form.
  const capability = typeof op.capability === 'function' ? op.capability({ params: {}, headers: {} }) : op.capability;
  if (capability === 'instance_states') return driver.declaration.stateMachine !== undefined;
  return hasCapability(driver, capability);
}

const pathParamNames = (path: string) => path.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1));
const openApiPath = (path: string) => (path === '' ? '/' : path.replace(/:([a-z_]+)/g, '{$1}'));
const humanize = (name: string) => name.replaceAll('_', ' ');

function summaryOf(op: Operation): string {
  const what = humanize(op.collection);
  switch (op.name) {
    case 'index': return op.collection === 'api' ? 'The entry point: collections and features of the driver' : `List ${what}`;
    case 'show': return `Show one of the ${what}`;
    case 'create': return `Create one of the ${what}`;
    case 'destroy': return `Destroy one of the ${what}`;
    default: return `${humanize(op.name)} (${what})`;
  }
}

/** Declared parameters plus those of the features the driver advertises for the operation, path parameters left out. */
function bodyOrQueryParams(op: Operation, driver: Driver): ParamDeclaration[] {
  const inPath = new Set(pathParamNames(op.path));
  const params = (op.params ?? []).filter((p) => !inPath.has(p.name));
  for (const name of op.filters ?? []) {
    if (!params.some((p) => p.name === name)) params.push({ name, description: `Only those whose ${humanize(name)} is this value.` });
  }
  const features = advertisedFeatures(driver.declaration.features[op.collection as CollectionName], op.collection).filter((f) => f.operation === op.name);
  for (const feature of features) {
    for (const p of feature.params) {
      if (!params.some((d) => d.name === p.name)) {
        params.push({ name: p.name, type: p.type, description: `Feature \`${feature.name}\` of this driver.` });
      }
    }
  }
  return params;
}

function paramSchema(p: ParamDeclaration, multipart: boolean): JsonSchema {
  if (p.type === 'file') return multipart ? { type: 'string', contentMediaType: 'application/octet-stream' } : { type: 'string' };
  if (p.type === 'array') return { type: 'array', items: { type: 'string' } };
  return { type: 'string' };
}

function withDescription(target: Json, p: ParamDeclaration): Json {
  const text = p.description ?? p.label;
  return text ? { ...target, description: text } : target;
}

function formBody(params: ParamDeclaration[]): Json {
  const schemaOf = (multipart: boolean): JsonSchema => ({
    type: 'object',
    properties: Object.fromEntries(params.map((p) => [p.name, withDescription(paramSchema(p, multipart), p)])),
    required: params.filter((p) => p.required).map((p) => p.name),
  });
  return {
    required: params.some((p) => p.required),
    content: {
      'application/x-www-form-urlencoded': { schema: schemaOf(false) },
      'multipart/form-data': { schema: schemaOf(true) },
    },
  };
}

function headersOf(names: readonly string[] | undefined): Json | undefined {
  if (!names || names.length === 0) return undefined;
  return Object.fromEntries(names.map((name) => [name, { schema: { type: 'string' } }]));
}

function jsonSchemaOf(response: SuccessResponse, views: Map<string, DescribedView>, documents: Map<string, JsonSchema>): JsonSchema | undefined {
  switch (response.kind) {
    case 'list':
      views.set(response.view.singular, response.view);
      return { type: 'object', properties: { [response.view.plural]: { type: 'array', items: ref(response.view.singular) } }, required: [response.view.plural], additionalProperties: false };
    case 'member':
      views.set(response.view.singular, response.view);
      return { type: 'object', properties: { [response.view.singular]: ref(response.view.singular) }, required: [response.view.singular], additionalProperties: false };
    case 'bare':
      views.set(response.view.singular, response.view);
      return ref(response.view.singular);
    case 'document':
      documents.set(response.name, response.schema);
      return ref(response.name);
    default:
      return undefined;
  }
}

/** The success responses of an operation, those of one status merged (one member or a list: `oneOf`). */
function successResponses(op: Operation, views: Map<string, DescribedView>, documents: Map<string, JsonSchema>): Record<string, Json> {
  const byStatus = new Map<number, SuccessResponse[]>();
  for (const r of op.responses ?? []) byStatus.set(r.status, [...(byStatus.get(r.status) ?? []), r]);
  const out: Record<string, Json> = {};
  for (const [status, responses] of byStatus) {
    const jsonSchemas = responses.map((r) => jsonSchemaOf(r, views, documents)).filter((s) => s !== undefined);
    const content: Record<string, Json> = {};
    if (jsonSchemas.length > 0) {
      for (const type of DOCUMENT_TYPES) content[type] = type === 'application/json' ? { schema: jsonSchemas.length === 1 ? jsonSchemas[0] : { oneOf: jsonSchemas } } : {};
    }
    for (const r of responses) {
      // JSON that is not a document of the API (the OpenAPI document itself): an object.
      if (r.kind === 'bytes') for (const type of r.contentTypes) content[type] = type === 'application/json' ? { schema: { type: 'object' } } : {};
    }
    const headerNames = responses.flatMap((r) => (r.kind === 'redirect' ? ['Location'] : 'headers' in r ? r.headers ?? [] : []));
    const response: Json = { description: GENERIC_MESSAGES[status] ?? (status === 200 ? 'OK' : status === 201 ? 'Created' : status === 204 ? 'No Content' : status >= 300 && status < 400 ? 'Redirect' : 'Success') };
    const headers = headersOf([...new Set(headerNames)]);
    if (headers) response.headers = headers;
    if (Object.keys(content).length > 0) response.content = content;
    out[String(status)] = response;
  }
  return out;
}

function errorStatuses(op: Operation): number[] {
  const statuses = new Set(COMMON_ERRORS);
  if (op.capability !== undefined) statuses.add(412);
  if (op.method !== 'GET' && op.method !== 'HEAD') for (const s of WRITE_ERRORS) statuses.add(s);
  if (op.method === 'POST' || op.method === 'PUT') for (const s of BODY_ERRORS) statuses.add(s);
  for (const s of op.errors ?? []) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}

function errorResponse(status: number): Json {
  const response: Json = {
    description: GENERIC_MESSAGES[status] ?? 'Error',
    content: { 'application/json': { schema: ref('error') }, 'application/xml': {}, 'text/html': {} },
  };
  if (status === 401) {
    response.headers = { 'WWW-Authenticate': { schema: { type: 'string' } } };
    response.content = { 'application/json': { schema: ref('error') }, 'application/xml': {}, 'text/html': {}, 'text/plain': {} };
  }
  if (status === 412) response.headers = { Expect: { description: 'The capability the driver lacks.', schema: { type: 'string' } } };
  if (status === 503) response.headers = { 'Retry-After': { schema: { type: 'string' } } };
  if (status === 416) response.headers = { 'Content-Range': { schema: { type: 'string' } } };
  return response;
}

function operationIdOf(op: Operation, taken: Set<string>): string {
  let id = `${op.collection}_${op.name}`;
  if (taken.has(id)) id += `_${op.method.toLowerCase()}`;
  const lastLiteral = op.path.split('/').filter((s) => s && !s.startsWith(':')).pop();
  if (taken.has(id) && lastLiteral) id += `_${lastLiteral}`;
  taken.add(id);
  return id;
}

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { code: { type: 'integer' }, message: { type: 'string' }, error: { type: 'string' } },
  required: ['code', 'message', 'error'],
  additionalProperties: false,
};

/** The document for one driver and provider. */
export function openApiDocument(request: DocumentRequest): Json {
  const { driver } = request;
  const views = new Map<string, DescribedView>();
  const documents = new Map<string, JsonSchema>();
  const paths: Record<string, Json> = {};
  const taken = new Set<string>();
  const errors = new Set<number>();
  for (const op of request.operations) {
    if (!isOffered(op, driver)) continue;
    const path = openApiPath(op.path);
    const method = op.method.toLowerCase();
    const pathParams = pathParamNames(op.path).map((name) => {
      const declared = op.params?.find((p) => p.name === name);
      return withDescription({ name, in: 'path', required: true, schema: { type: 'string' } }, declared ?? { name });
    });
    const others = bodyOrQueryParams(op, driver);
    const inBody = op.method === 'POST';
    const parameters: Json[] = [
      ...pathParams,
      ...(inBody ? [] : others.map((p) => withDescription({ name: p.name, in: 'query', required: p.required === true, schema: paramSchema(p, false) }, p))),
      { $ref: '#/components/parameters/format' },
      { $ref: '#/components/parameters/driver' },
      { $ref: '#/components/parameters/provider' },
    ];
    const operation: Json = {
      operationId: operationIdOf(op, taken),
      summary: summaryOf(op),
      tags: [op.collection],
      parameters,
      responses: {
        ...successResponses(op, views, documents),
        ...Object.fromEntries(errorStatuses(op).map((s) => {
          errors.add(s);
          return [String(s), { $ref: `#/components/responses/error_${s}` }];
        })),
      },
    };
    if (inBody && others.length > 0) operation.requestBody = formBody(others);
    if (op.rawBody) {
      operation.requestBody = { required: false, content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } };
      operation.description = 'The body is the blob\'s data, streamed. `X-Deltacloud-Blobmeta-<name>` headers set user metadata; '
        + '`X-Deltacloud-Blobtype: segmented`, `X-Deltacloud-SegmentedBlob` and `X-Deltacloud-SegmentOrder` drive a segmented upload (spec §11.10.7).';
    }
    if (op.formats && op.formats.every((f) => HTML_ONLY.includes(f))) operation.description = 'A page for people (HTML).';
    operation.security = op.capability === undefined ? [{}, { basic: [] }] : [{ basic: [] }];
    paths[path] = { ...paths[path], [method]: operation };
  }
  const schemas: Record<string, JsonSchema> = { error: ERROR_SCHEMA };
  for (const [name, view] of [...views].sort(([a], [b]) => a.localeCompare(b))) schemas[name] = view.schema;
  for (const [name, schema] of [...documents].sort(([a], [b]) => a.localeCompare(b))) schemas[name] = schema;
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: `Deltacloud API (driver ${request.driverId}${request.provider ? `, provider ${request.provider}` : ''})`,
      version: request.apiVersion,
      description: 'Apache Deltacloud\'s REST API as this server offers it with this driver: only the operations and feature parameters the driver offers. '
        + 'Every operation answers XML, JSON or HTML (`?format=` or `Accept`); errors come as the Deltacloud error document.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: request.serverUrl }],
    paths,
    components: {
      schemas,
      responses: Object.fromEntries([...errors].sort((a, b) => a - b).map((s) => [`error_${s}`, errorResponse(s)])),
      parameters: {
        format: { name: 'format', in: 'query', required: false, description: 'Response format; overrides `Accept`.', schema: { type: 'string', enum: ['xml', 'json', 'html'] } },
        driver: { name: 'X-Deltacloud-Driver', in: 'header', required: false, description: 'Driver for this request (or `;driver=` on `/api`).', schema: { type: 'string' } },
        provider: { name: 'X-Deltacloud-Provider', in: 'header', required: false, description: 'Provider for this request (or `;provider=` on `/api`).', schema: { type: 'string' } },
      },
      securitySchemes: { basic: { type: 'http', scheme: 'basic', description: 'The credentials of the back end (the mock: mockuser / mockpassword).' } },
    },
  };
}
