/**
 * KVM's TDP MMU for a TD's private memory (arch/x86/kvm/mmu/tdp_mmu.c, mmu.c): the mirror
 * SPTEs, mmu_lock (read for faults, write for zaps), the SPTE frozen while the SEAMCALL that
 * mirrors it runs, and the invalidation sequence that makes a racing fault retry.
 *
 * Our simplifications: on a tree without 2M leaves all mappings are 4 KiB leaves and the mirror
 * page tables above them always exist (no link_external_spt / TDH.MEM.SEPT.ADD); with them
 * (hugepage-v3) a huge range's mirror is `mirror2m` and a 2M leaf reads as N present 4K SPTEs;
 * mmu_invalidate_seq is kept per fault as "an invalidation began since this fault read the
 * sequence".
 */
import type { Action, State } from '../engine/index.js';
import {
  getPfnReads,
  getPfnWrites,
  kvm_gmem_mapping_order,
  kvmGmemGetPfn,
  mappingOrderReads,
  restructuresLate,
} from './guest_memfd.js';
import { own, type Invalidator } from './invalidator.js';
import type { Kernel } from './kernel.js';
import {
  FAULT_FINISH,
  FAULT_MAP,
  FAULT_PFN,
  FAULT_PAMT_GET,
  FAULT_SEAMCALL,
  INV_END,
  INV_MMU_UNLOCK,
  INV_WORK,
  VCPU_IDLE,
} from './programs.js';
import { S, statusText, statusValue } from './seam.js';
import { kernelStep } from './step.js';
import { tdxPamtFaultSteps } from './tdx_pamt_steps.js';
import { tdxHonorGuestAcceptLevel, tdxSeptSetPrivateSpte } from './tdx.js';
import { MIRROR_NONE, MMU_WRITER, SPTE_FROZEN, SPTE_NONE, TD_OP_RUNNABLE } from './vars.js';

const MMU = 'arch/x86/kvm/mmu/mmu.c';
const TDP_MMU = 'arch/x86/kvm/mmu/tdp_mmu.c';

/** The invalidator's KVM_MMU_UNLOCK after the last zap. */
export function kvmMmuUnlock(k: Kernel, inv: Invalidator): Action {
  return kernelStep({
    process: inv.process,
    fn: 'KVM_MMU_UNLOCK (write)',
    file: 'virt/kvm/kvm_main.c',
    fairness: 'weak',
    at: [inv.pc, INV_MMU_UNLOCK],
    holds: [k.locks.mmuLockWrite],
    reads: own(inv),
    writes: [k.v.mmuLock, inv.pc],
    next(_, out) {
      const t = out.next();
      t[k.v.mmuLock] = 0;
      t[inv.pc] = restructuresLate(k, inv, t) ? INV_END : INV_WORK;
    },
  });
}

/** vCPU c's fault: its GFN, and its status as a trace shows it. */
const faultGfn = (k: Kernel, c: number, s: State) => s[k.v.faultGfn + c]!;
const faultResult = (k: Kernel, c: number, a: State) => statusText(a[k.v.vcpuStatus + c]!);

/** kvm_mmu_faultin_pfn -> kvm_gmem_get_pfn: the page and a reference on it, or the end of
 * the fault (retried by the guest, or an exit to userspace). */
function kvmMmuFaultinPfn(k: Kernel, c: number): Action {
  const v = k.v;
  const pc = v.vcpuPc + c;
  return kernelStep({
    process: `vcpu${c}`,
    fn: 'kvm_mmu_faultin_pfn',
    file: MMU,
    fairness: 'strong', // waits for filemap_invalidate_lock (shared); rw_semaphores queue fairly
    at: [pc, FAULT_PFN],
    reads: [v.faultGfn + c, ...getPfnReads(k)],
    writes: [pc, v.faultStale + c, v.need + c, ...getPfnWrites(k, c)],
    next(s, out) {
      const g = faultGfn(k, c, s);
      const t = kvmGmemGetPfn(k, s, out, c, g);
      if (!t) return;
      t[v.vcpuStatus + c] = t[v.faultRef + c] ? S.SUCCESS : t[v.vcpuStatus + c]!;
      t[pc] = t[v.faultRef + c] ? FAULT_MAP : VCPU_IDLE;
      t[v.faultStale + c] = 0;
      // A fault that does not get a page ends: retried by the guest, or exits to userspace.
      if (!t[v.faultRef + c] && t[v.vcpuStatus + c] !== S.RETRY) t[v.need + c] = 0;
    },
    call: (b, a) =>
      `kvm_gmem_get_pfn gfn ${faultGfn(k, c, b)} -> ${a[v.faultRef + c] ? `pfn ${faultGfn(k, c, b)}` : faultResult(k, c, a)}`,
    // kvm_gmem_get_pfn runs (and is seen) unless the fault retried or exited before it.
    observe: (b, a) =>
      a[v.faultRef + c]
        ? [{ fn: 'kvm_gmem_get_pfn', args: { gfn: faultGfn(k, c, b) }, ret: 0 }]
        : a[v.vcpuStatus + c] === S.EHWPOISON
          ? [
              {
                fn: 'kvm_gmem_get_pfn',
                args: { gfn: faultGfn(k, c, b) },
                ret: statusValue(S.EHWPOISON),
              },
            ]
          : [],
  });
}

/** The level a private fault maps at, 2M or 4K ([hp-v3] 00 items 3-4, 24/24; huge-pages.md K1):
 * tdx_gmem_max_mapping_level allows 2M once the TD is RUNNABLE, guest_memfd's
 * kvm_gmem_mapping_order must say the folio is huge, whole and private, a 4K table already
 * linked keeps the range at 4K (no merging, [hp-v3] 06), and so does the range's GUEST_INHIBIT
 * (a guest's 4K ACCEPT set it, [hp-v3] 13: the lpage info's disallow_lpage). */
