import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  renderEntryPage,
  renderErrorPage,
  renderFormPage,
  renderResourcePage,
  STYLESHEET,
  STYLESHEET_PATH,
  type PageContext,
} from '../../../src/frontends/deltacloud/html.js';
import { cdataEl, el, textEl } from '../../../src/frontends/deltacloud/xml.js';

const API = 'http://localhost:3001/api';
const ctx = (selfUrl: string, extra: Partial<PageContext> = {}): PageContext => ({ apiUrl: API, selfUrl, driver: 'mock', ...extra });

const VOID = new Set(['meta', 'link', 'input', 'img', 'br', 'hr']);

/** Every non-void tag is closed in order; attribute values never contain a raw `<` or `>`. */
function assertWellFormed(html: string): void {
  assert.ok(html.startsWith('<!DOCTYPE html>\n'), 'starts with the doctype');
  const stack: string[] = [];
  for (const m of html.slice('<!DOCTYPE html>'.length).matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b([^<>]*)>/g)) {
    const [, closing, name, rest] = m;
    assert.doesNotMatch(rest!, /<|>/);
    if (VOID.has(name!)) continue;
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the innermost open element`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'all elements closed');
  // No stray `<` that is not the start of a tag (i.e. every text `<` was escaped).
  assert.doesNotMatch(html.replace(/<\/?[a-zA-Z][^<>]*>/g, '').replace('<!DOCTYPE html>', ''), /</);
}

function assertCommonLayout(html: string, title: string): void {
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.ok(html.includes(`<title>${title}</title>`), `title ${title}`);
  assert.ok(html.includes(`<link rel="stylesheet" href="${STYLESHEET_PATH}">`));
  assert.match(html, /<header>[\s\S]*<h1>/);
  assert.match(html, /<main id="main">[\s\S]*<\/main>/);
  assert.match(html, /<footer>[\s\S]*<\/footer>/);
  // One script, the console's, same-origin and only enhancing; nothing inline.
  assert.doesNotMatch(html.replace('<script src="/javascripts/console.js" defer></script>', ''), /<script/i, 'no other script');
}

const instance = () =>
  el('instance', { href: `${API}/instances/inst0`, id: 'inst0' }, [
    textEl('name', `<script>alert("x")</script> & 'quoted'`),
    textEl('owner_id', 'mockuser'),
    el('image', { href: `${API}/images/img1`, id: 'img1' }),
    textEl('state', 'STOPPED'),
    el('actions', {}, [
      el('link', { href: `${API}/instances/inst0/start`, method: 'post', rel: 'start' }),
      el('link', { href: `${API}/instances/inst0`, method: 'delete', rel: 'destroy' }),
      el('link', { href: `${API}/images;instance_id=inst0`, method: 'post', rel: 'create_image' }),
    ]),
    el('public_addresses', {}, [
      textEl('address', 'img1.inst0.public.com', { type: 'hostname' }),
      textEl('address', '10.0.0.1', { type: 'vnc', port: 5900 }),
    ]),
    el('authentication', { type: 'key' }, [el('login', {}, [textEl('keyname', 'mykey')])]),
  ]);

test('member page: text, CDATA and attribute values are escaped', () => {
  const doc = el('key', { href: `${API}/keys/k"1`, id: `"><script>x</script>`, type: `a'b"c` }, [
    textEl('name', '<script>alert(1)</script>'),
    cdataEl('pem', '-----BEGIN-----\n<b>bold</b> ]]> "q"\n-----END-----'),
    el('realm', { href: `${API}/realms/us`, id: `<img src=x onerror=alert(1)>` }),
  ]);
  const html = renderResourcePage(doc, { ...ctx(`${API}/keys/k1`), title: 'Key <script>' });
  assertWellFormed(html);
  assertCommonLayout(html, 'Key &lt;script&gt;');
  assert.doesNotMatch(html, /<script>|<img src=x|<b>/);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('&lt;b&gt;bold&lt;/b&gt; ]]&gt; &quot;q&quot;'), 'CDATA text is escaped');
  assert.ok(html.includes('<pre>'), 'multi-line value keeps its lines');
  assert.ok(html.includes(`<dd>&quot;&gt;&lt;script&gt;x&lt;/script&gt;</dd>`), 'root id attribute shown escaped');
  assert.ok(html.includes(`<dd>a&#39;b&quot;c</dd>`), 'root type attribute escaped');
  assert.ok(html.includes(`href="${API}/realms/us">&lt;img src=x onerror=alert(1)&gt;</a>`), 'link text escaped');
});

