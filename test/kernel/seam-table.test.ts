import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/index.js';
import { septStateNames, statuses, type StatusName } from '../../src/kernel/seam.js';
import { seamTable, type SeamRow, type TablePage } from '../../src/kernel/seam-table.js';
import {
  PT_NDA,
  PT_REG,
  TABLE_EPT,
  TABLE_FREED,
  TABLE_NONE,
  TABLE_ORPHAN,
  TD_BLOCKED,
  TD_KEYS_CONFIGURED,
  TD_OP_INITIALIZED,
  TD_OP_RUNNABLE,
  TD_TEARDOWN,
  PT_PAMT,
} from '../../src/kernel/vars.js';
import { nopin } from '../../src/policies/nopin.js';
import { basic } from '../../src/scenarios/basic.js';
import { dpamt } from '../../src/scenarios/dpamt.js';

const kernel = new Kernel({ scenario: basic, policy: nopin, faults: {}, hvo: false });
const v = kernel.v;
/** The same system with a TD that has no vCPU (for FINALIZE's TDX_NO_VCPUS). */
const noVcpus = new Kernel({
  scenario: { ...basic, vcpus: 0 },
  policy: nopin,
  faults: {},
  hvo: false,
});
/** Module 2.0: two frames in one 2M range (the dpamt scenario's). */
const dpamtKernel = new Kernel({ scenario: dpamt, policy: nopin, faults: {}, hvo: false });
/** The same system on tree hugepage-v3 with one huge range of 2 pages: a 2M level. */
const huge = new Kernel({
  scenario: { ...basic, hugeFolio: 2 },
  policy: nopin,
  faults: {},
  hvo: false,
  tree: 'hugepage-v3',
});
/** hugepage-v3 with module 2.0: the 2M level, Dynamic PAMT and the kernel block K. */
const hugeDpamt = new Kernel({
  scenario: { ...basic, hugeFolio: 2 },
  policy: nopin,
  faults: {},
  hvo: false,
  tree: 'hugepage-v3',
  module: '2.0',
});
const tables: Record<TablePage, number> = {
  NONE: TABLE_NONE,
  EPT: TABLE_EPT,
  ORPHAN: TABLE_ORPHAN,
  FREED: TABLE_FREED,
};
const lifecycles = {
  KEYS_CONFIGURED: TD_KEYS_CONFIGURED,
  BLOCKED: TD_BLOCKED,
  TEARDOWN: TD_TEARDOWN,
} as const;

/** A state with the row's preconditions on gfn 0, and the SEAMCALL applied to it. A row of
 * the 2M level (or any row with `below`, a 2M entry over GFN 0) runs on `huge`. */