function faultAt2m(k: Kernel, s: State, g: number): boolean {
  const r = k.seam.rangeOf(g);
  if (r < 0 || s[k.v.tdOpState] !== TD_OP_RUNNABLE || s[k.v.guestInhibit + r]) return false;
  return s[k.v.mirror2m + r] === MIRROR_NONE && kvm_gmem_mapping_order(k, s, g) === 1;
}

/** kvm_tdp_mmu_map under read mmu_lock: a stale fault (is_page_fault_stale, mmu.c) or one
 * that finds the SPTE taken retries; else the SPTE is frozen for the SEAMCALL (a 2M one: every
 * 4K SPTE of its range). */
function kvmTdpMmuMap(k: Kernel, c: number): Action {
  const v = k.v;
  const pc = v.vcpuPc + c;
  return kernelStep({
    process: `vcpu${c}`,
    fn: 'kvm_tdp_mmu_map',
    file: TDP_MMU,
    fairness: 'strong', // waits for read_lock(mmu_lock)
    at: [pc, FAULT_MAP],
    reads: [
      v.faultGfn + c,
      v.faultStale + c,
      v.invalidateInProgress,
      ...k.frames(v.spte),
      ...k.scalars(v.tdOpState),
      ...k.ranges(v.mirror2m, v.guestInhibit),
      ...(k.v.hugeRanges ? mappingOrderReads(k) : []),
    ],
    writes: [
      v.mmuLock,
      v.vcpuStatus + c,
      pc,
      ...k.frames(v.spte),
      ...(k.v.hugeRanges ? [v.faultLevel + c] : []),
    ],
    next(s, out) {
      if (s[v.mmuLock] === MMU_WRITER) return;
      const g = faultGfn(k, c, s);
      const huge = faultAt2m(k, s, g);
      const gfns = huge ? k.seam.rangeGfns(k.seam.rangeOf(g)) : [g];
      const t = out.next();
      t[v.mmuLock]!++;
      // is_page_fault_stale (mmu.c), or another vCPU mapped or froze the SPTE first.
      if (
        t[v.faultStale + c] ||
        t[v.invalidateInProgress] ||
        gfns.some((x) => t[v.spte + x] !== SPTE_NONE)
      ) {
        t[v.vcpuStatus + c] = S.RETRY;
        t[pc] = FAULT_FINISH;
        return;
      }
      for (const x of gfns) t[v.spte + x] = SPTE_FROZEN; // __tdp_mmu_set_spte_atomic freezes it around the SEAMCALL
      if (huge) t[v.faultLevel + c] = 1;
      // module 2.0: tdx_pamt_get first, for a 4K mapping only ([hp-v3] 17/24)
      t[pc] = k.pamt && !huge ? FAULT_PAMT_GET : FAULT_SEAMCALL;
    },
    call: (b, a) =>
      `read_lock(mmu_lock); gfn ${faultGfn(k, c, b)} ${a[pc] === FAULT_SEAMCALL || a[pc] === FAULT_PAMT_GET ? `${v.faultAt2m(a, c) ? '2M ' : ''}SPTE frozen` : `-> ${faultResult(k, c, a)}`}`,
  });
}

/** kvm_mmu_finish_page_fault: read_unlock(mmu_lock), and kvm_release_faultin_page drops the
 * reference kvm_gmem_get_pfn returned. */
function kvmMmuFinishPageFault(k: Kernel, c: number): Action {
  const v = k.v;
  const pc = v.vcpuPc + c;
  return kernelStep({
    process: `vcpu${c}`,
    fn: 'kvm_mmu_finish_page_fault',
    file: MMU,
    fairness: 'weak',
    at: [pc, FAULT_FINISH],
    reads: [
      v.faultGfn + c,
      ...k.vcpuFields(v.faultGfn, v.faultRef),
      ...k.frames(v.present),
      ...k.mm.refReads,
    ],
    writes: [
      v.mmuLock,
      v.faultRef + c,
      pc,
      v.vcpuStatus + c,
      ...k.mm.putWrites(v.refPageCache),
      ...k.frames(v.owner),
    ],
    next(s, out) {
      const g = faultGfn(k, c, s);
      const t = out.next();
      t[v.mmuLock]!--;
      t[v.faultRef + c] = 0;
      const frame = k.frameOf(t, g);
      k.mm.freeIfUnused(t, frame);
      if (k.mutated('double-put')) k.mm.put(t, v.refPageCache, k.mm.folioFrames(t, frame)[0]);
      t[pc] = VCPU_IDLE;
      t[v.vcpuStatus + c] = 0;
    },
    call: (b) => `read_unlock(mmu_lock); put_page(pfn ${faultGfn(k, c, b)})`,
  });
}

/** A vCPU's EPT-violation fault on a private GFN, step by step (with 2M leaves, after the
 * handling of a 4K ACCEPT's exit). */
export function kvmTdpMmuPageFault(k: Kernel, c: number): Action[] {
  return [
    ...(k.v.hugeRanges ? tdxHonorGuestAcceptLevel(k, c) : []),
    kvmMmuFaultinPfn(k, c),
    kvmTdpMmuMap(k, c),
    ...(k.pamt ? tdxPamtFaultSteps(k, c) : []),
    tdxSeptSetPrivateSpte(k, c),
    kvmMmuFinishPageFault(k, c),
  ];
}
