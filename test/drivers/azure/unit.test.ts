// The azure driver's translations without a back end: configuration and the
// provider allow-list (no client-chosen URL), credential forms, Azure's names,
// and the error mapping of Storage, Resource Manager and Entra ID answers
// (as the SDKs raise them: RestError with code and status).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RestError } from '@azure/storage-blob';
import { DeltacloudError } from '../../../src/core/errors.js';
import { checkBlobName, checkContainerName, checkMetadata } from '../../../src/drivers/azure/blob-names.js';
import { parseOptions } from '../../../src/drivers/azure/config.js';
import { vmState } from '../../../src/drivers/azure/compute.js';
import { mapAzureError } from '../../../src/drivers/azure/errors.js';
import { blobEndpointOf, parseCredentials, resolveProvider } from '../../../src/drivers/azure/provider.js';

const SUB = '00000000-1111-2222-3333-444444444444';

function statusOf(error: unknown): number | undefined {
  return error instanceof DeltacloudError ? error.status : undefined;
}

function restError(statusCode: number, code: string | undefined, message: string, headers: Record<string, string> = {}): RestError {
  const error = new RestError(message, { statusCode, code });
  Object.defineProperty(error, 'response', { value: { headers: { get: (name: string) => headers[name.toLowerCase()] } } });
  return error;
}

describe('azure: providers', () => {
  test('the three public clouds are providers without configuration; AzureCloud is the default', () => {
    const options = parseOptions({});
    assert.deepEqual([...options.providers.keys()], ['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud']);
    assert.equal(resolveProvider(undefined, options).armEndpoint, 'https://management.azure.com');
    assert.equal(resolveProvider('AzureUSGovernment', options).armEndpoint, 'https://management.usgovcloudapi.net');
    assert.equal(resolveProvider('AzureChinaCloud', options).authorityHost, 'https://login.chinacloudapi.cn');
    assert.equal(blobEndpointOf(resolveProvider(undefined, options), 'myaccount'), 'https://myaccount.blob.core.windows.net');
  });

  test('a URL or an unknown name as provider is refused with 400; the only configured provider is the default', () => {
    const options = parseOptions({ providers: { lab: { blobEndpoint: 'http://127.0.0.1:10000/{account}' } } });
    assert.equal(options.defaultProvider, 'lab');
    for (const requested of ['https://evil.example', 'http://127.0.0.1:10000/devstoreaccount1', 'nope']) {
      assert.throws(() => resolveProvider(requested, options), (e: unknown) => statusOf(e) === 400, requested);
    }
  });

  test('the account is the only client part of a blob URL, and only a-z0-9 of 3-24 characters', () => {
    const provider = resolveProvider('lab', parseOptions({ providers: { lab: { blobEndpoint: 'http://127.0.0.1:10000/{account}' } } }));
    assert.equal(blobEndpointOf(provider, 'devstoreaccount1'), 'http://127.0.0.1:10000/devstoreaccount1');
    for (const account of ['evil.example/x', 'a', 'UPPER', 'x'.repeat(25), 'a@b']) {
      assert.throws(() => blobEndpointOf(provider, account), (e: unknown) => statusOf(e) === 401, account);
    }
  });

  test('a Resource Manager scope rides on the provider name and is validated', () => {
    const options = parseOptions({});
    const scoped = resolveProvider(`AzureCloud;${SUB};my-group;westeurope`, options);
    assert.deepEqual([scoped.subscriptionId, scoped.resourceGroup, scoped.location, scoped.armEndpoint], [SUB, 'my-group', 'westeurope', 'https://management.azure.com']);
    for (const bad of ['AzureCloud;not-a-guid;g', `AzureCloud;${SUB}`, `AzureCloud;${SUB};bad/group`, `AzureCloud;${SUB};g;West Europe`, `AzureCloud;${SUB};g;l;extra`]) {
      assert.throws(() => resolveProvider(bad, options), (e: unknown) => statusOf(e) === 400, bad);
    }
  });

  test('bad operator options fail at start-up with the option named', () => {
    assert.throws(() => parseOptions({ providers: { x: { blobEndpoint: 'ftp://h/{account}' } } }), /providers\.x\.blobEndpoint/);
    assert.throws(() => parseOptions({ providers: { x: { blobEndpoint: 'http://h/fixed' } } }), /\{account\}/);
    assert.throws(() => parseOptions({ providers: { x: { cloud: 'Mars' } } }), /cloud/);
    assert.throws(() => parseOptions({ providers: { x: { subscriptionId: 'nope' } } }), /subscriptionId/);
    assert.throws(() => parseOptions({ defaultProvider: 'missing' }), /defaultProvider/);
    assert.throws(() => parseOptions({ blockSizeBytes: 10 }), /blockSizeBytes/);
  });
});

