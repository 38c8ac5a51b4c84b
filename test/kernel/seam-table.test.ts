import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/index.js';
import { septStateNames, statuses, type StatusName } from '../../src/kernel/seam.js';
import { seamTable, type SeamRow } from '../../src/kernel/seam-table.js';
import { PT_NDA, PT_REG, TD_BLOCKED, TD_KEYS_CONFIGURED, TD_OP_INITIALIZED, TD_OP_RUNNABLE, TD_TEARDOWN } from '../../src/kernel/vars.js';
import { nopin } from '../../src/policies/nopin.js';
import { basic } from '../../src/scenarios/basic.js';

const k = new Kernel({ scenario: basic, policy: nopin, faults: {}, hvo: false });
const v = k.v;

/** A state with the row's preconditions on gfn 0, and the SEAMCALL applied to it. */
function apply(row: SeamRow): { status: StatusName; entry: string } {
  const t = new Uint8Array(v.size);
  t[v.tdOpState] = row.td === 'RUNNABLE' ? TD_OP_RUNNABLE : TD_OP_INITIALIZED;
  t[v.tdLifecycle] = row.lifecycle === 'BLOCKED' ? TD_BLOCKED : row.lifecycle === 'TEARDOWN' ? TD_TEARDOWN : TD_KEYS_CONFIGURED;
  t[v.sept] = septStateNames.indexOf(row.entry);
  t[v.pamt] = (row.pamtReg ?? row.entry !== 'FREE') ? PT_REG : PT_NDA;
  t[v.blockAge] = row.tracked ? 2 : 0;
  if (row.vcpuInPreviousEpoch) {
    t[v.inGuest] = 1;
    t[v.entryAge] = 1;
  }
  const calls: Record<SeamRow['call'], () => number> = {
    'TDH.MEM.PAGE.AUG': () => k.seam.pageAug(t, 0),
    'TDH.MEM.PAGE.ADD': () => k.seam.pageAdd(t, 0),
    'TDH.MEM.RANGE.BLOCK': () => k.seam.rangeBlock(t, 0),
    'TDH.MEM.TRACK': () => k.seam.track(t),
    'TDH.MEM.PAGE.REMOVE': () => k.seam.pageRemove(t, 0),
    'TDH.PHYMEM.PAGE.WBINVD': () => k.seam.pageWbinvd(t, 0),
    'TDG.MEM.PAGE.ACCEPT': () => k.seam.guestAccept(t, 0),
    'TDH.MR.FINALIZE': () => k.seam.finalize(t),
    'TDH.PHYMEM.PAGE.RECLAIM': () => k.seam.reclaimTdr(t),
    'TDH.PHYMEM.PAGE.RECLAIM (page)': () => k.seam.pageReclaim(t, 0),
  };
  const code = calls[row.call]();
  return { status: statuses[code]![0], entry: septStateNames[t[v.sept]!]! };
}

describe('the TDX module, cell by cell', () => {
  it.each(seamTable.map((row) => [`${row.call}, TD ${row.td}${row.lifecycle ? ` ${row.lifecycle}` : ''}, entry ${row.entry}${row.tracked === false ? ' untracked' : ''}${row.vcpuInPreviousEpoch ? ', a vCPU in the previous epoch' : ''} -> ${row.status}${row.next ? `, ${row.next}` : ''}`, row] as const))(
    '%s',
    (_, row) => {
      expect(apply(row)).toEqual({ status: row.status, entry: row.next ?? row.entry });
    },
  );

  it('error codes carry their real values (bits 63:32 as KVM compares them)', () => {
    const value = (name: string) => statuses.find(([n]) => n === name)![1];
    expect(value('TDX_OPERAND_BUSY').slice(0, 10)).toBe('0x80000200');
    expect(value('TDX_EPT_ENTRY_STATE_INCORRECT').slice(0, 10)).toBe('0xC0000B0D');
    expect(value('TDX_TLB_TRACKING_NOT_DONE').slice(0, 10)).toBe('0xC0000B08');
    expect(value('TDX_GPA_RANGE_NOT_BLOCKED').slice(0, 10)).toBe('0xC0000B06');
    expect(value('TDX_TD_ASSOCIATED_PAGES_EXIST')).toBe('0xC000040000000000');
  });

  it('covers every SEAMCALL the model makes', () => {
    expect(new Set(seamTable.map((r) => r.call)).size).toBe(10);
    expect(seamTable).toHaveLength(64);
  });

  it('RECLAIM of an ordinary page gives it back: PT_NDA, the TD owns one page fewer', () => {
    const t = new Uint8Array(v.size);
    t[v.tdOpState] = TD_OP_RUNNABLE;
    t[v.tdLifecycle] = TD_TEARDOWN;
    t[v.pamt] = PT_REG;
    t[v.pamt + 1] = PT_REG;
    expect(k.seam.childCount(t)).toBe(2);
    expect(statuses[k.seam.pageReclaim(t, 0)]![0]).toBe('TDX_SUCCESS');
    expect([t[v.pamt], k.seam.childCount(t)]).toEqual([PT_NDA, 1]);
    expect(statuses[k.seam.pageReclaim(t, 0)]![0]).toBe('TDX_PAGE_METADATA_INCORRECT');
  });
});