function apply(row: SeamRow, below?: 'NL_MAPPED'): Record<string, unknown> {
  const entry2m = row.entry2m ?? below;
  const k = row.module
    ? row.entry2m
      ? hugeDpamt
      : dpamtKernel
    : row.noVcpus
      ? noVcpus
      : entry2m
        ? huge
        : kernel;
  const v = k.v;
  const t = new Uint8Array(v.size);
  t[v.tdOpState] = row.td === 'RUNNABLE' ? TD_OP_RUNNABLE : TD_OP_INITIALIZED;
  t[v.tdLifecycle] =
    row.lifecycle === 'BLOCKED'
      ? TD_BLOCKED
      : row.lifecycle === 'TEARDOWN'
        ? TD_TEARDOWN
        : TD_KEYS_CONFIGURED;
  t[v.sept] = septStateNames.indexOf(row.entry);
  t[v.pamt] = (row.pamtReg ?? row.entry !== 'FREE') ? PT_REG : PT_NDA;
  t[v.blockAge] = row.tracked ? 2 : 0;
  if (row.vcpuInPreviousEpoch) {
    t[v.inGuest] = 1;
    t[v.entryAge] = 1;
  }
  if (row.vcpuInGuest) t[v.inGuest] = 1;
  // the frame block's 2M PAMT entry: a node over a pair, a 2M TD page, or neither
  t[v.pamt2m] = row.pair ? PT_PAMT : row.pamt2mReg ? PT_REG : PT_NDA;
  if (row.neighbourInUse) t[v.pamt + 1] = PT_REG;
  if (row.kernelPair) t[v.pamt2m + v.kernelBlock] = PT_PAMT;
  if (row.pairNotFree) t[v.pamtPair] = 1;
  if (entry2m) {
    t[v.sept2m] = septStateNames.indexOf(entry2m);
    t[v.blockAge2m] = row.tracked ? 2 : 0;
    t[v.table] = tables[row.table ?? 'NONE'];
  }
  const at2m = <T>(a: () => T, b: () => T) => (row.level2m ? b : a);
  const calls: Record<SeamRow['call'], () => number> = {
    'TDH.MEM.PAGE.AUG': at2m(
      () => k.seam.pageAug(t, 0, 0),
      () => k.seam.pageAug2m(t, 0),
    ),
    'TDH.MEM.PAGE.ADD': () => k.seam.pageAdd(t, 0, 0),
    'TDH.MEM.RANGE.BLOCK': at2m(
      () => k.seam.rangeBlock(t, 0),
      () => k.seam.rangeBlock2m(t, 0),
    ),
    'TDH.MEM.TRACK': () => k.seam.track(t),
    'TDH.MEM.PAGE.REMOVE': at2m(
      () => k.seam.pageRemove(t, 0, 0),
      () => k.seam.pageRemove2m(t, 0),
    ),
    'TDH.PHYMEM.PAGE.WBINVD': () => k.seam.pageWbinvd(t, 0),
    'TDG.MEM.PAGE.ACCEPT': at2m(
      () => k.seam.guestAccept(t, 0),
      () => k.seam.guestAccept2m(t, 0),
    ),
    'TDH.MR.FINALIZE': () => k.seam.finalize(t),
    'TDH.PHYMEM.PAGE.RECLAIM': () => k.seam.reclaimTdr(t),
    'TDH.PHYMEM.PAGE.RECLAIM (page)': () => k.seam.pageReclaim(t, row.tail ? 1 : 0),
    'TDH.PHYMEM.PAGE.RECLAIM (table)': () => k.seam.tableReclaim(t, 0),
    'TDH.MEM.SEPT.ADD': () => k.seam.septAdd(t, 0),
    'TDH.MEM.PAGE.DEMOTE': () => k.seam.demote(t, 0, row.interrupted),
    'TDH.MNG.VPFLUSHDONE': () => k.seam.vpFlushDone(t),
    'TDH.PHYMEM.CACHE.WB': () => k.seam.cacheWb(t),
    'TDH.MNG.KEY.FREEID': () => k.seam.keyFreeId(t),
    'TDH.PHYMEM.PAMT.ADD': () => k.seam.pamtAdd(t, 0),
    'TDH.PHYMEM.PAMT.REMOVE': () => k.seam.pamtRemove(t, 0),
  };
  const code = calls[row.call]();
  const lifecycle = Object.entries(lifecycles).find(([, l]) => l === t[v.tdLifecycle])![0];
  const out = {
    status: statuses[code]![0],
    entry: septStateNames[t[v.sept]!]!,
    lifecycle,
    ...(row.module
      ? {
          pair: t[v.pamt2m] === PT_PAMT,
          hint: row.call === 'TDH.MEM.PAGE.REMOVE' && k.seam.pamtRemovalHint(t, 0),
        }
      : {}),
  };
  if (!row.entry2m) return out;
  return {
    ...out,
    entry2m: septStateNames[t[v.sept2m]!],
    pamt2mReg: t[v.pamt2m] === PT_REG,
    table: Object.entries(tables).find(([, x]) => x === t[v.table])![0],
  };
}

const expected = (row: SeamRow): Record<string, unknown> => {
  const out = {
    status: row.status,
    entry: row.next ?? row.entry,
    lifecycle: row.lifecycleNext ?? row.lifecycle ?? 'KEYS_CONFIGURED',
    ...(row.module ? { pair: row.pairNext ?? row.pair ?? false, hint: row.hint ?? false } : {}),
  };
  if (!row.entry2m) return out;
  return {
    ...out,
    entry2m: row.next2m ?? row.entry2m,
    pamt2mReg: row.pamt2mNext ?? row.pamt2mReg ?? false,
    table: row.tableNext ?? row.table ?? 'NONE',
  };
};
const rowName = (row: SeamRow) =>
  `${row.module ? `module ${row.module}${row.pair ? ' (pair)' : ' (no pair)'}${row.neighbourInUse ? ' (frame 1 in use)' : ''}${row.kernelPair ? ' (S-EPT pages have a pair)' : ''}${row.pairNotFree ? ' (R12/R13 not free)' : ''}: ` : ''}${row.call}${row.level2m ? ' at 2M' : ''}, TD ${row.td}${row.lifecycle ? ` ${row.lifecycle}` : ''}${row.entry2m ? `, 2M entry ${row.entry2m}${row.pamt2mReg ? ' (2M PT_REG)' : ''}${row.table ? `, table ${row.table}` : ''}${row.tail ? ', tail frame' : ''}${row.interrupted ? ', an interrupt pending' : ''}` : ''}, entry ${row.entry}${row.tracked === false ? ' untracked' : ''}${row.vcpuInPreviousEpoch ? ', a vCPU in the previous epoch' : ''}${row.vcpuInGuest ? ', a vCPU in the guest' : ''}${row.noVcpus ? ', no vCPU' : ''} -> ${row.status}${row.next ? `, ${row.next}` : ''}${row.next2m ? `, 2M ${row.next2m}` : ''}${row.lifecycleNext ? `, lifecycle ${row.lifecycleNext}` : ''}`;

