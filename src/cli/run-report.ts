import type { KernelReport, RunReport } from '../script/index.js';

/** Each step, what it did, and PASS or FAIL per expectation. */
export function runText(r: RunReport): string {
  const lines = [`${r.name}${r.source ? ` (${r.source})` : ''}`];
  for (const s of r.steps) {
    lines.push(`${String(s.index).padStart(3)}  ${s.do}: ${s.outcome}`);
    for (const c of s.checks) {
      lines.push(
        `       ${c.pass ? 'PASS' : 'FAIL'} ${c.what}: expected ${JSON.stringify(c.expected)}${c.pass ? '' : `, got ${JSON.stringify(c.actual)}`}`,
      );
    }
  }
  const checks = r.steps.flatMap((s) => s.checks);
  lines.push(
    '',
    `${r.passed ? 'PASS' : 'FAIL'}: ${checks.filter((c) => c.pass).length} of ${checks.length} expectations hold`,
  );
  return lines.join('\n');
}

/** Each step's kernel answer beside the model's, the expectations checked against the kernel,
 * and one line per disagreement: the step, both answers, the kernel release. */
export function kernelRunText(r: KernelReport): string {
  const k = r.kernel;
  const against =
    k.relation === 'same'
      ? `tree ${k.tree}`
      : `tree ${k.tree}; the kernel is ${k.relation} than the tree, so a disagreement may be a change between them`;
  const lines = [
    `${r.name}${r.source ? ` (${r.source})` : ''}`,
    `Linux ${k.release} through /dev/kvm, a default VM, compared under ${against}`,
  ];
  for (const s of r.steps) {
    lines.push(
      `${String(s.index).padStart(3)}  ${s.do}: kernel ${s.kernel}${s.agree ? '' : `; model ${s.model}  MISMATCH`}`,
    );
    for (const c of s.checks)
      lines.push(
        `       ${c.pass ? 'PASS' : 'FAIL'} ${c.what}: expected ${JSON.stringify(c.expected)}${c.pass ? '' : `, got ${JSON.stringify(c.actual)}`}`,
      );
  }
  const checks = r.steps.flatMap((s) => s.checks);
  lines.push(
    '',
    ...k.disagreements.map(
      (d) =>
        `mismatch: step ${d.step} ${d.do}: kernel ${d.kernel}, model ${d.model} (Linux ${k.release}, tree ${k.tree})`,
    ),
  );
  lines.push(
    `${r.passed ? 'PASS' : 'FAIL'}: ${k.checked - k.mismatches} of ${k.checked} steps agree with the kernel; ${checks.filter((c) => c.pass).length} of ${checks.length} expectations hold on it`,
  );
  return lines.join('\n');
}
