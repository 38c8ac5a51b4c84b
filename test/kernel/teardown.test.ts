import { describe, expect, it } from 'vitest';
import { check, type Model, type State, type TraceStep } from '../../src/engine/index.js';
import {
  buildSystem,
  Kernel,
  parseFaults,
  type KernelConfig,
  type Mutation,
  type Scenario,
} from '../../src/kernel/index.js';
import { Expander } from '../../src/engine/successors.js';
import { VMM_EVICT } from '../../src/kernel/programs.js';
import { ATTR_SHARED } from '../../src/kernel/vars.js';
import { policies } from '../../src/policies/index.js';
import { scenarios } from '../../src/scenarios/index.js';
import { hostFamily } from '../../src/scenarios/host.js';
import { teardownFamily } from '../../src/scenarios/teardown.js';
import { steps } from './helpers.js';

/** The teardown scenario with its close order: 1 the VM fd first, 2 guest_memfd first. */
const closing = (close: number) => teardownFamily.build({ vcpus: 1, pages: 2, close });

function config(
  scenario: Scenario,
  policy: string,
  faults = '',
  mutations: Mutation[] = [],
): KernelConfig {
  return {
    scenario,
    policy: policies[policy]!,
    faults: parseFaults(faults),
    hvo: false,
    mutations: new Set(mutations),
  };
}

/** The shortest trace to a state where `where` holds (a probe invariant's counterexample). */
function traceTo(model: Model, where: (s: State) => boolean): TraceStep[] {
  const probe = {
    ...model,
    invariants: [{ name: 'probe', doc: '', check: (s: State) => !where(s) }],
  };
  const r = check(probe, { liveness: false });
  expect(r.violation?.property).toBe('probe');
  return r.violation!.trace;
}

/** Each step's call text, as the trace prints it. */
function calls(model: Model, trace: readonly TraceStep[]): string[] {
  return trace
    .slice(1)
    .map((t, i) => model.actions[t.actionIndex]!.explain?.(trace[i]!.state, t.state) ?? '');
}

