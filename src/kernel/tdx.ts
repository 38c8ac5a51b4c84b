/**
 * KVM's TDX code (arch/x86/kvm/vmx/tdx.c): mapping a private page (AUG when the TD runs, ADD
 * before it is finalized), zapping one (BLOCK, TRACK with a kick of every vCPU, REMOVE,
 * WBINVD, clear), BUSY handled by tdh_do_no_vcpus, KVM_BUG_ON, and teardown (HKID release,
 * RECLAIM, deliberate leaks).
 *
 * Facts: tdx_sept_remove_private_spte returns nothing since Sean Christopherson's TDX cleanup
 * series (2025): on a failed SEAMCALL it TDX_BUG_ONs and returns, and the TDP MMU goes on;
 * tdh_do_no_vcpus retries a BUSY BLOCK/TRACK/REMOVE once with wait_for_sept_zap set and every
 * vCPU kicked out; tdx_track does nothing unless the TD is RUNNABLE (tdx-module.md 5.2, 6.2).
 * Our simplifications: a BUSY AUG/BLOCK/TRACK/REMOVE comes from the `busy` fault budget where
 * a conflicting holder of its lock can exist; a retried one fails again only from the
 * `retry-fails` budget.
 */
import type { Action, State, Successors } from '../engine/index.js';
import { own, zapNext, zapNextReads, type Invalidator } from './invalidator.js';
import type { ZapSeamcallName } from '../policies/policy.js';
import type { Kernel } from './kernel.js';
import { gpaOf, seamcallSeen } from './observe.js';
import {
  FAULT_ACCEPT_LEVEL,
  FAULT_FINISH,
  FAULT_PAMT_PUT,
  FAULT_PFN,
  INV_IDLE,
  FAULT_SEAMCALL,
  INV_MMU_UNLOCK,
  ZAP_BLOCK,
  ZAP_BLOCK_RETRY,
  ZAP_KICK,
  ZAP_REMOVE,
  ZAP_REMOVE_RETRY,
  ZAP_TRACK,
  ZAP_TRACK_RETRY,
  ZAP_WBINVD,
  SPLIT_DEMOTE,
  SPLIT_DEMOTE_RETRY,
  VCPU_IDLE,
} from './programs.js';
import { S, statusText } from './seam.js';
import { gpa, kernelStep, type StepSpec } from './step.js';
import {
  MIRROR_LEAF,
  MIRROR_NONE,
  MIRROR_SPLIT,
  MIRROR_TABLE,
  MIRROR_ZAP,
  MMU_WRITER,
  PAIR_MODULE,
  TABLE_ORPHAN,
  SPTE_NONE,
  SPTE_PRESENT,
  TD_KEYS_CONFIGURED,
  TD_OP_RUNNABLE,
} from './vars.js';

const TDX = 'arch/x86/kvm/vmx/tdx.c';

/** KVM_BUG_ON / TDX_BUG_ON: the VM is marked bugged (dead) and every vCPU kicked out. */
export function kvmBugOn(k: Kernel, t: State): void {
  t[k.v.vmBugged] = 1;
  kickAll(k, t);
}

/** kvm_make_all_cpus_request(KVM_REQ_OUTSIDE_GUEST_MODE): every vCPU leaves guest mode. */
export function kickAll(k: Kernel, t: State): void {
  for (let c = 0; c < k.vcpus; c++) t[k.v.inGuest + c] = 0;
}

/** May a vCPU outside the guest enter it now (TDH.VP.ENTER, taking the TD's epoch lock shared)?
 * Not unless the TD runs, not while KVM keeps its vCPUs out (tdx_vcpu_run), and not while
 * tdx_vm_state_guard holds the vCPUs' mutexes (series-v3: KVM_RUN waits for vcpu->mutex). */
export function tdMayEnter(k: Kernel, s: State): boolean {
  const v = k.v;
  if (s[v.tdOpState] !== TD_OP_RUNNABLE || s[v.tdLifecycle] !== TD_KEYS_CONFIGURED) return false;
  return !s[v.vmBugged] && !s[v.waitForSeptZap] && !s[v.vcpusStopped] && !s[v.vmStateGuard];
}
/** What tdMayEnter reads. */
export const tdMayEnterReads = (k: Kernel) => [
  k.v.tdOpState,
  k.v.tdLifecycle,
  k.v.vmBugged,
  k.v.waitForSeptZap,
  k.v.vcpusStopped,
  ...k.scalars(k.v.vmStateGuard),
];

function anyInGuest(k: Kernel, s: State): boolean {
  for (let c = 0; c < k.vcpus; c++) if (s[k.v.inGuest + c]) return true;
  return false;
}

/** What the TDX module reads of a TD and its pages on a memory SEAMCALL. */
const seamReads = (k: Kernel) => [
  ...k.scalars(k.v.tdOpState, k.v.tdLifecycle),
  ...k.frames(k.v.sept, k.v.pamt, k.v.blockAge, k.v.folioBlock),
  ...k.v.septRecords,
  ...k.vcpuFields(k.v.inGuest, k.v.entryAge),
  ...k.ranges(k.v.sept2m, k.v.blockAge2m, k.v.table, k.v.mirror2m),
  ...k.v.pamtBlocks(k.v.pamt2m),
];

/** tdx_mem_page_aug: TDH.MEM.PAGE.AUG with the mirror SPTE frozen, of GFN g at 4K or, on a
 * fault at 2M, of g's whole range ([hp-v3] 00: one AUG at 2M; the design's hooks run once per
 * page of it). Writes a successor per result (the module's answer, and a BUSY while the budget
 * lasts); `done` records the status and moves the caller on. */
