/**
 * KVM_TDX_INIT_MEM_REGION (arch/x86/kvm/vmx/tdx.c tdx_vcpu_init_mem_region, with
 * virt/kvm/guest_memfd.c kvm_gmem_populate): the initial image's pages, one GFN at a time,
 * added with TDH.MEM.PAGE.ADD before the TD is finalized. The path follows the run's tree
 * (trees.ts `addPath`, `vmStateGuard`, `populateEexist`, `getPfnTakesInvalidateLock`):
 *
 * - series-v3 ([v3] 04, 14, 15, 24): tdx_vm_state_guard (kvm->lock, every vcpu->mutex,
 *   slots_lock), kvm_gmem_populate's filemap_invalidate_lock, kvm_tdp_mmu_map_private_pfn
 *   under read mmu_lock with the mirror SPTE frozen around TDH.MEM.PAGE.ADD (a failure
 *   restores the SPTE; an error is TDX_BUG_ON and -EIO), then TDH.MR.EXTEND outside mmu_lock.
 * - premap ([v6.17] tdx_gmem_post_populate): kvm_tdp_map_page sets the mirror SPTE under read
 *   mmu_lock and tdx_sept_set_private_spte takes the page reference and counts it in
 *   nr_premapped; TDH.MEM.PAGE.ADD then runs outside mmu_lock, and its failure returns
 *   -EBUSY/-EIO with no KVM_BUG_ON, the reference and the premap kept.
 *
 * On conversion-rfc (premap, and kvm_gmem_get_pfn taking the invalidate lock shared),
 * kvm_tdp_map_page's kvm_gmem_get_pfn waits for the lock kvm_gmem_populate holds exclusive:
 * the self-deadlock Yan Zhao reported ("KVM: TDX: Fix locking in kvm_gmem_populate",
 * 2025-07-03, as quoted in Michael Roth's gmem-populate-rework v3 cover, 2026-01-08). The
 * model shows it as the map step never being enabled there.
 *
 * Our simplifications: the guard, the invalidate lock and the folio are taken in one step
 * (no other path can run in between before finalize: no vCPU runs); TDH.MR.EXTEND's
 * measurement is not state; an ADD cannot be BUSY (before finalize no vCPU holds the S-EPT
 * tree lock); an injected `add-fails` ADD fails with TDX_EPT_ENTRY_STATE_INCORRECT; a folio
 * left by a failed populate counts as prepared (a retry sees -EEXIST).
 */
import type { Action, State, Successors } from '../engine/index.js';
import type { Kernel } from './kernel.js';
import { gpaOf } from './observe.js';
import { INIT_ADD, INIT_EXTEND, INIT_MAP, VCPU_IDLE, VMM_START } from './programs.js';
import { S, statusText, statusValue } from './seam.js';
import { gpa, kernelStep, type StepSpec } from './step.js';
import { kvmBugOn } from './tdx.js';
import {
  ATTR_PRIVATE,
  LOCK_EXCLUSIVE,
  MMU_WRITER,
  SPTE_NONE,
  SPTE_PRESENT,
  TD_OP_INITIALIZED,
} from './vars.js';
import { advance, advanceWrites, opGfn, vmmStep } from './vmm_op.js';

const TDX = 'arch/x86/kvm/vmx/tdx.c';

/** The ioctl's answer before any SEAMCALL, or 0 to go on: -EINVAL once the TD is finalized
 * (tdx_vcpu_init_mem_region, [v6.17] and [v3] tdx.c); in kvm_gmem_populate ([gmem-6.18]
 * guest_memfd.c), -EEXIST for a folio already prepared (trees.ts `populateEexist`), then
 * -EINVAL for a GFN whose attributes are not private. Our simplification: a folio in the
 * model's filemap is prepared (every path that allocates one prepares it). */
function initMemRegionErrno(k: Kernel, s: State, g: number): number {
  const v = k.v;
  if (s[v.tdOpState] !== TD_OP_INITIALIZED) return S.EINVAL;
  if (k.tree.populateEexist && s[v.present + g]) return S.EEXIST;
  if (s[v.attr + g] !== ATTR_PRIVATE) return S.EINVAL;
  return 0;
}

