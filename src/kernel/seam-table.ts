/**
 * The SEAMCALL semantics the model uses, as one table: S-EPT entry state x TD state x SEAMCALL
 * -> status and new entry state. Every row names its source: the TDX module 1.5.01 source file
 * and the API leaf number (TDX module ABI, "API functions", by leaf), and the section of
 * ../shared/reference/tdx-module.md that reads it. The ABI specification's own section numbers
 * were not available to us (tdx-module.md section 0). test/kernel/seam-table.test.ts runs every
 * row against src/kernel/seam.ts.
 */
import type { StatusName } from './seam.js';

export type EntryState = 'FREE' | 'PENDING' | 'MAPPED' | 'BLOCKED' | 'PENDING_BLOCKED';
/** The 2M-level entry of a huge range: a leaf state, or NL_MAPPED (a table of 4K entries). */
export type Entry2m = EntryState | 'NL_MAPPED';
/** A range's S-EPT table page: the module's (PT_EPT), or KVM's that the module never took. */
export type TablePage = 'NONE' | 'EPT' | 'ORPHAN' | 'FREED';
export type TdOpState = 'INITIALIZED' | 'RUNNABLE';
export type Seamcall =
  | 'TDH.MEM.PAGE.AUG'
  | 'TDH.MEM.PAGE.ADD'
  | 'TDH.MEM.RANGE.BLOCK'
  | 'TDH.MEM.TRACK'
  | 'TDH.MEM.PAGE.REMOVE'
  | 'TDH.PHYMEM.PAGE.WBINVD'
  | 'TDG.MEM.PAGE.ACCEPT'
  | 'TDH.MR.FINALIZE'
  | 'TDH.PHYMEM.PAGE.RECLAIM'
  | 'TDH.PHYMEM.PAGE.RECLAIM (page)'
  | 'TDH.MNG.VPFLUSHDONE'
  | 'TDH.PHYMEM.CACHE.WB'
  | 'TDH.MNG.KEY.FREEID'
  | 'TDH.PHYMEM.PAMT.ADD'
  | 'TDH.PHYMEM.PAMT.REMOVE'
  | 'TDH.MEM.SEPT.ADD'
  | 'TDH.MEM.PAGE.DEMOTE'
  | 'TDH.PHYMEM.PAGE.RECLAIM (table)';

export interface SeamRow {
  readonly call: Seamcall;
  readonly td: TdOpState;
  /** the TD's key lifecycle, when it is not KEYS_CONFIGURED */
  readonly lifecycle?: 'BLOCKED' | 'TEARDOWN';
  readonly entry: EntryState;
  /** for REMOVE of a blocked entry: has every vCPU left the blocking epoch? */
  readonly tracked?: boolean;
  /** for TRACK: is a vCPU still in the guest from the previous epoch? */
  readonly vcpuInPreviousEpoch?: boolean;
  /** for VPFLUSHDONE: is a vCPU in the guest (so still associated)? */
  readonly vcpuInGuest?: boolean;
  /** for FINALIZE: the TD has no vCPU */
  readonly noVcpus?: boolean;
  /** for WBINVD and RECLAIM: is the page (RECLAIM of the TDR: a page of the TD) PT_REG? */
  readonly pamtReg?: boolean;
  /** module 2.0 (Dynamic PAMT) rows: the 2M PAMT entry of the page's range is a node over a
   * page pair; the range's other page is the TD's (PT_REG, in pair page 1) */
  readonly module?: '2.0';
  readonly pair?: boolean;
  readonly neighbourInUse?: boolean;
  /** the range has a pair afterwards (unchanged when absent) */
  readonly pairNext?: boolean;
  /** REMOVE's PAMT_REMOVAL_HINT (RCX bit 62) in the output */
  readonly hint?: boolean;
  readonly status: StatusName;
  /** the entry's state afterwards (unchanged when absent) */
  readonly next?: EntryState;
  /** the TD's key lifecycle afterwards (unchanged when absent) */
  readonly lifecycleNext?: 'BLOCKED' | 'TEARDOWN';
  /** A row of the 2M level (tree hugepage-v3): the range's 2M entry. Without it the row is
   * about the 4K-only model, whose S-EPT tables are implicit. The 4K `entry` is GFN 0's. */
  readonly entry2m?: Entry2m;
  /** the call is made at level 2M (AUG, BLOCK, REMOVE, ACCEPT) */
  readonly level2m?: true;
  readonly next2m?: Entry2m;
  /** the frame block's 2M PAMT entry is PT_REG (a 2M TD page), and afterwards */
  readonly pamt2mReg?: boolean;
  readonly pamt2mNext?: boolean;
  /** the range's table page, and afterwards */
  readonly table?: TablePage;
  readonly tableNext?: TablePage;
  /** RECLAIM (page) of frame 1, not the block's head frame 0 */
  readonly tail?: true;
  /** module 2.0 at 2M: the kernel block's 2M PAMT entry (its S-EPT table pages' range) is a
   * node over a pair */
  readonly kernelPair?: boolean;
  /** module 2.0, DEMOTE: the pages given in R12/R13 as the range's pair are PAMT pages already */
  readonly pairNotFree?: true;
  /** DEMOTE on a module without ENHANCED_DEMOTE_INTERRUPTIBILITY, an interrupt pending */
  readonly interrupted?: true;
  readonly source: string;
}