function tdxMemPageAug(
  k: Kernel,
  s: State,
  out: Successors,
  g: number,
  at2m: boolean,
  done: (t: State, status: number) => void,
  before: (t: State) => void = () => {},
): void {
  const v = k.v;
  const r = k.seam.rangeOf(g);
  const gfns = at2m ? k.seam.rangeGfns(r) : [g];
  const unfreeze = (t: State) => {
    for (const x of gfns) t[v.spte + x] = SPTE_NONE;
  };
  let t = out.next();
  before(t);
  for (const x of gfns) k.policy.onMap(t, x);
  const st = at2m ? k.seam.pageAug2m(t, r) : k.seam.pageAug(t, g, k.frameOf(t, g));
  if (st === S.SUCCESS) {
    for (const x of gfns) t[v.spte + x] = SPTE_PRESENT;
    if (at2m) t[v.mirror2m + r] = MIRROR_LEAF;
  } else {
    // Any error other than BUSY is a KVM bug: KVM_BUG_ON, -EIO.
    kvmBugOn(k, t);
    for (const x of gfns) k.policy.onMapFailed(t, x);
    unfreeze(t);
  }
  done(t, st);
  if (s[v.budgetBusy]! > 0) {
    // TDX_OPERAND_BUSY: -EBUSY, the SPTE is unfrozen and the fault retried.
    t = out.next();
    before(t);
    t[v.budgetBusy]!--;
    for (const x of gfns) k.policy.onMap(t, x);
    for (const x of gfns) k.policy.onMapFailed(t, x);
    unfreeze(t);
    done(t, S.BUSY);
  }
}

/** tdp_mmu_link_sp -> tdx_sept_link_private_spt ([hp-v3] on mainline tdx.c): a 4K fault in
 * a range without a table links one first, TDH.MEM.SEPT.ADD of a new page; the mirror has the
 * table from then on. An error is TDX_BUG_ON_2 and -EIO (the fault ends); its BUSY is the
 * caller's (tdxSeptSetPrivateSpte). Module 2.0: the new page's PAMT reference is taken first
 * and put back if SEPT.ADD fails, BUSY or not (Dynamic PAMT v4 13/16, "KVM: TDX: Handle PAMT
 * allocation in fault path", Message-ID 20251121005125.417831-14-rick.p.edgecombe@intel.com,
 * read); that get and put are folded into this step (our simplification: the v4 race window of
 * tdx_pamt.ts is not modelled on the kernel block). Has it linked (or was there a table
 * already)? */
function tdxSeptLinkPrivateSpt(k: Kernel, t: State, g: number): number {
  const v = k.v;
  const r = k.seam.rangeOf(g);
  if (r < 0 || t[v.mirror2m + r] !== MIRROR_NONE) return S.SUCCESS;
  k.pamt?.get(t, v.kernelBlock);
  const st = k.seam.septAdd(t, r);
  if (st === S.SUCCESS) t[v.mirror2m + r] = MIRROR_TABLE;
  else k.pamt?.put(t, v.kernelBlock);
  return st;
}

/** vCPU c's fault at FAULT_SEAMCALL: tdx_sept_set_private_spte maps the frozen SPTE's page
 * with TDH.MEM.PAGE.AUG, under mmu_lock held for read. */
export function tdxSeptSetPrivateSpte(k: Kernel, c: number): Action {
  const v = k.v;
  const pc = v.vcpuPc + c;
  const gfnOf = (s: State) => s[v.faultGfn + c]!;
  // does the 4K fault link a table (SEPT.ADD) before its AUG? did it?
  const linking = (s: State) => {
    const r = k.seam.rangeOf(gfnOf(s));
    return r >= 0 && !v.faultAt2m(s, c) && s[v.mirror2m + r] === MIRROR_NONE;
  };
  const linked = (b: State, a: State) =>
    linking(b) && a[v.mirror2m + k.seam.rangeOf(gfnOf(b))] === MIRROR_TABLE;
  return kernelStep({
    process: `vcpu${c}`,
    fn: 'tdx_sept_set_private_spte',
    file: TDX,
    fairness: 'weak',
    at: [pc, FAULT_SEAMCALL],
    holds: [k.locks.mmuLockRead],
    reads: [
      v.faultGfn + c,
      ...seamReads(k),
      ...(k.pamt?.reads ?? []),
      ...k.scalars(v.budgetBusy),
      ...(k.v.hugeRanges ? [v.faultLevel + c] : []),
    ],
    writes: [
      pc,
      v.vcpuStatus + c,
      ...k.frames(v.spte, v.sept, v.pamt, v.blockAge),
      ...k.scalars(v.vmBugged, v.budgetBusy),
      ...k.vcpuFields(v.inGuest),
      ...k.policyWrites,
      ...(k.pamt?.writes ?? []),
      ...v.septRecords,
      ...k.ranges(v.sept2m, v.table, v.mirror2m),
      ...v.pamtBlocks(v.pamt2m),
      ...(k.v.hugeRanges ? [v.faultLevel + c] : []),
    ],
    next(s, out) {
      const g = gfnOf(s);
      const at2m = v.faultAt2m(s, c);
      const finish = (t: State, st: number) => {
        t[v.vcpuStatus + c] = st;
        if (at2m) t[v.faultLevel + c] = 0;
        t[pc] = FAULT_FINISH;
        // Module 2.0: a failed 4K AUG puts the page's PAMT reference ([hp-v3] 17/24, Dynamic PAMT
        // v4 13/16): the lockless decrement here, the locked part its own step.
        if (st !== S.SUCCESS && !at2m && k.pamt?.putDecrement(t, v.pamtBlockOf(k.frameOf(t, g))))
          t[pc] = FAULT_PAMT_PUT;
      };
      const link = (t: State) => (at2m ? S.SUCCESS : tdxSeptLinkPrivateSpt(k, t, g));
      if (link(s.slice()) !== S.SUCCESS) {
        const t = out.next();
        kvmBugOn(k, t);
        t[v.spte + g] = SPTE_NONE;
        finish(t, link(t));
        return;
      }
      // the AUG runs with the table linked (kept if the AUG is then BUSY)
      tdxMemPageAug(k, s, out, g, at2m, finish, link);
      if (linking(s) && s[v.budgetBusy]! > 0) {
        // SEPT.ADD's TDX_OPERAND_BUSY (the S-EPT tree lock, taken shared: huge-pages-check.md
        // U1), from the `busy` budget as AUG's: -EBUSY, the new page's PAMT reference put
        // back (a get and put that leave K as it was), the mirror SPTE restored and the
        // fault retried (tdp_mmu_link_sp fails, kvm_tdp_mmu_map returns RET_PF_RETRY:
        // mainline tdp_mmu.c). The leaf's own reference, taken before in the model, is put as
        // after a failed AUG.
        const t = out.next();
        t[v.budgetBusy]!--;
        t[v.spte + g] = SPTE_NONE;
        finish(t, S.BUSY);
      }
    },
    call: (b, a) => {
      const failed = a[v.vcpuStatus + c] !== S.SUCCESS;
      const put =
        k.pamt && failed
          ? `; tdx_pamt_put: refcount ${a[v.pamtRef + v.pamtBlockOf(k.frameOf(b, gfnOf(b)))]}`
          : '';
      const septAddBusy =
        linking(b) &&
        a[v.mirror2m + k.seam.rangeOf(gfnOf(b))] === MIRROR_NONE &&
        a[v.vcpuStatus + c] === S.BUSY;
      return septAddBusy
        ? `TDH.MEM.SEPT.ADD gpa=${gpa(gfnOf(b))} level=2M (table) -> ${statusText(S.BUSY)}: -EBUSY, the fault retried${put}`
        : `${linked(b, a) ? `TDH.MEM.SEPT.ADD gpa=${gpa(gfnOf(b))} level=2M (table) -> TDX_SUCCESS; ` : ''}TDH.MEM.PAGE.AUG gpa=${gpa(gfnOf(b))} level=${v.faultAt2m(b, c) ? '2M' : '4K'} -> ${statusText(a[v.vcpuStatus + c]!)}${put}`;
    },
    observe: (b, a) =>
      seamcallSeen(
        k,
        'tdh_mem_page_aug',
        { gpa: gpaOf(gfnOf(b)), level: v.faultAt2m(b, c) ? 1 : 0, pfn: gfnOf(b) },
        a[v.vcpuStatus + c]!,
        b,
        a,
      ),
  });
}