/** tdx_vm_state_guard ([v3] 24): it takes every vcpu->mutex (kvm_lock_all_vcpus, killable:
 * it does not kick), so it waits while a vCPU is in KVM_RUN (in the guest or in its fault
 * path), and it is taken before the ioctl checks the TD's state; on trees without it, nothing
 * to wait for. */
export function vmStateGuardFree(k: Kernel, s: State): boolean {
  if (!k.tree.vmStateGuard) return true;
  for (let c = 0; c < k.vcpus; c++)
    if (s[k.v.inGuest + c] || s[k.v.vcpuPc + c] !== VCPU_IDLE) return false;
  return true;
}

/** KVM_TDX_INIT_MEM_REGION's entry: the guard, the errno checks, kvm_gmem_populate's
 * filemap_invalidate_lock and its folio. */
function tdxVcpuInitMemRegion(k: Kernel): Action {
  const v = k.v;
  const g = (s: State) => opGfn(k, s);
  const errno = (s: State) => initMemRegionErrno(k, s, g(s));
  return vmmStep(k, {
    op: 'init-mem',
    at: VMM_START,
    fn: 'tdx_vcpu_init_mem_region',
    file: TDX,
    reads: [
      ...k.scalars(v.tdOpState, v.filemapLock, v.folioSplit),
      ...k.vcpuFields(v.inGuest, v.vcpuPc),
      ...k.frames(v.attr, v.present, v.owner, v.poison, v.folioBlock),
    ],
    writes: [
      ...advanceWrites(k),
      ...k.scalars(v.vmStateGuard, v.filemapLock),
      ...k.mm.allocateWrites(),
    ],
    ready: (s) =>
      vmStateGuardFree(k, s) &&
      (errno(s) === S.EINVAL ||
        (s[v.filemapLock] === 0 && (errno(s) !== 0 || k.mm.canAllocate(s, g(s))))),
    run(s, t) {
      if (errno(s)) return advance(k, t); // the errno is the ioctl's result: no state keeps it
      if (k.tree.vmStateGuard) t[v.vmStateGuard] = 1;
      t[v.filemapLock] = LOCK_EXCLUSIVE; // kvm_gmem_populate
      k.mm.allocate(t, g(s)); // __kvm_gmem_get_pfn
      t[v.vmmPc] = INIT_MAP;
    },
    call: (b) =>
      errno(b)
        ? `KVM_TDX_INIT_MEM_REGION gfn ${g(b)} -> ${statusText(errno(b))}`
        : `KVM_TDX_INIT_MEM_REGION gfn ${g(b)}: ${k.tree.vmStateGuard ? 'tdx_vm_state_guard; ' : ''}kvm_gmem_populate: filemap_invalidate_lock, folio allocated`,
  });
}

/** What the ADD steps write. */
const addWrites = (k: Kernel) => [
  k.v.vmmPc,
  k.v.vmmStatus,
  ...k.scalars(k.v.budgetAddFails),
  ...k.frames(k.v.sept, k.v.pamt, k.v.content, k.v.dirty, k.v.tdBit, k.v.guestData, k.v.accepted),
  ...(k.pamt?.writes ?? []),
  ...k.v.septRecords,
];
const addReads = (k: Kernel) => [
  ...k.scalars(k.v.tdOpState, k.v.tdLifecycle),
  ...k.frames(k.v.sept, k.v.pamt),
];

/** TDH.MEM.PAGE.ADD of the op's GFN: a successor with the module's answer, and one with an
 * injected failure while the `add-fails` budget lasts. `done` records the status. */
