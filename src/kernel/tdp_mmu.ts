/**
 * KVM's TDP MMU for a TD's private memory (arch/x86/kvm/mmu/tdp_mmu.c, mmu.c): the mirror
 * SPTEs, mmu_lock (read for faults, write for zaps), the SPTE frozen while the SEAMCALL that
 * mirrors it runs, and the invalidation sequence that makes a racing fault retry.
 *
 * Our simplifications: all mappings are 4 KiB leaves and the mirror page tables above them
 * always exist (no link_external_spt / TDH.MEM.SEPT.ADD); mmu_invalidate_seq is kept per fault
 * as "an invalidation began since this fault read the sequence".
 */
import type { Action, State } from '../engine/index.js';
import { kvmGmemGetPfn } from './guest_memfd.js';
import { INV_MMU_UNLOCK, INV_WORK, ZAP_BLOCK, type Invalidator } from './invalidation.js';
import type { Kernel } from './kernel.js';
import { S, statusText, statusValue } from './seam.js';
import { gpaOf, seamcallSeen } from './observe.js';
import { gpa, kernelStep } from './step.js';
import { tdxSeptSetPrivateSpte } from './tdx.js';
import { MMU_WRITER, SPTE_FROZEN, SPTE_NONE } from './vars.js';

/** The program counter of a vCPU's fault path (outside it, the vCPU is idle or in the guest). */
export const VCPU_IDLE = 0;
export const FAULT_PFN = 1; // kvm_mmu_faultin_pfn -> kvm_gmem_get_pfn
export const FAULT_MAP = 2; // kvm_tdp_mmu_map under read mmu_lock
export const FAULT_SEAMCALL = 3; // tdx_sept_set_private_spte with the SPTE frozen
export const FAULT_FINISH = 4; // read_unlock, kvm_release_faultin_page
export const faultPcNames = ['idle', 'faultin_pfn', 'tdp_mmu_map', 'set_private_spte', 'finish_fault'];

const MMU = 'arch/x86/kvm/mmu/mmu.c';
const TDP_MMU = 'arch/x86/kvm/mmu/tdp_mmu.c';

export function assertHeld(cond: boolean, what: string): void {
  if (!cond) throw new Error(`lockdep: ${what} not held`);
}

/** The next GFN at or after `from` in the invalidated range with a present mirror SPTE, or -1
 * (tdp_mmu_zap_leafs walking the range). */
export function nextLeaf(k: Kernel, s: State, inv: Invalidator, from: number): number {
  let range = inv.range(s);
  if (k.mutated('zap-whole-folio')) {
    for (let g = 0; g < k.gfns; g++) {
      if (!(range & (1 << g))) continue;
      const [first, end] = k.mm.folioFrames(s, g);
      for (let f = first; f < end; f++) range |= 1 << f;
    }
  }
  for (let g = from; g < k.gfns; g++) if (range & (1 << g) && s[k.v.spte + g] !== SPTE_NONE) return g;
  return -1;
}

/** Moves an invalidator on to the next leaf to zap, or to dropping mmu_lock. */
export function zapNext(k: Kernel, t: State, inv: Invalidator, from: number): void {
  const g = nextLeaf(k, t, inv, from);
  t[inv.cursor] = Math.max(g, 0);
  t[inv.pc] = g < 0 ? INV_MMU_UNLOCK : ZAP_BLOCK;
}

/** kvm_mmu_invalidate_begin (virt/kvm/kvm_main.c): in_progress++ and mmu_invalidate_seq++,
 * so every fault that read the sequence before is stale. */
export function kvmMmuInvalidateBegin(k: Kernel, t: State): void {
  t[k.v.invalidateInProgress]!++;
  for (let c = 0; c < k.vcpus; c++) if (t[k.v.vcpuPc + c] === FAULT_MAP) t[k.v.faultStale + c] = 1;
}

/** The invalidator's KVM_MMU_UNLOCK after the last zap. */
export function mmuUnlockStep(k: Kernel, inv: Invalidator): Action {
  return kernelStep({
    process: inv.process,
    fn: 'KVM_MMU_UNLOCK (write)',
    file: 'virt/kvm/kvm_main.c',
    fairness: 'weak',
    at: [inv.pc, INV_MMU_UNLOCK],
    next(s, out) {
      assertHeld(s[k.v.mmuLock] === MMU_WRITER, 'mmu_lock (write)');
      const t = out.next();
      t[k.v.mmuLock] = 0;
      t[inv.pc] = INV_WORK;
    },
  });
}

