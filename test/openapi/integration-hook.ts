// In the API integration suites (test/frontends/deltacloud/api-*.test.ts call
// checkEveryAnswer()), or in any suite with DELTACLOUD_OPENAPI_CHECK set, every
// answer the tests receive (test/helpers/api.ts req()) is checked against the server's OpenAPI
// document: a documented status and media type, and a JSON body matching its
// schema. Requests that reach no documented operation (unknown paths, hostile
// input) are left alone; so are requests choosing another driver (their
// document differs).
import type { IncomingHttpHeaders } from 'node:http';
import { ResponseValidator } from './response-validator.js';

type Fetch = (path: string) => Promise<{ status: number; text: string }>;

const validators = new Map<number, Promise<ResponseValidator>>();

let checkedBySuite = false;
/** Called at the top of a suite whose every answer must be documented: the suite fails on the first one that is not. */
export function checkEveryAnswer(): void {
  checkedBySuite = true;
}
export const openApiCheckEnabled = () => checkedBySuite || (process.env.DELTACLOUD_OPENAPI_CHECK !== undefined && process.env.DELTACLOUD_OPENAPI_CHECK !== '');

export async function checkAgainstDocument(
  port: number, method: string, path: string, requestHeaders: Record<string, string | string[]>, status: number, headers: IncomingHttpHeaders, text: string, fetchDocument: Fetch,
): Promise<void> {
  if (!path.startsWith('/api') || path.startsWith('/api;') || Object.keys(requestHeaders).some((h) => h.toLowerCase().startsWith('x-deltacloud-driver'))) return;
  let validator = validators.get(port);
  if (!validator) {
    validator = fetchDocument('/api/openapi.json').then((res) => new ResponseValidator(JSON.parse(res.text)));
    validators.set(port, validator);
  }
  const v = await validator;
  try {
    v.route(method === 'HEAD' ? 'HEAD' : method, path);
  } catch {
    return; // no documented operation: unknown paths and methods answer 404/405 by design
  }
  v.check(method, path, status, headers['content-type'], text);
}
