import { describe, expect, it } from 'vitest';
import { check, type Model, type State } from '../../src/engine/index.js';
import { Expander } from '../../src/engine/successors.js';
import {
  resolveTree,
  systemModel,
  TreeError,
  type Kernel,
  type Scenario,
  type TreeName,
} from '../../src/kernel/index.js';
import { FAULT_PFN } from '../../src/kernel/programs.js';
import { portChanges, trees } from '../../src/kernel/trees.js';
import { LOCK_EXCLUSIVE } from '../../src/kernel/vars.js';
import { policies } from '../../src/policies/index.js';
import { hostFamily } from '../../src/scenarios/host.js';
import { scenarios } from '../../src/scenarios/index.js';
import { callsReached, steps, transitions } from './helpers.js';

function build(scenario: Scenario, policy: string, tree?: TreeName, faults = {}) {
  return systemModel({
    scenario,
    policy: policies[policy]!,
    faults,
    hvo: false,
    ...(tree ? { tree } : {}),
  });
}

describe('which tree a run models (trees.ts resolveTree)', () => {
  const pin = policies.pin!;
  const nopin = policies.nopin!;
  it('a design on its own tree when the scenario needs nothing more', () => {
    expect(resolveTree(pin, scenarios.basic!)).toEqual({
      tree: 'v6.17',
      policyTree: 'v6.17',
      hypothetical: false,
    });
    expect(resolveTree(nopin, scenarios.contention!)).toEqual({
      tree: 'series-v3',
      policyTree: 'series-v3',
      hypothetical: false,
    });
  });
  it('the scenario’s tree, with the design as a hypothetical port, when it needs more', () => {
    // convert needs in-place conversion and HugeTLB: only conversion-rfc has both
    expect(resolveTree(nopin, scenarios.convert!)).toEqual({
      tree: 'conversion-rfc',
      policyTree: 'series-v3',
      hypothetical: true,
    });
    expect(resolveTree(pin, scenarios.convert!).hypothetical).toBe(true);
  });
  it('a tree given is used, and is a port unless it is the design’s own', () => {
    expect(resolveTree(nopin, scenarios.basic!, 'v6.17')).toEqual({
      tree: 'v6.17',
      policyTree: 'series-v3',
      hypothetical: true,
    });
  });
  it('an unknown tree, or one without what the scenario needs, is refused in one line', () => {
    expect(() => resolveTree(nopin, scenarios.basic!, 'bogus')).toThrow(
      new TreeError(
        '--tree: unknown tree "bogus" (known: v6.17, series-v3, conversion-rfc, hugepage-v3)',
      ),
    );
    expect(() => resolveTree(nopin, scenarios.convert!, 'series-v3')).toThrow(
      new TreeError(
        '--tree series-v3: scenario convert needs in-place-conversion + hugetlb, which series-v3 does not have (conversion-rfc and hugepage-v3 do)',
      ),
    );
  });
  it('every switch cites a source; what a port of pin onto conversion-rfc changes', () => {
    for (const tree of Object.values(trees))
      for (const fact of Object.values(tree.facts)) expect(fact.source.length).toBeGreaterThan(10);
    // With conversion-rfc's pin inferred, the port changes the kvm_gmem_get_pfn lock and what
    // the tree adds (conversion, HugeTLB), not the pin or the premap.
    expect(portChanges('v6.17', 'conversion-rfc')).toEqual([
      'getPfnTakesInvalidateLock',
      'inPlaceConversion',
      'hugetlb',
    ]);
    expect(portChanges('series-v3', 'conversion-rfc')).toEqual([
      'tdxPins',
      'addPath',
      'getPfnTakesInvalidateLock',
      'vmStateGuard',
      'inPlaceConversion',
      'hugetlb',
    ]);
  });
});