function tdhMemPageAdd(
  k: Kernel,
  s: State,
  out: Successors,
  done: (t: State, g: number, st: number) => void,
): void {
  const v = k.v;
  const g = opGfn(k, s);
  const t = out.next();
  // Module 2.0: tdx_pamt_get before ADD, tdx_pamt_put when it fails (Dynamic PAMT v4 13/16);
  // no vCPU runs before finalize, so nothing races them. An injected failure below leaves the
  // count where it was (get and put).
  const frame = k.frameOf(t, g);
  k.pamt?.get(t, frame);
  const st = k.seam.pageAdd(t, g, frame);
  if (st === S.SUCCESS) {
    t[v.guestData + g] = 1; // the initial image is the guest's data, measured and accepted
    t[v.accepted + g] = 1;
  } else k.pamt?.put(t, frame);
  t[v.vmmStatus] = st;
  done(t, g, st);
  if (s[v.budgetAddFails]! > 0) {
    const f = out.next();
    f[v.budgetAddFails]!--;
    f[v.vmmStatus] = S.STATE_INCORRECT;
    done(f, g, S.STATE_INCORRECT);
  }
}

const addSeen = (k: Kernel) => (b: State, a: State) => [
  {
    fn: 'tdh_mem_page_add',
    args: { gpa: gpaOf(opGfn(k, b)), pfn: opGfn(k, b) },
    ret: statusValue(a[k.v.vmmStatus]!),
  },
];

/** A step of INIT_MEM_REGION after its entry: the VMM's, inside kvm_gmem_populate (the
 * invalidate lock held): the header every such step shares. */
type PopulateStep = Omit<StepSpec, 'process' | 'holds' | 'at'> & { readonly at: number };
function populateStep(k: Kernel, step: PopulateStep): Action {
  return kernelStep({
    ...step,
    process: 'vmm',
    at: [k.v.vmmPc, step.at],
    holds: [k.locks.filemapInvalidateLock],
    reads: [k.v.vmmOp, ...step.reads],
  });
}

/** series-v3: kvm_tdp_mmu_map_private_pfn ([v3] 04) under read mmu_lock: the mirror SPTE is
 * frozen and tdx_sept_set_private_spte -> tdx_mem_page_add ([v3] 15) ADDs the page; on
 * failure the SPTE is restored and, the error not being BUSY, TDX_BUG_ON kills the VM and the
 * map loop returns -EIO. mmu_lock is taken and dropped within the step. */
function kvmTdpMmuMapPrivatePfn(k: Kernel): Action {
  const v = k.v;
  return populateStep(k, {
    fn: 'kvm_tdp_mmu_map_private_pfn',
    file: 'arch/x86/kvm/mmu/mmu.c',
    fairness: 'strong', // waits for read_lock(mmu_lock)
    at: INIT_MAP,
    reads: [v.mmuLock, ...addReads(k)],
    writes: [
      ...addWrites(k),
      ...k.frames(v.spte),
      ...k.scalars(v.vmBugged),
      ...k.vcpuFields(v.inGuest),
      ...k.policyWrites,
    ],
    next(s, out) {
      if (s[v.mmuLock] === MMU_WRITER) return;
      tdhMemPageAdd(k, s, out, (t, g, st) => {
        k.policy.onMap(t, g);
        if (st === S.SUCCESS) t[v.spte + g] = SPTE_PRESENT;
        else {
          t[v.spte + g] = SPTE_NONE; // the frozen SPTE restored
          k.policy.onMapFailed(t, g);
          kvmBugOn(k, t);
        }
        t[v.vmmPc] = INIT_EXTEND;
      });
    },
    call: (b, a) =>
      `read_lock(mmu_lock); SPTE frozen; TDH.MEM.PAGE.ADD gpa=${gpa(opGfn(k, b))} -> ${statusText(a[v.vmmStatus]!)}${a[v.vmBugged] > b[v.vmBugged]! ? '; SPTE restored; TDX_BUG_ON: VM dead -> -EIO' : ''}; read_unlock(mmu_lock)`,
    observe: addSeen(k),
  });
}

/** premap: kvm_tdp_map_page ([v6.17] tdx_gmem_post_populate) under read mmu_lock: its
 * kvm_gmem_get_pfn (which takes the invalidate lock shared where the tree says so), the
 * mirror SPTE set, and tdx_sept_set_private_spte with the TD not RUNNABLE: the design's
 * reference (get_page) and nr_premapped++. */
