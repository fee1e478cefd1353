// A parser of the Prometheus text exposition format (version 0.0.4,
// https://prometheus.io/docs/instrumenting/exposition_formats/): HELP and
// TYPE lines, samples with escaped label values, families declared before
// their samples. Strict: anything else throws, so a malformed scrape fails
// the test. (No parser package is among the project's dependencies.)

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  // Prometheus reads values with Go's ParseFloat, which takes NaN in any case (prom-client writes `Nan` before a first sample).
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
  return value;
}

function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name || text[i + name.length] !== '=' || text[i + name.length + 1] !== '"') throw new Error(`bad label in: ${line}`);
    i += name.length + 2;
    let value = '';
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\') {
        const next = text[++i];
        value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : assertNever(line);
      } else value += text[i];
    }
    if (text[i] !== '"') throw new Error(`unterminated label value in: ${line}`);
    if (Object.hasOwn(labels, name)) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i++;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`bad label list in: ${line}`);
  }
}

function assertNever(line: string): never {
  throw new Error(`bad escape in: ${line}`);
}

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
      if (!m) continue; // other comments are allowed
      const family = families.get(m[2]!) ?? { name: m[2]!, type: 'untyped', samples: [] };
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!)) throw new Error(`bad type in: ${line}`);
        if (family.samples.length > 0) throw new Error(`TYPE after samples in: ${line}`);
        family.type = m[3]!;
      } else family.help = m[3];
      families.set(family.name, family);
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`bad sample: ${line}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const [valueText, timestamp, extra] = rest.trim().split(/\s+/);
    if (extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`bad sample: ${line}`);
    const familyName = families.has(name) ? name : SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : '')).find((n) => n && families.has(n));
    if (!familyName) throw new Error(`sample of an undeclared family: ${line}`);
    families.get(familyName)!.samples.push({ name, labels, value: parseValue(valueText ?? '', line) });
  }
  return families;
}