test('member page: the instance text with quotes and ampersands is escaped', () => {
  const html = renderResourcePage(instance(), { ...ctx(`${API}/instances/inst0`), title: 'Instance inst0' });
  assertWellFormed(html);
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;'));
  assert.ok(html.includes('<dt>Owner id</dt><dd>mockuser</dd>'), 'element names are humanised');
  assert.ok(html.includes(`<a href="${API}/images/img1">img1</a>`), 'href elements become links');
  assert.ok(html.includes('img1.inst0.public.com'));
  assert.match(html, /10\.0\.0\.1 <span class="attrs">\(type: vnc, port: 5900\)<\/span>/);
  assert.ok(html.includes('<dt>Keyname</dt><dd>mykey</dd>'), 'nested elements are nested lists');
});

test('only http(s) URLs and absolute paths become links or form actions', () => {
  const doc = el('thing', { href: `${API}/things/t1`, id: 't1' }, [
    el('evil', { href: 'javascript:alert(1)', id: 'click' }),
    el('other', { href: '//evil.example/x', id: 'proto-relative' }),
    el('ok', { href: '/api/ok', id: 'path' }),
    el('actions', {}, [el('link', { href: 'javascript:alert(2)', method: 'post', rel: 'boom' })]),
  ]);
  const html = renderResourcePage(doc, { ...ctx(`${API}/things/t1`), title: 'Thing' });
  assertWellFormed(html);
  assert.doesNotMatch(html, /javascript:/);
  assert.doesNotMatch(html, /evil\.example/);
  assert.ok(html.includes('<dd>click</dd>'), 'unsafe link shown as plain text');
  assert.ok(html.includes('<a href="/api/ok">path</a>'));
  assert.doesNotMatch(html, /Boom/, 'no button for an unsafe action');
});

test('actions become POST forms, with _method=delete for delete; links without method stay links', () => {
  const doc = el('load_balancer', { href: `${API}/load_balancers/lb1`, id: 'lb1' }, [
    el('actions', {}, [
      el('link', { href: `${API}/load_balancers/lb1`, method: 'delete', rel: 'destroy' }),
      el('link', { href: `${API}/load_balancers/lb1/register`, method: 'post', rel: 'register' }),
    ]),
    el('instances', {}, [
      el('instance', { href: `${API}/instances/i-1`, id: 'i-1' }, [
        el('link', { href: `${API}/load_balancers/lb1/unregister`, rel: 'unregister' }),
      ]),
    ]),
  ]);
  const html = renderResourcePage(doc, { ...ctx(`${API}/load_balancers/lb1`), title: 'Load balancer lb1' });
  assertWellFormed(html);
  const forms = [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]);
  assert.equal(forms.length, 2, 'one form per action with a method');
  // Destructive actions ask first (the console script reads data-confirm; without it they post at once).
  assert.ok(forms[0]!.startsWith(`<form class="action" method="post" action="${API}/load_balancers/lb1" data-confirm="Destroy lb1?">`));
  assert.ok(!forms[1]!.includes('data-confirm'), 'register is not destructive');
  assert.ok(forms[0]!.includes('<input type="hidden" name="_method" value="delete">'));
  assert.ok(forms[0]!.includes('<button type="submit" class="danger">Destroy</button>'));
  assert.ok(forms[1]!.includes(`action="${API}/load_balancers/lb1/register"`));
  assert.ok(!forms[1]!.includes('_method'), 'plain POST has no override');
  assert.ok(forms[1]!.includes('>Register</button>'));
  assert.ok(html.includes(`<a href="${API}/load_balancers/lb1/unregister">Unregister</a>`), 'unregister is a plain link');
  assert.doesNotMatch(html, /Unregister<\/button>/);
});

test('action rel names are humanised and destroy links with method post still send DELETE', () => {
  const inst = renderResourcePage(instance(), { ...ctx(`${API}/instances/inst0`), title: 'i' });
  assert.ok(inst.includes(`action="${API}/images;instance_id=inst0"><button type="submit">Create image</button>`));
  const vol = el('storage_volume', { href: `${API}/storage_volumes/v1`, id: 'v1' }, [
    textEl('capacity', 10, { unit: 'GB' }),
    el('actions', {}, [el('link', { href: `${API}/storage_volumes/v1`, method: 'post', rel: 'destroy' })]),
  ]);
  const html = renderResourcePage(vol, { ...ctx(`${API}/storage_volumes/v1`), title: 'v1' });
  assert.ok(html.includes('<dd>10 GB</dd>'), 'unit attribute follows the value');
  assert.ok(html.includes('name="_method" value="delete"'));
});