describe('teardown as the kernel does it (virt/kvm/guest_memfd.c kvm_gmem_release, kvm_destroy_vm)', () => {
  it.each([
    [
      2,
      ['vmm:kvm_gmem_invalidate_end', 'vmm:kvm_put_kvm'],
      'the VM fd still holds the VM',
      { td: 'RUNNABLE, KEYS_CONFIGURED', 'kvm VM fd': 'open' },
    ],
    [
      1,
      [
        'vmm:kvm_gmem_invalidate_end',
        'vmm:kvm_put_kvm',
        'vmm:tdx_mmu_release_hkid',
        'vmm:tdx_reclaim_td_control_pages',
      ],
      'the last reference: kvm_destroy_vm',
      { td: 'RUNNABLE, TEARDOWN', 'td TDR': 'reclaimed', 'kvm VM fd': 'closed' },
    ],
  ] as const)(
    'close=%i: release zaps, unbinds and ends the invalidation with the folio still in the file; the eviction frees it',
    (close, tail, put, td) => {
      const c = config(closing(close), 'nopin');
      const k = new Kernel(c);
      const model = buildSystem(c);
      const trace = traceTo(model, (s) => s[k.v.vmmPc] === VMM_EVICT && s[k.v.present + 1] === 1);
      const names = steps(trace);
      const release = names.indexOf('vmm:kvm_gmem_release');
      // the last zap (WBINVD and clear), then the unlock, the release's own work, invalidate_end
      expect(names.slice(release - 2, release + 1)).toEqual([
        'vmm:tdx_sept_remove_private_spte',
        'vmm:KVM_MMU_UNLOCK (write)',
        'vmm:kvm_gmem_release',
      ]);
      expect(names.slice(release + 1)).toEqual(tail);
      const said = calls(model, trace);
      expect(said[release - 1]).toBe(
        'bindings unlinked; no truncate: the folios stay with the inode',
      );
      expect(said[release]).toBe('kvm_mmu_invalidate_end; filemap_invalidate_unlock');
      expect(said[release + 1]).toBe(put);
      expect(model.view!(trace.at(-1)!.state)).toMatchObject({
        ...td,
        'gmem file': 'released (inode not yet evicted)',
        'gfn 1': 'private, in file',
        'frame 1 owner': 'guest_memfd',
        'frame 1 refcount': '1 (page_cache 1)',
        'vmm at': 'evict inode',
      });
      // The VMM's only step from there is the eviction, which frees the folio.
      const next = new Expander(model)
        .of(trace.at(-1)!.state, (a) => a.process === 'vmm')
        .map((x) => [model.actions[x.action]!.name, x.next] as const);
      expect(next.map(([name]) => name)).toEqual(['evict']);
      expect(model.view!(next[0]![1])).toMatchObject({
        'gmem file': 'inode evicted',
        'gfn 1': 'private, not in file',
        'frame 1 owner': 'free',
        'frame 1 refcount': '0',
      });
    },
  );

  it('a failed REMOVE at release with guest_memfd closed last: freed after HKID release, written back but never reset: flush-and-clear-before-reuse, and the TDR leaks', () => {
    const model = buildSystem(config(closing(1), 'nopin', 'remove-fails=1'));
    const r = check(model, {});
    expect(r).toMatchObject({ result: 'violation', distinctStates: 610 });
    expect(r.violation!.property).toBe('flush-and-clear-before-reuse');
    expect(r.findings.map((f) => f.property)).toEqual(['teardown-reclaims']);
    expect(steps(r.violation!.trace).slice(-9)).toEqual([
      'vmm:tdx_sept_remove_private_spte',
      'vmm:KVM_MMU_UNLOCK (write)',
      'vmm:kvm_gmem_release',
      'vmm:kvm_gmem_invalidate_end',
      'vmm:kvm_put_kvm',
      'vmm:tdx_mmu_release_hkid',
      'vmm:tdx_reclaim_td_control_pages',
      'vmm:evict',
      'host:alloc_pages',
    ]);
    expect(model.view!(r.violation!.trace.at(-1)!.state)).toMatchObject({
      td: 'RUNNABLE, TEARDOWN',
      'td TDR': 'leaked',
      'frame 0 PAMT': 'PT_REG',
      'frame 0 owner': 'HOST (reused)',
      'frame 0 cache': 'written back, TD-bit lines not reset',
    });
  });

  it('the same with guest_memfd closed first: the frame is freed while the HKID is live: no-reuse-while-mapped', () => {
    const model = buildSystem(config(closing(2), 'nopin', 'remove-fails=1'));
    const r = check(model, {});
    expect(r).toMatchObject({ result: 'violation', distinctStates: 534 });
    expect(r.violation!.property).toBe('no-reuse-while-mapped');
    expect(steps(r.violation!.trace).slice(-5)).toEqual([
      'vmm:kvm_gmem_release',
      'vmm:kvm_gmem_invalidate_end',
      'vmm:kvm_put_kvm',
      'vmm:evict',
      'host:alloc_pages',
    ]);
    expect(model.view!(r.violation!.trace.at(-1)!.state)).toMatchObject({
      td: 'RUNNABLE, KEYS_CONFIGURED',
      'kvm VM fd': 'open',
      'frame 0 PAMT': 'PT_REG',
      'frame 0 owner': 'HOST (reused)',
      'frame 0 cache': 'dirty lines under the HKID',
    });
  });
});

describe('teardown does not wait for a guest access to a GFN that went shared', () => {
  // The guest's ACCEPT of gfn 0 faults, the VMM converts gfn 0 to shared, then tears down. The
  // access can no longer be served: in the kernel its retry ends KVM_RUN with
  // KVM_EXIT_MEMORY_FAULT (kvm_mmu_faultin_pfn), so the VMM's teardown does not wait for it.
  const shared: Scenario = {
    ...hostFamily.build({ vcpus: 1, pages: 1 }),
    vmm: 'script',
    ops: [{ op: 'finalize' }, { op: 'to-shared', gfns: [0] }, { op: 'teardown' }],
  };
  const c = config(shared, 'nopin');
  const model = buildSystem(c);
  it('every run of finalize, a conversion to shared and teardown finishes', () => {
    expect(check(model, {})).toMatchObject({ result: 'ok', distinctStates: 548 });
  });
  it('with the access still waiting on gfn 0, now shared, the VMM stops the vCPUs', () => {
    const k = new Kernel(c);
    const trace = traceTo(
      model,
      (s) =>
        s[k.v.need] === 1 && s[k.v.vmmOp] === 2 && s[k.v.attr] === ATTR_SHARED && !s[k.v.inGuest],
    );
    const at = trace.at(-1)!.state;
    const vmm = new Expander(model)
      .of(at, (a) => a.process === 'vmm')
      .map((x) => model.actions[x.action]!.name);
    expect(vmm).toEqual(['kvm_vcpu_kick']);
  });
  it('fault-served: an access to a GFN that went shared ends (an exit to userspace), even with no teardown after', () => {
    const noTeardown = { ...shared, ops: shared.ops.slice(0, 2) };
    expect(check(buildSystem(config(noTeardown, 'nopin')), {})).toMatchObject({
      result: 'ok',
      distinctStates: 219,
    });
  });
});