/** A zapping SEAMCALL of tdx_sept_remove_private_spte on the leaf at the cursor, made through
 * tdh_do_no_vcpus. */
interface ZapSeamcall {
  /** as the trace names it, the wrapper a tracer sees, and KVM's function that calls it */
  readonly name: string;
  readonly wrapper: string;
  readonly fn: string;
  /** its label, the label of its retry by tdh_do_no_vcpus, and the label after success */
  readonly at: number;
  readonly retry: number;
  readonly then: number;
  /** the fault budget that makes it fail (a KVM or TDX module bug), if it has one */
  readonly failures?: number;
  /** its TDX_OPERAND_BUSY (the lock's operand id), and whether that lock can have another
   * holder in s (the `busy` budget makes it BUSY only then) */
  readonly busy: number;
  conflict(s: State): boolean;
  /** the caller makes no SEAMCALL when `when` holds, and goes to `to` */
  readonly skip?: { when(s: State): boolean; to: number; text: string };
  /** the SEAMCALL itself on the successor: its status */
  seamcall(t: State, gfn: number): number;
  /** what KVM does on the successor when it succeeded, after moving on to `then` (which it
   * may change) */
  succeeded?(t: State): void;
  /** KVM's TDX_BUG_ON of a failed try (the status recorded, the VM dead): where it goes next */
  failed(t: State): void;
  /** the module may return TDX_INTERRUPTED_RESTARTABLE here instead of its answer (nothing
   * committed), and KVM makes the same call again: does it, at `t` (a scratch copy of the
   * state the try sees, which it may change)? */
  interrupted?(t: State): boolean;
  /** the operands the trace and a tracer show */
  args(gfn: number, s: State): { text: string; args: Record<string, number> };
  /** what a successful call returns besides its status, for the trace */
  outputs?(after: State, gfn: number): string;
}

/** The leaf at the invalidator's cursor. */
const leaf = (inv: Invalidator, s: State) => s[inv.cursor]!;

/** The leaf's range when the zap or split runs at 2M (its mirror says so), else -1. */
function at2m(k: Kernel, inv: Invalidator, s: State): number {
  const r = k.seam.rangeOf(leaf(inv, s));
  if (r < 0) return -1;
  const m = s[k.v.mirror2m + r];
  return m === MIRROR_ZAP || m === MIRROR_SPLIT ? r : -1;
}
const splitting = (k: Kernel, inv: Invalidator, s: State) => {
  const r = at2m(k, inv, s);
  return r >= 0 && s[k.v.mirror2m + r] === MIRROR_SPLIT;
};

/** The frames (GFNs) of the leaf being zapped: its range's at 2M, else its own. */
function leafGfns(k: Kernel, inv: Invalidator, s: State): number[] {
  const r = at2m(k, inv, s);
  return r >= 0 ? k.seam.rangeGfns(r) : [leaf(inv, s)];
}

/** After the leaf's zap (done or failed): a 2M leaf leaves the mirror, and the walk goes on
 * after it. */
function zapLeafDone(k: Kernel, inv: Invalidator, t: State): void {
  const gfns = leafGfns(k, inv, t);
  const r = at2m(k, inv, t);
  for (const g of gfns) k.seam.forgetFrame(t, g);
  if (r >= 0) t[k.v.mirror2m + r] = MIRROR_NONE;
  zapNext(k, t, inv, gfns.at(-1)! + 1);
}

/** What every zap step may write: the invalidator's own variables, KVM_BUG_ON's, the cursor's
 * move and the policy's hook on failure. */
const zapWrites = (k: Kernel, inv: Invalidator) => [
  inv.pc,
  ...k.v.septRecords,
  inv.cursor,
  inv.status,
  ...k.scalars(k.v.vmBugged),
  ...k.vcpuFields(k.v.inGuest),
  ...k.frames(k.v.premapped),
  ...k.policyWrites,
  ...(k.pamt?.writes ?? []),
  ...k.ranges(k.v.mirror2m, k.v.table),
];
const zapReads = (k: Kernel, inv: Invalidator) => [
  ...own(inv),
  ...zapNextReads(k),
  ...seamReads(k),
];