function kvmTdpMapPage(k: Kernel): Action {
  const v = k.v;
  return populateStep(k, {
    fn: 'kvm_tdp_map_page',
    file: 'arch/x86/kvm/mmu/mmu.c',
    fairness: 'strong',
    at: INIT_MAP,
    reads: [v.mmuLock],
    writes: [v.vmmPc, ...k.frames(v.spte, v.premapped), ...k.policyWrites],
    next(s, out) {
      if (s[v.mmuLock] === MMU_WRITER) return;
      // kvm_gmem_get_pfn would take the lock this path holds exclusive: it waits for ever.
      if (k.tree.getPfnTakesInvalidateLock) return;
      const t = out.next();
      const g = opGfn(k, s);
      t[v.spte + g] = SPTE_PRESENT;
      k.policy.onMap(t, g);
      t[v.premapped + g] = 1;
      t[v.vmmPc] = INIT_ADD;
    },
    call: (b) =>
      `read_lock(mmu_lock); mirror SPTE of gfn ${opGfn(k, b)} set, nr_premapped++; read_unlock(mmu_lock)`,
  });
}

/** premap: TDH.MEM.PAGE.ADD outside mmu_lock ([v6.17] tdx_gmem_post_populate). Success:
 * nr_premapped--. Failure: -EBUSY or -EIO, no KVM_BUG_ON, the reference and the premap kept
 * (finalize then refuses, and a zap takes the premap path: tdx.ts). */
function tdxGmemPostPopulate(k: Kernel): Action {
  const v = k.v;
  return populateStep(k, {
    fn: 'tdx_gmem_post_populate',
    file: TDX,
    fairness: 'weak',
    at: INIT_ADD,
    reads: [...addReads(k)],
    writes: [...addWrites(k), ...k.frames(v.premapped)],
    next(s, out) {
      tdhMemPageAdd(k, s, out, (t, g, st) => {
        if (st === S.SUCCESS) t[v.premapped + g] = 0;
        t[v.vmmPc] = INIT_EXTEND;
      });
    },
    call: (b, a) =>
      `TDH.MEM.PAGE.ADD gpa=${gpa(opGfn(k, b))} -> ${statusText(a[v.vmmStatus]!)}${a[v.vmmStatus] === S.SUCCESS ? '; nr_premapped--' : '; -EIO, no KVM_BUG_ON: the page stays premapped'}`,
    observe: addSeen(k),
  });
}

/** After the ADD: TDH.MR.EXTEND (16 calls per page, outside mmu_lock; its measurement is not
 * modelled) if the ADD succeeded, then filemap_invalidate_unlock and the guard's locks go. */
function tdhMrExtend(k: Kernel): Action {
  const v = k.v;
  return populateStep(k, {
    fn: 'tdh_mr_extend',
    file: TDX,
    fairness: 'weak',
    at: INIT_EXTEND,
    reads: [],
    writes: [...advanceWrites(k), ...k.scalars(v.vmStateGuard, v.filemapLock)],
    next(_, out) {
      const t = out.next();
      t[v.filemapLock] = 0;
      t[v.vmStateGuard] = 0;
      advance(k, t);
    },
    call: (b) =>
      `${b[v.vmmStatus] === S.SUCCESS ? 'TDH.MR.EXTEND x16; ' : ''}filemap_invalidate_unlock${k.tree.vmStateGuard ? ', guard released' : ''} -> ${b[v.vmmStatus] === S.SUCCESS ? '0' : '-EIO'}`,
  });
}

/** KVM_TDX_INIT_MEM_REGION's steps on the run's tree. */
export function tdxInitMemRegion(k: Kernel): Action[] {
  return [
    tdxVcpuInitMemRegion(k),
    ...(k.tree.addPath === 'underMmuLock'
      ? [kvmTdpMmuMapPrivatePfn(k)]
      : [kvmTdpMapPage(k), tdxGmemPostPopulate(k)]),
    tdhMrExtend(k),
  ];
}

/** tdx_td_finalize's nr_premapped check ([v6.17] tdx.c): -EINVAL while a page is premapped
 * but not ADDed. */
export function anyPremapped(k: Kernel, s: State): boolean {
  for (let g = 0; g < k.gfns; g++) if (s[k.v.premapped + g]) return true;
  return false;
}
