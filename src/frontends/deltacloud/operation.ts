// One way to declare an operation of the API: method, path, the capability it
// needs, its parameters and formats, and what it does. Routing, OPTIONS,
// 412/400 answers and the HTML forms all derive from these declarations.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Driver, RequestContext } from '../../core/driver.js';
import { MissingParameter, ValidationFailure } from '../../core/errors.js';
import type { Format } from './negotiation.js';
import { str, type Params } from './params.js';
import type { Reply } from './reply.js';
import type { ViewContext } from './views/view.js';
import type { SuccessResponse } from './openapi/responses.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface ParamDeclaration {
  name: string;
  type?: 'string' | 'array' | 'file';
  required?: boolean;
  /** Label for HTML forms. */
  label?: string;
  /** What the parameter means (OpenAPI document, reference page). */
  description?: string;
}

/** The request as an operation sees it. */
export interface ApiRequest {
  readonly method: HttpMethod;
  readonly driver: Driver;
  readonly driverId: string;
  readonly provider: string | undefined;
  readonly ctx: RequestContext;
  readonly params: Params;
  readonly pathParams: Record<string, string>;
  readonly view: ViewContext;
  readonly format: Format;
  readonly headers: IncomingMessage['headers'];
  /** The raw request (headers, connection). */
  readonly raw: IncomingMessage;
  /** The request body to stream (blob uploads): at most the server's upload limit, else it fails with 413. */
  readonly body: Readable;
  /** Parsed multipart body, when the request was multipart/form-data. */
  readonly files: UploadedFile[];
  /** Absolute URL of the mount that links start with (`http://host/api`; for HTML with the chosen driver, `http://host/api;driver=ec2`). */
  readonly base: string;
  /** Absolute URL of the mount alone (`http://host/api`). */
  readonly mount: string;
  readonly serverHostname: string;
  readonly driverIds: Array<{ id: string; name: string; providers: string[] }>;
}

export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  /** Path of a temporary file holding the content (removed after the request). */
  path: string;
  size: number;
}

export interface Operation {
  /** Collection the operation belongs to (`api` for the entry point). */
  collection: string;
  /** `index`, `show`, `create`, `destroy` or the action name; used by OPTIONS, features and error messages. */
  name: string;
  method: HttpMethod;
  /** Path under the mount, e.g. `/instances/:id/start`. */
  path: string;
  /** Capability the driver must have; none = always available. A function for capabilities that depend on the request. */
  capability?: string | ((req: Pick<ApiRequest, 'params' | 'headers'>) => string);
  params?: ParamDeclaration[];
  /** Formats offered; default XML, JSON and HTML. */
  formats?: Format[];
  /** Reads whose answer changes without any state change (random metric samples): never cached. */
  volatile?: boolean;
  /** Collection listings answer errors with the generic text of the status (spec §8.2). */
  genericErrors?: boolean;
  /** Operations that read a raw body (blob upload) instead of form data. */
  rawBody?: boolean;
  /** Query parameters that filter a listing (core/filters.ts). */
  filters?: readonly string[];
  /** What the operation answers on success (OpenAPI document); errors are derived. */
  responses?: SuccessResponse[];
  /** Error statuses particular to this operation, beyond those every operation of its kind can answer. */
  errors?: number[];
  run(req: ApiRequest): Promise<Reply>;
}

export const DEFAULT_FORMATS: Format[] = ['xml', 'json', 'html'];
export const HTML_ONLY: Format[] = ['html'];

/**
 * 400 naming the first missing required parameter (spec §7.3). Presence counts by name, even empty:
 * `present` are the names the request carried, before empty values were dropped (see dropEmptyValues).
 */
export function validateParams(op: Operation, present: readonly string[]): void {
  for (const p of op.params ?? []) {
    if (p.required && !present.includes(p.name)) {
      throw new MissingParameter(p.name, [...present]);
    }
  }
}

/** A required string parameter (validated before the operation runs). */
export function param(req: ApiRequest, name: string): string {
  // Sent empty, it passed the by-name check (spec §7.3), but empty means absent: never a resource named ''.
  const value = str(req.params, name);
  if (value === undefined) throw new ValidationFailure(`Parameter '${name}' must not be empty`);
  return value;
}

export function optParam(req: ApiRequest, name: string): string | undefined {
  return str(req.params, name);
}
