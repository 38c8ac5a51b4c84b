/**
 * The TDX module (SEAM): S-EPT leaf states, PAMT, the TD's lifecycle and key, TLB epochs, and
 * each SEAMCALL the host uses on private memory, with its checks in the module's order and its
 * status code. Facts are from ../shared/reference/tdx-module.md, read from the TDX module 1.5.01
 * source (intel/tdx-module, tag TDX_1.5.01): file names below are in that tree.
 *
 * Our simplifications: one TD; on a tree without 2M leaves every leaf is 4 KiB and its S-EPT
 * page tables always exist (no TDH.MEM.SEPT.ADD, no TDX_EPT_WALK_FAILED); with them (trees.ts
 * `hugeLeaves`) each huge range has its 2M entry and table page (the "2M level" below); S-EPT, PAMT and epoch locks are held only
 * inside one SEAMCALL, which is one atomic step, so TDX_OPERAND_BUSY comes from the `busy`
 * fault budget, allowed where a conflicting holder can exist (a vCPU in the guest, a guest
 * TDCALL or another SEAMCALL: tdx-module.md section 6.1, and section 9's suggestion).
 */
import type { State } from '../engine/index.js';
import type { ModuleVersion } from './module.js';
import {
  OWNER_HOST,
  PAIR_FREE,
  PT_NDA,
  PT_PAMT,
  PT_REG,
  TD_BLOCKED,
  TD_KEYS_CONFIGURED,
  TD_OP_INITIALIZED,
  TD_OP_RUNNABLE,
  TD_TEARDOWN,
  TDR_LEAKED,
  TDR_RECLAIMED,
  CONTENT_GUEST,
  CONTENT_STALE,
  TABLE_EPT,
  TABLE_FREED,
  type Vars,
} from './vars.js';
import { frameOf } from './frames.js';

/** S-EPT leaf states that private memory reaches without live migration
 * (include/auto_gen/sept_state_lookup.h; public ids in RDX[15:8]). */
export const SEPT_FREE = 0;
export const SEPT_PENDING = 1;
export const SEPT_MAPPED = 2;
export const SEPT_BLOCKED = 3;
export const SEPT_PENDING_BLOCKED = 4;
/** A 2M entry pointing at a table of 4K entries (sept_state_lookup.c index 2). */
export const SEPT_NL_MAPPED = 5;
export const septStateNames = [
  'FREE',
  'PENDING',
  'MAPPED',
  'BLOCKED',
  'PENDING_BLOCKED',
  'NL_MAPPED',
] as const;

export const isBlocked = (state: number) =>
  state === SEPT_BLOCKED || state === SEPT_PENDING_BLOCKED;

/**
 * Status codes, as bits 63:32 of RAX with the operand id the module adds in bits 31:0
 * (include/auto_gen/tdx_error_codes_defs.h; KVM compares bits 63:32 only, tdx_errno.h). A
 * status the module returns with different operand ids has one entry per id, named
 * `STATUS+OPERAND` (OPERAND_ID_SEPT_TREE 146, OPERAND_ID_RCX 1, OPERAND_ID_R8 8, same file).
 * Index 0 is "no status yet"; kernel errnos the model reports share this table.
 */
export const statuses = [
  ['-', ''],
  ['TDX_SUCCESS', '0x0000000000000000'],
  // The S-EPT tree lock (lock_sept_check_and_walk_internal, helpers.c): BLOCK takes it
  // exclusive, AUG/REMOVE shared, VP.ENTER exclusive while the zero-step filter is armed.
  ['TDX_OPERAND_BUSY+SEPT_TREE', '0x8000020000000092'],
  // The TD's epoch lock (tdh_mem_track.c): TRACK takes it exclusive, VP.ENTER shared.
  ['TDX_OPERAND_BUSY+TD_EPOCH', '0x80000200000000A9'],
  ['TDX_EPT_ENTRY_STATE_INCORRECT', '0xC0000B0D00000001'],
  ['TDX_GPA_RANGE_NOT_BLOCKED', '0xC0000B0600000001'],
  ['TDX_GPA_RANGE_ALREADY_BLOCKED', '0x00000B0700000001'],
  ['TDX_TLB_TRACKING_NOT_DONE', '0xC0000B0800000001'],
  ['TDX_PREVIOUS_TLB_EPOCH_BUSY', '0x8000020100000000'],
  ['TDX_PAGE_METADATA_INCORRECT+R8', '0xC000030000000008'], // AUG, ADD: the page in R8
  ['TDX_PAGE_METADATA_INCORRECT+RCX', '0xC000030000000001'], // WBINVD: the page in RCX
  ['TDX_PAGE_ALREADY_ACCEPTED', '0x00000B0A00000000'], // + the level (0: 4K); not an error
  ['TDX_TD_ASSOCIATED_PAGES_EXIST', '0xC000040000000000'],
  ['TDX_OP_STATE_INCORRECT', '0xC000060800000000'],
  ['TDX_LIFECYCLE_STATE_INCORRECT', '0xC000060700000000'],
  ['TDX_TD_KEYS_NOT_CONFIGURED', '0x8000081000000000'],
  ['TDX_NO_VCPUS', '0xC000060900000000'],
  ['TDX_FLUSHVP_NOT_DONE', '0x8000082400000000'],
  ['TDX_NO_HKID_READY_TO_WBCACHE', '0x0000082100000000'],
  ['-EAGAIN', ''],
  ['-EBADF', ''],
  ['-EEXIST', ''],
  ['-EINVAL', ''],
  ['-EBUSY', ''],
  ['-EHWPOISON', ''],
  ['-EIO', ''],
  ['-EFAULT', ''],
  ['KVM_EXIT_MEMORY_FAULT', ''],
  ['RET_PF_RETRY', ''],
  // Dynamic PAMT (module 2.0: include/auto_gen_2_0/tdx_error_codes_defs.h, huge-pages.md M22)
  ['TDX_MISSING_PAMT_PAGE_PAIR+R8', '0x8000030800000008'], // AUG, ADD: no pair for the page's 2M range
  ['TDX_HPA_RANGE_NOT_FREE+RCX', '0xC000030400000001'], // PAMT.ADD: the range has a pair already
  ['TDX_NO_PAMT_PAGE_PAIR+RCX', '0xC000030500000001'], // PAMT.REMOVE: the range has no pair
  ['TDX_PAMT_PAGE_NOT_EMPTY+0', '0xC000030600000000'], // PAMT.REMOVE: an entry of pair page 0 in use
  ['TDX_PAMT_PAGE_NOT_EMPTY+1', '0xC000030600000001'], // ... of pair page 1 (the operand is the page's index)
  // The 2M level (docs/plans/huge-pages.md M2, M8, M23; values tdx_error_codes_defs.h, M22).
  ['TDX_EPT_WALK_FAILED', '0xC0000B0000000001'], // the walk stopped above the level asked: + RCX
  ['TDX_PAGE_SIZE_MISMATCH', '0xC0000B0B00000001'], // + the level of the entry found (2M = 1)
  ['TDX_PAGE_ALREADY_ACCEPTED+2M', '0x00000B0A00000001'], // + the leaf's level (2M = 1)
  ['TDX_OPERAND_INVALID+RCX', '0xC000010000000001'], // RECLAIM of a 2M page's tail frame
  ['TDX_PAGE_NOT_FREE+R12', '0xC00003030000000C'], // DEMOTE (DPAMT): the pair's page 0 (R12) not free (M17)
  ['TDX_INTERRUPTED_RESTARTABLE', '0x8000000400000000'], // DEMOTE interrupted, nothing committed (M11)
] as const;