describe('reclaim-after-teardown (ours): reference, list, RECLAIM after HKID release', () => {
  it('basic with a failed REMOVE: ok, every frame and the TDR given back; ref-on-zap-failure leaks instead', () => {
    const mine = check(
      buildSystem(config(scenarios.basic!, 'reclaim-after-teardown', 'remove-fails=1')),
      {},
    );
    expect(mine).toMatchObject({ result: 'ok', distinctStates: 2873, findings: [] });
    const ref = check(
      buildSystem(config(scenarios.basic!, 'ref-on-zap-failure', 'remove-fails=1')),
      {},
    );
    expect(ref).toMatchObject({ result: 'ok', distinctStates: 2535 });
    expect(ref.findings.map((f) => [f.kind, f.property])).toEqual([['leak', 'teardown-reclaims']]);
  });

  it('the hook RECLAIMs the frame whose REMOVE failed, clears it and drops the reference: it is freed clean', () => {
    const c = config(scenarios.basic!, 'reclaim-after-teardown', 'remove-fails=1');
    const k = new Kernel(c);
    const model = buildSystem(c);
    const trace = traceTo(model, (s) => k.script.done(s) && s[k.v.budgetRemoveFails] === 0);
    const names = steps(trace);
    const hook = names.indexOf('vmm:tdx_vm_destroy');
    expect(names.slice(hook - 1)).toEqual([
      'vmm:tdx_mmu_release_hkid',
      'vmm:tdx_vm_destroy',
      'vmm:tdx_reclaim_td_control_pages',
      'vmm:evict',
    ]);
    expect(calls(model, trace).slice(hook - 1, hook + 1)).toEqual([
      "reclaim-after-teardown's teardown hook: TDH.PHYMEM.PAGE.RECLAIM pfn 0 -> TDX_SUCCESS (0x0000000000000000)",
      'TDH.PHYMEM.PAGE.RECLAIM (TDR) -> TDX_SUCCESS (0x0000000000000000)',
    ]);
    expect(model.view!(trace.at(-1)!.state)).toMatchObject({
      'td TDR': 'reclaimed',
      'frame 0 PAMT': 'PT_NDA',
      'frame 0 owner': 'free',
      'frame 0 refcount': '0',
      'frame 0 cache': 'clean',
      'vmm op': 'done',
    });
  });

  it('mutation reclaim-before-hkid-release: RECLAIM answers TDX_LIFECYCLE_STATE_INCORRECT, the reference stays: a leak', () => {
    const c = config(scenarios.basic!, 'reclaim-after-teardown', 'remove-fails=1', [
      'reclaim-before-hkid-release',
    ]);
    const model = buildSystem(c);
    const r = check(model, {});
    expect(r).toMatchObject({ result: 'ok', distinctStates: 2662 });
    const leak = r.findings[0]!;
    expect(leak.property).toBe('teardown-reclaims');
    const names = steps(leak.trace);
    const hook = names.indexOf('vmm:tdx_vm_destroy');
    expect(names[hook + 1]).toBe('vmm:tdx_mmu_release_hkid');
    expect(calls(model, leak.trace)[hook - 1]).toBe(
      "reclaim-after-teardown's teardown hook: TDH.PHYMEM.PAGE.RECLAIM pfn 0 -> TDX_LIFECYCLE_STATE_INCORRECT (0xC000060700000000)",
    );
    expect(model.view!(leak.trace.at(-1)!.state)).toMatchObject({
      'td TDR': 'leaked',
      'frame 0 PAMT': 'PT_REG',
      'frame 0 refcount': '1 (tdx_pin 1)',
    });
  });
});
