import { describe, expect, it } from 'vitest';
import { callsReached, run, steps, system } from './helpers.js';

/** Which lock a TDX_OPERAND_BUSY names (its operand id, bits 31:0), per SEAMCALL. */
describe('TDX_OPERAND_BUSY carries the operand id of the busy lock', () => {
  const calls = [...callsReached(system({ scenario: 'contention', faults: 'busy=1' }))];
  const busy = (call: string) => calls.filter((c) => c.startsWith(call) && c.includes('BUSY'));

  it('BLOCK and REMOVE against a vCPU in the guest: the S-EPT tree lock (OPERAND_ID_SEPT_TREE)', () => {
    for (const call of ['TDH.MEM.RANGE.BLOCK gpa', 'TDH.MEM.PAGE.REMOVE gpa']) {
      expect(busy(call).length).toBeGreaterThan(0);
      for (const c of busy(call))
        expect(c).toContain('-> TDX_OPERAND_BUSY+SEPT_TREE (0x8000020000000092)');
    }
  });

  it('AUG: the S-EPT tree lock too', () => {
    expect(busy('TDH.MEM.PAGE.AUG')).toEqual([
      'TDH.MEM.PAGE.AUG gpa=0x0 level=4K -> TDX_OPERAND_BUSY+SEPT_TREE (0x8000020000000092)',
    ]);
  });

  it('no BUSY names the entry lock (RCX): the model has no holder of it', () => {
    expect(calls.filter((c) => c.includes('0x8000020000000001'))).toEqual([]);
  });
});

describe('retries as the kernel does them (tdh_do_no_vcpus)', () => {
  it('TRACK against a vCPU that may be entering: BUSY on the epoch lock (OPERAND_ID_TD_EPOCH), then the retry', () => {
    const calls = callsReached(system({ scenario: 'contention', faults: 'busy=1' }));
    expect(calls).toContain('TDH.MEM.TRACK -> TDX_OPERAND_BUSY+TD_EPOCH (0x80000200000000A9)');
    expect(calls).toContain(
      'TDH.MEM.TRACK (retry, vCPUs kept out) -> TDX_SUCCESS (0x0000000000000000)',
    );
  });

  it('a retry that fails again is TDX_BUG_ON; after a failed TRACK, REMOVE finds the tracking not done', () => {
    const calls = callsReached(system({ scenario: 'contention', faults: 'busy=1,retry-fails=1' }));
    const bug = '; KVM_BUG_ON: VM dead, vCPUs kicked';
    for (const [name, busy] of [
      [
        'TDH.MEM.RANGE.BLOCK',
        ' gpa=0x0 level=4K -> TDX_OPERAND_BUSY+SEPT_TREE (0x8000020000000092)',
      ],
      ['TDH.MEM.TRACK', ' -> TDX_OPERAND_BUSY+TD_EPOCH (0x80000200000000A9)'],
      [
        'TDH.MEM.PAGE.REMOVE',
        ' gpa=0x0 level=4K -> TDX_OPERAND_BUSY+SEPT_TREE (0x8000020000000092)',
      ],
    ])
      expect(calls).toContain(`${name} (retry, vCPUs kept out)${busy}${bug}`);
    expect(calls).toContain(
      'TDH.MEM.PAGE.REMOVE gpa=0x0 level=4K -> TDX_TLB_TRACKING_NOT_DONE (0xC0000B0800000001)',
    );
  });

  it('check: the first counterexample of contention with busy=1,retry-fails=1 (nopin frees the page the S-EPT still maps)', () => {
    const { result } = run({ scenario: 'contention', faults: 'busy=1,retry-fails=1' });
    expect(result).toMatchObject({ result: 'violation', distinctStates: 1986 });
    if (result.result !== 'violation') return;
    expect(result.violation.property).toBe('no-reuse-while-mapped');
    expect(steps(result.violation.trace).slice(-6)).toEqual([
      'vmm:kvm_gmem_invalidate_begin',
      'vmm:tdx_sept_remove_private_spte',
      'vmm:tdh_do_no_vcpus',
      'vmm:KVM_MMU_UNLOCK (write)',
      'vmm:truncate_inode_pages_range',
      'host:alloc_pages',
    ]);
  });
});
