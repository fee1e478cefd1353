// Refusals in the console, in Chromium against the real server on the mock:
// without JavaScript a refused form post comes back as the form, with the
// message next to the field it names and what was typed kept; every error
// status the API answers has a page saying what happened and what to do, with
// a way on and no stack trace; axe-core finds nothing serious on them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { MOCK_AUTH, startServer } from '../../helpers/server.js';
import { browserSkip, ConsoleSession, mockContext, screenshot, seriousViolations } from './browser.js';

const skip = browserSkip();
const session = new ConsoleSession(skip, () => startServer());
const url = (path: string) => session.url(path);

/** A page of a browser without JavaScript (axe-core cannot run there: it needs the page's script engine). */
async function withoutScript<T>(use: (tab: Page) => Promise<T>): Promise<T> {
  const context: BrowserContext = await session.browser.newContext({ javaScriptEnabled: false, extraHTTPHeaders: { Authorization: MOCK_AUTH } });
  context.setDefaultTimeout(15_000);
  try {
    return await use(await context.newPage());
  } finally {
    await context.close();
  }
}

/** Posts `fields` to `action` as a page's form would (a form added to the current page and submitted); the answer's status. */
async function post(tab: Page, action: string, fields: Record<string, string>): Promise<number> {
  const [response] = await Promise.all([
    tab.waitForResponse((r) => r.url() === url(action) && r.request().method() === 'POST'),
    tab.evaluate(([target, values]) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = target;
      for (const [name, value] of Object.entries(values)) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    }, [url(action), fields] as const),
  ]);
  await tab.waitForURL(url(action), { waitUntil: 'load' });
  return response.status();
}

describe('a refused form post without JavaScript', { skip }, () => {
  test('comes back as the form: the message next to its field, what was typed kept', async () => {
    await withoutScript(async (tab) => {
      await tab.goto(url('/api/storage_volumes/new'));
      await tab.getByLabel('Size (GB)').fill('lots');
      await tab.getByLabel('Name', { exact: true }).fill('kept');
      await tab.getByLabel('Description').fill('typed by hand');
      const [response] = await Promise.all([tab.waitForResponse((r) => r.request().method() === 'POST'), tab.getByRole('button', { name: /create/i }).click()]);
      await tab.waitForLoadState();
      assert.equal(response.status(), 400);
      assert.equal(await tab.locator('[data-field="capacity"] .field-error').innerText(), 'capacity must be a number of GB');
      assert.equal(await tab.getByLabel('Size (GB)').getAttribute('aria-invalid'), 'true');
      assert.equal(await tab.getByLabel('Size (GB)').inputValue(), 'lots');
      assert.equal(await tab.getByLabel('Name', { exact: true }).inputValue(), 'kept');
      assert.equal(await tab.getByLabel('Description').inputValue(), 'typed by hand');
      assert.equal(await tab.getByRole('heading', { level: 1 }).innerText(), 'Create storage volume');
      await screenshot(tab, 'form-error-noscript');

      // Corrected and sent again from the same page: it is a working form, posting to the same place.
      await tab.getByLabel('Size (GB)').fill('2');
      await tab.getByRole('button', { name: /create/i }).click();
      await tab.waitForURL(/\/api\/storage_volumes\/[^/]+$/);
      assert.match(await tab.locator('main').innerText(), /kept/);
    });
  });

  test('the refilled form has no serious accessibility violations', async () => {
    // axe-core needs the page's script engine; a form added and submitted by the test bypasses the console script.
    const tab = await session.context.newPage();
    try {
      await tab.goto(url('/api/storage_volumes/new'));
      assert.equal(await post(tab, '/api/storage_volumes', { capacity: 'lots', name: 'kept' }), 400);
      assert.equal(await tab.locator('[data-field="capacity"] .field-error').innerText(), 'capacity must be a number of GB');
      assert.deepEqual(await seriousViolations(tab), [], 'the form with its refusal');
    } finally {
      await tab.close();
    }
  });

  test('an empty required field and a refusal of the back end (409) are shown the same way', async () => {
    await withoutScript(async (tab) => {
      // The browser itself refuses an empty required field; sent anyway (as a script-less client may), the server's refusal.
      await tab.goto(url('/api/keys/new'));
      assert.equal(await post(tab, '/api/keys', { name: '' }), 400);
      assert.match(await tab.locator('[data-field="name"] .field-error').innerText(), /'name'/);
      assert.equal(await tab.getByLabel(/^Name/).getAttribute('aria-invalid'), 'true');

      await tab.goto(url('/api/firewalls/default/new_rule'));
      const status = await post(tab, '/api/firewalls/default/rules', { protocol: 'tcp', port_from: '22', port_to: '22', ip_address1: '0.0.0.0/0' });
      assert.equal(status, 409);
      assert.equal(await tab.getByRole('heading', { level: 1 }).innerText(), 'Add firewall rule', 'the rule form again');
      assert.match(await tab.locator('.form-error').innerText(), /^409: Firewall rule already exists$/);
      assert.equal(await tab.getByLabel('Protocol', { exact: false }).first().inputValue(), 'tcp', 'what was sent is kept');
    });
  });
});

