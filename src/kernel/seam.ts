/**
 * The TDX module (SEAM): S-EPT leaf states, PAMT, the TD's lifecycle and key, TLB epochs, and
 * each SEAMCALL the host uses on private memory, with its checks in the module's order and its
 * status code. Facts are from ../shared/reference/tdx-module.md, read from the TDX module 1.5.01
 * source (intel/tdx-module, tag TDX_1.5.01): file names below are in that tree.
 *
 * Our simplifications: one TD; every leaf is 4 KiB and its S-EPT page tables always exist
 * (no TDH.MEM.SEPT.ADD, no TDX_EPT_WALK_FAILED); S-EPT, PAMT and epoch locks are held only
 * inside one SEAMCALL, which is one atomic step, so TDX_OPERAND_BUSY comes from the `busy`
 * fault budget, allowed where a conflicting holder can exist (a vCPU in the guest, a guest
 * TDCALL or another SEAMCALL: tdx-module.md section 6.1, and section 9's suggestion).
 */
import type { State } from '../engine/index.js';
import type { ModuleVersion } from './module.js';
import {
  OWNER_HOST,
  PT_NDA,
  PT_PAMT,
  PT_REG,
  pamtRangeOf,
  TD_BLOCKED,
  TD_KEYS_CONFIGURED,
  TD_OP_INITIALIZED,
  TD_OP_RUNNABLE,
  TD_TEARDOWN,
  TDR_LEAKED,
  TDR_RECLAIMED,
  CONTENT_GUEST,
  CONTENT_STALE,
  type Vars,
} from './vars.js';

/** S-EPT leaf states that private memory reaches without live migration
 * (include/auto_gen/sept_state_lookup.h; public ids in RDX[15:8]). */
