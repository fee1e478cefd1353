// Relative links between the README and docs/ lead somewhere: the file exists
// and, for `file.md#anchor`, so does a heading with that anchor (GitHub's rule:
// lower case, punctuation dropped, spaces become hyphens).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/server.js';

const withoutCode = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, '');

function anchorsOf(path: string): Set<string> {
  const headings = withoutCode(readFileSync(path, 'utf8')).split('\n').filter((l) => /^#{1,6} /.test(l));
  return new Set(headings.map((h) => h.replace(/^#+ /, '').trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replaceAll(' ', '-')));
}

test('every relative link in README.md and docs/ resolves to a file and heading', () => {
  const pages = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.md')).map((p) => join(ROOT, 'docs', p))];
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    for (const [, link] of withoutCode(readFileSync(page, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(link!)) continue;
      const [file, anchor] = link!.split('#') as [string, string | undefined];
      const target = file ? join(dirname(page), file) : page;
      checked++;
      if (!existsSync(target)) broken.push(`${relative(ROOT, page)}: ${link} (no such file)`);
      else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(`${relative(ROOT, page)}: ${link} (no such heading)`);
    }
  }
  assert.ok(checked > 50, `links checked: ${checked}`);
  assert.deepEqual(broken, []);
});
