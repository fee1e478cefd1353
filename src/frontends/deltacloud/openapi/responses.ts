// What an operation answers when it succeeds, declared next to the operation
// (`responses`). The OpenAPI generator turns these into the document's
// responses; error statuses are added by the generator from the operation's shape.
import type { JsonSchema } from './json-schema.js';

/** The part of a view the document needs: its names and the JSON Schema of one member. */
export interface DescribedView {
  singular: string;
  plural: string;
  schema: JsonSchema;
}

export type SuccessResponse =
  /** A document: `{plural: [member…]}`, `{singular: member}` or the bare member (instance actions, spec §11.5.4). */
  | { status: number; kind: 'list' | 'member' | 'bare'; view: DescribedView; headers?: string[] }
  /** A document of its own shape (entry point, drivers, command output). */
  | { status: number; kind: 'document'; name: string; schema: JsonSchema }
  /** No body; `headers` it carries. */
  | { status: number; kind: 'empty'; headers?: string[] }
  /** Bytes of the given media types (blob content, diagrams). */
  | { status: number; kind: 'bytes'; contentTypes: string[]; headers?: string[] }
  | { status: number; kind: 'redirect' };

export const listOf = (view: DescribedView, status = 200): SuccessResponse => ({ status, kind: 'list', view });
export const memberOf = (view: DescribedView, status = 200, headers?: string[]): SuccessResponse => ({ status, kind: 'member', view, headers });
export const bareMemberOf = (view: DescribedView, status = 200): SuccessResponse => ({ status, kind: 'bare', view });
export const documentOf = (name: string, schema: JsonSchema, status = 200): SuccessResponse => ({ status, kind: 'document', name, schema });
export const noContent = (status = 204, headers?: string[]): SuccessResponse => ({ status, kind: 'empty', headers });
export const redirect = (status: number): SuccessResponse => ({ status, kind: 'redirect' });
export const bytes = (status: number, contentTypes: string[], headers?: string[]): SuccessResponse => ({ status, kind: 'bytes', contentTypes, headers });