describe('the TDX module, cell by cell', () => {
  it.each(seamTable.map((row) => [rowName(row), row] as const))('%s', (_, row) => {
    expect(apply(row)).toEqual(expected(row));
  });

  it('on hugepage-v3, every 4K row holds unchanged below a table (2M entry NL_MAPPED)', () => {
    for (const row of seamTable.filter((r) => !r.entry2m && !r.noVcpus))
      expect([rowName(row), apply(row, 'NL_MAPPED')]).toEqual([rowName(row), expected(row)]);
  });

  it('the TD’s child count: a 2M page counts N, a table page 1 (M7, M9)', () => {
    const v = huge.v;
    const t = new Uint8Array(v.size);
    t[v.tdOpState] = TD_OP_RUNNABLE;
    expect(statuses[huge.seam.pageAug2m(t, 0)]![0]).toBe('TDX_SUCCESS');
    expect(huge.seam.childCount(t)).toBe(2);
    t[v.sept2m] = septStateNames.indexOf('BLOCKED');
    t[v.blockAge2m] = 2;
    expect(statuses[huge.seam.demote(t, 0)]![0]).toBe('TDX_SUCCESS');
    // the 4K PAMT entries of both frames took the 2M page, plus the table page
    expect([t[v.pamt], t[v.pamt + 1], t[v.pamt2m], huge.seam.childCount(t)]).toEqual([
      PT_REG,
      PT_REG,
      PT_NDA,
      3,
    ]);
    expect(septStateNames[t[v.sept + 1]!]).toBe('MAPPED');
  });

  it('error codes carry their real values (bits 63:32 as KVM compares them)', () => {
    const value = (name: string) => statuses.find(([n]) => n === name)![1];
    expect(value('TDX_OPERAND_BUSY+SEPT_TREE')).toBe('0x8000020000000092'); // OPERAND_ID_SEPT_TREE 146
    expect(value('TDX_PAGE_METADATA_INCORRECT+RCX')).toBe('0xC000030000000001');
    expect(value('TDX_PAGE_METADATA_INCORRECT+R8')).toBe('0xC000030000000008');
    expect(value('TDX_PAGE_ALREADY_ACCEPTED')).toBe('0x00000B0A00000000');
    expect(value('TDX_FLUSHVP_NOT_DONE')).toBe('0x8000082400000000');
    expect(value('TDX_NO_VCPUS')).toBe('0xC000060900000000');
    expect(value('TDX_NO_HKID_READY_TO_WBCACHE')).toBe('0x0000082100000000');
    expect(value('TDX_EPT_ENTRY_STATE_INCORRECT').slice(0, 10)).toBe('0xC0000B0D');
    expect(value('TDX_TLB_TRACKING_NOT_DONE').slice(0, 10)).toBe('0xC0000B08');
    expect(value('TDX_GPA_RANGE_NOT_BLOCKED').slice(0, 10)).toBe('0xC0000B06');
    expect(value('TDX_TD_ASSOCIATED_PAGES_EXIST')).toBe('0xC000040000000000');
    // Dynamic PAMT (2.0 line include/auto_gen_2_0/tdx_error_codes_defs.h, huge-pages.md M22)
    expect(value('TDX_MISSING_PAMT_PAGE_PAIR+R8')).toBe('0x8000030800000008');
    expect(value('TDX_HPA_RANGE_NOT_FREE+RCX')).toBe('0xC000030400000001');
    expect(value('TDX_NO_PAMT_PAGE_PAIR+RCX')).toBe('0xC000030500000001');
    expect(value('TDX_PAMT_PAGE_NOT_EMPTY+1')).toBe('0xC000030600000001');
  });

  it('covers every SEAMCALL the model makes', () => {
    expect(new Set(seamTable.map((r) => r.call)).size).toBe(18);
    expect(seamTable).toHaveLength(75 + 68 + 12 + 6); // 4K, 2M, Dynamic PAMT, Dynamic PAMT at 2M
  });

  it('RECLAIM of an ordinary page gives it back: PT_NDA, the TD owns one page fewer', () => {
    const t = new Uint8Array(v.size);
    t[v.tdOpState] = TD_OP_RUNNABLE;
    t[v.tdLifecycle] = TD_TEARDOWN;
    t[v.pamt] = PT_REG;
    t[v.pamt + 1] = PT_REG;
    expect(kernel.seam.childCount(t)).toBe(2);
    expect(statuses[kernel.seam.pageReclaim(t, 0)]![0]).toBe('TDX_SUCCESS');
    expect([t[v.pamt], kernel.seam.childCount(t)]).toEqual([PT_NDA, 1]);
    expect(statuses[kernel.seam.pageReclaim(t, 0)]![0]).toBe('TDX_PAGE_METADATA_INCORRECT+RCX');
  });
});