export type StatusName = (typeof statuses)[number][0];
export const status = (name: StatusName): number => statuses.findIndex(([n]) => n === name);
/** Linux errno values of the kernel results in the table above. */
const errnos: Readonly<Record<string, number>> = {
  '-EAGAIN': -11,
  '-EBADF': -9,
  '-EEXIST': -17,
  '-EINVAL': -22,
  '-EBUSY': -16,
  '-EHWPOISON': -133,
  '-EIO': -5,
  '-EFAULT': -14,
};

/** A status as a tracer records it: the 64-bit SEAMCALL status in hex, or a negative errno. */
export const statusValue = (code: number): string | number => {
  const [name, value] = statuses[code] ?? ['?', ''];
  return value || (errnos[name] ?? name);
};

export const statusText = (code: number): string => {
  const [name, value] = statuses[code] ?? ['?', ''];
  return value ? `${name} (${value})` : name;
};

export const S = {
  SUCCESS: status('TDX_SUCCESS'),
  BUSY: status('TDX_OPERAND_BUSY+SEPT_TREE'),
  BUSY_EPOCH: status('TDX_OPERAND_BUSY+TD_EPOCH'),
  STATE_INCORRECT: status('TDX_EPT_ENTRY_STATE_INCORRECT'),
  NOT_BLOCKED: status('TDX_GPA_RANGE_NOT_BLOCKED'),
  ALREADY_BLOCKED: status('TDX_GPA_RANGE_ALREADY_BLOCKED'),
  TRACKING_NOT_DONE: status('TDX_TLB_TRACKING_NOT_DONE'),
  EPOCH_BUSY: status('TDX_PREVIOUS_TLB_EPOCH_BUSY'),
  METADATA_INCORRECT_R8: status('TDX_PAGE_METADATA_INCORRECT+R8'),
  METADATA_INCORRECT_RCX: status('TDX_PAGE_METADATA_INCORRECT+RCX'),
  ALREADY_ACCEPTED: status('TDX_PAGE_ALREADY_ACCEPTED'),
  PAGES_EXIST: status('TDX_TD_ASSOCIATED_PAGES_EXIST'),
  OP_STATE_INCORRECT: status('TDX_OP_STATE_INCORRECT'),
  LIFECYCLE_INCORRECT: status('TDX_LIFECYCLE_STATE_INCORRECT'),
  KEYS_NOT_CONFIGURED: status('TDX_TD_KEYS_NOT_CONFIGURED'),
  NO_VCPUS: status('TDX_NO_VCPUS'),
  FLUSHVP_NOT_DONE: status('TDX_FLUSHVP_NOT_DONE'),
  NO_HKID_READY: status('TDX_NO_HKID_READY_TO_WBCACHE'),
  EAGAIN: status('-EAGAIN'),
  EBADF: status('-EBADF'),
  EEXIST: status('-EEXIST'),
  EINVAL: status('-EINVAL'),
  EBUSY: status('-EBUSY'),
  EHWPOISON: status('-EHWPOISON'),
  EIO: status('-EIO'),
  EFAULT: status('-EFAULT'),
  MEMORY_FAULT: status('KVM_EXIT_MEMORY_FAULT'),
  RETRY: status('RET_PF_RETRY'),
  MISSING_PAMT_PAIR: status('TDX_MISSING_PAMT_PAGE_PAIR+R8'),
  HPA_RANGE_NOT_FREE: status('TDX_HPA_RANGE_NOT_FREE+RCX'),
  NO_PAMT_PAIR: status('TDX_NO_PAMT_PAGE_PAIR+RCX'),
  PAMT_NOT_EMPTY_0: status('TDX_PAMT_PAGE_NOT_EMPTY+0'),
  PAMT_NOT_EMPTY_1: status('TDX_PAMT_PAGE_NOT_EMPTY+1'),
  WALK_FAILED: status('TDX_EPT_WALK_FAILED'),
  SIZE_MISMATCH: status('TDX_PAGE_SIZE_MISMATCH'),
  ALREADY_ACCEPTED_2M: status('TDX_PAGE_ALREADY_ACCEPTED+2M'),
  OPERAND_INVALID_RCX: status('TDX_OPERAND_INVALID+RCX'),
  PAGE_NOT_FREE_R12: status('TDX_PAGE_NOT_FREE+R12'),
  INTERRUPTED_RESTARTABLE: status('TDX_INTERRUPTED_RESTARTABLE'),
} as const;

