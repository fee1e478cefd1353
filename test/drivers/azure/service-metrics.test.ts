// The azure driver's requests to its back ends' services, as the metrics see
// them (src/drivers/azure/service-calls.ts → core/kit/service-calls.ts):
// against Microsoft's examples replayed by arm-replay.ts, every request the
// replay received from the driver is reported once, by service (ARM for
// Resource Manager, EntraID for the token endpoint), with its outcome, and
// the driver's id.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RequestContext } from '../../../src/core/driver.js';
import { call } from '../../../src/core/kit/pipeline.js';
import { observeServiceCalls, type ServiceCallReport } from '../../../src/core/kit/service-calls.js';
import { parseOptions } from '../../../src/drivers/azure/config.js';
import { createAzureDriver } from '../../../src/drivers/azure/driver.js';
import { ArmReplay } from './arm-replay.js';

const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const TENANT = 'contoso.onmicrosoft.com';
const SECRET = 'replay-client-secret-value';
const SUB = '00000000-1111-2222-3333-444444444444';
const VM = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}';

let replay: ArmReplay;
before(async () => {
  replay = await ArmReplay.start({ clientId: CLIENT_ID, clientSecret: SECRET });
});
after(async () => {
  await replay?.stop();
});

test('every Resource Manager and Entra ID request of the azure driver is reported once, by service and outcome; no name in the report', async () => {
  const reports: ServiceCallReport[] = [];
  const stop = observeServiceCalls((report) => reports.push(report));
  try {
    const driver = createAzureDriver(parseOptions({ providers: { replay: { armEndpoint: replay.url, authorityHost: replay.url, caFile: replay.caFile } }, pollIntervalMs: 10 }));
    const ctx = new RequestContext(`replay;${SUB};myResourceGroup;westus`, { user: `${CLIENT_ID}@${TENANT}`, password: SECRET }, undefined, {}, { timeoutMs: 10_000 });
    replay.expect(
      { example: 'compute/VirtualMachine_Get.json', method: 'GET', path: VM },
      { example: 'compute/VirtualMachine_Get_InstanceView.json', method: 'GET', path: `${VM}/instanceView` },
    );
    const instance = await call(driver, 'instance', ctx, 'myVM');
    assert.equal(instance?.id, 'myVM');
    assert.deepEqual(replay.reset(), { problems: [], pending: [] });
  } finally {
    stop();
  }
  const arm = replay.seen.filter((line) => line.includes('/subscriptions/')).length;
  const entra = replay.seen.length - arm;
  assert.equal(arm, 2);
  assert.ok(entra >= 1, 'the credential asked Entra ID for a token');
  const count = (service: string) => reports.filter((r) => r.service === service).length;
  assert.equal(count('ARM'), arm, JSON.stringify(reports));
  assert.equal(count('EntraID'), entra, JSON.stringify(replay.seen));
  assert.equal(reports.length, arm + entra);
  for (const report of reports) {
    assert.equal(report.driver, 'azure');
    assert.equal(report.outcome, 'ok');
    assert.ok(report.ms >= 0);
    for (const name of ['myVM', 'myResourceGroup', SUB, CLIENT_ID, SECRET]) assert.ok(!JSON.stringify(report).includes(name), name);
  }
});
