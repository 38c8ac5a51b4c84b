import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contention, contentionFamily } from '../../src/scenarios/contention.js';
import { scenarioFamilies, scenarios } from '../../src/scenarios/index.js';
import { septcheck, septcheckAsync } from './run.js';

describe('septcheck check --scenario', () => {
  it('convert with pin: a liveness lasso, exit 1', () => {
    const r = septcheck('check', '--scenario', 'convert', '--policy', 'pin', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      model: 'tdx',
      params: { scenario: 'convert', policy: 'pin', faults: 'none', hvo: false },
      result: 'violation',
    });
    expect(j.violation).toMatchObject({
      kind: 'liveness',
      property: 'conversion-completes@op0',
      loopStart: 11,
    });
    expect(j.violation.trace[5]).toMatchObject({
      action: 'tdx_sept_set_private_spte',
      process: 'vcpu0',
    });
    expect(j.violation.trace[5].state['frame 0 refcount']).toBe(
      '3 (page_cache 1, tdx_pin 1, vcpu0 fault 1)',
    );
  });

  it('convert with nopin passes, exit 0', () => {
    const j = JSON.parse(
      septcheck('check', '--scenario', 'convert', '--policy', 'nopin', '--json').stdout,
    );
    expect(j).toMatchObject({ result: 'ok', distinctStates: 4254, findings: [] });
  });

  it('basic, nopin, remove-fails=1: the human trace shows KVM_BUG_ON, then the reuse', () => {
    const r = septcheck(
      'check',
      '--scenario',
      'basic',
      '--policy',
      'nopin',
      '--faults',
      'remove-fails=1',
    );
    expect(r.code).toBe(1);
    const bug = r.stdout.indexOf(
      '10  vmm  tdx_sept_remove_private_spte  arch/x86/kvm/vmx/tdx.c\n    TDH.MEM.PAGE.REMOVE gpa=0x0 level=4K -> TDX_EPT_ENTRY_STATE_INCORRECT\n    (0xC0000B0D00000001); KVM_BUG_ON: VM dead, vCPUs kicked\n      kvm VM: alive -> BUGGED (dead)\n',
    );
    const reuse = r.stdout.indexOf(
      '13  host  alloc_pages  mm/page_alloc.c\n    frame 0 reused by the host, which writes its own data\n',
    );
    expect(bug).toBeGreaterThan(0);
    expect(reuse).toBeGreaterThan(bug);
    expect(r.stdout).toContain(
      'invariant no-reuse-while-mapped violated (tdx (scenario=basic policy=nopin\nfaults=remove-fails=1 hvo=false tree=series-v3))',
    );
    expect(r.stdout).toContain('      frame 0 owner: free -> HOST (reused)\n');
    // Every line of the trace fits in 80 columns.
    const trace = r.stdout.slice(r.stdout.indexOf('invariant'), r.stdout.indexOf('result:'));
    expect(trace.split('\n').filter((l) => l.length > 80)).toEqual([]);
  });

  it('basic, pin, remove-fails=1: result leak, said to be weaker than a safety violation', () => {
    const r = septcheck(
      'check',
      '--scenario',
      'basic',
      '--policy',
      'pin',
      '--faults',
      'remove-fails=1',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'result: leak (a deliberate leak: memory lost, nothing corrupted; weaker than a safety violation)',
    );
    const j = JSON.parse(
      septcheck(
        'check',
        '--scenario',
        'basic',
        '--policy',
        'pin',
        '--faults',
        'remove-fails=1',
        '--json',
      ).stdout,
    );
    expect(j.result).toBe('leak');
    expect(j.findings.map((f: { kind: string; property: string }) => [f.kind, f.property])).toEqual(
      [['leak', 'teardown-reclaims']],
    );
  });

  it('loads a user policy file without a build step', () => {
    const j = JSON.parse(
      septcheck(
        'check',
        '--scenario',
        'basic',
        '--policy',
        'test/fixtures/leaky-policy.ts',
        '--faults',
        'remove-fails=1',
        '--json',
      ).stdout,
    );
    expect(j).toMatchObject({ params: { policy: 'leak-on-failure' }, result: 'leak' });
  });
});