/** The kernel's SEAMCALL wrappers (arch/x86/virt/vmx/tdx/tdx.c) that the model's steps call
 * and a tracer sees (observe.ts): one per SEAMCALL the host makes. */
export const seamcallWrappers = [
  'tdh_mem_page_add',
  'tdh_mem_page_aug',
  'tdh_mem_range_block',
  'tdh_mem_track',
  'tdh_mem_page_remove',
  'tdh_phymem_page_wbinvd_hkid',
  'tdh_phymem_page_reclaim',
  'tdh_mr_finalize',
  'tdh_mng_vpflushdone',
  'tdh_phymem_cache_wb',
  'tdh_mng_key_freeid',
] as const;

/** The SEAMCALLs and TDCALLs of private memory, with their effects on the model's state. */
export class Seam {
  constructor(
    private readonly v: Vars,
    private readonly module: ModuleVersion = '1.5',
  ) {}

  /** The 4K PAMT check of a page AUG or ADD takes (non_shared_hpa_metadata_check_and_lock,
   * helpers.c, operand R8): the 4K entry must be PT_NDA; with Dynamic PAMT (2.0 line,
   * huge-pages.md M16) the walk first stops at a 2M entry that has no pair:
   * TDX_MISSING_PAMT_PAGE_PAIR. */
  private pageFree(t: State, frame: number): number {
    const v = this.v;
    if (this.module === '2.0' && t[v.pamt2m + v.pamtBlockOf(frame)] !== PT_PAMT)
      return S.MISSING_PAMT_PAIR;
    return t[v.pamt + frame] !== PT_NDA ? S.METADATA_INCORRECT_R8 : S.SUCCESS;
  }

  /** The 4K PAMT entries of block b in order, each true where it is the TD's (PT_REG, or
   * PT_EPT: the kernel block's S-EPT table pages, one per huge range): what the node's page
   * count counts (pamt_inc_nl_page_count: kept as a counter by the module, derived here). */
  private blockEntries(t: State, b: number): boolean[] {
    const v = this.v;
    if (b === v.kernelBlock)
      return Array.from({ length: v.hugeRanges }, (_, r) => t[v.table + r] === TABLE_EPT);
    const entries: boolean[] = [];
    for (let f = 0; f < v.frameCount; f++)
      if (v.pamtBlockOf(f) === b) entries.push(t[v.pamt + f] === PT_REG);
    return entries;
  }

  /** The kernel block's pair check of a new S-EPT page (SEPT.ADD, DEMOTE; module 2.0): the 4K
   * walk of the page stops at K's 2M entry when it has no pair (helpers.c
   * non_shared_hpa_metadata_check_and_lock, M16): TDX_MISSING_PAMT_PAGE_PAIR + R8. */
  private tablePageNoPair(t: State): boolean {
    const k = this.v.kernelBlock;
    return k >= 0 && t[this.v.pamt2m + k] !== PT_PAMT;
  }

  /** TDH.PHYMEM.PAMT.ADD (2.0 line tdh_phymem_pamt_add.c; huge-pages.md M14): the range's 2M
   * entry must be PT_NDA (a pair there: TDX_HPA_RANGE_NOT_FREE + RCX); it becomes a node over
   * the given pair. The pair's own checks (TDX_PAGE_NOT_FREE) cannot fail: the kernel gives
   * fresh pages (our simplification), and bad operands have no caller. */
  pamtAdd(t: State, b: number): number {
    const v = this.v;
    if (t[v.pamt2m + b] !== PT_NDA) return S.HPA_RANGE_NOT_FREE;
    t[v.pamt2m + b] = PT_PAMT;
    return S.SUCCESS;
  }

  /** TDH.PHYMEM.PAMT.REMOVE (2.0 line tdh_phymem_pamt_remove.c; huge-pages.md M15): the 2M
   * entry must be a node (else TDX_NO_PAMT_PAGE_PAIR + RCX) whose 4K entries are all PT_NDA,
   * else TDX_PAMT_PAGE_NOT_EMPTY with the index of the pair page holding the entry in use
   * (page 0 holds the first half of the range's entries); the pair goes back to the caller. */
  pamtRemove(t: State, b: number): number {
    const v = this.v;
    if (t[v.pamt2m + b] !== PT_PAMT) return S.NO_PAMT_PAIR;
    const entries = this.blockEntries(t, b);
    const half = Math.ceil(entries.length / 2);
    if (entries.slice(0, half).some(Boolean)) return S.PAMT_NOT_EMPTY_0;
    if (entries.slice(half).some(Boolean)) return S.PAMT_NOT_EMPTY_1;
    t[v.pamt2m + b] = PT_NDA;
    return S.SUCCESS;
  }

  /** TDH.MEM.PAGE.REMOVE's PAMT_REMOVAL_HINT (2.0 line tdh_mem_page_remove.c, pamt_manager.h;
   * huge-pages.md M20): RCX bit 62 of a successful 4K REMOVE is set when the page was the last
   * one counted in its range's node. Read after the REMOVE. */
  pamtRemovalHint(t: State, frame: number): boolean {
    return this.module === '2.0' && !this.blockEntries(t, this.v.pamtBlockOf(frame)).some(Boolean);
  }

  /** check_td_in_correct_build_state (helpers.c), step 2 of every memory SEAMCALL. */
  private keysConfigured(s: State): boolean {
    return s[this.v.tdLifecycle] === TD_KEYS_CONFIGURED;
  }

