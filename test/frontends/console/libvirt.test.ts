// The console on the libvirt driver, over libvirt's built-in test host
// (`test:///default`: virsh alone, no daemon). That host forgets every change
// between connections, so this suite reads: the domains with their state
// badges and row actions, the launch form offering the host's images and
// profiles, and axe-core on those pages. The life cycle through the console is
// driven on qemu:///system in libvirt-live.test.ts (and on the mock in console.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LIBVIRT_OPERATOR, startLibvirtServer, virshUnavailable } from '../../drivers/conformance/libvirt-target.js';
import { browserSkip, ConsoleSession, screenshot, seriousViolations } from './browser.js';

const URI = 'test:///default';
const noVirsh = virshUnavailable(URI);
if (noVirsh && process.env.CI) test('virsh answers on test:///default', () => assert.fail(`${noVirsh} (required in CI)`));
else if (noVirsh) console.warn(`\n*** SKIPPING the libvirt console suite: ${noVirsh} ***\n`);
const skip = browserSkip() || noVirsh || false;

const authorization = 'Basic ' + Buffer.from(`${LIBVIRT_OPERATOR.user}:${LIBVIRT_OPERATOR.password}`).toString('base64');
const session = new ConsoleSession(skip, () => startLibvirtServer(URI, { listAllDomains: true }), authorization);
const url = (path: string) => session.url(path);

describe('console on libvirt (test:///default)', { skip }, () => {
  test('the side navigation is libvirt\'s and the domain list shows state badges and row actions', async () => {
    await session.page.goto(url('/api;driver=libvirt'));
    assert.match(await session.page.locator('header .backend').innerText(), /^libvirt@/);
    await session.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Instances', exact: true }).click();
    await session.page.waitForURL(/\/api;driver=libvirt\/instances$/);
    const row = session.page.getByRole('row').filter({ hasText: 'test' }).first();
    assert.equal(await row.locator('.badge').innerText(), 'RUNNING', 'the test host\'s domain runs');
    assert.ok(await row.getByRole('button', { name: 'Stop' }).isVisible(), 'its actions are row buttons');
    assert.equal(await row.getByRole('button', { name: 'Stop' }).locator('xpath=..').getAttribute('data-confirm'), `Stop ${await row.locator('th a').innerText()}?`);
    assert.deepEqual(await seriousViolations(session.page), [], 'libvirt instance list');
    await screenshot(session.page, 'libvirt-instances');
  });

  test('the launch form is labelled and offers the host\'s profiles with what they offer', async () => {
    await session.page.goto(url('/api;driver=libvirt/instances/new'));
    assert.ok(await session.page.getByLabel(/^Image/).isVisible(), 'the image field (the test host has no image pool)');
    const profiles = await session.page.getByLabel('Hardware profile').locator('option').allInnerTexts();
    assert.ok(profiles.some((p) => /CPU/.test(p)), `profiles say what they offer: ${profiles.join(' | ')}`);
    assert.deepEqual(await seriousViolations(session.page), [], 'libvirt launch form');
  });
});
