// The web console in a real browser (Debian's Chromium through playwright-core)
// against the real server on the mock driver: navigation and the back-end
// switcher, the launch form, live state, row actions with confirmation, a 400
// next to its field, accessibility (axe-core) and screenshots.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MOCK_AUTH, startServer } from '../../helpers/server.js';
import { browserSkip, ConsoleSession, mockContext, screenshot, seriousViolations } from './browser.js';

const skip = browserSkip();

const session = new ConsoleSession(skip, () => startServer());
const url = (path: string) => session.url(path);

/** The API's answer as JSON, outside the browser. */
async function api(method: string, path: string, form?: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url(path), {
    method, headers: { Accept: 'application/json', Authorization: MOCK_AUTH }, body: form ? new URLSearchParams(form) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('console layout', { skip }, () => {
  test('the side navigation lists the driver\'s collections from the entry point and marks the current one', async () => {
    await session.page.goto(url('/api'));
    const nav = session.page.getByRole('navigation', { name: 'Console' });
    for (const name of ['Instances', 'Images', 'Hardware Profiles', 'Realms', 'Keys', 'Buckets', 'Storage Volumes']) {
      await nav.getByRole('link', { name, exact: true }).waitFor();
    }
    await nav.getByRole('link', { name: 'Realms', exact: true }).click();
    await session.page.waitForURL(/\/api\/realms$/);
    assert.equal(await nav.getByRole('link', { name: 'Realms', exact: true }).getAttribute('aria-current'), 'page');
    assert.deepEqual(await session.page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('listitem').allInnerTexts(), ['Home', 'Realms']);
    assert.match(await session.page.getByRole('link', { name: 'JSON' }).first().getAttribute('href') ?? '', /\/api\/realms\?format=json$/);
  });

  test('a driver chosen in the header stays chosen for the next three clicks', async () => {
    await session.page.goto(url('/api/realms'));
    await session.page.getByRole('banner').getByLabel('Driver').selectOption('ec2');
    await session.page.getByRole('banner').getByRole('button', { name: 'Switch' }).click();
    await session.page.waitForURL(/\/api;driver=ec2$/);
    const nav = session.page.getByRole('navigation', { name: 'Console' });
    for (const [i, name] of ['Realms', 'Images', 'Hardware Profiles'].entries()) {
      await nav.getByRole('link', { name, exact: true }).click();
      await session.page.waitForLoadState();
      assert.match(session.page.url(), /\/api;driver=ec2\//, `click ${i + 1} stays on ec2: ${session.page.url()}`);
      assert.match(await session.page.locator('header .backend').innerText(), /^ec2@/, `click ${i + 1}: the header names ec2`);
      assert.equal(await session.page.getByRole('banner').getByLabel('Driver').inputValue(), 'ec2', `click ${i + 1}: the switcher shows ec2`);
    }
    await session.page.getByRole('banner').getByLabel('Driver').selectOption('mock');
    await session.page.getByRole('banner').getByRole('button', { name: 'Switch' }).click();
    await session.page.waitForURL(/\/api;driver=mock$/);
  });
});

describe('lists', { skip }, () => {
  test('the collection\'s filters are controls, and columns sort on click', async () => {
    await session.page.goto(url('/api/instances'));
    const search = session.page.getByRole('search', { name: 'Filter' });
    await search.getByLabel('Id', { exact: true }).fill('inst1');
    await search.getByRole('button', { name: 'Filter' }).click();
    await session.page.waitForURL(/\/api\/instances\?id=inst1/);
    assert.deepEqual(await session.page.locator('table.members tbody th').allInnerTexts(), ['inst1']);
    assert.equal(await search.getByLabel('Id', { exact: true }).inputValue(), 'inst1', 'the filter shows what it filters by');
    await search.getByRole('link', { name: 'Clear filters' }).click();
    await session.page.waitForURL(/\/api\/instances$/);
    const ids = async () => session.page.locator('table.members tbody th').allInnerTexts();
    const all = await ids();
    assert.ok(all.length >= 3);
    await session.page.getByRole('button', { name: /^Id\b/ }).click(); // its name gains ▲ or ▼ once sorted
    assert.deepEqual(await ids(), [...all].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
    await session.page.getByRole('button', { name: /^Id\b/ }).click(); // its name gains ▲ or ▼ once sorted
    assert.deepEqual(await ids(), [...all].sort((a, b) => b.localeCompare(a, undefined, { numeric: true })));
    assert.equal(await session.page.getByRole('columnheader', { name: /Id/ }).getAttribute('aria-sort'), 'descending');
  });
});

describe('instances', { skip }, () => {
  let created = '';

  test('the launch form has human labels and help text, and launching shows the new instance RUNNING', async () => {
    await session.page.goto(url('/api/instances'));
    await session.page.getByRole('link', { name: 'Create new…' }).click();
    await session.page.waitForURL(/\/instances\/new/);
    await session.page.getByLabel('Image', { exact: false }).first().selectOption('img1');
    await session.page.getByLabel('Hardware profile').selectOption('m1-small');
    const large = await session.page.getByLabel('Hardware profile').locator('option[value="m1-large"]').innerText();
    assert.match(large, /^m1-large: \d+–\d+ CPU, \d+–\d+ MB memory, [\d/]+ GB storage$/, 'a profile says what it offers, ranges included');
    assert.equal(await session.page.getByLabel('CPU cores').isVisible(), false, 'm1-small offers no CPU range: no CPU control (ranges: features.test.ts)');
    assert.equal(await session.page.getByText('The image to launch.').count(), 1, 'help text from the declaration');
    await session.page.getByLabel('Name', { exact: true }).fill('console-test');
    await screenshot(session.page, 'launch');
    await session.page.getByRole('button', { name: 'Launch instance' }).click();
    await session.page.waitForURL(/\/api\/instances\/inst\d+$/);
    created = /\/instances\/(inst\d+)$/.exec(session.page.url())![1]!;
    assert.equal(await session.page.locator('main .badge').first().innerText(), 'RUNNING');
    const { body } = await api('GET', `/api/instances/${created}`);
    assert.match(JSON.stringify(body), /console-test/);
  });

  test('a list showing a changing state refreshes itself while it changes (no reload)', async () => {
    // The mock never leaves PENDING on its own: an instance made PENDING keeps the list refreshing, and a change
    // made elsewhere (another instance stopped through the API) appears without a reload.
    const idOf = (made: { body: unknown }) => /"id":"(inst\d+)"/.exec(JSON.stringify(made.body))![1]!;
    const pending = await api('POST', '/api/instances', { image_id: 'img1', initial_state: 'PENDING', name: 'console-pending' });
    const running = await api('POST', '/api/instances', { image_id: 'img1', name: 'console-running' });
    assert.equal(pending.status, 201);
    assert.equal(running.status, 201);
    await session.page.goto(url('/api/instances'));
    const badgeOf = (id: string) => session.page.getByRole('row').filter({ has: session.page.getByRole('link', { name: id, exact: true }) }).locator('.badge');
    assert.equal(await badgeOf(idOf(pending)).innerText(), 'PENDING');
    assert.equal(await badgeOf(idOf(running)).innerText(), 'RUNNING');
    await session.page.evaluate('window.notReloaded = true');
    assert.equal((await api('POST', `/api/instances/${idOf(running)}/stop`)).status, 202);
    await badgeOf(idOf(running)).filter({ hasText: 'STOPPED' }).waitFor({ timeout: 10_000 });
    assert.equal(await session.page.evaluate('window.notReloaded'), true, 'the list was updated in place');
    assert.equal((await api('DELETE', `/api/instances/${idOf(running)}`)).status, 204);
  });

  test('stop and destroy from the list, each confirmed first; a dismissed confirmation does nothing', async () => {
    await session.page.goto(url('/api/instances'));
    const row = () => session.page.getByRole('row').filter({ has: session.page.getByRole('link', { name: created, exact: true }) });
    assert.equal(await row().locator('.badge').innerText(), 'RUNNING');
    await screenshot(session.page, 'instances');

    session.page.once('dialog', (d) => void d.dismiss());
    await row().getByRole('button', { name: 'Stop' }).click();
    assert.equal(await row().locator('.badge').innerText(), 'RUNNING', 'dismissed: still running');

    let asked = '';
    session.page.once('dialog', (d) => { asked = d.message(); void d.accept(); });
    await row().getByRole('button', { name: 'Stop' }).click();
    await session.page.waitForURL(new RegExp(`/instances/${created}$`));
    assert.equal(asked, `Stop ${created}?`, 'the confirmation names the action and the instance');
    assert.equal(await session.page.locator('main .badge').first().innerText(), 'STOPPED');

    await session.page.goto(url('/api/instances'));
    session.page.once('dialog', (d) => void d.accept());
    await row().getByRole('button', { name: 'Destroy' }).click();
    await session.page.waitForURL(/\/api\/instances$/);
    assert.equal(await row().count(), 0, 'the destroyed instance is gone from the list');
    assert.equal((await api('GET', `/api/instances/${created}`)).status, 404);
  });
});

describe('forms', { skip }, () => {
  test('a 400 from the server is shown next to its field and what was typed stays', async () => {
    await session.page.goto(url('/api/storage_volumes/new'));
    await session.page.getByLabel('Size (GB)').fill('lots');
    await session.page.getByLabel('Name', { exact: true }).fill('kept');
    const before = session.page.url();
    await session.page.getByRole('button', { name: /create/i }).click();
    const message = session.page.locator('[data-field="capacity"] .field-error');
    await message.filter({ hasText: 'capacity must be a number of GB' }).waitFor();
    assert.equal(session.page.url(), before, 'still on the form');
    assert.equal(await session.page.getByLabel('Size (GB)').getAttribute('aria-invalid'), 'true');
    assert.equal(await session.page.getByLabel('Size (GB)').inputValue(), 'lots');
    assert.equal(await session.page.getByLabel('Name', { exact: true }).inputValue(), 'kept');
    await screenshot(session.page, 'form-error');
  });
});

describe('keys and blobs', { skip }, () => {
  test('a created key shows its private key once, with a warning and a download of exactly that key', async () => {
    await session.page.goto(url('/api/keys/new'));
    await session.page.getByLabel(/^Name/).fill('console-key');
    await session.page.getByRole('button', { name: 'Create new SSH key' }).click();
    await session.page.getByText('Save this private key now.').waitFor();
    const shown = await session.page.locator('.private-key pre').innerText();
    assert.match(shown, /BEGIN .*PRIVATE KEY/);
    const [download] = await Promise.all([session.page.waitForEvent('download'), session.page.getByRole('link', { name: 'Download private key' }).click()]);
    const saved = await download.path();
    const { readFile } = await import('node:fs/promises');
    assert.equal((await readFile(saved, 'utf8')).trim(), shown.trim(), 'the download is the key shown');
    assert.equal((await api('DELETE', '/api/keys/console-key')).status, 204);
  });

  test('a 5 MB upload shows its progress bar, downloads byte-exact, and is deleted with confirmation', async () => {
    const bytes = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff;
    await session.page.goto(url('/api/buckets/bucket1'));
    await session.page.getByRole('link', { name: 'Upload blob' }).click();
    await session.page.getByLabel('Blob name').fill('console-5mb.bin');
    await session.page.getByLabel(/^File/).setInputFiles({ name: 'console-5mb.bin', mimeType: 'application/octet-stream', buffer: bytes });
    // The bar's values as the script sets them, reported out of the page before it moves on to the new blob.
    const progress: number[] = [];
    await session.page.exposeFunction('reportProgress', (value: number) => progress.push(value));
    await session.page.evaluate(`new MutationObserver((changes) => changes.forEach((c) => {
      const bar = c.target.tagName === 'PROGRESS' ? c.target : c.target.querySelector && c.target.querySelector('progress');
      if (bar) window.reportProgress(Number(bar.value));
    })).observe(document.querySelector('form.resource'), { attributes: true, subtree: true, childList: true })`);
    await session.page.getByRole('button', { name: 'Upload blob' }).click();
    await session.page.waitForURL(/\/buckets\/bucket1\/console-5mb\.bin$/, { timeout: 30_000 });
    assert.ok(progress.includes(100) && progress.some((v) => v > 0), `the progress bar moved: ${progress.join(', ')}`);
    const [download] = await Promise.all([session.page.waitForEvent('download'), session.page.getByRole('link', { name: 'Download' }).click()]);
    const { readFile } = await import('node:fs/promises');
    assert.ok(Buffer.compare(await readFile(await download.path()), bytes) === 0, 'downloaded byte-exact');
    session.page.once('dialog', (d) => void d.accept());
    await session.page.getByRole('button', { name: 'Delete' }).click();
    await session.page.waitForURL(/\/buckets\/bucket1$/);
    assert.equal((await api('GET', '/api/buckets/bucket1/console-5mb.bin')).status, 404);
  });
});

describe('without JavaScript', { skip }, () => {
  test('forms still post and actions still work (a 400 without JavaScript: errors.test.ts)', async () => {
    const plain = await session.browser.newContext({ javaScriptEnabled: false, extraHTTPHeaders: { Authorization: MOCK_AUTH } });
    try {
      const tab = await plain.newPage();
      await tab.goto(url('/api/instances/new'));
      await tab.getByLabel('Name', { exact: true }).fill('no-script');
      await tab.getByRole('button', { name: 'Launch instance' }).click();
      await tab.waitForURL(/\/api\/instances\/inst\d+$/);
      assert.equal(await tab.locator('main .badge').first().innerText(), 'RUNNING');
      await tab.getByRole('button', { name: 'Stop' }).click();
      await tab.locator('main .badge', { hasText: 'STOPPED' }).waitFor();
      await tab.getByRole('button', { name: 'Destroy' }).click();
      await tab.waitForURL(/\/api\/instances$/);
    } finally {
      await plain.close();
    }
  });
});

describe('accessibility (axe-core) and narrow screens', { skip }, () => {
  const PAGES: Array<[string, string]> = [
    ['entry', '/api'], ['list', '/api/instances'], ['member', '/api/instances/inst0'], ['form', '/api/instances/new'],
    ['error', '/api/instances/no-such-instance'], ['empty list', '/api/storage_snapshots'], ['bucket', '/api/buckets/bucket1'],
    ['metric charts', '/api/metrics/inst0'], ['launch form with ranges', '/api/instances/new?hwp_id=m1-large'],
    ['metadata form', '/api/buckets/bucket1/blob1/edit_metadata'],
  ];

  test('the checker itself reports a serious violation when there is one', async () => {
    const tab = await session.context.newPage();
    try {
      await tab.goto(url('/api/realms'));
      // An unlabelled field and an image without alternative text, added to a real session.page.
      await tab.evaluate('document.querySelector("main").insertAdjacentHTML("beforeend", \'<input type="text"><img src="/nothing.png">\')');
      const found = await seriousViolations(tab);
      assert.ok(found.some((v) => v.includes('image-alt')), found.join('\n'));
      assert.ok(found.some((v) => v.includes('label')), found.join('\n'));
    } finally {
      await tab.close();
    }
  });

  for (const width of [1280, 390]) {
    test(`no serious or critical violations on each page type at ${width} px`, async () => {
      const narrow = await mockContext(session.browser, width);
      try {
        const tab = await narrow.newPage();
        for (const [kind, path] of PAGES) {
          await tab.goto(url(path));
          assert.deepEqual(await seriousViolations(tab), [], `${kind} page (${path}) at ${width} px`);
          const overflow = await tab.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
          assert.equal(overflow, 0, `${kind} page fits ${width} px without sideways scrolling`);
        }
        await tab.goto(url('/api/instances'));
        await screenshot(tab, 'instances');
        await tab.goto(url('/api/instances/new'));
        await screenshot(tab, 'launch');
      } finally {
        await narrow.close();
      }
    });
  }
});