/** A step of tdx_sept_remove_private_spte's zap, run by the invalidator under mmu_lock held
 * for write: the header every zap step shares. */
type ZapStep = Omit<StepSpec, 'process' | 'file' | 'fairness' | 'holds' | 'at'> & {
  readonly at: number;
};
function zapStep(k: Kernel, inv: Invalidator, step: ZapStep): Action {
  return kernelStep({
    ...step,
    process: inv.process,
    file: TDX,
    fairness: 'weak',
    at: [inv.pc, step.at],
    holds: [k.locks.mmuLockWrite],
  });
}

/** TDX_BUG_ON after a failed BLOCK or REMOVE: the VM dies, the mirror SPTE is already gone,
 * and the TDP MMU moves on to the next leaf. */
function zapFailed(k: Kernel, inv: Invalidator, t: State, which: ZapSeamcallName): void {
  kvmBugOn(k, t);
  if (splitting(k, inv, t)) return splitFailed(k, inv, t);
  for (const g of leafGfns(k, inv, t)) {
    k.policy.onZapFailed(t, g, which);
    if (k.mutated('pamt-put-on-zap-failure'))
      k.pamt?.put(t, k.v.pamtBlockOf(k.seam.mappedFrame(t, g)));
  }
  zapLeafDone(k, inv, t);
}

/** tdx_sept_split_private_spte failed (TDX_BUG_ON_2, -EIO, [hp-v3] 08): tdp_mmu_set_spte has
 * already made the mirror a table of N present 4K leaves and ignores the result ([hp-v3] 07,
 * huge-pages.md K2); the S-EPT keeps its 2M leaf (no UNBLOCK, K3); the table page KVM
 * allocated never reached the module (an orphan, K11). The walk goes on as after a split. */
function splitFailed(k: Kernel, inv: Invalidator, t: State): void {
  const r = at2m(k, inv, t);
  t[k.v.mirror2m + r] = MIRROR_TABLE;
  t[k.v.table + r] = TABLE_ORPHAN;
  splitDone(k, inv, t);
}

/** After a split, done or failed, the walk goes on from the leaf: an invalidation zaps it at 4K
 * now (its range covers it); tdx_honor_guest_accept_level's walk, which zaps nothing, ends. */
function splitDone(k: Kernel, inv: Invalidator, t: State): void {
  zapNext(k, t, inv, leaf(inv, t));
}

/** [v6.17] tdx_is_sept_zap_err_due_to_premap: a BLOCK that found no leaf
 * (TDX_EPT_ENTRY_STATE_INCORRECT with RCX) on a TD not yet RUNNABLE, for an entry KVM premapped
 * but never ADDed: nr_premapped--, tdx_unpin (the design's undo of its map hook), and no
 * KVM_BUG_ON, no TRACK or REMOVE. Only on premap trees. Did it take that path? */
function zapPremapped(k: Kernel, inv: Invalidator, t: State): boolean {
  const v = k.v;
  const g = leaf(inv, t);
  if (k.tree.addPath !== 'premap' || !t[v.premapped + g]) return false;
  if (t[inv.status] !== S.STATE_INCORRECT || t[v.tdOpState] === TD_OP_RUNNABLE) return false;
  t[v.premapped + g] = 0;
  k.policy.onMapFailed(t, g);
  zapNext(k, t, inv, g + 1);
  return true;
}

/** What the caller did before the SEAMCALL: the retry flag goes, the mirror SPTE is zapped
 * (tdp_mmu_iter_set_spte clears it before calling remove_external_spte). */
function zapEnter(k: Kernel, inv: Invalidator, t: State): void {
  const v = k.v;
  t[v.waitForSeptZap] = 0;
  const g = leaf(inv, t);
  const r = k.seam.rangeOf(g);
  const mirror = r < 0 ? MIRROR_TABLE : t[v.mirror2m + r];
  if (mirror === MIRROR_LEAF) {
    // A 2M leaf: zapped whole if the walk's range covers it, else split first
    // (kvm_split_cross_boundary_leafs from the conversion or punch, [hp-v3] 16, K10).
    const gfns = k.seam.rangeGfns(r);
    const range = inv.range(t);
    if (gfns.every((x) => range & (1 << x))) {
      for (const x of gfns) t[v.spte + x] = SPTE_NONE;
      t[v.mirror2m + r] = MIRROR_ZAP;
    } else t[v.mirror2m + r] = MIRROR_SPLIT;
  } else if (mirror === MIRROR_TABLE) t[v.spte + g] = SPTE_NONE;
}

/** One try of a zapping SEAMCALL: the module's own answer, and an injected failure while its
 * budget lasts. A retry (vCPUs kept out) can still fail with the same BUSY within the
 * `retry-fails` budget: nothing else can then hold the lock, so that is a KVM or TDX module
 * bug, and KVM treats it as any failure (tdh_do_no_vcpus returns the second status; v6.17 and
 * series-v3 arch/x86/kvm/vmx/tdx.c TDX_BUG_ON it). */
function zapSeamcall(
  k: Kernel,
  inv: Invalidator,
  op: ZapSeamcall,
  s: State,
  out: Successors,
  retry: boolean,
): void {
  const fail = (t: State, st: number) => {
    t[inv.status] = st;
    op.failed(t);
  };
  const t = out.next();
  zapEnter(k, inv, t);
  const st = op.seamcall(t, leaf(inv, t));
  if (st === S.SUCCESS) {
    t[inv.status] = st;
    t[inv.pc] = op.then;
    op.succeeded?.(t);
  } else fail(t, st);
  if (op.failures !== undefined && s[op.failures]! > 0) {
    // A KVM or TDX module bug makes the SEAMCALL fail (the window the review is about).
    const f = out.next();
    f[op.failures]!--;
    zapEnter(k, inv, f);
    fail(f, S.STATE_INCORRECT);
  }
  if (op.interrupted && op.interrupted(enteredCopy(k, inv, s))) {
    // interrupted: the same label again (an environment choice, without fairness)
    const f = out.next();
    zapEnter(k, inv, f);
    f[inv.status] = S.INTERRUPTED_RESTARTABLE;
  }
  if (retry && s[k.v.budgetRetryFails]! > 0) {
    const f = out.next();
    f[k.v.budgetRetryFails]!--;
    zapEnter(k, inv, f);
    fail(f, op.busy);
  }
}

