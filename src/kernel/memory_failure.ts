/**
 * Memory failure (mm/memory-failure.c): a frame of a guest_memfd folio goes bad, within the
 * `memory-failure` budget. memory_failure marks it HWPOISON and holds a reference
 * (get_hwpoison_page) while the file's error handler, kvm_gmem_error_folio
 * (virt/kvm/guest_memfd.c), unmaps the whole folio from KVM and leaves it in the file; a later
 * fault on it gets -EHWPOISON, and the allocator never hands the frame out again.
 */
import type { Action } from '../engine/index.js';
import { guestReleases } from './guest_memfd.js';
import { invalidatingPath } from './invalidation.js';
import type { Invalidator } from './invalidator.js';
import type { Kernel } from './kernel.js';
import { framePresent, gfnOfFrame } from './frames.js';
import { INV_IDLE, INV_LOCK } from './programs.js';
import { kernelStep } from './step.js';
import { OWNER_GMEM, TD_OP_RUNNABLE } from './vars.js';

/** memory_failure on a frame of a guest_memfd folio: HWPOISON, get_hwpoison_page, and the
 * file's error handler starts. */
function memoryFailure(k: Kernel): Action {
  const v = k.v;
  return kernelStep({
    process: 'memory_failure',
    fn: 'memory_failure',
    file: 'mm/memory-failure.c',
    at: [v.mfPc, INV_IDLE],
    reads: [
      v.budgetMemoryFailure,
      v.tdOpState,
      ...k.frames(v.owner, v.present, v.poison, v.folioBlock),
    ],
    writes: [
      v.budgetMemoryFailure,
      v.mfTarget,
      v.mfPc,
      ...k.frames(v.poison, v.refHwpoison, v.guestData, v.accepted),
    ],
    next(s, out) {
      // Only once the TD runs: a failure while the TD is being built, racing
      // KVM_TDX_FINALIZE_VM, is not modelled.
      if (!s[v.budgetMemoryFailure] || s[v.tdOpState] !== TD_OP_RUNNABLE) return;
      for (let f = 0; f < k.frameCount; f++) {
        if (s[v.owner + f] !== OWNER_GMEM || !framePresent(v, s, f) || s[v.poison + f]) continue;
        const t = out.next();
        t[v.budgetMemoryFailure]!--;
        t[v.poison + f] = 1;
        k.mm.get(t, v.refHwpoison, f);
        t[v.mfTarget] = f;
        t[v.mfPc] = INV_LOCK;
        // The guest gets a machine check for this page and gives it up; the handler unmaps
        // the whole folio, so data on its healthy subpages is lost too (a real finding).
        guestReleases(k, t, 1 << gfnOfFrame(v, s, f));
      }
    },
    call: (_, a) => `frame ${a[v.mfTarget]} HWPOISON; get_hwpoison_page; kvm_gmem_error_folio`,
  });
}

/** The handler's invalidating path: kvm_gmem_error_folio unmaps the poisoned frame's whole
 * folio from KVM, then drops memory_failure's reference. */
function errorFolioInvalidator(k: Kernel): Invalidator {
  const v = k.v;
  return {
    process: 'memory_failure',
    pc: v.mfPc,
    cursor: v.mfCursor,
    status: v.mfStatus,
    range: (s) => k.folioRange(s, gfnOfFrame(v, s, s[v.mfTarget]!)),
    work: () => 'none',
    entry: (s) => [{ fn: 'kvm_gmem_error_folio', args: { pfn: s[v.mfTarget]! } }],
    finish(t) {
      k.mm.put(t, v.refHwpoison, t[v.mfTarget]!);
      t[v.mfPc] = INV_IDLE;
      t[v.mfStatus] = 0;
    },
    reads: [v.mfTarget, ...k.scalars(v.folioSplit), ...k.mm.refReads, ...k.frames(v.present)],
    beginWrites: [],
    finishWrites: [v.mfPc, v.mfStatus, ...k.mm.putWrites(v.refHwpoison)],
  };
}

export function memoryFailureSteps(k: Kernel): Action[] {
  // Without a budget for it, memory never fails: the handler's steps are left out.
  if (!k.config.faults['memory-failure']) return [];
  return [memoryFailure(k), ...invalidatingPath(k, errorFolioInvalidator(k))];
}
