// The routes serving the OpenAPI document: `/api/openapi.json` (YAML with
// `?format=yaml` or `Accept: application/yaml`), `/api/openapi.yaml`, and the
// reference page `/api/docs`. Like every route they follow the driver and
// provider of the request (`/api;driver=ec2/openapi.json`, X-Deltacloud-Driver).
import { stringify } from 'yaml';
import { DEFAULT_FORMATS, HTML_ONLY, type ApiRequest, type Operation } from '../operation.js';
import type { Reply } from '../reply.js';
import { API_VERSION } from '../operations/entry.js';
import { openApiDocument } from './document.js';
import { renderReferencePage } from './reference-page.js';
import { bytes } from './responses.js';
import { encodeMatrixValue } from '../views/compute.js';

/** The mount URL with the request's driver and provider, so the document's paths reach the same back end. */
function serverUrl(req: ApiRequest): string {
  const provider = req.provider === undefined ? '' : `;provider=${encodeMatrixValue(req.provider)}`;
  return `${req.mount};driver=${encodeMatrixValue(req.driverId)}${provider}`;
}

export function makeOpenApiOperations(operations: () => readonly Operation[]): Operation[] {
  const documentFor = (req: ApiRequest) => openApiDocument({
    operations: operations(), driver: req.driver, driverId: req.driverId, provider: req.provider, serverUrl: serverUrl(req), apiVersion: API_VERSION,
  });
  const yamlReply = (req: ApiRequest): Reply => ({ status: 200, body: { kind: 'text', text: stringify(documentFor(req), { aliasDuplicateObjects: false }), contentType: 'application/yaml' } });
  return [
    {
      // Any negotiated format answers the JSON document (curl sends no Accept, browsers prefer HTML); YAML on request.
      collection: 'api', name: 'openapi', method: 'GET', path: '/openapi.json', formats: [...DEFAULT_FORMATS, 'yaml'],
      responses: [bytes(200, ['application/json', 'application/yaml'])],
      async run(req) {
        if (req.format === 'yaml') return yamlReply(req);
        return { status: 200, body: { kind: 'text', text: JSON.stringify(documentFor(req)), contentType: 'application/json' } };
      },
    },
    {
      collection: 'api', name: 'openapi_yaml', method: 'GET', path: '/openapi.yaml', formats: [...DEFAULT_FORMATS, 'yaml'],
      responses: [bytes(200, ['application/yaml'])],
      async run(req) {
        return yamlReply(req);
      },
    },
    {
      collection: 'api', name: 'docs', method: 'GET', path: '/docs', formats: HTML_ONLY,
      responses: [bytes(200, ['text/html'])],
      async run(req) {
        const base = serverUrl(req);
        const html = renderReferencePage(documentFor(req), {
          apiUrl: req.base, selfUrl: `${req.base}/docs`, driver: req.driverId, provider: req.provider,
        }, { json: `${base}/openapi.json`, yaml: `${base}/openapi.yaml` });
        return { status: 200, body: { kind: 'html', html } };
      },
    },
  ];
}