const AUG = 'tdh_mem_page_aug.c, leaf 6; tdx-module.md 3.3, 3.4';
const ADD = 'tdh_mem_page_add.c, leaf 2; tdx-module.md 3.2, 3.4';
const BLOCK = 'tdh_mem_range_block.c, leaf 7; tdx-module.md 3.1 step 8, 3.4';
const TRACK = 'tdh_mem_track.c, leaf 38; tdx-module.md 3.4, 5.1';
const REMOVE = 'tdh_mem_page_remove.c, leaf 29; tdx-module.md 3.1 step 10, 3.4';
const WBINVD = 'tdh_phymem_page_wbinvd.c, leaf 41; tdx-module.md 3.4';
const ACCEPT = 'tdg_mem_page_accept.c, TDCALL leaf 6; tdx-module.md 4.2';
const FINALIZE = 'tdh_mr_finalize.c, leaf 17; tdx-module.md 3.4';
const RECLAIM = 'tdh_phymem_page_reclaim.c, leaf 28; tdx-module.md 3.4, 8.2';
const FLUSHDONE = 'tdh_mng_vpflushdone.c, leaf 19';
const CACHEWB = 'tdh_phymem_cache_wb.c, leaf 40';
const FREEID = 'tdh_mng_key_freeid.c, leaf 20';
const KEYS = 'helpers.c check_td_in_correct_build_state; tdx-module.md 3.1 step 2';
// Module 2.0 (intel/tdx-module 2.0 line @1666adc494db; docs/plans/huge-pages.md M14-M22)
const DPAMT_CHECK = '2.0 helpers.c non_shared_hpa_metadata_check_and_lock; huge-pages.md M16';
const PAMT_ADD = '2.0 tdh_phymem_pamt_add.c; huge-pages.md M14';
const PAMT_REMOVE = '2.0 tdh_phymem_pamt_remove.c; huge-pages.md M15';
const DPAMT_REMOVE =
  '2.0 tdh_mem_page_remove.c, pamt_manager.h PAMT_REMOVAL_HINT; huge-pages.md M20';
const DPAMT_WBINVD =
  '2.0 tdh_phymem_page_wbinvd.c (the walk stops at a 2M entry without a pair: PT_NDA)';
// The 2M level: module 1.5.01 (tag TDX_1.5.01), read as docs/plans/huge-pages.md 1.1-1.6 and
// huge-pages-check.md U1-U3 say; M-numbers are that plan's facts, row ids its table 5.7.
const WALK = 'sept_manager.c secure_ept_walk, helpers.c lock_sept_check_and_walk_internal (M1, M2)';
const AUG2M = 'tdh_mem_page_aug.c, helpers.c check_and_lock_free_range_hpa (M6, M7)';
const LOOKUP = 'sept_state_lookup.c (M3)';
const PAMTWALK =
  'pamt_manager.c pamt_walk, helpers.c non_shared_hpa_metadata_check_and_lock (M4, M5)';
const SEPTADD = 'tdh_mem_sept_add.c, leaf 3 (M9)';
const DEMOTE = 'tdh_mem_page_demote.c, leaf 15; pamt_manager.c pamt_demote (M11, M12)';
const RECLAIM2M = 'tdh_phymem_page_reclaim.c, leaf 28 (M8)';
// Dynamic PAMT at 2M (2.0 line @1666adc494db; huge-pages.md M16, M17; huge-pages-check.md U5)
const DPAMT_AUG2M =
  '2.0 pamt_manager.c pamt_walk, helpers.c non_shared_hpa_metadata_check_and_lock (M16; check U5)';
const DPAMT_DEMOTE = '2.0 tdh_mem_page_demote.c; pamt_manager.c pamt_demote (M11, M17)';
const DPAMT_SEPTADD = `2.0 tdh_mem_sept_add.c; ${DPAMT_CHECK}`;
const ACCEPT2M = 'tdg_mem_page_accept.c check_tdaccept_failure (M23)';
const leaves: EntryState[] = ['PENDING', 'MAPPED', 'BLOCKED', 'PENDING_BLOCKED'];
/** A row on a RUNNABLE TD at the 2M level. */
const r2m = (row: Omit<SeamRow, 'td' | 'entry'> & { entry?: EntryState }): SeamRow => ({
  td: 'RUNNABLE',
  entry: 'FREE',
  ...row,
});

const entries: EntryState[] = ['FREE', 'PENDING', 'MAPPED', 'BLOCKED', 'PENDING_BLOCKED'];
const both: TdOpState[] = ['INITIALIZED', 'RUNNABLE'];
const blocked = (e: EntryState) => e === 'BLOCKED' || e === 'PENDING_BLOCKED';

