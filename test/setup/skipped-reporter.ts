import type { Reporter, TestModule } from 'vitest/node';

/** Says how many tests were skipped, and why for each test that gave a reason (`ctx.skip(why)`,
 * only for what the machine cannot have, such as /dev/kvm). On CI the count is 0. */
export default class SkippedReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped = modules.flatMap((m) => [...m.children.allTests('skipped')]);
    const why = skipped
      .map((t) => ({ t, note: (t.result() as { note?: string }).note }))
      .filter((s) => s.note);
    const unselected = skipped.length - why.length;
    const lines = [
      `skipped: ${skipped.length} test${skipped.length === 1 ? '' : 's'}${unselected ? ` (${unselected} not selected: .skip, -t or .only)` : ''}`,
    ];
    for (const { t, note } of why)
      lines.push(
        `  ${t.module.moduleId.replace(`${process.cwd()}/`, '')} > ${t.fullName}: ${note}`,
      );
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
