import { describe, expect, it } from 'vitest';
import { callsReached, system } from './helpers.js';

/** Which lock a TDX_OPERAND_BUSY names (its operand id, bits 31:0), per SEAMCALL. */
describe('TDX_OPERAND_BUSY carries the operand id of the busy lock', () => {
  const calls = [...callsReached(system({ scenario: 'contention', faults: 'busy=1' }))];
  const busy = (call: string) => calls.filter((c) => c.startsWith(call) && c.includes('BUSY'));

  it('BLOCK and REMOVE against a vCPU in the guest: the S-EPT tree lock (OPERAND_ID_SEPT_TREE)', () => {
    for (const call of ['TDH.MEM.RANGE.BLOCK gpa', 'TDH.MEM.PAGE.REMOVE gpa']) {
      expect(busy(call).length).toBeGreaterThan(0);
      for (const c of busy(call)) expect(c).toContain('-> TDX_OPERAND_BUSY+SEPT_TREE (0x8000020000000092)');
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
