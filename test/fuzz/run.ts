// `npm run fuzz [-- --count N --seed S --concurrency C --verbose]`: the full
// hostile-input run (default 100,000 requests). Exits 1 on any violation.
import { parseArgs } from 'node:util';
import { summary } from './hostile.js';
import { fuzzSession } from './server.js';

const { values } = parseArgs({
  options: { count: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' }, verbose: { type: 'boolean' } },
});
const count = Number(values.count ?? 100_000);
const seed = Number(values.seed ?? 20261204);
const started = Date.now();
console.log(`fuzzing: ${count} requests, seed ${seed}`);
const session = await fuzzSession({
  count, seed, concurrency: Number(values.concurrency ?? 16), verbose: values.verbose,
  progress: (done) => done % 10_000 === 0 && console.log(`  ${done} requests (${Math.round((Date.now() - started) / 1000)} s)`),
});
console.log(summary(session));
console.log(`server crashed: ${session.crashed}`);
console.log(`normal answers changed after the run: ${session.changedAnswers.length}`);
for (const a of session.changedAnswers) console.log(`  ${a}`);
console.log(`log lines at error level or holding a secret: ${session.badLogLines.length}`);
for (const line of session.badLogLines.slice(0, 20)) console.log(`  ${line}`);
console.log(`duration: ${Math.round((Date.now() - started) / 1000)} s`);
const failed = session.crashed || session.violations.length > 0 || session.changedAnswers.length > 0 || session.badLogLines.length > 0;
process.exit(failed ? 1 : 0);