export const SEPT_FREE = 0;
export const SEPT_PENDING = 1;
export const SEPT_MAPPED = 2;
export const SEPT_BLOCKED = 3;
export const SEPT_PENDING_BLOCKED = 4;
export const septStateNames = ['FREE', 'PENDING', 'MAPPED', 'BLOCKED', 'PENDING_BLOCKED'] as const;

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
    if (this.module === '2.0' && t[v.pamt2m + this.rangeOf(frame)] !== PT_PAMT)
      return S.MISSING_PAMT_PAIR;
    return t[v.pamt + frame] !== PT_NDA ? S.METADATA_INCORRECT_R8 : S.SUCCESS;
  }

  rangeOf(frame: number): number {
    return pamtRangeOf(this.v.frameCount, frame);
  }

  /** The frames of a 2M range whose 4K PAMT entry is the TD's (the node's page count,
   * pamt_inc_nl_page_count: kept as a counter by the module, derived here). */
  private rangeInUse(t: State, range: number, from = 0, to = this.v.frameCount): boolean {
    for (let f = from; f < to; f++)
      if (this.rangeOf(f) === range && t[this.v.pamt + f] === PT_REG) return true;
    return false;
  }

  /** TDH.PHYMEM.PAMT.ADD (2.0 line tdh_phymem_pamt_add.c; huge-pages.md M14): the range's 2M
   * entry must be PT_NDA (a pair there: TDX_HPA_RANGE_NOT_FREE + RCX); it becomes a node over
   * the given pair. The pair's own checks (TDX_PAGE_NOT_FREE) cannot fail: the kernel gives
   * fresh pages (our simplification), and bad operands have no caller. */
  pamtAdd(t: State, range: number): number {
    const v = this.v;
    if (t[v.pamt2m + range] !== PT_NDA) return S.HPA_RANGE_NOT_FREE;
    t[v.pamt2m + range] = PT_PAMT;
    return S.SUCCESS;
  }

  /** TDH.PHYMEM.PAMT.REMOVE (2.0 line tdh_phymem_pamt_remove.c; huge-pages.md M15): the 2M
   * entry must be a node (else TDX_NO_PAMT_PAGE_PAIR + RCX) whose 4K entries are all PT_NDA,
   * else TDX_PAMT_PAGE_NOT_EMPTY with the index of the pair page holding the entry in use
   * (page 0 holds the first half of the range's entries); the pair goes back to the caller. */
  pamtRemove(t: State, range: number): number {
    const v = this.v;
    if (t[v.pamt2m + range] !== PT_PAMT) return S.NO_PAMT_PAIR;
    const inRange = Array.from({ length: v.frameCount }, (_, f) => f).filter(
      (f) => this.rangeOf(f) === range,
    );
    const half = inRange[0]! + Math.ceil(inRange.length / 2);
    if (this.rangeInUse(t, range, inRange[0], half)) return S.PAMT_NOT_EMPTY_0;
    if (this.rangeInUse(t, range, half)) return S.PAMT_NOT_EMPTY_1;
    t[v.pamt2m + range] = PT_NDA;
    return S.SUCCESS;
  }

  /** TDH.MEM.PAGE.REMOVE's PAMT_REMOVAL_HINT (2.0 line tdh_mem_page_remove.c, pamt_manager.h;
   * huge-pages.md M20): RCX bit 62 of a successful 4K REMOVE is set when the page was the last
   * one counted in its range's node. Read after the REMOVE. */
  pamtRemovalHint(t: State, frame: number): boolean {
    return this.module === '2.0' && !this.rangeInUse(t, this.rangeOf(frame));
  }

  /** check_td_in_correct_build_state (helpers.c), step 2 of every memory SEAMCALL. */
  private keysConfigured(s: State): boolean {
    return s[this.v.tdLifecycle] === TD_KEYS_CONFIGURED;
  }

  /** The number of 4 KiB pages the TD owns (TDR.chldcnt), from the PAMT. */
  childCount(s: State): number {
    let n = 0;
    for (let f = 0; f < this.v.frameCount; f++) if (s[this.v.pamt + f] === PT_REG) n++;
    return n;
  }

  /** is_tlb_tracked (helpers.h): blocked in an epoch every vCPU has since left. A vCPU that
   * entered in the blocking epoch has the same age as the block. */
  tlbTracked(s: State, gfn: number): boolean {
    const age = s[this.v.blockAge + gfn]!;
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
    if (t[v.sept + gfn] !== SEPT_FREE) return S.STATE_INCORRECT;
    const free = this.pageFree(t, frame);
    if (free !== S.SUCCESS) return free;
    t[v.sept + gfn] = SEPT_PENDING;
    t[v.pamt + frame] = PT_REG;
    return S.SUCCESS;
  }

  /** TDH.MEM.PAGE.ADD (tdh_mem_page_add.c; leaf 2): only before TDH.MR.FINALIZE; copies the
   * source page into the target under the TD's key: FREE -> MAPPED, PT_NDA -> PT_REG. */
  pageAdd(t: State, gfn: number, frame: number): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    if (t[v.tdOpState] !== TD_OP_INITIALIZED) return S.OP_STATE_INCORRECT;
    if (t[v.sept + gfn] !== SEPT_FREE) return S.STATE_INCORRECT;
    const free = this.pageFree(t, frame);
    if (free !== S.SUCCESS) return free;
    t[v.sept + gfn] = SEPT_MAPPED;
    t[v.pamt + frame] = PT_REG;
    t[v.content + frame] = CONTENT_GUEST;
    t[v.dirty + frame] = 1;
    t[v.tdBit + frame] = 1;
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
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    const state = t[v.sept + gfn]!;
    if (isBlocked(state)) return S.ALREADY_BLOCKED;
    if (state !== SEPT_MAPPED && state !== SEPT_PENDING) return S.STATE_INCORRECT;
    t[v.sept + gfn] = state === SEPT_MAPPED ? SEPT_BLOCKED : SEPT_PENDING_BLOCKED;
    t[v.blockAge + gfn] = 0;
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
    return S.SUCCESS;
  }

  /** TDH.MEM.PAGE.REMOVE (tdh_mem_page_remove.c; leaf 29): when RUNNABLE the entry must be
   * blocked and tracked; before finalize MAPPED/PENDING go directly. Entry -> FREE, PAMT ->
   * PT_NDA; the page's content and its dirty HKID cache lines stay as they are. */
  pageRemove(t: State, gfn: number, frame: number): number {
    const v = this.v;
    if (!this.keysConfigured(t)) return S.KEYS_NOT_CONFIGURED;
    const state = t[v.sept + gfn]!;
    if (state === SEPT_FREE) return S.STATE_INCORRECT;
    if (t[v.tdOpState] === TD_OP_RUNNABLE) {
      if (!isBlocked(state)) return S.NOT_BLOCKED;
      if (!this.tlbTracked(t, gfn)) return S.TRACKING_NOT_DONE;
    }
    t[v.sept + gfn] = SEPT_FREE;
    t[v.pamt + frame] = PT_NDA;
    t[v.blockAge + gfn] = 0;
    return S.SUCCESS;
  }

  /** TDH.PHYMEM.PAGE.WBINVD (tdh_phymem_page_wbinvd.c; leaf 41): write back and invalidate
   * the page's lines under the HKID; the page must be PT_NDA (check_and_lock_explicit_private_hpa
   * with operand RCX). No TD check at all. Its BUSY (the PAMT entry locked) cannot arise: KVM
   * WBINVDs a page it has just REMOVEd, under mmu_lock held for write. */
  pageWbinvd(t: State, frame: number): number {
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
  guestAccept(t: State, gfn: number, frame: number): number {
    const v = this.v;
    const state = t[v.sept + gfn];
    if (state === SEPT_MAPPED) return S.ALREADY_ACCEPTED;
    if (state !== SEPT_PENDING) return S.STATE_INCORRECT;
    t[v.sept + gfn] = SEPT_MAPPED;
    t[v.content + frame] = CONTENT_STALE;
    t[v.dirty + frame] = 1;
    t[v.tdBit + frame] = 1;
    return S.SUCCESS;
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
    if (t[v.pamt + frame] !== PT_REG) return S.METADATA_INCORRECT_RCX; // the page is operand RCX (tdh_phymem_page_reclaim.c)
    if (t[v.tdLifecycle] !== TD_TEARDOWN) return S.LIFECYCLE_INCORRECT;
    t[v.pamt + frame] = PT_NDA;
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
