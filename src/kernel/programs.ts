/**
 * Each process's program, declared once: its labels (program-counter values, one wherever the
 * real code takes or drops a lock, makes a SEAMCALL or waits) and the name each label has in
 * traces and in the view. The steps import their labels from here; the view and the type
 * invariant (properties.ts, typeOk) read the names and domains from here.
 */

/** A program: label names by program-counter value. */
export type Labels = Readonly<Record<number, string>>;

/** A vCPU's EPT-violation fault path (arch/x86/kvm/mmu/mmu.c, tdp_mmu.c, vmx/tdx.c); outside
 * it the vCPU is idle or in the guest. */
export const VCPU_IDLE = 0;
export const FAULT_PFN = 1; // kvm_mmu_faultin_pfn -> kvm_gmem_get_pfn
export const FAULT_MAP = 2; // kvm_tdp_mmu_map under read mmu_lock
export const FAULT_SEAMCALL = 3; // tdx_sept_set_private_spte with the SPTE frozen
export const FAULT_FINISH = 4; // read_unlock, kvm_release_faultin_page
/** Dynamic PAMT (module 2.0, tdx_pamt.ts) */
export const FAULT_PAMT_GET = 5; // tdx_sept_set_private_spte: tdx_pamt_get before AUG
export const FAULT_PAMT_PUT = 6; // tdx_pamt_put's locked part after a failed AUG
export const FAULT_PAMT_ADD = 7; // mutation pamt-unlocked: PAMT.ADD apart from the count's read
/** hugepage-v3: an EPT violation from a 4K ACCEPT, before the fault ([hp-v3] 13/24) */
export const FAULT_ACCEPT_LEVEL = 8; // tdx_honor_guest_accept_level: write_lock(mmu_lock)
export const vcpuLabels: Labels = {
  [VCPU_IDLE]: 'idle',
  [FAULT_PFN]: 'faultin_pfn',
  [FAULT_MAP]: 'tdp_mmu_map',
  [FAULT_SEAMCALL]: 'set_private_spte',
  [FAULT_FINISH]: 'finish_fault',
  [FAULT_PAMT_GET]: 'tdx_pamt_get',
  [FAULT_PAMT_PUT]: 'tdx_pamt_put',
  [FAULT_PAMT_ADD]: 'PAMT.ADD unlocked',
  [FAULT_ACCEPT_LEVEL]: 'honor_accept_level',
};

/**
 * An invalidating path (invalidation.ts): guest_memfd's unmap of a range (punch hole,
 * conversion to shared, file release, memory failure): kvm_gmem_invalidate_begin, the TDP
 * MMU's zap of each private leaf (TDX's BLOCK, TRACK, kick, REMOVE, WBINVD), the caller's own
 * work, and kvm_gmem_invalidate_end.
 */
export const INV_IDLE = 0; // not invalidating (the memory-failure handler's rest)
export const INV_LOCK = 1; // filemap_invalidate_lock
export const INV_BEGIN = 2; // kvm_gmem_invalidate_begin: KVM_MMU_LOCK, kvm_mmu_invalidate_begin
export const ZAP_BLOCK = 3; // tdx_sept_remove_private_spte: TDH.MEM.RANGE.BLOCK
export const ZAP_BLOCK_RETRY = 4; // tdh_do_no_vcpus: BLOCK again with vCPUs kept out
export const ZAP_TRACK = 5; // tdx_track: TDH.MEM.TRACK
export const ZAP_KICK = 6; // tdx_track: kvm_make_all_cpus_request(KVM_REQ_OUTSIDE_GUEST_MODE)
export const ZAP_REMOVE = 7; // TDH.MEM.PAGE.REMOVE
export const ZAP_REMOVE_RETRY = 8;
export const ZAP_WBINVD = 9; // TDH.PHYMEM.PAGE.WBINVD, tdx_clear_page
export const INV_MMU_UNLOCK = 10; // KVM_MMU_UNLOCK
export const INV_WORK = 11; // what the caller invalidated for: truncate, convert, nothing
export const INV_END = 12; // kvm_gmem_invalidate_end, filemap_invalidate_unlock
export const ZAP_TRACK_RETRY = 13; // tdh_do_no_vcpus: TRACK again with vCPUs kept out
/** tdx_sept_split_private_spte ([hp-v3] 08): after the zap's BLOCK, TRACK and kick at 2M */
export const SPLIT_DEMOTE = 14; // TDH.MEM.PAGE.DEMOTE through tdh_do_no_vcpus
export const SPLIT_DEMOTE_RETRY = 15;
/** kvm_gmem_restructure after kvm_gmem_invalidate_end (trees.ts restructureAfterInvalidateEnd) */
export const INV_RESTRUCTURE = 16;
export const invalidationLabels: Labels = {
  [INV_LOCK]: 'filemap_invalidate_lock',
  [INV_BEGIN]: 'kvm_gmem_invalidate_begin',
  [ZAP_BLOCK]: 'BLOCK',
  [ZAP_BLOCK_RETRY]: 'BLOCK retry',
  [ZAP_TRACK]: 'TRACK',
  [ZAP_TRACK_RETRY]: 'TRACK retry',
  [ZAP_KICK]: 'kick vCPUs',
  [ZAP_REMOVE]: 'REMOVE',
  [ZAP_REMOVE_RETRY]: 'REMOVE retry',
  [ZAP_WBINVD]: 'WBINVD',
  [SPLIT_DEMOTE]: 'DEMOTE',
  [SPLIT_DEMOTE_RETRY]: 'DEMOTE retry',
  [INV_MMU_UNLOCK]: 'KVM_MMU_UNLOCK',
  [INV_WORK]: 'work',
  [INV_END]: 'kvm_gmem_invalidate_end',
  [INV_RESTRUCTURE]: 'kvm_gmem_restructure',
};
/** The labels of tdx_sept_split_private_spte's steps (BLOCK, TRACK and kick at 2M, DEMOTE) and
 * the write_unlock after them, as tdx_honor_guest_accept_level runs them on a vCPU. */