describe('scenario sizes: --param vcpus=N, --param pages=N', () => {
  const dir = mkdtempSync(join(tmpdir(), 'septcheck-sizes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every family at its default sizes is the bundled scenario; contention vcpus=4 is the bench scenario', () => {
    for (const [name, f] of Object.entries(scenarioFamilies)) {
      const defaults = Object.fromEntries(Object.entries(f.params).map(([k, s]) => [k, s.default]));
      expect(f.build(defaults)).toEqual(scenarios[name]);
    }
    expect(contentionFamily.build({ vcpus: 4, pages: 1 })).toEqual({ ...contention, vcpus: 4 });
  });

  it('teardown with one page and with three: exact counts, the sizes in the report', async () => {
    const [one, three] = await Promise.all(
      ['pages=1', 'pages=3'].map((p) =>
        septcheckAsync('check', '--scenario', 'teardown', '--param', p, '--json'),
      ),
    );
    expect(JSON.parse(one!.stdout)).toMatchObject({
      params: { scenario: 'teardown', pages: 1, policy: 'nopin' },
      result: 'ok',
      distinctStates: 156,
    });
    expect(JSON.parse(three!.stdout)).toMatchObject({
      params: { scenario: 'teardown', pages: 3 },
      result: 'ok',
      distinctStates: 6248,
    });
  });

  it('two vCPUs on basic, on one thread and two: the same count', async () => {
    for (const workers of ['1', '2']) {
      const j = JSON.parse(
        (
          await septcheckAsync(
            'check',
            '--scenario',
            'basic',
            '--param',
            'vcpus=2',
            '--workers',
            workers,
            '--json',
          )
        ).stdout,
      );
      expect(j).toMatchObject({
        params: { scenario: 'basic', vcpus: 2 },
        result: 'ok',
        distinctStates: 17990,
      });
    }
  });

  it('a trace of a sized scenario replays', async () => {
    const trace = join(dir, 'sized.json');
    const r = await septcheckAsync(
      'check',
      '--scenario',
      'basic',
      '--param',
      'pages=3',
      '--faults',
      'remove-fails=1',
      '--trace-out',
      trace,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'invariant no-reuse-while-mapped violated (tdx (scenario=basic pages=3\npolicy=nopin',
    );
    const replayed = await septcheckAsync('replay', trace);
    expect(replayed.stdout).toMatch(
      /confirmed: all \d+ steps replay and invariant no-reuse-while-mapped is still violated/,
    );
    expect(replayed.code).toBe(0);
  });

  it("--help shows every scenario's sizes with their ranges and defaults", () => {
    const help = septcheck('check', '--help').stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      'scenario sizes, range (default): basic vcpus=1..8 (1) pages=2..8 (2); convert vcpus=1..8 (1) folio-pages=2..8 (2) spare-blocks=0..2 (0) demote-interruptible=0..1 (0); contention vcpus=1..8 (2) pages=1..8 (1); teardown vcpus=1..8 (1) pages=1..8 (2) close=0..2 (0); host vcpus=1..8 (2) pages=1..8 (2) spare-blocks=0..2 (0)',
    );
    // a parameter given by name: its values and its default
    expect(help).toContain(
      'huge-map vcpus=1..8 (1) folio-pages=2..8 (2) accept=linux|2m|4k|either (linux)',
    );
  });

  it('huge-map takes the guest’s accept level by name; another is one line, exit 2', () => {
    const r = septcheck('check', '--scenario', 'huge-map', '--param', 'accept=1g');
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      '',
      'septcheck: parameter accept=1g of scenario huge-map: expected one of linux, 2m, 4k, either\n',
    ]);
  });

  it('a folio size outside 2..8 is a one-line error, exit 2', () => {
    const r = septcheck('check', '--scenario', 'convert', '--param', 'folio-pages=9');
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      '',
      'septcheck: parameter folio-pages=9 of scenario convert: expected an integer from 2 to 8\n',
    ]);
  });
});