  /** The number of 4 KiB pages the TD owns (TDR.chldcnt), from the PAMT: a 2M page counts N
   * (tdh_mem_page_aug.c adds 1 << (9 * level), M7) and an S-EPT table page 1 (M9). The module
   * keeps a counter; deriving it is our simplification (they agree by its own code). */
  childCount(s: State): number {
    const v = this.v;
    let n = 0;
    for (let f = 0; f < v.frameCount; f++) if (s[v.pamt + f] === PT_REG) n++;
    for (let b = 0; b < v.pamtBlockCount; b++)
      if (s[v.pamt2m + b] === PT_REG) n += v.config.scenario.hugeFolio;
    for (let r = 0; r < v.hugeRanges; r++) if (s[v.table + r] === TABLE_EPT) n++;
    return n;
  }

  /** The huge range (2M entry) above `gfn`, or -1 where the S-EPT tables are implicit. */
  rangeOf(gfn: number): number {
    const r = Math.floor(gfn / this.v.config.scenario.hugeFolio);
    return r < this.v.hugeRanges ? r : -1;
  }

  /** pamt_walk (pamt_manager.c, M4): a frame inside a 2M page assigned whole (2M entry PT_REG)
   * has its 4K walk stop at the 2M leaf: a 4K check of it is TDX_PAGE_METADATA_INCORRECT (M5). */
  in2mPage(t: State, frame: number): boolean {
    return this.v.pamtBlockCount > 0 && t[this.v.pamt2m + this.v.pamtBlockOf(frame)] === PT_REG;
  }

  /** The frame the S-EPT maps at GFN g: the 2M leaf's block at g's offset, or the 4K entry's
   * frame, as AUG, ADD and DEMOTE recorded them (the entry's PA bits; plan 5.2 `sept2m_block`)
   * where folios move between blocks, so a GFN whose folio was truncated and reallocated while
   * the S-EPT still mapped it is looked up on the frame the S-EPT maps, not on the folio's new
   * one. Where nothing is recorded (an entry never mapped), and where folios never move, the
   * folio's frame: the two agree there. */
  mappedFrame(s: State, g: number): number {
    const v = this.v;
    if (!v.blocksMove) return frameOf(v, s, g);
    const r = this.rangeOf(g);
    if (r >= 0 && s[v.sept2m + r] !== SEPT_NL_MAPPED && s[v.sept2mBlock + r])
      return s[v.sept2mBlock + r]! - 1 + g - r * v.config.scenario.hugeFolio;
    return s[v.septFrame + g] ? s[v.septFrame + g]! - 1 : frameOf(v, s, g);
  }

  /** The zap of GFN g's leaf is over: an entry now FREE keeps no frame (our encoding: the
   * record lasts until KVM's WBINVD and reset of the page are done). */
  forgetFrame(t: State, g: number): void {
    const v = this.v;
    if (!v.blocksMove) return;
    const r = this.rangeOf(g);
    if (r >= 0 && t[v.sept2m + r] === SEPT_FREE) t[v.sept2mBlock + r] = 0;
    if (this.leafOf(t, g) === SEPT_FREE) t[v.septFrame + g] = 0;
  }

  /** AUG, ADD or DEMOTE made g's 4K entry map `frame`. */
  private recordFrame(t: State, g: number, frame: number): void {
    if (this.v.blocksMove) t[this.v.septFrame + g] = frame + 1;
  }

  /** The PAMT leaf of `frame` (pamt_walk, M4, M8): a 2M page's head frame and N frames, or the
   * frame alone. */
  pamtLeaf(t: State, frame: number): { head: number; pages: number } {
    const n = this.v.config.scenario.hugeFolio;
    return this.in2mPage(t, frame)
      ? { head: frame - (frame % n), pages: n }
      : { head: frame, pages: 1 };
  }

  /** The state of the leaf that maps GFN g: its range's 2M leaf (or FREE 2M entry), else its
   * 4K entry. */
  leafOf(s: State, gfn: number): number {
    const r = this.rangeOf(gfn);
    if (r >= 0 && s[this.v.sept2m + r] !== SEPT_NL_MAPPED) return s[this.v.sept2m + r]!;
    return s[this.v.sept + gfn]!;
  }

  /** Does the module assign frame f to the TD (a 4K page, or a frame of a 2M page)? */
  assigned(s: State, frame: number): boolean {
    return s[this.v.pamt + frame] === PT_REG || this.in2mPage(s, frame);
  }

  /** secure_ept_walk to the 4K level (sept_manager.c; helpers.c
   * lock_sept_check_and_walk_internal, M1, M2): it stops above 4K at a FREE 2M entry (no table)
   * and at a 2M leaf in any state, and the SEAMCALL is TDX_EPT_WALK_FAILED + RCX. */
  private walkStopsAbove4k(t: State, gfn: number): boolean {
    const r = this.rangeOf(gfn);
    return r >= 0 && t[this.v.sept2m + r] !== SEPT_NL_MAPPED;
  }

  /** The GFNs of range r that the scenario has. */
  rangeGfns(r: number): number[] {
    const n = this.v.config.scenario.hugeFolio;
    const end = Math.min((r + 1) * n, this.v.config.scenario.gfns);
    return Array.from({ length: end - r * n }, (_, i) => r * n + i);
  }

  /** is_tlb_tracked (helpers.h): blocked in an epoch every vCPU has since left. A vCPU that
   * entered in the blocking epoch has the same age as the block. */
  tlbTracked(s: State, gfn: number): boolean {
    return this.tracked(s, this.v.blockAge + gfn);
  }

  /** is_tlb_tracked of the entry whose block age is variable `ageVar`. */
  private tracked(s: State, ageVar: number): boolean {
    const age = s[ageVar]!;
    if (age >= 2) return true;
    if (age === 0) return false;
    for (let c = 0; c < this.v.config.scenario.vcpus; c++) {
      if (s[this.v.inGuest + c] && s[this.v.entryAge + c] === 1) return false;
    }
    return true;
  }

