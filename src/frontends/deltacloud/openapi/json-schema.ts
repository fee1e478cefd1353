// JSON Schema (2020-12, the dialect of OpenAPI 3.1) for the JSON form of the
// views. Small builders so each view states its shape in a few lines next to
// the code that renders it.

/** A JSON Schema object. */
export interface JsonSchema {
  readonly [keyword: string]: unknown;
}

export const string: JsonSchema = { type: 'string' };
export const boolean: JsonSchema = { type: 'boolean' };
export const integer: JsonSchema = { type: 'integer' };
export const number: JsonSchema = { type: 'number' };
/** A string the driver may not know (rendered `null`). */
export const optionalString: JsonSchema = { type: ['string', 'null'] };
export const stringMap: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };

export const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });
export const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
export const oneOfValues = (...values: string[]): JsonSchema => ({ type: 'string', enum: values });

/** An object with exactly these properties: `required` always present, `optional` sometimes. */
export function object(required: Record<string, JsonSchema>, optional: Record<string, JsonSchema> = {}): JsonSchema {
  return { type: 'object', properties: { ...required, ...optional }, required: Object.keys(required), additionalProperties: false };
}

/** A link to another resource (`{id, href, rel}`); `id` is null when the driver does not know it. */
export function reference(rel?: string, extra: Record<string, JsonSchema> = {}): JsonSchema {
  return object({ id: optionalString, href: string, ...(rel ? { rel: { const: rel } } : {}), ...extra });
}

/** An action link of a resource. */
export const actionLink: JsonSchema = object({ href: string, rel: string }, { method: string });
