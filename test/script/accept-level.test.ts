import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScript, runScript, ScriptError } from '../../src/script/index.js';

/** The scripts of the guest's accept level on hugepage-v3 (docs/huge-pages.md). */
const dir = join(import.meta.dirname, '..', 'scripts', 'accept-level');
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('the guest’s accept level, as scripts (vm.accept, { accept, level }, { touch })', () => {
  it('three scripts: the split of a PENDING 2M leaf, ALREADY_ACCEPTED, SIZE_MISMATCH', () => {
    expect(scripts).toEqual([
      'already-accepted-2m.yaml',
      'size-mismatch-4k-table.yaml',
      'split-pending-2m.yaml',
    ]);
  });

  it.each(scripts)('%s: every expectation holds', (file) => {
    const path = join(dir, file);
    const report = runScript(parseScript(readFileSync(path, 'utf8'), path), path);
    expect(report.steps.flatMap((s) => s.checks.filter((c) => !c.pass))).toEqual([]);
    expect([report.passed, report.tree]).toEqual([true, 'hugepage-v3']);
  });

  it('a bad vm.accept or accept level names the field', () => {
    const vm = (extra: string) =>
      `name: x\nvm: { type: tdx, pages: 2, hugeFolio: 2, tree: hugepage-v3${extra} }\nsteps:\n  - do: run\n    guest: [ { accept: 0, level: 1g } ]\n`;
    expect(() => parseScript(vm(', accept: 1g'), 'a.yaml')).toThrow(
      new ScriptError('a.yaml: vm.accept: expected one of linux, 2m, 4k, either, got "1g"'),
    );
    expect(() => runScript(parseScript(vm(''), 'a.yaml'), 'a.yaml')).toThrow(
      new ScriptError(
        'a.yaml: steps[0].guest[0]: expected { accept: gfn, level?: 4k|2m }, { touch: gfn }, { write: gfn } or { mapgpa: gfn, shared: bool } with a GFN below 2',
      ),
    );
  });
});
