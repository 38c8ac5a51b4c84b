import type { RunReport } from '../script/index.js';

/** Each step, what it did, and PASS or FAIL per expectation. */
export function runText(r: RunReport): string {
  const lines = [`${r.name}${r.source ? ` (${r.source})` : ''}`];
  for (const s of r.steps) {
    lines.push(`${String(s.index).padStart(3)}  ${s.do}: ${s.outcome}`);
    for (const c of s.checks) {
      lines.push(`       ${c.pass ? 'PASS' : 'FAIL'} ${c.what}: expected ${JSON.stringify(c.expected)}${c.pass ? '' : `, got ${JSON.stringify(c.actual)}`}`);
    }
  }
  const checks = r.steps.flatMap((s) => s.checks);
  lines.push('', `${r.passed ? 'PASS' : 'FAIL'}: ${checks.filter((c) => c.pass).length} of ${checks.length} expectations hold`);
  return lines.join('\n');
}