/** A vCPU's EPT-violation fault on a private GFN, step by step. */
export function faultSteps(k: Kernel, c: number): Action[] {
  const v = k.v;
  const process = `vcpu${c}`;
  const pc = v.vcpuPc + c;
  const gfnOf = (s: State) => s[v.faultGfn + c]!;
  const result = (_: State, a: State) => statusText(a[v.vcpuStatus + c]!);
  return [
    kernelStep({
      process,
      fn: 'kvm_mmu_faultin_pfn',
      file: MMU,
      fairness: 'strong', // waits for filemap_invalidate_lock (shared); rw_semaphores queue fairly
      at: [pc, FAULT_PFN],
      next(s, out) {
        const g = gfnOf(s);
        const t = kvmGmemGetPfn(k, s, out, c, g);
        if (!t) return;
        t[v.vcpuStatus + c] = t[v.faultRef + c] ? S.SUCCESS : t[v.vcpuStatus + c]!;
        t[pc] = t[v.faultRef + c] ? FAULT_MAP : VCPU_IDLE;
        t[v.faultStale + c] = 0;
        // A fault that does not get a page ends: retried by the guest, or exits to userspace.
        if (!t[v.faultRef + c] && t[v.vcpuStatus + c] !== S.RETRY) t[v.need + c] = 0;
      },
      call: (b, a) => `kvm_gmem_get_pfn gfn ${gfnOf(b)} -> ${a[v.faultRef + c] ? `pfn ${gfnOf(b)}` : result(b, a)}`,
      // kvm_gmem_get_pfn runs (and is seen) unless the fault retried or exited before it.
      observe: (b, a) =>
        a[v.faultRef + c] ? [{ fn: 'kvm_gmem_get_pfn', args: { gfn: gfnOf(b) }, ret: 0 }]
        : a[v.vcpuStatus + c] === S.EHWPOISON ? [{ fn: 'kvm_gmem_get_pfn', args: { gfn: gfnOf(b) }, ret: statusValue(S.EHWPOISON) }]
        : [],
    }),
    kernelStep({
      process,
      fn: 'kvm_tdp_mmu_map',
      file: TDP_MMU,
      fairness: 'strong', // waits for read_lock(mmu_lock)
      at: [pc, FAULT_MAP],
      next(s, out) {
        if (s[v.mmuLock] === MMU_WRITER) return;
        const g = gfnOf(s);
        const t = out.next();
        t[v.mmuLock]!++;
        // is_page_fault_stale (mmu.c), or another vCPU mapped or froze the SPTE first.
        if (t[v.faultStale + c] || t[v.invalidateInProgress] || t[v.spte + g] !== SPTE_NONE) {
          t[v.vcpuStatus + c] = S.RETRY;
          t[pc] = FAULT_FINISH;
          return;
        }
        t[v.spte + g] = SPTE_FROZEN; // __tdp_mmu_set_spte_atomic freezes it around the SEAMCALL
        t[pc] = FAULT_SEAMCALL;
      },
      call: (b, a) => `read_lock(mmu_lock); gfn ${gfnOf(b)} ${a[pc] === FAULT_SEAMCALL ? 'SPTE frozen' : `-> ${result(b, a)}`}`,
    }),
    kernelStep({
      process,
      fn: 'tdx_sept_set_private_spte',
      file: 'arch/x86/kvm/vmx/tdx.c',
      fairness: 'weak',
      at: [pc, FAULT_SEAMCALL],
      next(s, out) {
        assertHeld(s[v.mmuLock]! > 0 && s[v.mmuLock] !== MMU_WRITER, 'mmu_lock (read)');
        tdxSeptSetPrivateSpte(k, s, out, gfnOf(s), (t, st) => {
          t[v.vcpuStatus + c] = st;
          t[pc] = FAULT_FINISH;
        });
      },
      call: (b, a) => `TDH.MEM.PAGE.AUG gpa=${gpa(gfnOf(b))} level=4K -> ${result(b, a)}`,
      observe: (b, a) => seamcallSeen(k, 'tdh_mem_page_aug', { gpa: gpaOf(gfnOf(b)), level: 0, pfn: gfnOf(b) }, a[v.vcpuStatus + c]!, b, a),
    }),
    kernelStep({
      process,
      fn: 'kvm_mmu_finish_page_fault',
      file: MMU,
      fairness: 'weak',
      at: [pc, FAULT_FINISH],
      next(s, out) {
        const g = gfnOf(s);
        const t = out.next();
        t[v.mmuLock]!--;
        // kvm_release_faultin_page: the reference kvm_gmem_get_pfn returned goes.
        t[v.faultRef + c] = 0;
        k.mm.freeIfUnused(t, g);
        if (k.mutated('double-put')) k.mm.put(t, v.refPageCache, k.mm.folioFrames(t, g)[0]);
        t[pc] = VCPU_IDLE;
        t[v.vcpuStatus + c] = 0;
      },
      call: (b) => `read_unlock(mmu_lock); put_page(pfn ${gfnOf(b)})`,
    }),
  ];
}