describe('hugepage-v3 (issue 17)', () => {
  const nopin = policies.nopin!;
  const pin = policies.pin!;
  it('every series-v3 design is native on it, pin a port; it is never a default for today’s scenarios', () => {
    expect(resolveTree(nopin, scenarios.basic!, 'hugepage-v3')).toEqual({
      tree: 'hugepage-v3',
      policyTree: 'series-v3',
      hypothetical: false,
    });
    expect(resolveTree(pin, scenarios.basic!, 'hugepage-v3').hypothetical).toBe(true);
    // convert keeps its first tree that fits, conversion-rfc (verdict table unchanged)
    expect(resolveTree(nopin, scenarios.convert!).tree).toBe('conversion-rfc');
    // a scenario that needs 2M leaves has hugepage-v3 only, native for nopin
    expect(resolveTree(nopin, { name: 'h', needs: ['huge-leaves'] })).toEqual({
      tree: 'hugepage-v3',
      policyTree: 'series-v3',
      hypothetical: false,
    });
    expect(() =>
      resolveTree(nopin, { name: 'h', needs: ['huge-leaves'] }, 'conversion-rfc'),
    ).toThrow(
      new TreeError(
        '--tree conversion-rfc: scenario h needs huge-leaves, which conversion-rfc does not have (hugepage-v3 does)',
      ),
    );
  });
  it('what it changes against series-v3 and against conversion-rfc', () => {
    expect(portChanges('series-v3', 'hugepage-v3')).toEqual([
      'getPfnTakesInvalidateLock',
      'inPlaceConversion',
      'hugetlb',
      'dpamt',
      'hugeLeaves',
      'punchWholeHugePages',
      'punchMergesFirst',
      'restructureAfterInvalidateEnd',
    ]);
    expect(portChanges('conversion-rfc', 'hugepage-v3')).toEqual([
      'tdxPins',
      'addPath',
      'vmStateGuard',
      'dpamt',
      'hugeLeaves',
      'punchWholeHugePages',
      'punchMergesFirst',
      'restructureAfterInvalidateEnd',
    ]);
  });
  it('today’s basic runs on it (exact count, nopin; 1,468 on series-v3)', () => {
    expect(check(build(scenarios.basic!, 'nopin', 'hugepage-v3').model).distinctStates).toBe(1250);
  });
});