/** A scratch copy of `s` as the SEAMCALL's try sees it, for a question about it. */
function enteredCopy(k: Kernel, inv: Invalidator, s: State): State {
  const t = s.slice();
  zapEnter(k, inv, t);
  return t;
}

/**
 * tdh_do_no_vcpus (tdx.c): the BUSY-retry shape. The SEAMCALL is tried; on
 * TDX_OPERAND_BUSY (while another holder of its lock can exist, within the `busy` budget) KVM
 * sets wait_for_sept_zap so no vCPU re-enters, kicks every vCPU out, and tries once more.
 * Two steps: the first try, and the retry.
 */
function tdhDoNoVcpus(k: Kernel, inv: Invalidator, op: ZapSeamcall): Action[] {
  const v = k.v;
  const footprint = {
    reads: [
      ...zapReads(k, inv),
      ...k.scalars(v.budgetRetryFails, ...(op.failures !== undefined ? [op.failures] : [])),
      ...tdMayEnterReads(k),
      ...k.vcpuFields(v.vcpuPc),
    ],
    writes: [
      ...zapWrites(k, inv),
      ...k.scalars(
        v.waitForSeptZap,
        v.budgetRetryFails,
        ...(op.failures !== undefined ? [op.failures] : []),
      ),
      ...k.frames(v.spte, v.sept, v.pamt, v.blockAge),
      ...k.vcpuFields(v.entryAge),
      ...k.ranges(v.sept2m, v.blockAge2m),
      ...v.pamtBlocks(v.pamt2m),
    ],
  };
  const skipped = (b: State) => op.skip?.when(b) === true;
  const call = (retry: string) => (b: State, a: State) =>
    skipped(b) && !retry
      ? op.skip!.text
      : `${op.name}${retry}${op.args(leaf(inv, b), b).text} -> ${statusText(a[inv.status]!)}${a[inv.status] === S.SUCCESS && op.outputs ? op.outputs(a, leaf(inv, b)) : ''}${a[v.vmBugged] > b[v.vmBugged]! ? '; KVM_BUG_ON: VM dead, vCPUs kicked' : ''}${a[v.premapped + leaf(inv, b)]! < b[v.premapped + leaf(inv, b)]! ? '; premapped entry: nr_premapped--, tdx_unpin, no KVM_BUG_ON' : ''}`;
  const observe = (retry: boolean) => (b: State, a: State) =>
    skipped(b) && !retry
      ? []
      : seamcallSeen(k, op.wrapper, op.args(leaf(inv, b), b).args, a[inv.status]!, b, a);
  const first = zapStep(k, inv, {
    fn: op.fn,
    at: op.at,
    reads: [...footprint.reads, ...k.scalars(v.budgetBusy)],
    writes: [...footprint.writes, ...k.scalars(v.budgetBusy)],
    next(s, out) {
      if (skipped(s)) {
        out.next()[inv.pc] = op.skip!.to;
        return;
      }
      zapSeamcall(k, inv, op, s, out, false);
      if (!(s[v.budgetBusy]! > 0 && op.conflict(s))) return;
      const t = out.next();
      t[v.budgetBusy]!--;
      t[inv.status] = op.busy;
      t[v.waitForSeptZap] = 1;
      kickAll(k, t);
      t[inv.pc] = op.retry;
    },
    call: call(''),
    observe: observe(false),
  });
  const retry = zapStep(k, inv, {
    fn: 'tdh_do_no_vcpus',
    at: op.retry,
    ...footprint,
    next: (s, out) => zapSeamcall(k, inv, op, s, out, true),
    call: call(' (retry, vCPUs kept out)'),
    observe: observe(true),
  });
  return [first, retry];
}

/** Can a vCPU be inside TDH.VP.ENTER, holding the TD's epoch lock shared (tdh_mem_track.c
 * takes it exclusive)? One outside the guest that may enter now. */
function vcpuMayBeEntering(k: Kernel, s: State): boolean {
  if (!tdMayEnter(k, s)) return false;
  for (let c = 0; c < k.vcpus; c++) {
    if (!s[k.v.inGuest + c] && s[k.v.vcpuPc + c] === VCPU_IDLE) return true;
  }
  return false;
}

/** tdx_track's kvm_make_all_cpus_request(KVM_REQ_OUTSIDE_GUEST_MODE). In a split with module
 * 2.0, then tdx_pamt_get of the new S-EPT page from the per-VM split cache ([hp-v3] 21: after
 * BLOCK and TRACK, just before DEMOTE; its failure would be KVM_BUG_ON, but a get cannot fail
 * here: tdx_pamt.ts). Yan Zhao's fix for Sean's v5 branch takes it before BLOCK and puts it on
 * every later error (huge-pages.md K4); the model follows v3's order. */
function kvmMakeAllCpusRequest(k: Kernel, inv: Invalidator): Action {
  const pamt = k.pamt;
  return zapStep(k, inv, {
    fn: 'kvm_make_all_cpus_request',
    at: ZAP_KICK,
    reads: [...own(inv), ...k.ranges(k.v.mirror2m), ...(pamt?.reads ?? [])],
    writes: [inv.pc, ...k.vcpuFields(k.v.inGuest), ...(pamt?.writes ?? [])],
    next(s, out) {
      const t = out.next();
      kickAll(k, t);
      const split = splitting(k, inv, s);
      if (split) pamt?.get(t, k.v.kernelBlock);
      t[inv.pc] = split ? SPLIT_DEMOTE : ZAP_REMOVE;
    },
    call: (b) =>
      `KVM_REQ_OUTSIDE_GUEST_MODE: every vCPU out of the guest${pamt && splitting(k, inv, b) ? `; tdx_pamt_get(new S-EPT page)${b[k.v.pamtRef + k.v.kernelBlock] ? '' : ` -> TDH.PHYMEM.PAMT.ADD -> ${statusText(k.seam.pamtAdd(b.slice(), k.v.kernelBlock))}`}` : ''}`,
  });
}