export const seamTable: readonly SeamRow[] = [
  // AUG: FREE -> PENDING (and PAMT -> PT_REG); anything else is the wrong entry state.
  ...both.flatMap((td) =>
    entries.map((entry): SeamRow =>
      entry === 'FREE'
        ? {
            call: 'TDH.MEM.PAGE.AUG',
            td,
            entry,
            status: 'TDX_SUCCESS',
            next: 'PENDING',
            source: AUG,
          }
        : {
            call: 'TDH.MEM.PAGE.AUG',
            td,
            entry,
            status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
            source: AUG,
          },
    ),
  ),
  // ADD: only before TDH.MR.FINALIZE, only into a FREE entry: FREE -> MAPPED.
  ...entries.map((entry): SeamRow =>
    entry === 'FREE'
      ? {
          call: 'TDH.MEM.PAGE.ADD',
          td: 'INITIALIZED',
          entry,
          status: 'TDX_SUCCESS',
          next: 'MAPPED',
          source: ADD,
        }
      : {
          call: 'TDH.MEM.PAGE.ADD',
          td: 'INITIALIZED',
          entry,
          status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
          source: ADD,
        },
  ),
  ...entries.map((entry): SeamRow => ({
    call: 'TDH.MEM.PAGE.ADD',
    td: 'RUNNABLE',
    entry,
    status: 'TDX_OP_STATE_INCORRECT',
    source: ADD,
  })),
  // BLOCK: MAPPED -> BLOCKED, PENDING -> PENDING_BLOCKED; already blocked is a non-error status.
  ...both.flatMap((td) =>
    entries.map((entry): SeamRow => {
      if (entry === 'MAPPED')
        return {
          call: 'TDH.MEM.RANGE.BLOCK',
          td,
          entry,
          status: 'TDX_SUCCESS',
          next: 'BLOCKED',
          source: BLOCK,
        };
      if (entry === 'PENDING')
        return {
          call: 'TDH.MEM.RANGE.BLOCK',
          td,
          entry,
          status: 'TDX_SUCCESS',
          next: 'PENDING_BLOCKED',
          source: BLOCK,
        };
      if (blocked(entry))
        return {
          call: 'TDH.MEM.RANGE.BLOCK',
          td,
          entry,
          status: 'TDX_GPA_RANGE_ALREADY_BLOCKED',
          source: BLOCK,
        };
      return {
        call: 'TDH.MEM.RANGE.BLOCK',
        td,
        entry,
        status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
        source: BLOCK,
      };
    }),
  ),
  // TRACK: refused while a vCPU still runs in the previous epoch.
  {
    call: 'TDH.MEM.TRACK',
    td: 'RUNNABLE',
    entry: 'FREE',
    vcpuInPreviousEpoch: false,
    status: 'TDX_SUCCESS',
    source: TRACK,
  },
  {
    call: 'TDH.MEM.TRACK',
    td: 'RUNNABLE',
    entry: 'FREE',
    vcpuInPreviousEpoch: true,
    status: 'TDX_PREVIOUS_TLB_EPOCH_BUSY',
    source: TRACK,
  },
  // REMOVE, RUNNABLE: blocked and tracked only.
  {
    call: 'TDH.MEM.PAGE.REMOVE',
    td: 'RUNNABLE',
    entry: 'FREE',
    status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
    source: REMOVE,
  },
  {
    call: 'TDH.MEM.PAGE.REMOVE',
    td: 'RUNNABLE',
    entry: 'PENDING',
    status: 'TDX_GPA_RANGE_NOT_BLOCKED',
    source: REMOVE,
  },
  {
    call: 'TDH.MEM.PAGE.REMOVE',
    td: 'RUNNABLE',
    entry: 'MAPPED',
    status: 'TDX_GPA_RANGE_NOT_BLOCKED',
    source: REMOVE,
  },
  ...(['BLOCKED', 'PENDING_BLOCKED'] as const).flatMap((entry): SeamRow[] => [
    {
      call: 'TDH.MEM.PAGE.REMOVE',
      td: 'RUNNABLE',
      entry,
      tracked: true,
      status: 'TDX_SUCCESS',
      next: 'FREE',
      source: REMOVE,
    },
    {
      call: 'TDH.MEM.PAGE.REMOVE',
      td: 'RUNNABLE',
      entry,
      tracked: false,
      status: 'TDX_TLB_TRACKING_NOT_DONE',
      source: REMOVE,
    },
  ]),
  // REMOVE before finalize: a MAPPED or PENDING entry goes directly.
  ...entries.map((entry): SeamRow =>
    entry === 'FREE'
      ? {
          call: 'TDH.MEM.PAGE.REMOVE',
          td: 'INITIALIZED',
          entry,
          status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
          source: REMOVE,
        }
      : {
          call: 'TDH.MEM.PAGE.REMOVE',
          td: 'INITIALIZED',
          entry,
          tracked: true,
          status: 'TDX_SUCCESS',
          next: 'FREE',
          source: REMOVE,
        },
  ),
  // Memory SEAMCALLs once the key is gone: TDX_TD_KEYS_NOT_CONFIGURED.
  {
    call: 'TDH.MEM.PAGE.AUG',
    td: 'RUNNABLE',
    lifecycle: 'BLOCKED',
    entry: 'FREE',
    status: 'TDX_TD_KEYS_NOT_CONFIGURED',
    source: KEYS,
  },
  {
    call: 'TDH.MEM.RANGE.BLOCK',
    td: 'RUNNABLE',
    lifecycle: 'TEARDOWN',
    entry: 'MAPPED',
    status: 'TDX_TD_KEYS_NOT_CONFIGURED',
    source: KEYS,
  },
  {
    call: 'TDH.MEM.PAGE.REMOVE',
    td: 'RUNNABLE',
    lifecycle: 'TEARDOWN',
    entry: 'BLOCKED',
    tracked: true,
    status: 'TDX_TD_KEYS_NOT_CONFIGURED',
    source: KEYS,
  },
  // WBINVD: the page must no longer be the TD's (PT_NDA), checked with operand RCX.
  {
    call: 'TDH.PHYMEM.PAGE.WBINVD',
    td: 'RUNNABLE',
    entry: 'FREE',
    pamtReg: false,
    status: 'TDX_SUCCESS',
    source: WBINVD,
  },
  {
    call: 'TDH.PHYMEM.PAGE.WBINVD',
    td: 'RUNNABLE',
    entry: 'MAPPED',
    pamtReg: true,
    status: 'TDX_PAGE_METADATA_INCORRECT+RCX',
    source: WBINVD,
  },
  // ACCEPT (the guest's TDCALL): PENDING -> MAPPED; MAPPED is TDX_PAGE_ALREADY_ACCEPTED, not an
  // error; FREE or blocked is a TD exit (EPT violation), reported by the model as STATE_INCORRECT.
  ...entries.map((entry): SeamRow => {
    if (entry === 'PENDING')
      return {
        call: 'TDG.MEM.PAGE.ACCEPT',
        td: 'RUNNABLE',
        entry,
        status: 'TDX_SUCCESS',
        next: 'MAPPED',
        source: ACCEPT,
      };
    if (entry === 'MAPPED')
      return {
        call: 'TDG.MEM.PAGE.ACCEPT',
        td: 'RUNNABLE',
        entry,
        status: 'TDX_PAGE_ALREADY_ACCEPTED',
        source: ACCEPT,
      };
    return {
      call: 'TDG.MEM.PAGE.ACCEPT',
      td: 'RUNNABLE',
      entry,
      status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
      source: ACCEPT,
    };
  }),
  // FINALIZE: INITIALIZED -> RUNNABLE, once; checks the key, then the op state, then vCPUs.
  {
    call: 'TDH.MR.FINALIZE',
    td: 'INITIALIZED',
    entry: 'FREE',
    status: 'TDX_SUCCESS',
    source: FINALIZE,
  },
  {
    call: 'TDH.MR.FINALIZE',
    td: 'RUNNABLE',
    entry: 'FREE',
    status: 'TDX_OP_STATE_INCORRECT',
    source: FINALIZE,
  },
  {
    call: 'TDH.MR.FINALIZE',
    td: 'INITIALIZED',
    lifecycle: 'BLOCKED',
    entry: 'FREE',
    status: 'TDX_TD_KEYS_NOT_CONFIGURED',
    source: FINALIZE,
  },
  {
    call: 'TDH.MR.FINALIZE',
    td: 'INITIALIZED',
    entry: 'FREE',
    noVcpus: true,
    status: 'TDX_NO_VCPUS',
    source: FINALIZE,
  },
  // HKID release: VPFLUSHDONE (KEYS_CONFIGURED -> BLOCKED), CACHE.WB, KEY.FREEID (-> TEARDOWN).
  {
    call: 'TDH.MNG.VPFLUSHDONE',
    td: 'RUNNABLE',
    entry: 'FREE',
    status: 'TDX_SUCCESS',
    lifecycleNext: 'BLOCKED',
    source: FLUSHDONE,
  },
  {
    call: 'TDH.MNG.VPFLUSHDONE',
    td: 'RUNNABLE',
    entry: 'FREE',
    vcpuInGuest: true,
    status: 'TDX_FLUSHVP_NOT_DONE',
    source: FLUSHDONE,
  },
  {
    call: 'TDH.MNG.VPFLUSHDONE',
    td: 'RUNNABLE',
    lifecycle: 'BLOCKED',
    entry: 'FREE',
    status: 'TDX_LIFECYCLE_STATE_INCORRECT',
    source: FLUSHDONE,
  },
  {
    call: 'TDH.MNG.VPFLUSHDONE',
    td: 'RUNNABLE',
    lifecycle: 'TEARDOWN',
    entry: 'FREE',
    status: 'TDX_LIFECYCLE_STATE_INCORRECT',
    source: FLUSHDONE,
  },
  {
    call: 'TDH.PHYMEM.CACHE.WB',
    td: 'RUNNABLE',
    lifecycle: 'BLOCKED',
    entry: 'FREE',
    status: 'TDX_SUCCESS',
    source: CACHEWB,
  },
  {
    call: 'TDH.PHYMEM.CACHE.WB',
    td: 'RUNNABLE',
    entry: 'FREE',
    status: 'TDX_NO_HKID_READY_TO_WBCACHE',
    source: CACHEWB,
  },
  {
    call: 'TDH.MNG.KEY.FREEID',
    td: 'RUNNABLE',
    lifecycle: 'BLOCKED',
    entry: 'FREE',
    status: 'TDX_SUCCESS',
    lifecycleNext: 'TEARDOWN',
    source: FREEID,
  },
  {
    call: 'TDH.MNG.KEY.FREEID',
    td: 'RUNNABLE',
    entry: 'FREE',
    status: 'TDX_LIFECYCLE_STATE_INCORRECT',
    source: FREEID,
  },
  // RECLAIM of the TDR: only in TEARDOWN, and only once the TD owns no page.
  {
    call: 'TDH.PHYMEM.PAGE.RECLAIM',
    td: 'RUNNABLE',
    entry: 'FREE',
    status: 'TDX_LIFECYCLE_STATE_INCORRECT',
    source: RECLAIM,
  },
  {
    call: 'TDH.PHYMEM.PAGE.RECLAIM',
    td: 'RUNNABLE',
    lifecycle: 'TEARDOWN',
    entry: 'FREE',
    pamtReg: false,
    status: 'TDX_SUCCESS',
    source: RECLAIM,
  },
  {
    call: 'TDH.PHYMEM.PAGE.RECLAIM',
    td: 'RUNNABLE',
    lifecycle: 'TEARDOWN',
    entry: 'BLOCKED',
    pamtReg: true,
    status: 'TDX_TD_ASSOCIATED_PAGES_EXIST',
    source: RECLAIM,
  },
  // RECLAIM of an ordinary page of the TD: only once its HKID is released (TD_TEARDOWN), only
  // of a page the TD owns (PT_REG -> PT_NDA); the S-EPT entry is not touched.
  ...(['MAPPED', 'BLOCKED'] as const).map((entry): SeamRow => ({
    call: 'TDH.PHYMEM.PAGE.RECLAIM (page)',
    td: 'RUNNABLE',
    lifecycle: 'TEARDOWN',
    entry,
    pamtReg: true,
    status: 'TDX_SUCCESS',
    source: RECLAIM,
  })),
  {
    call: 'TDH.PHYMEM.PAGE.RECLAIM (page)',
    td: 'RUNNABLE',
    entry: 'MAPPED',
    pamtReg: true,
    status: 'TDX_LIFECYCLE_STATE_INCORRECT',
    source: RECLAIM,
  },
  {
    call: 'TDH.PHYMEM.PAGE.RECLAIM (page)',
    td: 'RUNNABLE',
    lifecycle: 'BLOCKED',
    entry: 'BLOCKED',
    pamtReg: true,
    status: 'TDX_LIFECYCLE_STATE_INCORRECT',
    source: RECLAIM,
  },
  {
    call: 'TDH.PHYMEM.PAGE.RECLAIM (page)',
    td: 'RUNNABLE',
    lifecycle: 'TEARDOWN',
    entry: 'FREE',
    pamtReg: false,
    status: 'TDX_PAGE_METADATA_INCORRECT+RCX',
    source: RECLAIM,
  },
  // The PAMT is checked before the owner's lifecycle: a page the TD does not own answers
  // METADATA_INCORRECT even while the HKID is live.
  {
    call: 'TDH.PHYMEM.PAGE.RECLAIM (page)',
    td: 'RUNNABLE',
    entry: 'FREE',
    pamtReg: false,
    status: 'TDX_PAGE_METADATA_INCORRECT+RCX',
    source: RECLAIM,
  },
  // Module 2.0, Dynamic PAMT (rows A4, A5, R6, W2, P1-P6 of huge-pages.md 5.7): a 4K page needs
  // its 2M range's pair; REMOVE hints at the range's last page; PAMT.ADD and PAMT.REMOVE.
  {
    call: 'TDH.MEM.PAGE.AUG',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'FREE',
    pair: false,
    status: 'TDX_MISSING_PAMT_PAGE_PAIR+R8',
    source: DPAMT_CHECK,
  },
  {
    call: 'TDH.MEM.PAGE.AUG',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'FREE',
    pair: true,
    status: 'TDX_SUCCESS',
    next: 'PENDING',
    source: `${AUG}; ${DPAMT_CHECK}`,
  },
  {
    // ADD's page (R8) takes the same check (our reading of the shared helper)
    call: 'TDH.MEM.PAGE.ADD',
    module: '2.0',
    td: 'INITIALIZED',
    entry: 'FREE',
    pair: false,
    status: 'TDX_MISSING_PAMT_PAGE_PAIR+R8',
    source: DPAMT_CHECK,
  },
  ...[false, true].map((neighbourInUse): SeamRow => ({
    call: 'TDH.MEM.PAGE.REMOVE',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'BLOCKED',
    tracked: true,
    pair: true,
    neighbourInUse,
    status: 'TDX_SUCCESS',
    next: 'FREE',
    hint: !neighbourInUse,
    source: DPAMT_REMOVE,
  })),
  {
    call: 'TDH.PHYMEM.PAGE.WBINVD',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'FREE',
    pair: false,
    pamtReg: false,
    status: 'TDX_SUCCESS',
    source: DPAMT_WBINVD,
  },
  {
    call: 'TDH.PHYMEM.PAMT.ADD',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'FREE',
    pair: false,
    status: 'TDX_SUCCESS',
    pairNext: true,
    source: PAMT_ADD,
  },
  {
    call: 'TDH.PHYMEM.PAMT.ADD',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'FREE',
    pair: true,
    status: 'TDX_HPA_RANGE_NOT_FREE+RCX',
    source: PAMT_ADD,
  },
  {
    call: 'TDH.PHYMEM.PAMT.REMOVE',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'FREE',
    pair: true,
    status: 'TDX_SUCCESS',
    pairNext: false,
    source: PAMT_REMOVE,
  },
  {
    // the page (frame 0) in pair page 0 still the TD's
    call: 'TDH.PHYMEM.PAMT.REMOVE',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'MAPPED',
    pair: true,
    neighbourInUse: true,
    status: 'TDX_PAMT_PAGE_NOT_EMPTY+0',
    source: PAMT_REMOVE,
  },
  {
    call: 'TDH.PHYMEM.PAMT.REMOVE',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'FREE',
    pair: true,
    neighbourInUse: true,
    status: 'TDX_PAMT_PAGE_NOT_EMPTY+1',
    source: PAMT_REMOVE,
  },
  {
    call: 'TDH.PHYMEM.PAMT.REMOVE',
    module: '2.0',
    td: 'RUNNABLE',
    entry: 'FREE',
    pair: false,
    status: 'TDX_NO_PAMT_PAGE_PAIR+RCX',
    source: PAMT_REMOVE,
  },
  // ---- The 2M level (tree hugepage-v3). A1, A2: a 4K AUG whose walk stops at the 2M entry.
  ...(['FREE', ...leaves] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.PAGE.AUG',
      entry2m: e,
      pamt2mReg: e !== 'FREE',
      status: 'TDX_EPT_WALK_FAILED',
      source: `${AUG}; ${WALK}`,
    }),
  ),
  // A3: below a table, a frame inside a 2M TD page (the PAMT walk stops at its 2M leaf)
  r2m({
    call: 'TDH.MEM.PAGE.AUG',
    entry2m: 'NL_MAPPED',
    pamt2mReg: true,
    status: 'TDX_PAGE_METADATA_INCORRECT+R8',
    source: `${AUG}; ${PAMTWALK}`,
  }),
  // A6: below a table, the 4K rules as before
  r2m({
    call: 'TDH.MEM.PAGE.AUG',
    entry2m: 'NL_MAPPED',
    status: 'TDX_SUCCESS',
    next: 'PENDING',
    source: AUG,
  }),
  // A7-A10: AUG at 2M needs a FREE 2M entry and the whole frame block PT_NDA
  r2m({
    call: 'TDH.MEM.PAGE.AUG',
    level2m: true,
    entry2m: 'FREE',
    status: 'TDX_SUCCESS',
    next2m: 'PENDING',
    pamt2mNext: true,
    source: AUG2M,
  }),
  ...(['NL_MAPPED', ...leaves] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.PAGE.AUG',
      level2m: true,
      entry2m: e,
      pamt2mReg: e !== 'NL_MAPPED',
      status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
      source: `${AUG2M}; ${LOOKUP} leaf 6`,
    }),
  ),
  r2m({
    call: 'TDH.MEM.PAGE.AUG',
    level2m: true,
    entry2m: 'FREE',
    pamtReg: true,
    status: 'TDX_PAGE_METADATA_INCORRECT+R8',
    source: `${AUG2M} pamt_is_2mb_range_free`,
  }),
  // B1-B4: BLOCK at 2M, the 4K rules at level 2M
  ...(['MAPPED', 'PENDING'] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.RANGE.BLOCK',
      level2m: true,
      entry2m: e,
      pamt2mReg: true,
      status: 'TDX_SUCCESS',
      next2m: e === 'MAPPED' ? 'BLOCKED' : 'PENDING_BLOCKED',
      source: BLOCK,
    }),
  ),
  ...(['BLOCKED', 'PENDING_BLOCKED'] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.RANGE.BLOCK',
      level2m: true,
      entry2m: e,
      pamt2mReg: true,
      status: 'TDX_GPA_RANGE_ALREADY_BLOCKED',
      source: BLOCK,
    }),
  ),
  r2m({
    call: 'TDH.MEM.RANGE.BLOCK',
    level2m: true,
    entry2m: 'FREE',
    status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
    source: `${BLOCK}; ${LOOKUP} leaf 7`,
  }),
  // B5, R5: a 4K BLOCK or REMOVE whose walk stops at the 2M entry
  ...(['TDH.MEM.RANGE.BLOCK', 'TDH.MEM.PAGE.REMOVE'] as const).flatMap((call) =>
    (['FREE', ...leaves] as const).map((e) =>
      r2m({
        call,
        entry2m: e,
        pamt2mReg: e !== 'FREE',
        tracked: true,
        status: 'TDX_EPT_WALK_FAILED',
        source: `${call === 'TDH.MEM.RANGE.BLOCK' ? BLOCK : REMOVE}; ${WALK}`,
      }),
    ),
  ),
  // R1-R4: REMOVE at 2M: blocked and tracked only; the 2M PAMT entry goes back to PT_NDA
  ...(['BLOCKED', 'PENDING_BLOCKED'] as const).flatMap((e): SeamRow[] => [
    r2m({
      call: 'TDH.MEM.PAGE.REMOVE',
      level2m: true,
      entry2m: e,
      pamt2mReg: true,
      tracked: true,
      status: 'TDX_SUCCESS',
      next2m: 'FREE',
      pamt2mNext: false,
      source: REMOVE,
    }),
    r2m({
      call: 'TDH.MEM.PAGE.REMOVE',
      level2m: true,
      entry2m: e,
      pamt2mReg: true,
      tracked: false,
      status: 'TDX_TLB_TRACKING_NOT_DONE',
      source: REMOVE,
    }),
  ]),
  ...(['MAPPED', 'PENDING'] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.PAGE.REMOVE',
      level2m: true,
      entry2m: e,
      pamt2mReg: true,
      tracked: true,
      status: 'TDX_GPA_RANGE_NOT_BLOCKED',
      source: REMOVE,
    }),
  ),
  ...(['NL_MAPPED', 'FREE'] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.PAGE.REMOVE',
      level2m: true,
      entry2m: e,
      tracked: true,
      status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
      source: `${REMOVE}; ${LOOKUP} leaf 29`,
    }),
  ),
  // W1: a 4K WBINVD of a frame inside a 2M TD page
  r2m({
    call: 'TDH.PHYMEM.PAGE.WBINVD',
    entry2m: 'MAPPED',
    pamt2mReg: true,
    status: 'TDX_PAGE_METADATA_INCORRECT+RCX',
    source: `${WBINVD}; ${PAMTWALK}`,
  }),
  // D1-D6: DEMOTE of a blocked, tracked 2M leaf into a new table page; the 4K entries copy
  // the leaf with its block cleared, the 4K PAMT entries take the 2M one's PT_REG
  ...(['BLOCKED', 'PENDING_BLOCKED'] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.PAGE.DEMOTE',
      entry2m: e,
      pamt2mReg: true,
      tracked: true,
      status: 'TDX_SUCCESS',
      next2m: 'NL_MAPPED',
      next: e === 'BLOCKED' ? 'MAPPED' : 'PENDING',
      pamt2mNext: false,
      tableNext: 'EPT',
      source: DEMOTE,
    }),
  ),
  ...(['MAPPED', 'PENDING'] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.PAGE.DEMOTE',
      entry2m: e,
      pamt2mReg: true,
      tracked: true,
      status: 'TDX_GPA_RANGE_NOT_BLOCKED',
      source: DEMOTE,
    }),
  ),
  r2m({
    call: 'TDH.MEM.PAGE.DEMOTE',
    entry2m: 'BLOCKED',
    pamt2mReg: true,
    tracked: false,
    status: 'TDX_TLB_TRACKING_NOT_DONE',
    source: DEMOTE,
  }),
  ...(['FREE', 'NL_MAPPED'] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.PAGE.DEMOTE',
      entry2m: e,
      tracked: true,
      status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
      source: `${DEMOTE}; ${LOOKUP} leaf 15`,
    }),
  ),
  r2m({
    call: 'TDH.MEM.PAGE.DEMOTE',
    entry2m: 'BLOCKED',
    pamt2mReg: true,
    tracked: true,
    table: 'EPT',
    status: 'TDX_PAGE_METADATA_INCORRECT+R8',
    source: DEMOTE,
  }),
  // S1, S2: SEPT.ADD links a new table page under a FREE 2M entry
  r2m({
    call: 'TDH.MEM.SEPT.ADD',
    entry2m: 'FREE',
    status: 'TDX_SUCCESS',
    next2m: 'NL_MAPPED',
    tableNext: 'EPT',
    source: SEPTADD,
  }),
  ...(['NL_MAPPED', ...leaves] as const).map((e) =>
    r2m({
      call: 'TDH.MEM.SEPT.ADD',
      entry2m: e,
      pamt2mReg: e !== 'NL_MAPPED',
      status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
      source: `${SEPTADD}; ${LOOKUP} leaf 3`,
    }),
  ),
  // C1-C4: RECLAIM after HKID release of a table page, and of a 2M page through its head
  r2m({
    call: 'TDH.PHYMEM.PAGE.RECLAIM (table)',
    lifecycle: 'TEARDOWN',
    entry2m: 'NL_MAPPED',
    table: 'EPT',
    status: 'TDX_SUCCESS',
    tableNext: 'FREED',
    source: RECLAIM2M,
  }),
  r2m({
    call: 'TDH.PHYMEM.PAGE.RECLAIM (table)',
    lifecycle: 'TEARDOWN',
    entry2m: 'BLOCKED',
    pamt2mReg: true,
    table: 'ORPHAN',
    status: 'TDX_PAGE_METADATA_INCORRECT+RCX',
    source: RECLAIM2M,
  }),
  r2m({
    call: 'TDH.PHYMEM.PAGE.RECLAIM (page)',
    lifecycle: 'TEARDOWN',
    entry2m: 'MAPPED',
    pamt2mReg: true,
    status: 'TDX_SUCCESS',
    pamt2mNext: false,
    source: RECLAIM2M,
  }),
  r2m({
    call: 'TDH.PHYMEM.PAGE.RECLAIM (page)',
    lifecycle: 'TEARDOWN',
    entry2m: 'MAPPED',
    pamt2mReg: true,
    tail: true,
    status: 'TDX_OPERAND_INVALID+RCX',
    source: RECLAIM2M,
  }),
  // D9: a module without ENHANCED_DEMOTE_INTERRUPTIBILITY, an interrupt pending at its check
  // before pamt_demote: nothing committed (M11; EDI's effect UNVERIFIED in module source, M13)
  r2m({
    call: 'TDH.MEM.PAGE.DEMOTE',
    entry2m: 'BLOCKED',
    pamt2mReg: true,
    tracked: true,
    interrupted: true,
    status: 'TDX_INTERRUPTED_RESTARTABLE',
    source: DEMOTE,
  }),
  // Module 2.0 at 2M: A11, S1/S3 and D1/D7/D8 with Dynamic PAMT. K = the block of the S-EPT
  // table pages; `pair` = the guest range's 2M entry is a node over a pair.
  r2m({
    module: '2.0',
    call: 'TDH.MEM.PAGE.AUG',
    level2m: true,
    entry2m: 'FREE',
    pair: true,
    status: 'TDX_PAGE_METADATA_INCORRECT+R8',
    source: DPAMT_AUG2M,
  }),
  r2m({
    module: '2.0',
    call: 'TDH.MEM.SEPT.ADD',
    entry2m: 'FREE',
    kernelPair: true,
    status: 'TDX_SUCCESS',
    next2m: 'NL_MAPPED',
    tableNext: 'EPT',
    source: DPAMT_SEPTADD,
  }),
  r2m({
    module: '2.0',
    call: 'TDH.MEM.SEPT.ADD',
    entry2m: 'FREE',
    status: 'TDX_MISSING_PAMT_PAGE_PAIR+R8',
    source: DPAMT_SEPTADD,
  }),
  ...(
    [
      {
        kernelPair: true,
        status: 'TDX_SUCCESS',
        next2m: 'NL_MAPPED',
        next: 'MAPPED',
        pamt2mNext: false,
        pairNext: true,
        tableNext: 'EPT',
        source: DPAMT_DEMOTE,
      },
      { status: 'TDX_MISSING_PAMT_PAGE_PAIR+R8', source: `${DPAMT_DEMOTE}; ${DPAMT_CHECK}` },
      {
        kernelPair: true,
        pairNotFree: true,
        status: 'TDX_PAGE_NOT_FREE+R12',
        source: DPAMT_DEMOTE,
      },
    ] as const
  ).map((row) =>
    // D1, D7, D8: DEMOTE of a blocked, tracked 2M leaf under module 2.0
    r2m({
      module: '2.0',
      call: 'TDH.MEM.PAGE.DEMOTE',
      entry2m: 'BLOCKED',
      pamt2mReg: true,
      tracked: true,
      ...row,
    }),
  ),
  // G1-G6: the guest's ACCEPT at 4K and at 2M (an exit is TDX_EPT_ENTRY_STATE_INCORRECT here)
  ...(['FREE', 'PENDING', 'BLOCKED', 'PENDING_BLOCKED'] as const).map((e) =>
    r2m({
      call: 'TDG.MEM.PAGE.ACCEPT',
      entry2m: e,
      pamt2mReg: e !== 'FREE',
      status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
      source: `${ACCEPT2M}: the exit, level 4K`,
    }),
  ),
  r2m({
    call: 'TDG.MEM.PAGE.ACCEPT',
    entry2m: 'MAPPED',
    pamt2mReg: true,
    status: 'TDX_PAGE_ALREADY_ACCEPTED+2M',
    source: ACCEPT2M,
  }),
  r2m({
    call: 'TDG.MEM.PAGE.ACCEPT',
    level2m: true,
    entry2m: 'NL_MAPPED',
    status: 'TDX_PAGE_SIZE_MISMATCH',
    source: ACCEPT2M,
  }),
  ...(['FREE', 'BLOCKED', 'PENDING_BLOCKED'] as const).map((e) =>
    r2m({
      call: 'TDG.MEM.PAGE.ACCEPT',
      level2m: true,
      entry2m: e,
      pamt2mReg: e !== 'FREE',
      status: 'TDX_EPT_ENTRY_STATE_INCORRECT',
      source: `${ACCEPT2M}: the exit, level 2M`,
    }),
  ),
  r2m({
    call: 'TDG.MEM.PAGE.ACCEPT',
    level2m: true,
    entry2m: 'PENDING',
    pamt2mReg: true,
    status: 'TDX_SUCCESS',
    next2m: 'MAPPED',
    source: ACCEPT2M,
  }),
  r2m({
    call: 'TDG.MEM.PAGE.ACCEPT',
    level2m: true,
    entry2m: 'MAPPED',
    pamt2mReg: true,
    status: 'TDX_PAGE_ALREADY_ACCEPTED+2M',
    source: ACCEPT2M,
  }),
];
