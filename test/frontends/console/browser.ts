// Debian's Chromium driven by playwright-core (no browser download), headless.
// A machine without it skips the console suites loudly; CI fails them.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { MOCK_AUTH, ROOT, type TestServer } from '../../helpers/server.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MISSING = `Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`;

/** false when the browser is there; otherwise the reason to skip (and, in CI, a failing test saying so). */
export function browserSkip(): false | string {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI) test('Chromium is installed', () => assert.fail(`${MISSING} (required in CI)`));
  else console.warn(`\n*** SKIPPING the console browser suite: ${MISSING} ***\n`);
  return MISSING;
}

/** Flags for a closed network: Chromium's own background connections are refused here and would stall it. */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** A fresh headless Chromium (playwright-core gives each launch its own temporary --user-data-dir). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A browser context sending these credentials (default: the mock's public demo ones), at a given width. */
export async function mockContext(browser: Browser, width = 1280, authorization = MOCK_AUTH): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width, height: width < 600 ? 844 : 900 },
    extraHTTPHeaders: { Authorization: authorization },
    acceptDownloads: true,
  });
  context.setDefaultTimeout(15_000);
  return context;
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }

function isViolationList(value: unknown): value is AxeViolation[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && 'id' in v && 'impact' in v);
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2 A/AA rules and best practices). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP (no inline script) does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations: unknown = await page.evaluate(
    'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))',
  );
  assert.ok(isViolationList(violations), 'axe-core answered a list of violations');
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}

export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

/** Saves the full page as docs/screenshots/<name>-<width>.png (CI keeps the folder as an artefact). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}-${page.viewportSize()?.width ?? 0}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A server and a browser page logged in to it, started before the file's tests and stopped after them. */
export class ConsoleSession {
  server!: TestServer;
  browser!: Browser;
  context!: BrowserContext;
  page!: Page;

  constructor(skip: false | string, start: () => Promise<TestServer>, authorization = MOCK_AUTH) {
    before(async () => {
      if (skip) return;
      this.server = await start();
      this.browser = await launchChromium();
      this.context = await mockContext(this.browser, 1280, authorization);
      this.page = await this.context.newPage();
    });
    after(async () => {
      await this.browser?.close();
      await this.server?.stop();
    });
  }

  url(path: string): string {
    return `${this.server.origin}${path}`;
  }
}