/** After a successful DEMOTE with module 2.0: the guest range's pair (R12/R13, from the split
 * cache, [hp-v3] 22) is the module's now, and the range's DPAMT refcount goes from 0 to N
 * ([hp-v3] 23; its WARN when it was not 0 is not modelled). */
function tdxDemoteDpamtDone(k: Kernel, t: State, r: number): void {
  const v = k.v;
  if (!k.pamt) return;
  const gfns = k.seam.rangeGfns(r);
  const b = v.pamtBlockOf(k.seam.mappedFrame(t, gfns[0]!));
  t[v.pamtPair + b] = PAIR_MODULE;
  t[v.pamtRef + b] = gfns.length;
}

/**
 * After REMOVE: TDH.PHYMEM.PAGE.WBINVD of the page under the TD's HKID, then the page's clear
 * and the policy's hook, and on to the next leaf. A failed WBINVD is a KVM bug and leaves the
 * page neither written back nor cleared: v6.17 tdx_sept_drop_private_spte KVM_BUG_ONs and
 * returns -EIO before tdx_clear_page and tdx_unpin (so `pin` keeps its reference); series-v3
 * (patches 09, 10, 17) TDX_BUG_ONs and returns before tdx_quirk_reset_page, and the TDP MMU goes
 * on either way. The policy hears of it through onZapFailed(..., 'WBINVD').
 * Our simplification: the module fails only from the `wbinvd-fails` budget (after a successful
 * REMOVE the page is PT_NDA, so only a KVM or module bug, e.g. a wrong PA, makes it fail), with
 * the status a non-PT_NDA page gets (tdh_phymem_page_wbinvd.c: METADATA_INCORRECT + RCX).
 */