describe('--tree: which kernel tree the TDX system models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'septcheck-tree-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('the JSON report names the tree, the design’s own and whether the run is a port', () => {
    const convert = JSON.parse(
      septcheck('check', '--scenario', 'convert', '--policy', 'nopin', '--json').stdout,
    );
    expect(convert).toMatchObject({
      params: { tree: 'conversion-rfc' },
      tree: 'conversion-rfc',
      hypothetical: true,
      policyTree: 'series-v3',
    });
    const basic = JSON.parse(
      septcheck('check', '--scenario', 'basic', '--policy', 'pin', '--json').stdout,
    );
    expect(basic).toMatchObject({ tree: 'v6.17', hypothetical: false, policyTree: 'v6.17' });
  });
  it('a port says so in the header, and the trace file records the tree for replay', () => {
    const trace = join(dir, 'ported.json');
    const r = septcheck(
      'check',
      '--scenario',
      'basic',
      '--policy',
      'pin',
      '--tree',
      'series-v3',
      '--faults',
      'remove-fails=1',
      '--trace-out',
      trace,
    );
    expect(r.stdout.split('\n')[0]).toBe(
      'model tdx (scenario=basic policy=pin faults=remove-fails=1 hvo=false tree=series-v3; pin, ported onto series-v3)',
    );
    expect(JSON.parse(readFileSync(trace, 'utf8')).target.tree).toBe('series-v3');
    expect(septcheck('replay', trace).code).toBe(0);
  });
  it('--module 2.0: the tree whose kernel has Dynamic PAMT, in the JSON, the title and the trace file', () => {
    const trace = join(dir, 'dpamt.json');
    const r = septcheck(
      'check',
      '--scenario',
      'dpamt',
      '--param',
      'busy=2',
      '--json',
      '--trace-out',
      trace,
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      tree: 'hugepage-v3',
      hypothetical: false,
      module: '2.0',
      result: 'violation',
      params: { module: '2.0' },
    });
    const doc = JSON.parse(readFileSync(trace, 'utf8'));
    expect(doc.title).toContain('tree=hugepage-v3 module=2.0');
    expect(doc.target).toMatchObject({ tree: 'hugepage-v3', module: '2.0' });
    // The inferred race of Dynamic PAMT v4 (docs/huge-pages.md): two fault-path puts, the
    // second's PAMT.REMOVE finds no pair and sets the refcount back to 1 without one.
    expect(
      doc.steps
        .slice(5)
        .map((s: { process: string; action: string }) => `${s.process}:${s.action}`),
    ).toEqual([
      'vcpu0:tdx_pamt_get',
      'vcpu0:tdx_sept_set_private_spte',
      'vcpu1:tdx_vcpu_run',
      'vcpu1:TDG.MEM.PAGE.ACCEPT',
      'vcpu1:kvm_mmu_faultin_pfn',
      'vcpu1:kvm_tdp_mmu_map',
      'vcpu1:tdx_pamt_get',
      'vcpu1:tdx_sept_set_private_spte',
      'vcpu0:tdx_pamt_put',
      'vcpu0:kvm_mmu_finish_page_fault',
      'vcpu0:tdx_vcpu_run',
      'vcpu0:TDG.MEM.PAGE.ACCEPT (retried after the fault)',
      'vcpu0:kvm_mmu_faultin_pfn',
      'vcpu0:kvm_tdp_mmu_map',
      'vcpu1:tdx_pamt_put',
      'vcpu0:tdx_pamt_get',
      'vcpu0:tdx_sept_set_private_spte',
    ]);
    expect(septcheck('replay', trace).code).toBe(0);
  });
  it('--help lists the trees, one line each', () => {
    const help = septcheck('check', '--help').stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      '--tree <name> the kernel tree --scenario models: v6.17 (pre-series: TDX pins mapped pages, INIT_MEM_REGION premaps and ADDs outside mmu_lock); series-v3',
    );
  });
});

