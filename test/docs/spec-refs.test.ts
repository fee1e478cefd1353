// Every "§" reference in the code and the docs points at a section that
// exists in the specification kept in docs/spec/ (docs/spec/README.md says
// which file a reference means).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/server.js';

const SPEC_DIR = join(ROOT, 'docs', 'spec');
type SpecFile = 'deltacloud-api.md' | 'mock-driver.md' | 'drivers-matrix.md';

/** Section numbers of one spec file, from its headings (`## 11.`, `#### 11.5.4 `). */
function sectionsOf(file: SpecFile): Set<string> {
  const numbers = new Set<string>();
  for (const line of readFileSync(join(SPEC_DIR, file), 'utf8').split('\n')) {
    const m = /^#{1,6} (\d+(?:\.\d+)*)\.? /.exec(line);
    if (m) numbers.add(m[1]!);
  }
  return numbers;
}

/** The file a reference names just before its `§`, if any (see docs/spec/README.md). */
function namedFile(before: string): SpecFile | undefined {
  if (/\bmock(?:-driver(?:\.md)?)?`?\s*$/.test(before)) return 'mock-driver.md';
  if (/\bdrivers-matrix(?:\.md)?`?\s*$/.test(before)) return 'drivers-matrix.md';
  if (/\b(?:spec|deltacloud-api(?:\.md)?)\s*\[?$/.test(before)) return 'deltacloud-api.md';
  return undefined;
}

/** `§8.2 of the API spec`, `§4 of mock-driver.md`: the file named right after the number. */
function fileNamedAfter(after: string): SpecFile | undefined {
  const m = /^\s+of\s+(?:the\s+)?(?:`?(deltacloud-api|mock-driver|drivers-matrix)\.md|(API) spec)/.exec(after);
  if (!m) return undefined;
  return m[2] ? 'deltacloud-api.md' : (`${m[1]}.md` as SpecFile);
}

/** `§a–§b`, `§a, §b`, `§a and §b`: a reference continuing a list keeps the list's file. */
const LIST_SEPARATOR = /^\s*(?:[–-]|,|,? and|\/)\s*$/;

export interface SpecReference {
  where: string;
  file: SpecFile;
  section: string;
}

/** The references of one text; `fallback` is the file meant when none is named. */
export function referencesIn(text: string, where: string, fallback: SpecFile): SpecReference[] {
  const found: SpecReference[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    let previousEnd = 0;
    let previousFile: SpecFile | undefined;
    for (const m of line.matchAll(/§(\d+(?:\.\d+)*)/g)) {
      const gap = line.slice(previousEnd, m.index);
      const after = `${line.slice(m.index! + m[0].length)} ${lines[index + 1] ?? ''}`;
      const file = namedFile(gap) ?? fileNamedAfter(after) ?? (previousFile && LIST_SEPARATOR.test(gap) ? previousFile : fallback);
      found.push({ where: `${where}:${index + 1}`, file, section: m[1]! });
      previousEnd = m.index! + m[0].length;
      previousFile = file;
    }
  });
  return found;
}

function filesUnder(dir: string, suffixes: string[]): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && suffixes.some((s) => e.name.endsWith(s)))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !p.includes('node_modules') && !p.includes(`${join('test', 'fixtures')}`));
}

test('every § reference names a section that exists in docs/spec/', () => {
  const sections = {
    'deltacloud-api.md': sectionsOf('deltacloud-api.md'),
    'mock-driver.md': sectionsOf('mock-driver.md'),
    'drivers-matrix.md': sectionsOf('drivers-matrix.md'),
  } satisfies Record<SpecFile, Set<string>>;
  const sources = [
    ...['src', 'test', 'bench', 'scripts'].flatMap((d) => filesUnder(join(ROOT, d), ['.ts'])),
    join(ROOT, 'README.md'),
    ...filesUnder(join(ROOT, 'docs'), ['.md']),
  ];
  const references = sources.flatMap((path) => {
    const rel = relative(ROOT, path);
    // Inside a spec file an unnamed reference means that file itself.
    const own = rel.startsWith(join('docs', 'spec')) && rel.endsWith('.md') && !rel.endsWith('README.md') ? (rel.split('/').pop() as SpecFile) : 'deltacloud-api.md';
    return referencesIn(readFileSync(path, 'utf8'), rel, own);
  });
  assert.ok(references.filter((r) => r.where.startsWith('src')).length >= 100, 'the code cites the spec (about 107 references)');
  const dangling = references.filter((r) => !sections[r.file].has(r.section)).map((r) => `${r.where}: ${r.file} §${r.section}`);
  assert.deepEqual(dangling, []);
});

test('the reference reader tells the three files apart', () => {
  const refs = referencesIn('see spec §11.8–§11.10; mock-driver.md §6.5, §6.6 and drivers-matrix §4, then §2', 'x', 'deltacloud-api.md');
  assert.deepEqual(refs.map((r) => `${r.file} ${r.section}`), [
    'deltacloud-api.md 11.8', 'deltacloud-api.md 11.10', 'mock-driver.md 6.5', 'mock-driver.md 6.6', 'drivers-matrix.md 4', 'deltacloud-api.md 2',
  ]);
});
