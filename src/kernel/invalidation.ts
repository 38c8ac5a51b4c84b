/**
 * The invalidating-path shape that punch hole, conversion to shared, file release and memory
 * failure share (virt/kvm/guest_memfd.c): take filemap_invalidate_lock, kvm_gmem_invalidate_begin
 * (KVM_MMU_LOCK for write, kvm_mmu_invalidate_begin), zap each private leaf of the range
 * (tdx_sept_remove_private_spte), KVM_MMU_UNLOCK, the caller's own work (truncate, convert,
 * release's unbinding, nothing), kvm_gmem_invalidate_end and filemap_invalidate_unlock. A process runs it through
 * its Invalidator (invalidator.ts), at the labels of programs.ts.
 */
import type { Action } from '../engine/index.js';
import {
  filemapInvalidateLock,
  kvmGmemConvertRange,
  kvmGmemErrorFolio,
  kvmGmemInvalidateBegin,
  kvmGmemInvalidateEnd,
  kvmGmemRelease,
  truncateInodePagesRange,
} from './guest_memfd.js';
import type { Invalidator } from './invalidator.js';
import type { Kernel } from './kernel.js';
import { kvmMmuUnlock } from './tdp_mmu.js';
import { tdxSeptRemovePrivateSpte } from './tdx.js';

/** Every step of an invalidating path run by `inv`'s process. */
export function invalidatingPath(k: Kernel, inv: Invalidator): Action[] {
  return [
    filemapInvalidateLock(k, inv),
    kvmGmemInvalidateBegin(k, inv),
    truncateInodePagesRange(k, inv),
    kvmGmemConvertRange(k, inv),
    kvmGmemRelease(k, inv),
    kvmGmemErrorFolio(k, inv),
    kvmGmemInvalidateEnd(k, inv),
    ...tdxSeptRemovePrivateSpte(k, inv),
    kvmMmuUnlock(k, inv),
  ];
}
