// Counts type assertions (`x as T`, `<T>x`; `as const` excluded) in the .ts files under a directory,
// with the project's own TypeScript parser. The project is reducing them (issue 11).
//   node scripts/dev/count-casts.mjs src [-v | -l]   (-v: count per file, -l: every assertion with its line)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ts = createRequire(import.meta.url)('typescript');
const [root = 'src', mode] = process.argv.slice(2);
let total = 0;
const perFile = [];

function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) count(path);
  }
}

function count(path) {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    const assertion = ts.isAsExpression(node) || ts.isTypeAssertionExpression(node);
    const asConst = assertion && ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === 'const';
    if (assertion && !asConst) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push(`${path}:${line + 1}: ${node.getText(source).replace(/\s+/g, ' ').slice(0, 120)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  total += found.length;
  if (found.length) perFile.push([found.length, path, found]);
}

walk(root);
if (mode === '-v') for (const [n, path] of perFile.sort((a, b) => b[0] - a[0])) console.log(n, path);
if (mode === '-l') for (const [, , found] of perFile) for (const line of found) console.log(line);
console.log('total', total);