  /** TDH.MEM.PAGE.AUG (tdh_mem_page_aug.c; ABI: TDH.MEM.PAGE.AUG leaf 6):
   * FREE -> PENDING, PAMT PT_NDA -> PT_REG; the page content is not touched. `gfn`'s entry
   * (RCX) maps `frame` (R8). */
  pageAug(t: State, gfn: number, frame: number): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    if (this.walkStopsAbove4k(t, gfn)) return S.WALK_FAILED;
    if (t[v.sept + gfn] !== SEPT_FREE) return S.STATE_INCORRECT;
    if (this.in2mPage(t, frame)) return S.METADATA_INCORRECT_R8; // operand R8 (M5)
    const free = this.pageFree(t, frame);
    if (free !== S.SUCCESS) return free;
    t[v.sept + gfn] = SEPT_PENDING;
    t[v.pamt + frame] = PT_REG;
    this.recordFrame(t, gfn, frame);
    return S.SUCCESS;
  }

  /** TDH.MEM.PAGE.ADD (tdh_mem_page_add.c; leaf 2): only before TDH.MR.FINALIZE; copies the
   * source page into the target under the TD's key: FREE -> MAPPED, PT_NDA -> PT_REG. */
  pageAdd(t: State, gfn: number, frame: number): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    if (t[v.tdOpState] !== TD_OP_INITIALIZED) return S.OP_STATE_INCORRECT;
    if (this.walkStopsAbove4k(t, gfn)) return S.WALK_FAILED;
    if (t[v.sept + gfn] !== SEPT_FREE) return S.STATE_INCORRECT;
    const free = this.pageFree(t, frame);
    if (free !== S.SUCCESS) return free;
    t[v.sept + gfn] = SEPT_MAPPED;
    t[v.pamt + frame] = PT_REG;
    this.recordFrame(t, gfn, frame);
    t[v.content + frame] = CONTENT_GUEST;
    t[v.dirty + frame] = 1;
    t[v.tdBit + frame] = 1;
    return S.SUCCESS;
  }

  /** TDH.MEM.PAGE.AUG at 2M (tdh_mem_page_aug.c, M7; helpers.c check_and_lock_free_range_hpa
   * and pamt_is_2mb_range_free, M6): the range's 2M entry must be FREE (a table there or a
   * leaf: TDX_EPT_ENTRY_STATE_INCORRECT, sept_state_lookup.c leaf 6, M3), then the frame
   * block's 2M PAMT entry and each of its 4K entries PT_NDA (else TDX_PAGE_METADATA_INCORRECT
   * + R8). FREE -> PENDING, the 2M PAMT entry PT_REG (the 4K ones stay PT_NDA, M4). */
  pageAug2m(t: State, r: number): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    if (t[v.sept2m + r] !== SEPT_FREE) return S.STATE_INCORRECT;
    const frames = this.rangeGfns(r).map((g) => frameOf(v, t, g));
    const b = v.pamtBlockOf(frames[0]!);
    if (t[v.pamt2m + b] !== PT_NDA || frames.some((f) => t[v.pamt + f] !== PT_NDA))
      return S.METADATA_INCORRECT_R8;
    t[v.sept2m + r] = SEPT_PENDING;
    t[v.pamt2m + b] = PT_REG;
    if (v.blocksMove) t[v.sept2mBlock + r] = frames[0]! + 1;
    return S.SUCCESS;
  }

  /** TDH.MEM.SEPT.ADD of range r's table page (tdh_mem_sept_add.c, leaf 3, M9; KVM passes
   * version 0, always a new page): the 2M entry must be FREE (else
   * TDX_EPT_ENTRY_STATE_INCORRECT), the new page PT_NDA (else TDX_PAGE_METADATA_INCORRECT +
   * R8). The page becomes PT_EPT, filled with FREE 4K entries; the 2M entry NL_MAPPED. */
  septAdd(t: State, r: number): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    if (t[v.sept2m + r] !== SEPT_FREE) return S.STATE_INCORRECT;
    if (t[v.table + r] === TABLE_EPT) return S.METADATA_INCORRECT_R8;
    if (this.tablePageNoPair(t)) return S.MISSING_PAMT_PAIR; // row S3
    for (const g of this.rangeGfns(r)) {
      t[v.sept + g] = SEPT_FREE;
      t[v.blockAge + g] = 0;
    }
    t[v.table + r] = TABLE_EPT;
    t[v.sept2m + r] = SEPT_NL_MAPPED;
    return S.SUCCESS;
  }

  /** TDH.MEM.PAGE.DEMOTE of range r's 2M leaf into its table page (tdh_mem_page_demote.c, leaf
   * 15, M11; pamt_manager.c pamt_demote, M12), checks in the module's order: the 2M entry a
   * leaf (FREE or NL_MAPPED: TDX_EPT_ENTRY_STATE_INCORRECT, sept_state_lookup.c leaf 15); on a
   * RUNNABLE TD blocked (TDX_GPA_RANGE_NOT_BLOCKED) and tracked (TDX_TLB_TRACKING_NOT_DONE);
   * the new page PT_NDA (TDX_PAGE_METADATA_INCORRECT + R8). Each 4K entry copies the leaf with
   * its block cleared (BLOCKED -> MAPPED, PENDING_BLOCKED -> PENDING: no UNBLOCK needed); the
   * 4K PAMT entries take the 2M one's PT_REG and it becomes PT_NDA (static PAMT; Dynamic PAMT:
   * a node over the given pair, M17). `interrupted`: a pending interrupt meets the module's
   * interrupt check before pamt_demote (M11, in 1.5.01 and the 2.0 snapshot alike):
   * TDX_INTERRUPTED_RESTARTABLE, nothing committed. A module with
   * ENHANCED_DEMOTE_INTERRUPTIBILITY does not return it for a TD without L2 VMs (M13: [hp-v3]
   * 00, 02; not in any module source read: UNVERIFIED), so only a run that says the module
   * lacks it (scenario `demoteInterruptible`) asks. */
  demote(t: State, r: number, interrupted = false): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    const state = t[v.sept2m + r]!;
    if (state === SEPT_FREE || state === SEPT_NL_MAPPED) return S.STATE_INCORRECT;
    if (t[v.tdOpState] === TD_OP_RUNNABLE) {
      if (!isBlocked(state)) return S.NOT_BLOCKED;
      if (!this.tracked(t, v.blockAge2m + r)) return S.TRACKING_NOT_DONE;
    }
    if (t[v.table + r] === TABLE_EPT) return S.METADATA_INCORRECT_R8;
    if (this.tablePageNoPair(t)) return S.MISSING_PAMT_PAIR; // row D7
    const gfns = this.rangeGfns(r);
    const frames = gfns.map((g) => this.mappedFrame(t, g));
    const b = v.pamtBlockOf(frames[0]!);
    if (interrupted) return S.INTERRUPTED_RESTARTABLE; // row D9
    // pamt_demote with Dynamic PAMT (M17): the guest range's pair in R12/R13 must be free pages,
    // not PAMT pages already (row D8); KVM gives fresh ones from its split cache ([hp-v3] 22),
    // so only the row reaches this
    if (this.module === '2.0' && t[v.pamtPair + b] !== PAIR_FREE) return S.PAGE_NOT_FREE_R12;
    const child =
      state === SEPT_BLOCKED ? SEPT_MAPPED : state === SEPT_PENDING_BLOCKED ? SEPT_PENDING : state;
    gfns.forEach((g, i) => {
      t[v.sept + g] = child;
      t[v.blockAge + g] = 0;
      t[v.pamt + frames[i]!] = PT_REG;
      this.recordFrame(t, g, frames[i]!);
    });
    if (v.blocksMove) t[v.sept2mBlock + r] = 0;
    // static PAMT: the 2M entry PT_NDA (M12); Dynamic PAMT: a node over the pair, its page
    // count N (M17)
    t[v.pamt2m + b] = this.module === '2.0' ? PT_PAMT : PT_NDA;
    t[v.table + r] = TABLE_EPT;
    t[v.sept2m + r] = SEPT_NL_MAPPED;
    t[v.blockAge2m + r] = 0;
    return S.SUCCESS;
  }

  /** TDH.MR.FINALIZE (tdh_mr_finalize.c; leaf 17): INITIALIZED -> RUNNABLE. Its checks in
   * the module's order: the key (check_state_map_tdcs_and_lock ->
   * check_td_in_correct_build_state), the op state (op_state_lookup), then TDCS.num_vcpus != 0.
   * The model's TD has its scenario's vCPUs, all initialized before finalize (KVM_TDX_INIT_VCPU
   * is not modelled). TDR lock contention (BUSY) cannot arise: KVM serialises the TD's
   * management SEAMCALLs. */
  finalize(t: State): number {
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    if (t[this.v.tdOpState] !== TD_OP_INITIALIZED) return S.OP_STATE_INCORRECT;
    if (this.v.config.scenario.vcpus === 0) return S.NO_VCPUS;
    t[this.v.tdOpState] = TD_OP_RUNNABLE;
    return S.SUCCESS;
  }

  /** TDH.MEM.RANGE.BLOCK (tdh_mem_range_block.c; leaf 7): MAPPED -> BLOCKED, PENDING ->
   * PENDING_BLOCKED, recording the TD's epoch in the PAMT entry (bepoch). */
  rangeBlock(t: State, gfn: number): number {
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    if (this.walkStopsAbove4k(t, gfn)) return S.WALK_FAILED;
    return this.block(t, this.v.sept + gfn, this.v.blockAge + gfn);
  }

  /** TDH.MEM.RANGE.BLOCK of range r's 2M leaf: the same rules at level 2M (M3 leaf 7). KVM
   * blocks leaves only, so BLOCK of an NL_MAPPED entry (-> NL_BLOCKED) is not modelled: it
   * answers TDX_EPT_ENTRY_STATE_INCORRECT here, a call no step makes. */
  rangeBlock2m(t: State, r: number): number {
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    return this.block(t, this.v.sept2m + r, this.v.blockAge2m + r);
  }

  /** BLOCK of the entry `entry` (a variable) whose block age is `age`. */
  private block(t: State, entry: number, age: number): number {
    const state = t[entry]!;
    if (isBlocked(state)) return S.ALREADY_BLOCKED;
    if (state !== SEPT_MAPPED && state !== SEPT_PENDING) return S.STATE_INCORRECT;
    t[entry] = state === SEPT_MAPPED ? SEPT_BLOCKED : SEPT_PENDING_BLOCKED;
    t[age] = 0;
    return S.SUCCESS;
  }

  /** TDH.MEM.TRACK (tdh_mem_track.c; leaf 38): needs no vCPU still inside from the previous
   * epoch, then advances the TD's epoch. Ages are kept relative to the current epoch. */
  track(t: State): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    const { vcpus, gfns } = v.config.scenario; // block ages are per GFN
    for (let c = 0; c < vcpus; c++)
      if (t[v.inGuest + c] && t[v.entryAge + c]! >= 1) return S.EPOCH_BUSY;
    for (let c = 0; c < vcpus; c++) if (t[v.entryAge + c]! < 2) t[v.entryAge + c]!++;
    for (let g = 0; g < gfns; g++) if (t[v.blockAge + g]! < 2) t[v.blockAge + g]!++;
    for (let r = 0; r < v.hugeRanges; r++) if (t[v.blockAge2m + r]! < 2) t[v.blockAge2m + r]!++;
    return S.SUCCESS;
  }

  /** TDH.MEM.PAGE.REMOVE (tdh_mem_page_remove.c; leaf 29): when RUNNABLE the entry must be
   * blocked and tracked; before finalize MAPPED/PENDING go directly. Entry -> FREE, PAMT ->
   * PT_NDA; the page's content and its dirty HKID cache lines stay as they are. */
  pageRemove(t: State, gfn: number, frame: number): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    if (this.walkStopsAbove4k(t, gfn)) return S.WALK_FAILED;
    const st = this.remove(t, v.sept + gfn, v.blockAge + gfn);
    if (st === S.SUCCESS) t[v.pamt + frame] = PT_NDA;
    return st;
  }

  /** TDH.MEM.PAGE.REMOVE of range r's 2M leaf (tdh_mem_page_remove.c, M3 leaf 29): the same
   * rules at level 2M; the block's 2M PAMT entry goes back to PT_NDA (the TD's child count
   * drops by N). */
  pageRemove2m(t: State, r: number): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    if (t[v.sept2m + r] === SEPT_NL_MAPPED) return S.STATE_INCORRECT; // not a leaf
    const st = this.remove(t, v.sept2m + r, v.blockAge2m + r);
    if (st === S.SUCCESS)
      t[v.pamt2m + v.pamtBlockOf(this.mappedFrame(t, this.rangeGfns(r)[0]!))] = PT_NDA;
    return st;
  }

  /** REMOVE of the leaf `entry` (a variable) whose block age is `age`: entry -> FREE. */
  private remove(t: State, entry: number, age: number): number {
    const state = t[entry]!;
    if (state === SEPT_FREE) return S.STATE_INCORRECT;
    if (t[this.v.tdOpState] === TD_OP_RUNNABLE) {
      if (!isBlocked(state)) return S.NOT_BLOCKED;
      if (!this.tracked(t, age)) return S.TRACKING_NOT_DONE;
    }
    t[entry] = SEPT_FREE;
    t[age] = 0;
    return S.SUCCESS;
  }

  /** TDH.PHYMEM.PAGE.WBINVD (tdh_phymem_page_wbinvd.c; leaf 41): write back and invalidate
   * the page's lines under the HKID; the page must be PT_NDA (check_and_lock_explicit_private_hpa
   * with operand RCX). No TD check at all. Its BUSY (the PAMT entry locked) cannot arise: KVM
   * WBINVDs a page it has just REMOVEd, under mmu_lock held for write. */
  pageWbinvd(t: State, frame: number): number {
    if (this.in2mPage(t, frame)) return S.METADATA_INCORRECT_RCX; // a 4K walk, M5
    if (t[this.v.pamt + frame] !== PT_NDA) return S.METADATA_INCORRECT_RCX;
    t[this.v.dirty + frame] = 0;
    return S.SUCCESS;
  }

  /** TDG.MEM.PAGE.ACCEPT (tdg_mem_page_accept.c; TDCALL leaf 6): PENDING -> MAPPED, zeroing
   * the page under the TD's key. MAPPED is TDX_PAGE_ALREADY_ACCEPTED + the level (bit 63 clear,
   * not an error): the entry is left as it is and the page is not zeroed. Any other state is a
   * TD exit (EPT violation, EEQ ACCEPT), reported here as TDX_EPT_ENTRY_STATE_INCORRECT for the
   * caller to turn into an exit. Its BUSY (the host holding the entry lock) cannot arise: a
   * SEAMCALL is one atomic step of the model. */
  guestAccept(t: State, gfn: number): number {
    const v = this.v;
    const r = this.rangeOf(gfn);
    if (r >= 0 && t[v.sept2m + r] !== SEPT_NL_MAPPED) {
      // the 4K walk stops at the 2M entry (check_tdaccept_failure, M23): a guest-accessible
      // leaf is ALREADY_ACCEPTED + its level; FREE or any other leaf is the exit, level 4K
      return t[v.sept2m + r] === SEPT_MAPPED ? S.ALREADY_ACCEPTED_2M : S.STATE_INCORRECT;
    }
    const state = t[v.sept + gfn];
    if (state === SEPT_MAPPED) return S.ALREADY_ACCEPTED;
    if (state !== SEPT_PENDING) return S.STATE_INCORRECT;
    t[v.sept + gfn] = SEPT_MAPPED;
    this.zeroUnderTdKey(t, gfn);
    return S.SUCCESS;
  }

  /** TDG.MEM.PAGE.ACCEPT at 2M (tdg_mem_page_accept.c, M23): a PENDING 2M leaf -> MAPPED,
   * every page of it zeroed under the TD's key (the module's 512 inner steps and their accept
   * counter are one step: our simplification); a MAPPED one is ALREADY_ACCEPTED + its level; a
   * table there (NL_MAPPED) is TDX_PAGE_SIZE_MISMATCH + level 2M; FREE or a blocked leaf is the
   * EPT-violation exit with level 2M (TDX_EPT_ENTRY_STATE_INCORRECT here, as at 4K). */
  guestAccept2m(t: State, r: number): number {
    const v = this.v;
    const state = t[v.sept2m + r];
    if (state === SEPT_NL_MAPPED) return S.SIZE_MISMATCH;
    if (state === SEPT_MAPPED) return S.ALREADY_ACCEPTED_2M;
    if (state !== SEPT_PENDING) return S.STATE_INCORRECT;
    t[v.sept2m + r] = SEPT_MAPPED;
    for (const g of this.rangeGfns(r)) this.zeroUnderTdKey(t, g);
    return S.SUCCESS;
  }

  /** ACCEPT's zeroing of a page under the TD's key: its lines are dirty and TD-tagged. */
  private zeroUnderTdKey(t: State, gfn: number): void {
    const f = this.mappedFrame(t, gfn);
    t[this.v.content + f] = CONTENT_STALE;
    t[this.v.dirty + f] = 1;
    t[this.v.tdBit + f] = 1;
  }

  /** TDH.MNG.VPFLUSHDONE (tdh_mng_vpflushdone.c; leaf 19): the lifecycle must be
   * KEYS_CONFIGURED (the model has no HKID_ASSIGNED-only TD), and no vCPU may still be
   * associated with a logical processor (one in the guest is): TDX_FLUSHVP_NOT_DONE. Success:
   * TD_BLOCKED, its HKID is FLUSHED for CACHE.WB. The KOT lock's BUSY cannot arise: KVM
   * serialises HKID release under tdx_lock. */
  vpFlushDone(t: State): number {
    const v = this.v;
    if (t[v.tdLifecycle] !== TD_KEYS_CONFIGURED) return S.LIFECYCLE_INCORRECT;
    for (let c = 0; c < v.config.scenario.vcpus; c++)
      if (t[v.inGuest + c]) return S.FLUSHVP_NOT_DONE;
    t[v.tdLifecycle] = TD_BLOCKED;
    return S.SUCCESS;
  }

  /** TDH.PHYMEM.CACHE.WB (tdh_phymem_cache_wb.c; leaf 40): writes back every line of the
   * FLUSHED HKIDs (the TD's, once it is TD_BLOCKED), else TDX_NO_HKID_READY_TO_WBCACHE (a
   * success status). A frame the host reused gets the lines written over it. Its
   * TDX_INTERRUPTED_RESUMABLE (KVM resumes it, smp_func_do_phymem_cache_wb) is folded. */
  cacheWb(t: State): number {
    const v = this.v;
    if (t[v.tdLifecycle] !== TD_BLOCKED) return S.NO_HKID_READY;
    for (let f = 0; f < v.frameCount; f++) {
      if (t[v.dirty + f] && t[v.owner + f] === OWNER_HOST) t[v.content + f] = CONTENT_STALE;
      t[v.dirty + f] = 0;
    }
    return S.SUCCESS;
  }

  /** TDH.MNG.KEY.FREEID (tdh_mng_key_freeid.c; leaf 20): TD_BLOCKED -> TD_TEARDOWN, else
   * TDX_LIFECYCLE_STATE_INCORRECT. Its TDX_WBCACHE_NOT_COMPLETE cannot arise: the model's
   * tdx_mmu_release_hkid runs CACHE.WB and FREEID in one step. */
  keyFreeId(t: State): number {
    if (t[this.v.tdLifecycle] !== TD_BLOCKED) return S.LIFECYCLE_INCORRECT;
    t[this.v.tdLifecycle] = TD_TEARDOWN;
    return S.SUCCESS;
  }

  /** TDH.PHYMEM.PAGE.RECLAIM of the TDR (tdh_phymem_page_reclaim.c; leaf 28): needs
   * lifecycle TD_TEARDOWN and chldcnt == 0, else the TDR stays the module's: KVM leaks it. */
  reclaimTdr(t: State): number {
    if (t[this.v.tdLifecycle] !== TD_TEARDOWN) return S.LIFECYCLE_INCORRECT;
    if (this.childCount(t) !== 0) {
      t[this.v.tdr] = TDR_LEAKED;
      return S.PAGES_EXIST;
    }
    t[this.v.tdr] = TDR_RECLAIMED;
    return S.SUCCESS;
  }

  /** TDH.PHYMEM.PAGE.RECLAIM of one of the TD's ordinary pages (tdh_phymem_page_reclaim.c;
   * leaf 28; tdx-module.md 3.4): the PAMT entry must be the TD's (not PT_NDA, else
   * TDX_PAGE_METADATA_INCORRECT, whose operand is RCX there: KVM compares bits 63:32) and its
   * TD in TD_TEARDOWN, its HKID released (else TDX_LIFECYCLE_STATE_INCORRECT). The page goes
   * back to PT_NDA, so the TD's child count drops; its S-EPT entry is left as it is (it dies
   * with the TD). */
  pageReclaim(t: State, frame: number): number {
    const v = this.v;
    if (this.in2mPage(t, frame)) {
      // the PAMT walk ends at the 2M leaf (M8): the head frame reclaims the whole 2M page
      // (R8 = 2M), any other frame is not aligned to that leaf
      const b = v.pamtBlockOf(frame);
      if (frame % v.config.scenario.hugeFolio !== 0) return S.OPERAND_INVALID_RCX;
      if (t[v.tdLifecycle] !== TD_TEARDOWN) return S.LIFECYCLE_INCORRECT;
      t[v.pamt2m + b] = PT_NDA;
      return S.SUCCESS;
    }
    if (t[v.pamt + frame] !== PT_REG) return S.METADATA_INCORRECT_RCX; // the page is operand RCX (tdh_phymem_page_reclaim.c)
    if (t[v.tdLifecycle] !== TD_TEARDOWN) return S.LIFECYCLE_INCORRECT;
    t[v.pamt + frame] = PT_NDA;
    return S.SUCCESS;
  }

  /** TDH.PHYMEM.PAGE.RECLAIM of range r's S-EPT table page (tdh_phymem_page_reclaim.c, M8):
   * a page the module holds (PT_EPT) goes back to PT_NDA once the HKID is released (the TD's
   * child count drops by one) and KVM frees it; one the module never took (PT_NDA: a failed
   * DEMOTE's, TABLE_ORPHAN) is TDX_PAGE_METADATA_INCORRECT + RCX. */
  tableReclaim(t: State, r: number): number {
    const v = this.v;
    if (t[v.table + r] !== TABLE_EPT) return S.METADATA_INCORRECT_RCX;
    if (t[v.tdLifecycle] !== TD_TEARDOWN) return S.LIFECYCLE_INCORRECT;
    t[v.table + r] = TABLE_FREED;
    return S.SUCCESS;
  }

  /** tdx_clear_page (v6.17) / tdx_quirk_reset_page (series-v3), arch/x86/kvm/vmx/tdx.c: KVM
   * writes the whole page with MOVDIR64B under KeyID 0 after taking it back from the module
   * (on X86_BUG_TDX_PW_MCE platforms since August 2025, which the model assumes): no line
   * keeps the TD bit, and the page holds nobody's data. Not a SEAMCALL; here because it undoes
   * what the module's writes under the HKID leave. */
  clearPage(t: State, frame: number): void {
    t[this.v.content + frame] = CONTENT_STALE;
    t[this.v.tdBit + frame] = 0;
  }
}
