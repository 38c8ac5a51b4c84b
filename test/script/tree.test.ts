import { describe, expect, it } from 'vitest';
import { parseScript, runScript, ScriptError } from '../../src/script/index.js';

const script = (vm: string, steps = '  - { do: finalize }\n') =>
  parseScript(`name: trees\nvm: { type: tdx, ${vm} }\nsteps:\n${steps}`, 'trees.yaml');

describe('septcheck run: a TDX VM’s kernel tree (vm.tree)', () => {
  it('the design’s own tree by default; a HugeTLB VM runs on conversion-rfc, a port for nopin', () => {
    expect(runScript(script('pages: 2'), 'trees.yaml')).toMatchObject({
      tree: 'series-v3',
      hypothetical: false,
    });
    expect(runScript(script('pages: 2, policy: pin'), 'trees.yaml')).toMatchObject({
      tree: 'v6.17',
      hypothetical: false,
    });
    expect(runScript(script('pages: 2, hugeFolio: 2'), 'trees.yaml')).toMatchObject({
      tree: 'conversion-rfc',
      hypothetical: true,
    });
  });

  it('vm.tree is followed: INIT_MEM_REGION premaps on v6.17 and ADDs under mmu_lock on series-v3', () => {
    const steps = '  - { do: init_mem_region, gfn: 0 }\n';
    const run = (tree: string) => runScript(script(`pages: 2, tree: ${tree}`, steps), 'trees.yaml');
    expect(run('v6.17')).toMatchObject({ tree: 'v6.17', hypothetical: true });
    expect(run('series-v3').steps[0]!.outcome).toBe(run('v6.17').steps[0]!.outcome);
  });

  it('an unknown tree, or one without what the VM needs, names the field', () => {
    expect(() => script('pages: 2, tree: bogus')).toThrow(
      new ScriptError(
        'trees.yaml: vm.tree: expected one of v6.17, series-v3, conversion-rfc, hugepage-v3, got "bogus"',
      ),
    );
    expect(() =>
      runScript(script('pages: 2, hugeFolio: 2, tree: series-v3'), 'trees.yaml'),
    ).toThrow(
      new ScriptError(
        'trees.yaml: vm.tree: series-v3: scenario trees needs in-place-conversion + hugetlb, which series-v3 does not have (conversion-rfc and hugepage-v3 do)',
      ),
    );
  });

  it('vm.module 2.0: hugepage-v3, INIT_MEM_REGION gets the pair first; a bad one names the field', () => {
    const steps = '  - { do: init_mem_region, gfn: 0 }\n';
    const r = runScript(script('pages: 2, module: 2.0', steps), 'trees.yaml');
    expect(r).toMatchObject({ tree: 'hugepage-v3', hypothetical: false, module: '2.0' });
    expect(r.steps[0]!.outcome).toBe(
      runScript(script('pages: 2', steps), 'trees.yaml').steps[0]!.outcome,
    );
    expect(() => script('pages: 2, module: 3')).toThrow(
      new ScriptError('trees.yaml: vm.module: expected one of 1.5, 2.0, got 3'),
    );
    expect(() => runScript(script('pages: 2, module: "2.0", tree: v6.17'), 'trees.yaml')).toThrow(
      new ScriptError(
        'trees.yaml: vm.module: 2.0: tree v6.17 has no Dynamic PAMT in its kernel, which would not enable it (hugepage-v3 has)',
      ),
    );
  });

  it('run --tree overrides vm.tree; an unknown one is one line, exit 2', async () => {
    const { septcheck } = await import('../cli/run.js');
    const file = 'test/selftests/private_mem_kvm_exits_test.yaml';
    const r = JSON.parse(septcheck('run', file, '--tree', 'v6.17', '--json').stdout);
    expect(r).toMatchObject({ passed: true, tree: 'v6.17', hypothetical: true });
    expect(septcheck('run', file, '--tree', 'bogus')).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'septcheck: --tree: unknown tree "bogus" (known: v6.17, series-v3, conversion-rfc, hugepage-v3)\n',
    });
  });
});