describe('azure: credentials', () => {
  test('account + key, account + SAS, client id@tenant + secret', () => {
    assert.deepEqual(parseCredentials({ user: 'acct1', password: 'a2V5' }), { kind: 'storage', account: 'acct1', secret: { sharedKey: 'a2V5' } });
    assert.deepEqual(parseCredentials({ user: 'acct1', password: '?sv=2024-11-04&sp=r&sig=abc%3D' }), { kind: 'storage', account: 'acct1', secret: { sas: 'sv=2024-11-04&sp=r&sig=abc%3D' } });
    assert.deepEqual(parseCredentials({ user: `${SUB}@contoso.onmicrosoft.com`, password: 's3cret' }), {
      kind: 'service-principal', clientId: SUB, tenantId: 'contoso.onmicrosoft.com', clientSecret: 's3cret',
    });
    for (const user of ['not-a-guid@tenant.example', `${SUB}@`, 'Bad_Account']) {
      assert.throws(() => parseCredentials({ user, password: 'x' }), (e: unknown) => statusOf(e) === 401, user);
    }
  });
});

describe('azure: names', () => {
  test('containers, blobs and metadata by Azure\'s rules', () => {
    for (const ok of ['abc', 'a-b-c', 'x'.repeat(63), '$root', '$web']) assert.doesNotThrow(() => checkContainerName(ok), ok);
    for (const bad of ['ab', 'a--b', '-ab', 'ab-', 'Abc', 'a_b', 'x'.repeat(64)]) assert.throws(() => checkContainerName(bad), (e: unknown) => statusOf(e) === 400, bad);
    for (const ok of ['a', 'dir/file.txt', 'é'.repeat(1024)]) assert.doesNotThrow(() => checkBlobName(ok));
    for (const bad of ['', 'x'.repeat(1025), 'a.', 'a/', 'a\\', 'a\u0001b', 'a/'.repeat(254) + 'b']) assert.throws(() => checkBlobName(bad), (e: unknown) => statusOf(e) === 400);
    assert.doesNotThrow(() => checkMetadata({ owner: 'me', _x1: 'printable value' }));
    for (const bad of [{ 'not-ident': 'v' }, { '1abc': 'v' }, { ok: 'é' }, { ok: 'x'.repeat(9000) }] as Array<Record<string, string>>) assert.throws(() => checkMetadata(bad), (e: unknown) => statusOf(e) === 400);
  });
});

