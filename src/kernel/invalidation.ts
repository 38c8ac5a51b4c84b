import type { Observation, State } from '../engine/index.js';

/**
 * An invalidating kernel path: guest_memfd's unmap of a range (punch hole, conversion to
 * shared, file release, memory failure), which runs kvm_gmem_invalidate_begin, the TDP MMU's
 * zap of each private leaf (TDX's BLOCK, TRACK, kick, REMOVE, WBINVD), its own work, and
 * kvm_gmem_invalidate_end. Its program counter takes these values.
 */
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

export type InvalidationWork = 'truncate' | 'to-shared' | 'none';

export interface Invalidator {
  readonly process: string;
  /** variable indexes of its program counter, GFN cursor and last status */
  readonly pc: number;
  readonly cursor: number;
  readonly status: number;
  /** The GFNs being invalidated, as a bit mask. */
  range(s: State): number;
  /** The work done between unmapping and invalidate_end. */
  work(s: State): InvalidationWork;
  /** Called as the path takes filemap_invalidate_lock. */
  begin?(t: State): void;
  /** What a tracer sees as the path begins: its entry point. */
  entry?(s: State): Observation[];
  /** Called in the step that ends the path, to move its process on. */
  finish(t: State): void;
}