export const splitLabels: Labels = Object.fromEntries(
  [
    ZAP_BLOCK,
    ZAP_BLOCK_RETRY,
    ZAP_TRACK,
    ZAP_TRACK_RETRY,
    ZAP_KICK,
    SPLIT_DEMOTE,
    SPLIT_DEMOTE_RETRY,
    INV_MMU_UNLOCK,
  ].map((l) => [l, invalidationLabels[l]!]),
);
/** Is an invalidating path at a label where its cursor names the leaf being zapped? */
export const zapping = (pc: number) =>
  (pc >= ZAP_BLOCK && pc <= ZAP_WBINVD) || (pc >= ZAP_TRACK_RETRY && pc <= SPLIT_DEMOTE_RETRY);

/** The VMM (vmm.ts): its own labels, and an invalidating path's for punch hole, conversion to
 * shared and kvm_gmem_release. */
export const VMM_START = 0; // the current op's first (or only) step
export const VMM_STOP_VCPUS = 20;
export const VMM_WAIT_VCPUS = 21;
export const VMM_RELEASE_HKID = 22;
export const VMM_RECLAIM = 23;
export const VMM_CLOSE = 24; // close(vmfd) or close(guest_memfd)
export const VMM_PUT_KVM = 25; // kvm_gmem_release's kvm_put_kvm
export const VMM_EVICT = 26; // the guest_memfd inode is evicted
export const VMM_TD_TEARDOWN = 27; // the design's teardown hook, after HKID release
/** KVM_TDX_INIT_MEM_REGION (tdx_populate.ts), after the locks and kvm_gmem_populate's folio */
export const INIT_MAP = 28; // kvm_tdp_mmu_map_private_pfn (series-v3) or kvm_tdp_map_page (premap)
export const INIT_ADD = 29; // premap: TDH.MEM.PAGE.ADD outside mmu_lock
export const INIT_EXTEND = 30; // TDH.MR.EXTEND, then the locks go
export const vmmLabels: Labels = {
  [VMM_START]: 'start',
  ...invalidationLabels,
  [VMM_STOP_VCPUS]: 'stop vCPUs',
  [VMM_WAIT_VCPUS]: 'wait for vCPUs',
  [VMM_RELEASE_HKID]: 'tdx_mmu_release_hkid',
  [VMM_RECLAIM]: 'reclaim TDR',
  [VMM_CLOSE]: 'close files',
  [VMM_PUT_KVM]: 'kvm_put_kvm',
  [VMM_EVICT]: 'evict inode',
  [VMM_TD_TEARDOWN]: 'design teardown hook',
  [INIT_MAP]: 'init-mem map',
  [INIT_ADD]: 'init-mem ADD',
  [INIT_EXTEND]: 'init-mem EXTEND',
};
/** The VMM's op variable with a VMM that performs `any` op of its menu: 0 while it is between
 * ops, 1 + the menu index during one, VMM_DONE once it tore the VM down. */
export const VMM_DONE = 255;

/** The label values of a program, for its program counter's domain. */
export const labelValues = (labels: Labels): number[] => Object.keys(labels).map(Number);