describe('azure: errors', () => {
  const cases: Array<[string, RestError, number]> = [
    ['ARM ResourceNotFound', restError(404, 'ResourceNotFound', "The Resource 'Microsoft.Compute/virtualMachines/vm1' under resource group 'g' was not found."), 404],
    ['ARM NotFound', restError(404, 'NotFound', 'Not found'), 404],
    ['ARM AuthorizationFailed', restError(403, 'AuthorizationFailed', 'The client does not have authorization to perform action'), 403],
    ['ARM InvalidAuthenticationToken', restError(401, 'InvalidAuthenticationToken', 'The access token is invalid.'), 401],
    ['ARM Conflict', restError(409, 'Conflict', 'Conflict'), 409],
    ['ARM OperationNotAllowed', restError(409, 'OperationNotAllowed', "Operation 'start' is not allowed on VM 'vm1' since the VM is marked for deletion."), 409],
    ['ARM throttling', restError(429, 'TooManyRequests', 'Too many requests', { 'retry-after': '17' }), 503],
    ['ARM InvalidParameter', restError(400, 'InvalidParameter', "The value of parameter imageReference.sku is invalid."), 400],
    ['ARM internal error', restError(500, 'InternalServerError', 'An internal error occurred'), 502],
    ['Storage ContainerNotFound', restError(404, 'ContainerNotFound', 'The specified container does not exist.\nRequestId:1\nTime:2024'), 404],
    ['Storage AuthenticationFailed', restError(403, 'AuthenticationFailed', 'Server failed to authenticate the request.'), 401],
    ['Azurite wrong key', restError(403, 'AuthorizationFailure', 'Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.'), 401],
    ['Storage bodiless 403 (HEAD)', restError(403, undefined, ''), 401],
    ['Storage AuthorizationPermissionMismatch', restError(403, 'AuthorizationPermissionMismatch', 'This request is not authorized to perform this operation using this permission.'), 403],
    ['Storage ServerBusy', restError(503, 'ServerBusy', 'The server is busy.'), 503],
    ['Storage ContainerAlreadyExists', restError(409, 'ContainerAlreadyExists', 'The specified container already exists.'), 409],
  ];
  for (const [name, error, status] of cases) {
    test(`${name} → ${status}`, () => {
      const mapped = mapAzureError(error);
      assert.equal(statusOf(mapped), status);
      assert.equal((mapped as DeltacloudError).retried, true, 'the SDK has retried already: the pipeline must not repeat');
    });
  }

  test('throttling carries Retry-After; storage request ids are dropped; secrets, SAS signatures and bearer tokens scrubbed', () => {
    const throttled = mapAzureError(restError(429, 'TooManyRequests', 'slow down', { 'retry-after': '17' })) as DeltacloudError & { retryAfter?: number };
    assert.equal(throttled.retryAfter, 17);
    const storage = mapAzureError(restError(404, 'BlobNotFound', 'The specified blob does not exist.\nRequestId:abc\nTime:x')) as Error;
    assert.equal(storage.message, 'BlobNotFound: The specified blob does not exist.');
    const leaky = mapAzureError(restError(400, 'InvalidInput', 'bad url https://a.blob.core.windows.net/c?sv=1&sig=SECRETSIG with Bearer eyJabc.def and key TOPSECRETKEY'), ['TOPSECRETKEY']) as Error;
    for (const secret of ['SECRETSIG', 'eyJabc.def', 'TOPSECRETKEY']) assert.ok(!leaky.message.includes(secret), leaky.message);
  });

  test('Entra ID refusing the service principal → 401; an unreachable endpoint → 502; programming errors pass unchanged', () => {
    const aad = Object.assign(new Error('ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided.'), {
      name: 'AuthenticationError', statusCode: 401, errorResponse: { error: 'invalid_client', errorDescription: 'AADSTS7000215: Invalid client secret provided.' },
    });
    assert.equal(statusOf(mapAzureError(aad, ['s3cret'])), 401);
    const refused = new RestError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' });
    assert.equal(statusOf(mapAzureError(refused)), 502);
    const bug = new TypeError('x is undefined');
    assert.equal(mapAzureError(bug), bug);
  });
});

describe('azure Resource Manager: states and configuration', () => {
  const view = (...codes: string[]) => ({ statuses: codes.map((code) => ({ code })) });

  test('a VM\'s state: failed provisioning, then the power state, else the provisioning state', () => {
    assert.equal(vmState('Succeeded', view('ProvisioningState/succeeded', 'PowerState/running')), 'RUNNING');
    assert.equal(vmState('Succeeded', view('ProvisioningState/succeeded', 'PowerState/deallocated')), 'STOPPED');
    assert.equal(vmState('Succeeded', view('ProvisioningState/succeeded', 'PowerState/stopped')), 'STOPPED');
    assert.equal(vmState('Updating', view('ProvisioningState/updating', 'PowerState/deallocating')), 'STOPPING');
    assert.equal(vmState('Updating', view('PowerState/starting')), 'PENDING');
    assert.equal(vmState('Failed', view('ProvisioningState/failed', 'PowerState/running')), 'ERROR');
    assert.equal(vmState('Deleting', undefined), 'STOPPING');
    assert.equal(vmState('Creating', undefined), 'PENDING');
    assert.equal(vmState(undefined, undefined), 'PENDING');
  });

  test('a provider\'s caFile must be readable PEM; pollIntervalMs defaults to 2 s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'azure-ca-'));
    try {
      const notPem = join(dir, 'ca.txt');
      writeFileSync(notPem, 'not a certificate');
      assert.throws(() => parseOptions({ providers: { stack: { armEndpoint: 'https://arm.example', caFile: notPem } } }), /caFile/);
      assert.throws(() => parseOptions({ providers: { stack: { armEndpoint: 'https://arm.example', caFile: join(dir, 'missing.pem') } } }), /caFile/);
      assert.equal(parseOptions({}).pollIntervalMs, 2000);
      assert.equal(parseOptions({ pollIntervalMs: 50 }).pollIntervalMs, 50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a URL as a part of the Resource Manager scope is refused with 400; the location may be left out', () => {
    const options = parseOptions({});
    assert.throws(() => resolveProvider(`AzureCloud;${SUB};group;https://evil.example`, options), (e: unknown) => statusOf(e) === 400);
    assert.equal(resolveProvider(`AzureCloud;${SUB};group`, options).location, undefined);
  });
});
