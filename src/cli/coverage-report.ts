import type { Coverage } from '../engine/index.js';
import { count } from './count.js';

/** The coverage table: one line per action (in the model's order), then the ones never enabled. */
export function coverageText(c: Coverage): string {
  const rows = c.actions.map((a) => [
    a.process ?? '',
    a.label.replace(/@[^@ ]+/, ''),
    count(a.fired),
    count(a.newStates),
    a.ms.toFixed(1),
  ]);
  const head = ['process', 'action', 'fired', 'new states', 'ms'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((x, i) => (i >= 2 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    'coverage (fired: successors generated; new states: states it found first; ms: its time in a second pass):',
    line(head),
    ...rows.map(line),
    c.neverEnabled.length
      ? `never enabled in this run (${c.neverEnabled.length}): ${c.neverEnabled.join(', ')}`
      : 'every action was enabled in this run',
  ].join('\n');
}