test('footer links: Home, and XML/JSON of the same URL without other query parameters', () => {
  const doc = el('realms', {}, [el('realm', { href: `${API}/realms/us`, id: 'us' }, [textEl('name', 'United States'), textEl('state', 'AVAILABLE')])]);
  const html = renderResourcePage(doc, { ...ctx(`${API}/realms?state=x&id=us`), title: 'Realms' });
  assertWellFormed(html);
  const footer = html.slice(html.indexOf('<footer>'));
  assert.ok(footer.includes(`<a href="${API}">Home</a>`));
  assert.ok(footer.includes(`<a href="${API}/realms?format=xml">XML</a>`));
  assert.ok(footer.includes(`<a href="${API}/realms?format=json">JSON</a>`));
  assert.doesNotMatch(footer, /state=x/);
  assert.ok(html.includes(`<p class="backend">mock@default <a href="${API}#backend">Change</a></p>`), 'provider shown as default when unset; the picker one click away');
});

test('list page: one row per member linking to it, summary fields, and a create link', () => {
  const doc = el('instances', {}, [
    el('instance', { href: `${API}/instances/inst0`, id: 'inst0' }, [textEl('name', 'First'), textEl('state', 'RUNNING'), el('actions', {}, [])]),
    el('instance', { href: `${API}/instances/inst1`, id: 'inst1' }, [textEl('name', 'Second <b>'), textEl('state', 'STOPPED')]),
  ]);
  const html = renderResourcePage(doc, { ...ctx(`${API}/instances`), title: 'Instances', newFormUrl: `${API}/instances/new` });
  assertWellFormed(html);
  assertCommonLayout(html, 'Instances');
  assert.equal((html.match(/<tr>/g) ?? []).length, 3, 'header row + one row per member');
  assert.ok(html.includes(`<th scope="row"><a href="${API}/instances/inst0">inst0</a></th>`));
  assert.ok(html.includes('<td data-label="Name">Second &lt;b&gt;</td>'));
  // States are badges: the word, with a colour for its kind.
  assert.ok(html.includes('<td data-label="State"><span class="badge badge-ok">RUNNING</span></td>'));
  assert.ok(html.includes(`<a class="button" href="${API}/instances/new">Create new…</a>`));
  const empty = renderResourcePage(el('keys'), { ...ctx(`${API}/keys`), title: 'Keys' });
  assert.ok(empty.includes('No items.'));
  assert.doesNotMatch(empty, /Create new/);
});

const largeProfile = () =>
  el('hardware_profile', { href: `${API}/hardware_profiles/m1-large`, id: 'm1-large' }, [
    textEl('id', 'm1-large'),
    textEl('name', 'm1-large'),
    el('property', { kind: 'fixed', name: 'cpu', unit: 'count', value: 1 }),
    el('property', { kind: 'range', name: 'memory', unit: 'MB', value: 10240 }, [
      el('param', { href: `${API}/instances`, method: 'post', name: 'hwp_memory', operation: 'create' }),
      el('range', { first: 7680, last: 15360 }),
    ]),
    el('property', { kind: 'enum', name: 'storage', unit: 'GB', value: 850 }, [
      el('param', { href: `${API}/instances`, method: 'post', name: 'hwp_storage', operation: 'create' }),
      el('enum', {}, [el('entry', { value: 850 }), el('entry', { value: 1024 })]),
    ]),
    el('property', { kind: 'fixed', name: 'architecture', unit: 'label', value: 'x86_64' }),
  ]);

test('hardware profile properties are human readable (member and list)', () => {
  const html = renderResourcePage(largeProfile(), { ...ctx(`${API}/hardware_profiles/m1-large`), title: 'm1-large' });
  assertWellFormed(html);
  assert.ok(html.includes('<dt>Cpu</dt><dd>1 count</dd>'));
  assert.ok(html.includes('<dt>Memory</dt><dd>7680 MB - 15360 MB (default: 10240 MB)</dd>'));
  assert.ok(html.includes('<dt>Storage</dt><dd>850 GB, 1024 GB (default: 850 GB)</dd>'));
  assert.ok(html.includes('<dt>Architecture</dt><dd>x86_64</dd>'), 'label unit is not shown');
  assert.doesNotMatch(html, /hwp_memory/, 'the param advert is not rendered as a field');
  const list = renderResourcePage(el('hardware_profiles', {}, [largeProfile()]), { ...ctx(`${API}/hardware_profiles`), title: 'Hardware profiles' });
  assertWellFormed(list);
  assert.ok(list.includes('<td data-label="Memory">7680 MB - 15360 MB (default: 10240 MB)</td>'));
  assert.ok(list.includes('<th scope="col">Storage</th>'));
});

