// Console features in Chromium against the real server on the mock: an
// instance's metrics as charts drawn by the server (inline SVG, nothing
// fetched), the launch form's range inputs for the chosen profile's ranges and
// its Monitoring checkbox, and a blob's metadata edited through its form.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MOCK_AUTH, startServer } from '../../helpers/server.js';
import { browserSkip, ConsoleSession, mockContext, screenshot, seriousViolations } from './browser.js';

const skip = browserSkip();
const session = new ConsoleSession(skip, () => startServer());
const url = (path: string) => session.url(path);

async function api(method: string, path: string, init: { form?: Record<string, string>; headers?: Record<string, string>; body?: string } = {}) {
  const res = await fetch(url(path), {
    method, headers: { Accept: 'application/json', Authorization: MOCK_AUTH, ...init.headers },
    body: init.form ? new URLSearchParams(init.form) : init.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

describe('metrics', { skip }, () => {
  test('an instance\'s page leads to its metrics, which draw each property as an inline SVG chart, fetching nothing', async () => {
    const { body } = await api('GET', '/api/metrics/inst0');
    const cpu = body.metric.properties.find((p: { name: string }) => p.name === 'cpuUtilization');
    const requests: string[] = [];
    await session.page.goto(url('/api/instances/inst0'));
    session.page.on('request', (r) => requests.push(r.url()));
    await session.page.getByRole('link', { name: 'Metrics (charts)' }).click();
    await session.page.waitForURL(/\/api\/metrics\/inst0$/);
    session.page.removeAllListeners('request');
    const charts = session.page.locator('figure.chart');
    assert.equal(await charts.count(), body.metric.properties.length, 'one chart per property');
    const cpuChart = session.page.getByRole('img', { name: 'CPU utilization' });
    assert.equal(await cpuChart.count(), 1, 'the CPU chart is an image named in words');
    const points = (await cpuChart.locator('polyline').getAttribute('points'))!.trim().split(/\s+/);
    assert.equal(points.length, cpu.values.length, 'one point per sample');
    assert.equal(await session.page.getByRole('img', { name: 'Network input bytes' }).count(), 1, 'network charts too');
    assert.match(await cpuChart.locator('desc').textContent() ?? '', new RegExp(`^${cpu.values.length} samples from \\d\\d:\\d\\d:\\d\\d to`));
    const foreign = requests.filter((r) => !r.startsWith(session.server.origin));
    assert.deepEqual(foreign, [], 'nothing from another origin');
    assert.ok(!requests.some((r) => /\.(js|svg)$/.test(r) && !r.endsWith('/javascripts/console.js')), `no chart script or file fetched: ${requests.join(' ')}`);
    assert.deepEqual(await seriousViolations(session.page), [], 'metrics page');
    await screenshot(session.page, 'metrics');
  });
});

describe('launch form controls', { skip }, () => {
  test('ranges follow the chosen profile, Monitoring is a checkbox, and what they set is what is launched', async () => {
    await session.page.goto(url('/api/instances/new'));
    const monitoring = session.page.getByRole('checkbox', { name: 'Monitoring' });
    assert.equal(await monitoring.isChecked(), false);
    const profile = session.page.getByLabel('Hardware profile');
    const cpu = session.page.getByLabel('CPU cores');
    const memory = session.page.getByLabel('Memory (MB)');
    await profile.selectOption('m1-small');
    assert.equal(await cpu.isVisible(), false, 'a fixed profile has no CPU control');
    assert.equal(await cpu.isDisabled(), true, 'and sends no CPU override');
    await profile.selectOption('m1-large');
    assert.equal(await cpu.getAttribute('type'), 'range');
    assert.deepEqual([await cpu.getAttribute('min'), await cpu.getAttribute('max'), await cpu.inputValue()], ['1', '6', '1'], 'm1-large: 1 to 6 cores, default 1');
    assert.deepEqual([await memory.getAttribute('min'), await memory.getAttribute('max'), await memory.inputValue()], ['7680', '15360', '10240']);
    await cpu.focus();
    await session.page.keyboard.press('ArrowRight');
    await session.page.keyboard.press('ArrowRight');
    assert.equal(await cpu.inputValue(), '3', 'the keyboard moves the range');
    assert.equal(await session.page.locator('[data-field="hwp_cpu"] output').innerText(), '3', 'the chosen value is shown');
    await memory.fill('8192');
    await profile.selectOption('m1-xlarge');
    assert.deepEqual([await memory.getAttribute('min'), await memory.getAttribute('max'), await memory.inputValue()], ['12288', '32768', '12288'], 'another profile: its ranges and default');
    await profile.selectOption('m1-large');
    await memory.fill('8192');
    await cpu.fill('3');
    await monitoring.check();
    assert.deepEqual(await seriousViolations(session.page), [], 'launch form with ranges');
    await screenshot(session.page, 'launch-ranges');
    await session.page.getByRole('button', { name: 'Launch instance' }).click();
    await session.page.waitForURL(/\/api\/instances\/inst\d+$/);
    const id = /\/instances\/(inst\d+)$/.exec(session.page.url())![1]!;
    const { body } = await api('GET', `/api/instances/${id}`);
    const launched = body.instance.hardware_profile;
    assert.equal(launched.id, 'm1-large');
    assert.deepEqual([launched.properties.cpu, launched.properties.memory], ['3', '8192'], 'the ranges\' values were launched');
    assert.equal((await api('POST', `/api/instances/${id}/stop`)).status, 202);
    assert.equal((await api('DELETE', `/api/instances/${id}`)).status, 204);
  });

  test('at 390 px the ranges fit without sideways scrolling', async () => {
    const narrow = await mockContext(session.browser, 390);
    try {
      const tab = await narrow.newPage();
      await tab.goto(url('/api/instances/new?hwp_id=m1-large'));
      assert.equal(await tab.getByLabel('CPU cores').isVisible(), true, 'opened with a profile: its ranges, even before any script runs');
      assert.equal(await tab.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0);
      await screenshot(tab, 'launch-ranges');
    } finally {
      await narrow.close();
    }
  });
});

describe('blob metadata', { skip }, () => {
  test('edited through its form: a value changed, one added, one removed', async () => {
    const put = await api('PUT', '/api/buckets/bucket1/console-meta.txt', {
      body: 'hello', headers: { 'Content-Type': 'text/plain', 'X-Deltacloud-Blobmeta-Colour': 'blue', 'X-Deltacloud-Blobmeta-Owner': 'ops' },
    });
    assert.ok(put.status === 200 || put.status === 201, `blob made: ${put.status}`);
    try {
      await session.page.goto(url('/api/buckets/bucket1/console-meta.txt'));
      await session.page.getByRole('link', { name: 'Edit metadata' }).click();
      await session.page.waitForURL(/\/edit_metadata$/);
      const names = await session.page.locator('input[name^="meta_name"]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
      assert.deepEqual(names.filter((n) => n !== '').sort(), ['colour', 'owner'], 'the current entries are in the form');
      const row = async (name: string) => (await session.page.locator('input[name^="meta_name"]').evaluateAll((inputs, n) => inputs.findIndex((i) => (i as HTMLInputElement).value === n), name)) + 1;
      await session.page.getByLabel(`Value ${await row('colour')}`, { exact: true }).fill('green');
      await session.page.getByLabel(`Name ${await row('owner')}`, { exact: true }).fill('');
      const free = names.indexOf('') + 1;
      await session.page.getByLabel(`Name ${free}`, { exact: true }).fill('stage');
      await session.page.getByLabel(`Value ${free}`, { exact: true }).fill('test');
      assert.deepEqual(await seriousViolations(session.page), [], 'metadata form');
      await screenshot(session.page, 'blob-metadata');
      await session.page.getByRole('button', { name: 'Edit metadata' }).click();
      await session.page.waitForURL(/\/buckets\/bucket1\/console-meta\.txt$/);
      const head = await fetch(url('/api/buckets/bucket1/console-meta.txt'), { method: 'HEAD', headers: { Authorization: MOCK_AUTH } });
      const meta = Object.fromEntries([...head.headers].filter(([k]) => k.startsWith('x-deltacloud-blobmeta-')).map(([k, v]) => [k.slice('x-deltacloud-blobmeta-'.length), v]));
      assert.deepEqual(meta, { colour: 'green', stage: 'test' });
      assert.match(await session.page.locator('main').innerText(), /green/, 'the blob page shows the new metadata');
    } finally {
      await api('DELETE', '/api/buckets/bucket1/console-meta.txt');
    }
  });
});
