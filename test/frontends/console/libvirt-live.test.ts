// The life of an instance through the console on a real libvirt host
// (qemu:///system with the driver's pools, scripts/libvirt/setup.sh), booting
// the tiny guest the libvirt live suites use: launched through the form, seen
// reaching RUNNING without a reload, stopped from the list (the page follows
// STOPPING → STOPPED by itself) and destroyed from the list. Whatever a failed
// run leaves (domain, disks, the image copy) is removed in `after`.
// LIBVIRT_LIVE=0 skips it outside CI, as it does the other live suites.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, type TestServer } from '../../helpers/server.js';
import { LIBVIRT_OPERATOR, startLibvirtServer, virshOn, virshUnavailable } from '../../drivers/conformance/libvirt-target.js';
import { browserSkip, launchChromium, mockContext, screenshot, seriousViolations } from './browser.js';
import type { Browser, Page } from 'playwright-core';

const URI = 'qemu:///system';
const POOL = 'deltacloud';
const IMAGE_POOL = 'deltacloud-images';
const GUEST_DIR = process.env.LIBVIRT_TINY_GUEST_DIR || '/var/tmp/deltacloud-tiny-guest';
const IMAGE_ID = `console-${process.pid}-${Date.now().toString(36)}`;
const TITLE = `console-live-${process.pid}`;

const { run: virsh, ok: virshOk } = virshOn(URI);

function unavailable(): string | undefined {
  if (!process.env.CI && process.env.LIBVIRT_LIVE === '0') return 'LIBVIRT_LIVE=0';
  const missing = virshUnavailable(URI);
  if (missing) return missing;
  for (const pool of [POOL, IMAGE_POOL]) if (!virshOk('pool-info', pool)) return `storage pool '${pool}' is missing on ${URI} (scripts/libvirt/setup.sh)`;
  return undefined;
}

const noLibvirt = unavailable();
if (noLibvirt && process.env.CI) test(`libvirt answers on ${URI} with the driver's pools`, () => assert.fail(`${noLibvirt} (required in CI)`));
else if (noLibvirt) console.warn(`\n*** SKIPPING the console life cycle on libvirt: ${noLibvirt} ***\n`);
const skip = browserSkip() || noLibvirt || false;

const poolPath = (pool: string) => /<path>([^<]+)<\/path>/.exec(virsh('pool-dumpxml', pool))![1]!;
/** Domains whose title is this run's (the driver puts the instance's name in the title). */
const ourDomains = () => virsh('list', '--all', '--name').split('\n').map((s) => s.trim()).filter((id) => id !== '' && virshOk('desc', '--title', id) && virsh('desc', '--title', id).trim() === TITLE);

let server: TestServer | undefined;
let browser: Browser | undefined;
let page: Page;
const url = (path: string) => `${server!.origin}${path}`;

describe(`console: an instance's life on libvirt ${URI}`, { skip }, () => {
  before(async () => {
    const guest = join(GUEST_DIR, 'tiny.qcow2');
    if (!existsSync(guest)) await promisify(execFile)('bash', [join(ROOT, 'scripts', 'libvirt', 'make-tiny-guest.sh'), GUEST_DIR], { timeout: 600_000 });
    copyFileSync(guest, join(poolPath(IMAGE_POOL), `${IMAGE_ID}.qcow2`));
    virsh('pool-refresh', IMAGE_POOL);
    // A short wait and shutdown timeout: stop answers STOPPING at once and the guest is forced off soon after.
    server = await startLibvirtServer(URI, { network: 'user', waitMs: 500, shutdownTimeoutMs: 3000 });
    browser = await launchChromium();
    const authorization = 'Basic ' + Buffer.from(`${LIBVIRT_OPERATOR.user}:${LIBVIRT_OPERATOR.password}`).toString('base64');
    page = await (await mockContext(browser, 1280, authorization)).newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (noLibvirt) return;
    // Whatever a failed run left behind: its domains and their files, and the image copy.
    const left = ourDomains();
    for (const id of left) {
      virshOk('destroy', id);
      virshOk('undefine', id, '--nvram');
    }
    virshOk('pool-refresh', POOL);
    const dir = poolPath(POOL);
    for (const id of left) for (const f of readdirSync(dir).filter((f) => f.startsWith(id))) virshOk('vol-delete', '--pool', POOL, f) || rmSync(join(dir, f), { force: true });
    if (!virshOk('vol-delete', '--pool', IMAGE_POOL, `${IMAGE_ID}.qcow2`)) rmSync(join(poolPath(IMAGE_POOL), `${IMAGE_ID}.qcow2`), { force: true });
  });

  test('launched through the form, RUNNING without a reload, stopped and destroyed from the list', { timeout: 180_000 }, async () => {
    await page.goto(url('/api;driver=libvirt/instances/new'));
    await page.getByLabel(/^Image/).selectOption(IMAGE_ID);
    await page.getByLabel('Hardware profile').selectOption('custom');
    await page.getByLabel('CPU cores').fill('1');
    await page.getByLabel('Memory (MB)').fill('128');
    await page.getByLabel('Storage (GB)').fill('1');
    await page.getByLabel('Name', { exact: true }).fill(TITLE);
    await page.getByRole('button', { name: 'Launch instance' }).click();
    await page.waitForURL(/\/api;driver=libvirt\/instances\/(?!new$)[^/]+$/, { timeout: 60_000 });
    const id = decodeURIComponent(/\/instances\/([^/]+)$/.exec(page.url())![1]!);
    assert.deepEqual(ourDomains(), [id], 'the form made one domain, named after the page it opened');

    // From here on the page is never reloaded: a marker set now survives only an in-place update.
    await page.evaluate('window.notReloaded = true');
    await page.locator('main .badge', { hasText: 'RUNNING' }).first().waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate('window.notReloaded'), true, 'RUNNING was seen on the page it was launched to');
    assert.match(virsh('domstate', id), /running/);
    assert.deepEqual(await seriousViolations(page), [], 'libvirt instance page');

    await page.goto(url('/api;driver=libvirt/instances'));
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: id, exact: true }) });
    assert.equal(await row.locator('.badge').innerText(), 'RUNNING');
    let asked = '';
    page.once('dialog', (d) => { asked = d.message(); void d.accept(); });
    await row.getByRole('button', { name: 'Stop' }).click();
    assert.equal(await page.waitForURL(new RegExp(`/instances/${id}$`)).then(() => asked), `Stop ${id}?`);
    await page.evaluate('window.notReloaded = true');
    await page.locator('main .badge', { hasText: 'STOPPED' }).first().waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate('window.notReloaded'), true, 'STOPPED was seen without a reload');
    assert.match(virsh('domstate', id), /shut off/);

    await page.goto(url('/api;driver=libvirt/instances'));
    await screenshot(page, 'libvirt-live-instances');
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Destroy' }).click();
    await page.waitForURL(/\/api;driver=libvirt\/instances$/);
    assert.equal(await row.count(), 0, 'the destroyed instance is gone from the list');
    assert.equal(virshOk('domstate', id), false, 'libvirt no longer knows the domain');
  });
});