test('blob content link and metadata entries', () => {
  const blob = el('blob', { href: `${API}/buckets/b1/blob1`, id: 'blob1' }, [
    textEl('bucket', 'b1'),
    el('user_metadata', {}, [cdataEl('entry', 'NEWVALUE', { key: 'SOMEKEY' })]),
    el('content', { href: `${API}/buckets/b1/blob1/content`, rel: 'blob_content' }),
  ]);
  const html = renderResourcePage(blob, { ...ctx(`${API}/buckets/b1/blob1`), title: 'blob1' });
  assertWellFormed(html);
  assert.ok(html.includes(`<a href="${API}/buckets/b1/blob1/content">Download</a>`));
  assert.ok(html.includes('<span class="key">SOMEKEY</span>: NEWVALUE'));
});

test('instance states render as a state / action / to table', () => {
  const doc = el('states', {}, [
    el('state', { name: 'pending' }, [el('transition', { auto: 'true', to: 'running' })]),
    el('state', { name: 'running' }, [el('transition', { action: 'stop', to: 'stopped' })]),
    el('state', { name: 'finish' }),
  ]);
  const html = renderResourcePage(doc, { ...ctx(`${API}/instance_states`), title: 'Instance states' });
  assertWellFormed(html);
  assert.ok(html.includes('<th scope="col">State</th><th scope="col">Action</th><th scope="col">To</th>'));
  assert.ok(html.includes('<tr><th scope="row">running</th><td>stop</td><td>stopped</td></tr>'));
  assert.ok(html.includes('<tr><th scope="row">pending</th><td><em>automatic</em></td><td>running</td></tr>'));
  assert.ok(html.includes('<tr><th scope="row">finish</th><td>—</td><td>—</td></tr>'));
});

const drivers = [
  { id: 'ec2', name: 'EC2', providers: ['us-east-1', 'eu-west-1'] },
  { id: 'mock', name: 'Mock', providers: [] },
];
const links = [
  { rel: 'hardware_profiles', href: `${API}/hardware_profiles` },
  { rel: 'instances', href: `${API}/instances` },
];

test('entry page: heading, backend sub-header, collection links and driver/provider pickers', () => {
  const html = renderEntryPage(links, drivers, { ...ctx(API), driver: 'ec2', provider: 'eu-west-1', version: '1.1.3' });
  assertWellFormed(html);
  assertCommonLayout(html, 'Deltacloud API 1.1.3');
  assert.ok(html.includes('<h1>Deltacloud API 1.1.3</h1>'));
  assert.ok(html.includes(`<p class="backend">ec2@eu-west-1 <a href="${API}#backend">Change</a></p>`));
  assert.ok(html.indexOf('<section id="backend"') < html.indexOf('<nav aria-label="Collections">'), 'the pickers come first');
  assert.ok(html.includes(`<a href="${API}/hardware_profiles">Hardware Profiles</a>`));
  assert.ok(html.includes(`<a href="${API}/instances">Instances</a>`));
  assert.equal((html.match(new RegExp(`<form class="picker" method="post" action="${API}">`, 'g')) ?? []).length, 2);
  assert.ok(html.includes('<label for="driver">Driver</label><select id="driver" name="driver">'));
  assert.ok(html.includes('<option value="ec2" selected>EC2</option><option value="mock">Mock</option>'));
  assert.ok(html.includes('<label for="provider">Provider</label><select id="provider" name="provider">'));
  assert.ok(html.includes('<option value="default">default</option><option value="us-east-1">us-east-1</option><option value="eu-west-1" selected>eu-west-1</option>'));
});

test('entry page: no provider picker for a driver without providers; default is selected when unset', () => {
  const mock = renderEntryPage(links, drivers, { ...ctx(API), version: '1.1.3' });
  assertWellFormed(mock);
  assert.match(mock, /<p class="backend">mock@default </);
  assert.ok(mock.includes('<option value="mock" selected>Mock</option>'));
  assert.doesNotMatch(mock, /name="provider"/);
  const ec2 = renderEntryPage(links, drivers, { ...ctx(API), driver: 'ec2', version: '1.1.3' });
  assert.ok(ec2.includes('<option value="default" selected>default</option>'));
});