function tdhPhymemPageWbinvdHkid(k: Kernel, inv: Invalidator): Action {
  const v = k.v;
  // A 2M leaf's pages are written back one by one, stopping at the first error ([hp-v3] 03,
  // K14); the reset and the hooks come after the loop, for every page.
  const done = (t: State, gfns: number[], st: number) => {
    t[inv.status] = st;
    if (st === S.SUCCESS || k.mutated('ignore-wbinvd-status')) {
      for (const g of gfns) {
        const frame = k.seam.mappedFrame(t, g);
        k.seam.clearPage(t, frame); // tdx_quirk_reset_page / tdx_clear_page
        k.policy.onRemoved(t, g);
        // Module 2.0: the removal's last statement, 4K only ([hp-v3] 17/24, Dynamic PAMT v4 14/16)
        if (gfns.length === 1) k.pamt?.put(t, v.pamtBlockOf(frame));
      }
    } else {
      kvmBugOn(k, t);
      for (const g of gfns) k.policy.onZapFailed(t, g, 'WBINVD');
    }
    zapLeafDone(k, inv, t);
  };
  const wbinvd = (t: State, gfns: number[]) => {
    for (const g of gfns) {
      const st = k.seam.pageWbinvd(t, k.seam.mappedFrame(t, g));
      if (st !== S.SUCCESS) return st;
    }
    return S.SUCCESS;
  };
  return zapStep(k, inv, {
    fn: 'tdx_sept_remove_private_spte',
    at: ZAP_WBINVD,
    reads: [
      ...own(inv),
      ...zapNextReads(k),
      ...k.frames(v.pamt),
      ...k.scalars(v.budgetWbinvdFails),
      ...k.ranges(v.mirror2m),
      ...v.pamtBlocks(v.pamt2m),
    ],
    writes: [
      ...zapWrites(k, inv),
      ...k.frames(v.dirty, v.content, v.tdBit),
      ...k.scalars(v.budgetWbinvdFails),
    ],
    next(s, out) {
      const t = out.next();
      const gfns = leafGfns(k, inv, t);
      done(t, gfns, k.mutated('skip-wbinvd') ? S.SUCCESS : wbinvd(t, gfns));
      if (s[v.budgetWbinvdFails]! > 0) {
        // the injected failure is on the first page: none of a 2M leaf's is written back
        const f = out.next();
        f[v.budgetWbinvdFails]!--;
        done(f, gfns, S.METADATA_INCORRECT_RCX);
      }
    },
    call: (b, a) => {
      const failed = a[v.vmBugged]! > b[v.vmBugged]!;
      const cleared = a[inv.status] === S.SUCCESS || k.mutated('ignore-wbinvd-status');
      const pages = leafGfns(k, inv, b).length;
      return `TDH.PHYMEM.PAGE.WBINVD pa=${gpa(k.seam.mappedFrame(b, leaf(inv, b)))}${pages > 1 ? ` (x${pages}, the 2M page's)` : ''} (HKID) -> ${statusText(a[inv.status]!)}${failed ? '; KVM_BUG_ON: VM dead, vCPUs kicked' : ''}${cleared ? '; tdx_clear_page' : '; page not cleared'}${k.pamt && cleared && pages === 1 ? pamtPutText(k, k.seam.mappedFrame(b, leaf(inv, b)), b) : ''}${a[inv.pc] === INV_MMU_UNLOCK ? '; last leaf' : ''}`;
    },
    observe: (b, a) =>
      seamcallSeen(
        k,
        'tdh_phymem_page_wbinvd_hkid',
        { pfn: k.seam.mappedFrame(b, leaf(inv, b)) },
        a[inv.status]!,
        b,
        a,
      ),
  });
}

/** The zap's tdx_pamt_put as the trace tells it: the PAMT.REMOVE it made, if any. */
function pamtPutText(k: Kernel, frame: number, b: State): string {
  const t = b.slice();
  k.seam.pageWbinvd(t, frame);
  const st = k.pamt!.put(t, k.v.pamtBlockOf(frame));
  return `; tdx_pamt_put${st === undefined ? '' : ` -> TDH.PHYMEM.PAMT.REMOVE -> ${statusText(st)}`}`;
}

/** tdx_sept_remove_private_spte on each leaf the invalidator's TDP MMU walk reaches: BLOCK,
 * TRACK (tdx_track) and the kick, REMOVE, each of the three BUSY-retried by tdh_do_no_vcpus;
 * WBINVD and clear. A BLOCK or REMOVE that fails stops this leaf's zap; a TRACK that fails is
 * TDX_BUG_ON too, but tdx_track goes on to the kick and the caller to REMOVE (v6.17 and
 * series-v3 arch/x86/kvm/vmx/tdx.c), which then fails with TDX_TLB_TRACKING_NOT_DONE. */
export function tdxSeptRemovePrivateSpte(k: Kernel, inv: Invalidator): Action[] {
  const v = k.v;
  // the level is the mirror's: a 2M leaf's range is in MIRROR_ZAP or MIRROR_SPLIT by now
  const leafArgs = (g: number, s: State) => {
    const r = k.seam.rangeOf(g);
    const huge = r >= 0 && [MIRROR_LEAF, MIRROR_ZAP, MIRROR_SPLIT].includes(s[v.mirror2m + r]!);
    const head = huge ? k.seam.rangeGfns(r)[0]! : g;
    return {
      text: ` gpa=${gpa(head)} level=${huge ? '2M' : '4K'}`,
      args: { gpa: gpaOf(head), level: huge ? 1 : 0 },
    };
  };
  // BLOCK and REMOVE against a vCPU in the guest: the S-EPT tree lock (see S.BUSY).
  const inGuest = (s: State) => anyInGuest(k, s);
  return [
    ...tdhDoNoVcpus(k, inv, {
      name: 'TDH.MEM.RANGE.BLOCK',
      wrapper: 'tdh_mem_range_block',
      fn: 'tdx_sept_remove_private_spte',
      at: ZAP_BLOCK,
      retry: ZAP_BLOCK_RETRY,
      then: ZAP_TRACK,
      failures: v.budgetBlockFails,
      busy: S.BUSY,
      conflict: inGuest,
      seamcall: (t, g) => {
        const r = at2m(k, inv, t);
        return r >= 0 ? k.seam.rangeBlock2m(t, r) : k.seam.rangeBlock(t, g);
      },
      failed: (t) => (zapPremapped(k, inv, t) ? undefined : zapFailed(k, inv, t, 'BLOCK')),
      args: leafArgs,
    }),
    ...tdhDoNoVcpus(k, inv, {
      name: 'TDH.MEM.TRACK',
      wrapper: 'tdh_mem_track',
      fn: 'tdx_track',
      at: ZAP_TRACK,
      retry: ZAP_TRACK_RETRY,
      then: ZAP_KICK,
      busy: S.BUSY_EPOCH,
      conflict: (s) => vcpuMayBeEntering(k, s),
      // tdx_track: nothing if the TD is not RUNNABLE (nothing can have run in it)
      skip: {
        when: (s) => s[v.tdOpState] !== TD_OP_RUNNABLE,
        to: ZAP_REMOVE,
        text: 'TD not runnable: no TDH.MEM.TRACK',
      },
      seamcall: (t) => k.seam.track(t),
      failed: (t) => {
        kvmBugOn(k, t);
        t[inv.pc] = ZAP_KICK;
      },
      args: () => ({ text: '', args: {} }),
    }),
    kvmMakeAllCpusRequest(k, inv),
    ...tdhDoNoVcpus(k, inv, {
      name: 'TDH.MEM.PAGE.REMOVE',
      wrapper: 'tdh_mem_page_remove',
      fn: 'tdx_sept_remove_private_spte',
      at: ZAP_REMOVE,
      retry: ZAP_REMOVE_RETRY,
      then: ZAP_WBINVD,
      failures: v.budgetRemoveFails,
      busy: S.BUSY,
      conflict: inGuest,
      seamcall: (t, g) => {
        const r = at2m(k, inv, t);
        return r >= 0
          ? k.seam.pageRemove2m(t, r)
          : k.seam.pageRemove(t, g, k.seam.mappedFrame(t, g));
      },
      succeeded: (t) => {
        for (const g of leafGfns(k, inv, t)) k.policy.onRemoveSucceeded(t, g);
      },
      failed: (t) => zapFailed(k, inv, t, 'REMOVE'),
      args: leafArgs,
      // module 2.0: PAMT_REMOVAL_HINT (RCX bit 62); Dynamic PAMT v4's put counts on its own
      outputs: (a, g) =>
        k.seam.pamtRemovalHint(a, k.seam.mappedFrame(a, g))
          ? '; RCX bit 62: last page of its 2M range'
          : '',
    }),
    tdhPhymemPageWbinvdHkid(k, inv),
    // tdx_sept_split_private_spte's DEMOTE, after the BLOCK, TRACK and kick above at 2M (only
    // where 2M leaves exist: elsewhere no step could ever take it)
    ...(!v.hugeRanges
      ? []
      : tdhDoNoVcpus(k, inv, {
          name: 'TDH.MEM.PAGE.DEMOTE',
          wrapper: 'tdh_mem_page_demote',
          fn: 'tdx_sept_split_private_spte',
          at: SPLIT_DEMOTE,
          retry: SPLIT_DEMOTE_RETRY,
          then: ZAP_BLOCK, // (splitDone: the leaf at 4K, or the walk's end)
          failures: v.budgetDemoteFails,
          busy: S.BUSY,
          conflict: inGuest,
          seamcall: (t) => k.seam.demote(t, at2m(k, inv, t)),
          // a module without ENHANCED_DEMOTE_INTERRUPTIBILITY ([hp-v3] 00 Restrictions 2): the
          // series then gives no 2M mapping at all (K1, [hp-v3] 02, 22: TDX_SW_ERROR); this run
          // follows the test-only loop of [hp-v3] 00 Note #2 ("Loop for
          // TDX_INTERRUPTED_RESTARTABLE in tdh_mem_page_demote()", not read: UNVERIFIED beyond
          // its title), which retries the DEMOTE until it is not interrupted
          ...(k.config.scenario.demoteInterruptible && {
            interrupted: (t: State) =>
              k.seam.demote(t, at2m(k, inv, t), true) === S.INTERRUPTED_RESTARTABLE,
          }),
          // the mirror is a 4K table now; the zap goes on with the leaf at 4K (no UNBLOCK, K3)
          succeeded: (t) => {
            tdxDemoteDpamtDone(k, t, at2m(k, inv, t));
            t[v.mirror2m + at2m(k, inv, t)] = MIRROR_TABLE;
            splitDone(k, inv, t);
          },
          // module 2.0: the guest pair goes back to the split cache ([hp-v3] 22) and the new
          // S-EPT page's reference is put ([hp-v3] 21)
          failed: (t) => {
            kvmBugOn(k, t);
            k.pamt?.put(t, v.kernelBlock);
            splitFailed(k, inv, t);
          },
          args: leafArgs,
        })),
  ];
}

/** tdx_sept_split_private_spte as a split alone runs it: the zap's steps but REMOVE and WBINVD,
 * which a walk that zaps nothing never reaches. */
function tdxSeptSplitPrivateSpte(k: Kernel, inv: Invalidator): Action[] {
  const removal = [ZAP_REMOVE, ZAP_REMOVE_RETRY, ZAP_WBINVD];
  return tdxSeptRemovePrivateSpte(k, inv).filter(
    (a) => !a.guard?.some(([x, label]) => x === inv.pc && removal.includes(label)),
  );
}

/**
 * tdx_honor_guest_accept_level ([hp-v3] 13/24, huge-pages.md K9), from tdx_handle_ept_violation
 * before the fault, when the exit's extended exit qualification is type ACCEPT with level 4K and
 * the range's GUEST_INHIBIT is clear (tested without the lock, by the guest's exit step: the bit
 * is one-way): under write mmu_lock, kvm_split_cross_boundary_leafs splits the range's 2M leaf
 * (tdx_sept_split_private_spte: BLOCK 2M through tdh_do_no_vcpus, TRACK and the kick, DEMOTE;
 * no TLB flush after it, the BLOCK+TRACK+kick did that), then hugepage_set_guest_inhibit sets
 * GUEST_INHIBIT for good, and the fault maps at 4K (tdp_mmu.ts faultAt2m). The patch returns a
 * split error to userspace (KVM_RUN fails); kvm_split_cross_boundary_leafs fails only when it
 * cannot allocate a page table, which the model never does, and a failed DEMOTE is ignored by
 * tdp_mmu_set_spte ([hp-v3] 07, K2) after TDX_BUG_ON killed the VM, so the model has no such
 * return. A 2M ACCEPT's exit would inhibit and split 1G mappings: there are none here.
 * The split's steps run with the vCPU as their process and `accept.split_pc` as their label.
 */
export function tdxHonorGuestAcceptLevel(k: Kernel, c: number): Action[] {
  const v = k.v;
  const splitter: Invalidator = {
    process: `vcpu${c}`,
    pc: v.acceptSplitPc + c,
    cursor: v.acceptSplitGfn + c,
    status: v.vcpuStatus + c,
    range: () => 0, // the walk splits the leaf and zaps nothing
    work: () => 'none',
    finish: () => {},
    reads: [],
    beginWrites: [],
    finishWrites: [],
  };
  const rangeOf = (s: State) => k.seam.rangeOf(s[v.faultGfn + c]!);
  const lock = kernelStep({
    process: `vcpu${c}`,
    fn: 'tdx_honor_guest_accept_level',
    file: TDX,
    fairness: 'strong', // waits for write_lock(mmu_lock)
    at: [v.vcpuPc + c, FAULT_ACCEPT_LEVEL],
    requires: [[v.mmuLock, 0]],
    reads: [v.faultGfn + c, ...k.ranges(v.mirror2m)],
    writes: [v.mmuLock, splitter.pc, splitter.cursor],
    next(s, out) {
      const g = s[v.faultGfn + c]!;
      const t = out.next();
      t[v.mmuLock] = MMU_WRITER;
      // kvm_split_cross_boundary_leafs over the 4K-aligned range: only a 2M leaf crosses it
      if (s[v.mirror2m + rangeOf(s)] === MIRROR_LEAF) {
        t[splitter.pc] = ZAP_BLOCK;
        t[splitter.cursor] = g;
      } else t[splitter.pc] = INV_MMU_UNLOCK;
    },
    call: (b, a) =>
      `EEQ ACCEPT level=4K gfn ${b[v.faultGfn + c]}: write_lock(mmu_lock); ${a[splitter.pc] === ZAP_BLOCK ? 'kvm_split_cross_boundary_leafs: split the 2M leaf' : 'no 2M leaf to split'}`,
  });
  const unlock = kernelStep({
    process: `vcpu${c}`,
    fn: 'tdx_honor_guest_accept_level',
    file: TDX,
    fairness: 'weak',
    at: [splitter.pc, INV_MMU_UNLOCK],
    holds: [k.locks.mmuLockWrite],
    reads: [v.faultGfn + c],
    writes: [v.mmuLock, splitter.pc, v.vcpuPc + c, ...k.ranges(v.guestInhibit)],
    next(s, out) {
      const t = out.next();
      t[v.guestInhibit + rangeOf(s)] = 1;
      t[v.mmuLock] = 0;
      t[splitter.pc] = INV_IDLE;
      t[v.vcpuPc + c] = FAULT_PFN;
    },
    call: () => 'hugepage_set_guest_inhibit; write_unlock(mmu_lock); the fault maps at 4K',
  });
  return [lock, ...tdxSeptSplitPrivateSpte(k, splitter), unlock];
}
