import { describe, expect, it } from 'vitest';
import { run, steps } from './helpers.js';

describe('the TDX system without faults', () => {
  it.each([
    ['basic', 'pin', 1474],
    ['basic', 'nopin', 1468],
    ['convert', 'nopin', 4254],
    ['contention', 'pin', 4528],
    ['contention', 'nopin', 4528],
    ['teardown', 'pin', 1012],
    ['teardown', 'nopin', 1012],
  ])('%s with %s: every property holds, %i states', (scenario, policy, states) => {
    const { result } = run({ scenario, policy });
    expect(result.result).toBe('ok');
    expect(result.findings).toEqual([]);
    expect(result.distinctStates).toBe(states);
  });

  it('convert with pin: the split waits forever for a refcount the pin keeps up (a lasso)', () => {
    const { result } = run({ scenario: 'convert', policy: 'pin' });
    const v = result.violation!;
    expect(v).toMatchObject({
      kind: 'liveness',
      property: 'conversion-completes@op0',
      loopStart: 11,
    });
    expect(steps(v.trace)).toEqual([
      'init',
      'vcpu0:tdx_vcpu_run',
      'vcpu0:TDG.MEM.PAGE.ACCEPT',
      'vcpu0:kvm_mmu_faultin_pfn',
      'vcpu0:kvm_tdp_mmu_map',
      'vcpu0:tdx_sept_set_private_spte',
      'vcpu0:kvm_mmu_finish_page_fault',
      'vcpu0:tdx_vcpu_run',
      'vcpu0:TDG.MEM.PAGE.ACCEPT (retried after the fault)',
      'vmm:filemap_invalidate_lock',
      'vmm:kvm_gmem_invalidate_begin',
      'vmm:KVM_MMU_UNLOCK (write)',
      'vcpu0:TD exit (HLT or interrupt)',
      'vcpu0:tdx_vcpu_run',
    ]);
    // The loop runs with the guest and its pinned page, the VMM stuck before the split.
    const loop = v.trace[v.loopStart!]!.state;
    expect(Array.from(v.trace.at(-1)!.state)).toEqual(Array.from(loop));
    expect(v.fairness).toContain('SF(kvm_gmem_convert_range@vmm)');
  });

  it('convert with pin also breaks split-completes: the folio is never split', () => {
    const { result } = run({ scenario: 'convert', policy: 'pin', only: ['split-completes'] });
    expect(result.violation?.property).toBe('split-completes');
  });
});

describe('a failed REMOVE (a KVM or TDX module bug)', () => {
  it('without the pin: the frame is freed and reused while the S-EPT still maps it, after KVM_BUG_ON', () => {
    const { model, result } = run({ scenario: 'basic', policy: 'nopin', faults: 'remove-fails=1' });
    const v = result.violation!;
    expect(v).toMatchObject({ kind: 'invariant', property: 'no-reuse-while-mapped' });
    expect(steps(v.trace)).toEqual([
      'init',
      'vmm:tdx_vcpu_init_mem_region',
      'vmm:kvm_tdp_mmu_map_private_pfn',
      'vmm:tdh_mr_extend',
      'vmm:tdx_td_finalize',
      'vmm:filemap_invalidate_lock',
      'vmm:kvm_gmem_invalidate_begin',
      'vmm:tdx_sept_remove_private_spte',
      'vmm:tdx_track',
      'vmm:kvm_make_all_cpus_request',
      'vmm:tdx_sept_remove_private_spte',
      'vmm:KVM_MMU_UNLOCK (write)',
      'vmm:truncate_inode_pages_range',
      'host:alloc_pages',
    ]);
    const remove = v.trace[10]!;
    expect(model.actions[remove.actionIndex]!.explain!(v.trace[9]!.state, remove.state)).toBe(
      'TDH.MEM.PAGE.REMOVE gpa=0x0 level=4K -> TDX_EPT_ENTRY_STATE_INCORRECT (0xC0000B0D00000001); KVM_BUG_ON: VM dead, vCPUs kicked',
    );
    const last = model.view!(v.trace.at(-1)!.state);
    expect(last).toMatchObject({
      'kvm VM': 'BUGGED (dead)',
      'gfn 0 S-EPT': 'BLOCKED (blocked 1 TRACK ago)',
      'frame 0 PAMT': 'PT_REG',
      'frame 0 owner': 'HOST (reused)',
      'frame 0 cache': 'dirty lines under the HKID',
    });
  });

  it('with the pin: the page leaks instead (a finding, not a safety violation)', () => {
    const { model, result } = run({ scenario: 'basic', policy: 'pin', faults: 'remove-fails=1' });
    expect(result.result).toBe('ok');
    expect(result.violation).toBeUndefined();
    expect(result.findings.map((f) => [f.kind, f.property])).toEqual([
      ['leak', 'teardown-reclaims'],
    ]);
    const end = model.view!(result.findings[0]!.trace.at(-1)!.state);
    expect(end).toMatchObject({
      'td TDR': 'leaked',
      'frame 0 PAMT': 'PT_REG',
      'frame 0 refcount': '1 (tdx_pin 1)',
      'vmm op': 'done',
    });
  });

  it.each([
    ['basic', 'block-fails=1', 'no-reuse-while-mapped'],
    ['teardown', 'remove-fails=1', 'no-reuse-while-mapped'],
    ['contention', 'remove-fails=1', 'no-reuse-while-mapped'],
    ['convert', 'block-fails=1', 'no-private-and-shared-at-once'],
  ])('%s with %s and no pin breaks %s', (scenario, faults, property) => {
    expect(run({ scenario, policy: 'nopin', faults }).result.violation?.property).toBe(property);
  });
});

describe('faults the design must survive', () => {
  it.each([
    ['basic', 'transient-refs=2', 8874],
    ['convert', 'transient-refs=2', 44196],
    ['basic', 'busy=1', 3142],
    ['contention', 'busy=1', 9984],
    ['teardown', 'memory-failure=1', 10720],
  ])('%s with %s and no pin: ok, %i states', (scenario, faults, states) => {
    const { result } = run({ scenario, policy: 'nopin', faults });
    expect(result.result).toBe('ok');
    expect(result.distinctStates).toBe(states);
  });

  it("memory failure on one subpage of the huge folio unmaps the whole folio: the healthy subpage's data is lost", () => {
    const { result } = run({ scenario: 'convert', policy: 'nopin', faults: 'memory-failure=1' });
    expect(result.violation?.property).toBe('guest-data-kept');
  });
});