describe('INIT_MEM_REGION per tree (item 5)', () => {
  it('series-v3: the guard, populate, then ADD under read mmu_lock with the SPTE frozen, then EXTEND', () => {
    const { model } = build(scenarios.basic!, 'nopin');
    const r = check({ ...model, invariants: [] }, { maxDepth: 4 });
    const calls = callsReached(model);
    expect(r.distinctStates).toBeGreaterThan(0);
    expect(calls).toContain(
      'KVM_TDX_INIT_MEM_REGION gfn 0: tdx_vm_state_guard; kvm_gmem_populate: filemap_invalidate_lock, folio allocated',
    );
    expect(calls).toContain(
      'read_lock(mmu_lock); SPTE frozen; TDH.MEM.PAGE.ADD gpa=0x0 -> TDX_SUCCESS (0x0000000000000000); read_unlock(mmu_lock)',
    );
    expect(calls).toContain('TDH.MR.EXTEND x16; filemap_invalidate_unlock, guard released -> 0');
  });

  it('series-v3 + add-fails=1: the SPTE is restored, TDX_BUG_ON kills the VM, the ioctl returns -EIO', () => {
    const { model } = build(scenarios.basic!, 'nopin', undefined, { 'add-fails': 1 });
    const calls = callsReached(model);
    expect(calls).toContain(
      'read_lock(mmu_lock); SPTE frozen; TDH.MEM.PAGE.ADD gpa=0x0 -> TDX_EPT_ENTRY_STATE_INCORRECT (0xC0000B0D00000001); SPTE restored; TDX_BUG_ON: VM dead -> -EIO; read_unlock(mmu_lock)',
    );
    expect(calls).toContain('filemap_invalidate_unlock, guard released -> -EIO');
  });

  it('v6.17 + add-fails=1: the page stays premapped (no KVM_BUG_ON), finalize is -EINVAL, the punch hole takes the premap path and frees the page', () => {
    const { model } = build(scenarios.basic!, 'pin', undefined, { 'add-fails': 1 });
    const calls = callsReached(model);
    expect(calls).toContain(
      'read_lock(mmu_lock); mirror SPTE of gfn 0 set, nr_premapped++; read_unlock(mmu_lock)',
    );
    expect(calls).toContain(
      'TDH.MEM.PAGE.ADD gpa=0x0 -> TDX_EPT_ENTRY_STATE_INCORRECT (0xC0000B0D00000001); -EIO, no KVM_BUG_ON: the page stays premapped',
    );
    expect(calls).toContain('KVM_TDX_FINALIZE_VM -> -EINVAL');
    expect(calls).toContain(
      'TDH.MEM.RANGE.BLOCK gpa=0x0 level=4K -> TDX_EPT_ENTRY_STATE_INCORRECT (0xC0000B0D00000001); premapped entry: nr_premapped--, tdx_unpin, no KVM_BUG_ON',
    );
    // No KVM_BUG_ON anywhere on that path, and the pin is dropped: nothing leaks.
    const r = check(model);
    expect(r.result).toBe('ok');
    expect(r.findings).toEqual([]);
    expect(r.distinctStates).toBe(1724);
  });

  it('v6.17: finalize refuses only while a page is premapped (the ADD succeeded: it runs)', () => {
    const calls = callsReached(build(scenarios.basic!, 'pin').model);
    expect(calls).not.toContain('KVM_TDX_FINALIZE_VM -> -EINVAL');
    expect(calls).toContain(
      'TDH.MEM.PAGE.ADD gpa=0x0 -> TDX_SUCCESS (0x0000000000000000); nr_premapped--',
    );
  });

  it('a second INIT_MEM_REGION of a GFN is -EEXIST on both trees', () => {
    const twice: Scenario = {
      ...scenarios.basic!,
      ops: [
        { op: 'init-mem', gfn: 0 },
        { op: 'init-mem', gfn: 0 },
        { op: 'finalize' },
        { op: 'teardown' },
      ],
    };
    for (const tree of ['v6.17', 'series-v3'] as const)
      expect(callsReached(build(twice, 'nopin', tree).model)).toContain(
        'KVM_TDX_INIT_MEM_REGION gfn 0 -> -EEXIST',
      );
  });

  it('conversion-rfc: kvm_tdp_map_page’s kvm_gmem_get_pfn waits for the lock populate holds (the reported self-deadlock)', () => {
    const { model } = build(scenarios.basic!, 'nopin', 'conversion-rfc');
    const r = check(model);
    expect(r.violation).toMatchObject({ kind: 'liveness', property: 'vmm-completes' });
    // the VMM stuck after its first step; the rest of the lasso is the host's allocator
    expect(steps(r.violation!.trace).slice(0, 2)).toEqual(['init', 'vmm:tdx_vcpu_init_mem_region']);
    expect(r.violation!.trace.slice(2).every((t) => t.process === 'host')).toBe(true);
  });

  it('series-v3: a late INIT_MEM_REGION or FINALIZE waits while a vCPU is in KVM_RUN (tdx_vm_state_guard); v6.17 does not', () => {
    // After finalize the guest runs; a later INIT_MEM_REGION or FINALIZE is -EINVAL, but on
    // series-v3 only once the guard has every vCPU's mutex.
    const late: Scenario = {
      ...scenarios.basic!,
      ops: [
        { op: 'init-mem', gfn: 0 },
        { op: 'finalize' },
        { op: 'init-mem', gfn: 1 },
        { op: 'finalize' },
        { op: 'teardown' },
      ],
    };
    const inKvmRun = (k: Kernel, s: State) =>
      Array.from(
        { length: k.vcpus },
        (_, c) => s[k.v.inGuest + c] === 1 || s[k.v.vcpuPc + c] !== 0,
      ).some(Boolean);
    /** How many -EINVAL answers of each ioctl come while a vCPU is in KVM_RUN. */
    const whileRunning = (tree: TreeName) => {
      const { model, kernel } = build(late, 'nopin', tree);
      const n = { init: 0, finalize: 0 };
      for (const { s, action, next } of transitions(model)) {
        if (!inKvmRun(kernel, s)) continue;
        const a = model.actions[action]!;
        if (
          a.name === 'tdx_vcpu_init_mem_region' &&
          a.explain!(s, next).endsWith('gfn 1 -> -EINVAL')
        )
          n.init++;
        if (
          a.name === 'tdx_td_finalize' &&
          a.explain!(s, next) === 'KVM_TDX_FINALIZE_VM -> -EINVAL'
        )
          n.finalize++;
      }
      return n;
    };
    expect(whileRunning('series-v3')).toEqual({ init: 0, finalize: 0 });
    const v617 = whileRunning('v6.17');
    expect(v617.init).toBeGreaterThan(0);
    expect(v617.finalize).toBeGreaterThan(0);
  });

  it('finding: on series-v3 the host scenario’s INIT_MEM_REGION after finalize waits forever for a vCPU that stays in KVM_RUN', () => {
    const { model, kernel } = build(hostFamily.build({ vcpus: 1, pages: 1 }), 'nopin');
    const r = check(model);
    expect(r.distinctStates).toBe(3487);
    expect(r.violation).toMatchObject({
      kind: 'liveness',
      property: 'vmm-op-completes',
      loopStart: 5,
    });
    const trace = r.violation!.trace;
    expect(steps(trace)).toEqual([
      'init',
      'vmm:ioctl',
      'vmm:tdx_td_finalize',
      'vcpu0:tdx_vcpu_run',
      'vmm:ioctl',
      'host:alloc_pages',
      'host:__free_pages',
      'host:alloc_pages',
    ]);
    // the op the VMM chose is INIT_MEM_REGION, with the vCPU in the guest for ever after
    const chosen = model.actions[trace[4]!.actionIndex]!.explain!(trace[3]!.state, trace[4]!.state);
    expect(chosen).toBe('init-mem gfn 0');
    expect(trace.slice(3).map((t) => t.state[kernel.v.inGuest])).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('kvm_gmem_get_pfn and the invalidate lock, per tree', () => {
  /** States where a vCPU is in kvm_gmem_get_pfn while an invalidation holds the lock, and
   * whether the vCPU can go on there. */
  function faultsDuringInvalidation(tree: TreeName) {
    const { model, kernel: k } = build(scenarios.contention!, 'nopin', tree);
    const expander = new Expander(model);
    let blocked = 0;
    let retried = 0;
    const seen = new Set<string>();
    for (const { next } of transitions(model)) {
      const key = Buffer.from(next).toString('latin1');
      if (seen.has(key)) continue;
      seen.add(key);
      if (next[k.v.filemapLock] !== LOCK_EXCLUSIVE || next[k.v.vcpuPc] !== FAULT_PFN) continue;
      const fault = (s: State) =>
        expander.of(s, (a) => a.name === 'kvm_mmu_faultin_pfn' && a.process === 'vcpu0');
      const moves = fault(next);
      const unlocked = next.slice();
      unlocked[k.v.filemapLock] = 0;
      // waiting for the lock: it would go on were the lock free
      if (moves.length === 0 && fault(unlocked).length > 0) blocked++;
      else if (
        moves.some((m) => model.actions[m.action]!.explain!(next, m.next).endsWith('RET_PF_RETRY'))
      )
        retried++;
    }
    return { blocked, retried };
  }
  it('series-v3: a fault during an invalidation never sleeps on the lock, it retries', () => {
    const r = faultsDuringInvalidation('series-v3');
    expect(r.blocked).toBe(0);
    expect(r.retried).toBeGreaterThan(0);
  });
  it('conversion-rfc: the fault sleeps on the invalidate lock', () => {
    const r = faultsDuringInvalidation('conversion-rfc');
    expect(r.blocked).toBeGreaterThan(0);
    expect(r.retried).toBe(0);
  });
});
