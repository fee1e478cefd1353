// The XML serializer's output, byte for byte, on the shapes the views build:
// empty elements, text-only elements, nested elements, escaping, characters
// XML cannot carry, CDATA with `]]>` inside, and the declaration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cdataEl, el, escapeXml, serializeXml, textEl } from '../../../src/frontends/deltacloud/xml.js';

test('serializeXml writes one element per line, two spaces per level, attributes in the order given', () => {
  const doc = el('instances', {}, [
    el('instance', { href: 'http://h/api/instances/i1', id: 'i1' }, [
      textEl('name', 'web'),
      el('image', { href: 'http://h/api/images/img1', id: 'img1' }),
      el('actions', {}, [el('link', { href: 'http://h/api/instances/i1/stop', method: 'post', rel: 'stop' })]),
      el('public_addresses', {}, []),
    ]),
  ]);
  assert.equal(serializeXml(doc), [
    "<?xml version='1.0' encoding='utf-8' ?>",
    '<instances>',
    "  <instance href='http://h/api/instances/i1' id='i1'>",
    '    <name>web</name>',
    "    <image href='http://h/api/images/img1' id='img1' />",
    '    <actions>',
    "      <link href='http://h/api/instances/i1/stop' method='post' rel='stop' />",
    '    </actions>',
    '    <public_addresses />',
    '  </instance>',
    '</instances>',
    '',
  ].join('\n'));
});

test('serializeXml leaves out unset attributes and the declaration when asked', () => {
  const doc = el('address', { type: 'ipv4', port: undefined, weight: null, size: 3 }, ['10.0.0.1']);
  assert.equal(serializeXml(doc, false), "<address type='ipv4' size='3'>10.0.0.1</address>\n");
});

test('serializeXml escapes markup in text and attributes and drops characters XML cannot carry', () => {
  const doc = el('blob', { id: `a'b"<c>&d` }, [textEl('name', 'x < y & z > "q" \'r\'\u0001\u0008'), textEl('empty', undefined)]);
  assert.equal(serializeXml(doc, false), [
    "<blob id='a&apos;b&quot;&lt;c&gt;&amp;d'>",
    '  <name>x &lt; y &amp; z &gt; &quot;q&quot; &apos;r&apos;</name>',
    '  <empty></empty>',
    '</blob>',
    '',
  ].join('\n'));
  // Tab, newline and carriage return are legal XML characters and stay.
  assert.equal(escapeXml('a\tb\nc\rd'), 'a\tb\nc\rd');
});

test('serializeXml splits `]]>` across two CDATA sections and writes text children of mixed elements on their own lines', () => {
  assert.equal(serializeXml(cdataEl('password', 'p]]>w'), false), '<password><![CDATA[p]]]]><![CDATA[>w]]></password>\n');
  const mixed = el('output', {}, ['first & last', el('line', {}, ['x']), { cdata: 'raw <b>' }]);
  assert.equal(serializeXml(mixed, false), [
    '<output>',
    '  first &amp; last',
    '  <line>x</line>',
    '  <![CDATA[raw <b>]]>',
    '</output>',
    '',
  ].join('\n'));
});
