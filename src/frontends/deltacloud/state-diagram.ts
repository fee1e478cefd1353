// The instance state machine as a picture (spec §11.6): Graphviz source,
// rendered to PNG by `dot` when Graphviz is installed.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { NotSupported } from '../../core/errors.js';
import type { StateMachine } from '../../core/state-machine.js';

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

export function graphvizSource(machine: StateMachine): string {
  const lines = ['digraph instance_states {', '  rankdir=LR;', '  node [shape=box, style=filled, fillcolor="#dddddd", fontname="sans-serif"];'];
  for (const s of machine.states) {
    if (s.name === 'start') lines.push(`  ${quote(s.name)} [shape=doublecircle, fillcolor="#9be39b"];`);
    else if (s.name === 'finish') lines.push(`  ${quote(s.name)} [shape=doublecircle, fillcolor="#f08c8c"];`);
    else lines.push(`  ${quote(s.name)};`);
  }
  for (const s of machine.states) {
    for (const t of s.transitions) {
      lines.push(`  ${quote(t.from)} -> ${quote(t.to)} [label=${quote('auto' in t ? 'auto' : t.action)}];`);
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** PNG bytes from `dot` (argument array, no shell, 10 s limit). */
export async function renderStateDiagramPng(machine: StateMachine): Promise<Readable> {
  const dot = spawn('dot', ['-Tpng'], { stdio: ['pipe', 'pipe', 'ignore'], timeout: 10_000 });
  const started = await new Promise<boolean>((resolve) => {
    dot.once('spawn', () => resolve(true));
    dot.once('error', () => resolve(false));
  });
  if (!started) throw new NotSupported('Rendering the state diagram as PNG needs Graphviz (dot) on the server');
  dot.stdin.end(graphvizSource(machine));
  return dot.stdout;
}