describe('septcheck check --scenario: bad input, one line, exit 2', () => {
  it.each([
    [
      ['check', '--scenario', 'nosuch'],
      'septcheck: unknown scenario "nosuch" (known: basic, convert, contention, teardown, host, dpamt, huge-map, huge-convert, huge-punch)\n',
    ],
    [
      ['check', '--scenario', 'basic', '--policy', 'nosuch'],
      'septcheck: unknown policy "nosuch": not a bundled policy (pin, nopin, unmap-error, ref-on-zap-failure, page-flag, page-ext, hwpoison, reclaim-after-teardown) nor a .ts or .js file\n',
    ],
    [
      ['check', '--scenario', 'basic', '--faults', 'remove-fails'],
      'septcheck: --faults: "remove-fails" is not kind=count\n',
    ],
    [
      // names of Object.prototype are no scenario or policy (once an internal error, exit 70)
      ['check', '--scenario', 'valueOf'],
      'septcheck: unknown scenario "valueOf" (known: basic, convert, contention, teardown, host, dpamt, huge-map, huge-convert, huge-punch)\n',
    ],
    [
      ['check', '--scenario', 'basic', '--policy', 'constructor'],
      'septcheck: unknown policy "constructor": not a bundled policy (pin, nopin, unmap-error, ref-on-zap-failure, page-flag, page-ext, hwpoison, reclaim-after-teardown) nor a .ts or .js file\n',
    ],
    [
      ['check', '--scenario', 'basic', '--tree', 'bogus'],
      'septcheck: --tree: unknown tree "bogus" (known: v6.17, series-v3, conversion-rfc, hugepage-v3)\n',
    ],
    [
      ['simulate', '--scenario', 'convert', '--tree', 'v6.17'],
      'septcheck: --tree v6.17: scenario convert needs in-place-conversion + hugetlb, which v6.17 does not have (conversion-rfc and hugepage-v3 do)\n',
    ],
    [
      ['check', '--scenario', 'basic', '--module', '3'],
      'septcheck: --module: unknown TDX module "3" (known: 1.5, 2.0)\n',
    ],
    [
      ['check', '--scenario', 'basic', '--module', '2.0', '--tree', 'series-v3'],
      'septcheck: --module 2.0: tree series-v3 has no Dynamic PAMT in its kernel, which would not enable it (hugepage-v3 has)\n',
    ],
    [
      ['check', '--scenario', 'convert', '--param', 'demote-interruptible=1'],
      'septcheck: --param demote-interruptible: scenario convert on conversion-rfc has no 2M S-EPT leaves, so no DEMOTE (use --tree hugepage-v3)\n',
    ],
    [
      ['check', '--scenario', 'basic', '--faults', 'cosmic-rays=1'],
      'septcheck: --faults: unknown fault "cosmic-rays" (known: remove-fails, block-fails, busy, transient-refs, memory-failure, retry-fails, wbinvd-fails, add-fails, demote-fails)\n',
    ],
    [
      ['check', '--scenario', 'basic', '--policy', 'test/fixtures/bad-policy.ts'],
      'septcheck: test/fixtures/bad-policy.ts: policy "half" has no function field "onMapFailed"\n',
    ],
    [
      ['check', '--scenario', 'basic', '--policy', 'test/fixtures/unused-var-policy.ts'],
      `septcheck: test/fixtures/unused-var-policy.ts: action "kvm_tdp_mmu_map_private_pfn" (process vmm) threw: policy "gup-on-map": onMap wrote a variable this scenario does not use (its steps never change it, so it is not in the state) in state [0,0,0,0,0,0,0,0,0,255,0,0,0,28,0,0,0,0,1,1,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0]\n`,
    ],
    [
      ['check', 'hanoi', '--scenario', 'basic'],
      'septcheck: give a model or --scenario, not both (got model "hanoi")\n',
    ],
    [['check'], 'septcheck: a model or --scenario <name> is needed\n'],
    [
      ['check', '--scenario', 'contention', '--param', 'vcpus=4', '--param', 'bogus=1'],
      'septcheck: scenario contention has no parameter "bogus" (it has: vcpus, pages)\n',
    ],
    [
      ['check', '--scenario', 'contention', '--param', 'vcpus=9'],
      'septcheck: parameter vcpus=9 of scenario contention: expected an integer from 1 to 8\n',
    ],
    [
      ['check', '--scenario', 'basic', '--param', 'pages=1'],
      'septcheck: parameter pages=1 of scenario basic: expected an integer from 2 to 8\n',
    ],
    [
      ['check', '--scenario', 'convert', '--param', 'pages=3'],
      'septcheck: scenario convert has no parameter "pages" (it has: vcpus, folio-pages, spare-blocks, demote-interruptible)\n',
    ],
    [
      ['simulate', '--scenario', 'teardown', '--param', 'vcpus=0'],
      'septcheck: parameter vcpus=0 of scenario teardown: expected an integer from 1 to 8\n',
    ],
    [
      ['swarm', '--scenario', 'host', '--shard', '1/2', '--param', 'disks=3'],
      'septcheck: scenario host has no parameter "disks" (it has: vcpus, pages, spare-blocks)\n',
    ],
    [
      ['check', 'test/fixtures/counter-model.ts', '--param', 'bogus=1'],
      'septcheck: model counter has no parameter "bogus" (it has: limit)\n',
    ],
  ])('%j', (args, stderr) => {
    const r = septcheck(...args);
    expect(r.stderr).toBe(stderr);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