describe('error pages', { skip }, () => {
  // Each status the API answers, reached as a person would reach it. A 409 comes from a form post, and so comes
  // back as its form with the message above it (tested above).
  const CASES: Array<{ status: number; reach: (tab: Page) => Promise<number>; message: RegExp }> = [
    { status: 400, reach: async (tab) => (await tab.goto(url('/api;driver=nosuchdriver/realms')))!.status(), message: /driver/i },
    { status: 403, reach: (tab) => post(tab, '/api/buckets/bucket1', { _method: 'delete' }), message: /non-empty bucket/ },
    { status: 404, reach: async (tab) => (await tab.goto(url('/api/instances/no-such-instance')))!.status(), message: /not found/i },
    { status: 405, reach: (tab) => post(tab, '/api/instances/inst0/start', {}), message: /./ },
    { status: 412, reach: (tab) => post(tab, '/api/buckets/bucket1/cdn/enable', {}), message: /capability/ },
    ...[500, 501, 502, 504].map((status) => ({ status, reach: async (tab: Page) => (await tab.goto(url(`/api/realms/${status}`)))!.status(), message: /Message$/ })),
  ];

  async function assertExplained(tab: Page, status: number, message: RegExp): Promise<void> {
    assert.match(await tab.title(), new RegExp(`^${status} - `));
    assert.match(await tab.locator('.error-message').innerText(), message);
    const advice = await tab.getByRole('region', { name: 'What to do' }).innerText();
    assert.match(advice, /What happened: \S+/, `${status}: says what happened`);
    assert.match(advice, /What to do: \S+/, `${status}: says what to do`);
    const text = await tab.locator('body').innerText();
    assert.doesNotMatch(text, /\bat \S+ \(|\.ts:\d+|node:internal|\/work\//, `${status}: no stack trace or file path`);
    assert.ok(await tab.getByRole('navigation', { name: 'Console' }).isVisible() || status === 400, `${status}: the console's navigation stays`);
  }

  test('every status has a page saying what happened and what to do, with a way on', async () => {
    const tab = await session.context.newPage();
    try {
      await tab.goto(url('/api'));
      const advices = new Set<string>();
      for (const { status, reach, message } of CASES) {
        assert.equal(await reach(tab), status, `reached ${status}`);
        await assertExplained(tab, status, message);
        advices.add(await tab.getByRole('region', { name: 'What to do' }).innerText());
        if (status === 404) {
          await tab.getByRole('link', { name: 'Go up one level' }).click();
          await tab.waitForURL(/\/api\/instances$/);
        }
        if (status === 412) {
          assert.match(await tab.getByRole('link', { name: 'Choose the back end' }).getAttribute('href') ?? '', /\/api#backend$/);
          assert.deepEqual(await seriousViolations(tab), [], '412 page');
          await screenshot(tab, 'error-412');
        }
        await tab.goto(url('/api'));
      }
      assert.equal(advices.size, CASES.length, 'each status says something of its own');
    } finally {
      await tab.close();
    }
  });

  test('401: refused credentials get a page saying how to give the right ones', async () => {
    const refused = await mockContext(session.browser, 1280, 'Basic ' + Buffer.from('mockuser:wrong').toString('base64'));
    try {
      const tab = await refused.newPage();
      const response = await tab.goto(url('/api/instances'));
      assert.equal(response!.status(), 401);
      await assertExplained(tab, 401, /Unauthorized|Authentication Failure/);
      assert.match(await tab.getByRole('region', { name: 'What to do' }).innerText(), /user name and password/);
      assert.deepEqual(await seriousViolations(tab), [], '401 page');
    } finally {
      await refused.close();
    }
  });
});
