// EC2 filter-value wildcards: `*` matches any run of characters (also none),
// `?` exactly one, and a backslash makes the next character literal (`\*`,
// `\?`, `\\`). Matched without regular expressions: a pattern comes from the
// client, and a backtracking RegExp built from `*?*?…` takes exponential
// time. The two-pointer glob match below is O(pattern × text) at worst.

const ANY_ONE = Symbol('?');
const ANY_RUN = Symbol('*');
type Token = string | typeof ANY_ONE | typeof ANY_RUN;

/**
 * Matching steps one request may spend: even O(pattern × text) is too much
 * with long resource names and many patterns, so the work has a ceiling.
 */
export class MatchBudget {
  constructor(private remaining: number, private readonly exceeded: () => Error) {}

  /** Steps one match may still take. */
  get left(): number {
    return this.remaining;
  }

  spend(steps: number): void {
    this.remaining -= steps;
    if (this.remaining < 0) throw this.exceeded();
  }
}

export interface Wildcard {
  /** `text` as code points (`Array.from`), split once for all patterns. */
  matches(text: readonly string[], budget: MatchBudget): boolean;
}

/** The pattern as tokens: one per code point, so `?` is one character even outside the BMP. */
function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let escaped = false;
  for (const ch of pattern) {
    if (escaped) {
      tokens.push(ch);
      escaped = false;
    } else if (ch === '\\') escaped = true;
    else if (ch === '*') {
      // Consecutive stars match what one does.
      if (tokens[tokens.length - 1] !== ANY_RUN) tokens.push(ANY_RUN);
    } else tokens.push(ch === '?' ? ANY_ONE : ch);
  }
  // A trailing lone backslash stands for itself.
  if (escaped) tokens.push('\\');
  return tokens;
}

function match(tokens: readonly Token[], text: readonly string[], budget: MatchBudget): boolean {
  let t = 0;
  let p = 0;
  // Where the last star was and the text position it currently stops at:
  // on a mismatch, that star swallows one more character and matching resumes.
  let star = -1;
  let starText = 0;
  let steps = 0;
  const allowed = budget.left;
  while (t < text.length) {
    if (++steps > allowed) budget.spend(steps);
    const token = tokens[p];
    if (token === ANY_RUN) {
      star = p++;
      starText = t;
    } else if (p < tokens.length && (token === ANY_ONE || token === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++starText;
    } else break;
  }
  budget.spend(steps);
  if (t < text.length) return false;
  while (tokens[p] === ANY_RUN) p++;
  return p === tokens.length;
}

export function wildcard(pattern: string): Wildcard {
  const tokens = tokenize(pattern);
  return { matches: (text, budget) => match(tokens, text, budget) };
}