test('error page: title "<status> - <message>", message, request URI and Retry link', () => {
  const html = renderErrorPage(404, 'Not Found', { ...ctx(`${API}/realms/nonexist`), requestUri: '/api/realms/<nonexist>?a="1"' });
  assertWellFormed(html);
  assertCommonLayout(html, '404 - Not Found');
  assert.ok(html.includes('<h1>404 - Not Found</h1>'));
  assert.ok(html.includes('<code>/api/realms/&lt;nonexist&gt;?a=&quot;1&quot;</code>'));
  assert.ok(html.includes('<a class="button" href="/api/realms/&lt;nonexist&gt;?a=&quot;1&quot;">Retry</a>'));
  const hostile = renderErrorPage(400, `Hardware profile '<b>x</b>' does not exists.`, { ...ctx(API), requestUri: '/api/instances' });
  assertWellFormed(hostile);
  assert.ok(hostile.includes('<title>400 - Hardware profile &#39;&lt;b&gt;x&lt;/b&gt;&#39; does not exists.</title>'));
});

test('form page: every visible control has a bound label; required, multipart, selects, textarea, file, password', () => {
  const html = renderFormPage(
    {
      title: 'Upload <blob>',
      action: `${API}/buckets/b1`,
      multipart: true,
      submitLabel: 'Upload',
      fields: [
        { name: 'blob_id', label: 'Blob name', type: 'text', required: true, value: 'a"b' },
        { name: 'blob_data', label: 'File', type: 'file', required: true },
        { name: 'meta_params', label: 'Metadata', type: 'textarea', value: '<x>' },
        { name: 'realm_id', label: 'Realm', type: 'select', options: [{ value: 'us', label: 'US' }, { value: 'eu', label: 'Europe' }], value: 'eu' },
        { name: 'password', label: 'Password', type: 'password' },
        { name: 'bucket', label: 'Bucket', type: 'hidden', value: 'b1' },
      ],
    },
    ctx(`${API}/buckets/b1/new_blob_form_d15cfd90`),
  );
  assertWellFormed(html);
  assertCommonLayout(html, 'Upload &lt;blob&gt;');
  assert.ok(html.includes(`<form class="resource" method="post" action="${API}/buckets/b1" enctype="multipart/form-data">`));
  const labels = [...html.matchAll(/<label for="([^"]+)">/g)].map((m) => m[1]!);
  assert.equal(labels.length, 5, 'one label per visible field');
  for (const id of labels) assert.equal((html.match(new RegExp(`id="${id}"`, 'g')) ?? []).length, 1, `label ${id} bound to exactly one control`);
  assert.match(html, /<input type="text" id="[^"]+" name="blob_id" required aria-describedby="[^"]+-error" value="a&quot;b">/);
  assert.match(html, /<input type="file" id="[^"]+" name="blob_data" required aria-describedby="[^"]+-error">/);
  assert.match(html, /<textarea id="[^"]+" name="meta_params" aria-describedby="[^"]+-error" rows="6">&lt;x&gt;<\/textarea>/);
  assert.ok(html.includes('<option value="us">US</option><option value="eu" selected>Europe</option>'));
  assert.match(html, /<input type="password" id="[^"]+" name="password" aria-describedby="[^"]+-error" autocomplete="off">/);
  assert.ok(html.includes('<input type="hidden" name="bucket" value="b1">'));
  assert.ok(html.includes('<button type="submit">Upload</button>'));
  const plain = renderFormPage({ title: 'Key', action: `${API}/keys`, submitLabel: 'Create', fields: [{ name: 'name', label: 'Name', type: 'text' }] }, ctx(`${API}/keys/new`));
  assert.doesNotMatch(plain, /enctype/);
  assert.doesNotMatch(plain, / required/);
});

test('stylesheet is responsive and has no fixed pixel widths', () => {
  assert.equal(STYLESHEET_PATH, '/stylesheets/deltacloud.css');
  assert.match(STYLESHEET, /@media/);
  assert.doesNotMatch(STYLESHEET, /(?:^|[;{])\s*(?:min-|max-)?width:\s*\d+px/, 'no fixed pixel widths');
  assert.equal((STYLESHEET.match(/{/g) ?? []).length, (STYLESHEET.match(/}/g) ?? []).length, 'balanced braces');
});
