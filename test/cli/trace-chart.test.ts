import { describe, expect, it } from 'vitest';
import { parseCall, traceChart, type ChartTrace } from '../../src/cli/trace-chart.js';

describe('the chart read from a trace', () => {
  it.each([
    [
      'tdx_gmem_post_populate',
      'KVM_TDX_INIT_MEM_REGION: TDH.MEM.PAGE.ADD gpa=0x0 -> TDX_SUCCESS',
      ['TDH.MEM.PAGE.ADD'],
      'TDX_SUCCESS',
    ],
    [
      'tdx_sept_remove_private_spte',
      'TDH.MEM.PAGE.REMOVE gpa=0x0 level=4K -> TDX_EPT_ENTRY_STATE_INCORRECT (0xC0000B0D00000001); KVM_BUG_ON: VM dead',
      ['TDH.MEM.PAGE.REMOVE'],
      'TDX_EPT_ENTRY_STATE_INCORRECT',
    ],
    [
      'tdx_mmu_release_hkid',
      'TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB, TDH.MNG.KEY.FREEID -> TDX_SUCCESS (0x0000000000000000)',
      ['TDH.MNG.VPFLUSHDONE', 'TDH.PHYMEM.CACHE.WB', 'TDH.MNG.KEY.FREEID'],
      'TDX_SUCCESS',
    ],
    [
      'TDG.MEM.PAGE.ACCEPT',
      'gpa=0x0 -> TD exit: EPT violation (EEQ ACCEPT)',
      ['TDG.MEM.PAGE.ACCEPT'],
      'TD exit: EPT violation',
    ],
    ['tdx_vcpu_run', 'TDH.VP.ENTER', ['TDH.VP.ENTER'], undefined],
    ['tdx_track', 'TD not runnable: no TDH.MEM.TRACK', [], undefined],
    ['kvm_gmem_invalidate_begin', 'KVM_MMU_LOCK (write); kvm_mmu_invalidate_begin', [], undefined],
  ])('%s: %s', (action, call, leaves, status) => {
    expect(parseCall(action, call)).toEqual({
      leaves,
      ...(status !== undefined ? { status } : {}),
    });
  });

  it('gives each read hold of a lock to the process whose step took it, and a write hold still held at the end', () => {
    const at = (process: string | null, lock: string) => ({
      action: process ? 'step' : null,
      process,
      state: { 'kvm mmu_lock': lock },
    });
    const t: ChartTrace = {
      kind: 'invariant',
      property: 'p',
      steps: [
        at(null, 'free'),
        at('vcpu0', 'read x1'),
        at('vcpu1', 'read x2'),
        at('vcpu0', 'read x1'),
        at('vcpu1', 'free'),
        at('vmm', 'write'),
      ],
    };
    const c = traceChart(t);
    expect(c.locks).toEqual([
      { lock: 'mmu_lock', holder: 'vcpu0', mode: 'read', from: 1, to: 3, held: false },
      { lock: 'mmu_lock', holder: 'vcpu1', mode: 'read', from: 2, to: 4, held: false },
      { lock: 'mmu_lock', holder: 'vmm', mode: 'write', from: 5, to: 5, held: true },
    ]);
    expect(c.lanes).toEqual([
      { name: 'vcpu0', kind: 'process' },
      { name: 'vcpu1', kind: 'process' },
      { name: 'vmm', kind: 'process' },
    ]);
    expect(c.broken).toBe(5);
  });
});
