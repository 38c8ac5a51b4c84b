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
 * Our simplifications: a BUSY AUG/REMOVE/BLOCK comes from the `busy` fault budget; TRACK is
 * never BUSY (its conflict, a VP.ENTER holding the epoch lock, is retried the same way).
 */
import type { Action, State, Successors } from '../engine/index.js';
import { own, zapNext, zapNextReads, type Invalidator } from './invalidator.js';
import type { Kernel } from './kernel.js';
import { gpaOf, seamcallSeen } from './observe.js';
import {
  FAULT_FINISH,
  FAULT_SEAMCALL,
  INV_MMU_UNLOCK,
  ZAP_BLOCK,
  ZAP_BLOCK_RETRY,
  ZAP_KICK,
  ZAP_REMOVE,
  ZAP_REMOVE_RETRY,
  ZAP_TRACK,
  ZAP_WBINVD,
} from './programs.js';
import { S, statusText } from './seam.js';
import { gpa, kernelStep } from './step.js';
import { CONTENT_STALE, SPTE_NONE, SPTE_PRESENT, TD_OP_RUNNABLE } from './vars.js';

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

function anyInGuest(k: Kernel, s: State): boolean {
  for (let c = 0; c < k.vcpus; c++) if (s[k.v.inGuest + c]) return true;
  return false;
}

/** What the TDX module reads of a TD and its pages on a memory SEAMCALL. */
const seamReads = (k: Kernel) => [
  ...k.scalars(k.v.tdOpState, k.v.tdLifecycle),
  ...k.frames(k.v.sept, k.v.pamt, k.v.blockAge),
  ...k.vcpuFields(k.v.inGuest, k.v.entryAge),
];

/** tdx_mem_page_aug: TDH.MEM.PAGE.AUG with the mirror SPTE frozen. Writes a successor per
 * result (the module's answer, and a BUSY while the budget lasts); `done` records the status
 * and moves the caller on. */
function tdxMemPageAug(
  k: Kernel,
  s: State,
  out: Successors,
  g: number,
  done: (t: State, status: number) => void,
): void {
  const v = k.v;
  let t = out.next();
  k.policy.onMap(t, g);
  const st = k.seam.pageAug(t, g);
  if (st === S.SUCCESS) {
    t[v.spte + g] = SPTE_PRESENT;
  } else {
    // Any error other than BUSY is a KVM bug: KVM_BUG_ON, -EIO.
    kvmBugOn(k, t);
    k.policy.onMapFailed(t, g);
    t[v.spte + g] = SPTE_NONE;
  }
  done(t, st);
  if (s[v.budgetBusy]! > 0) {
    // TDX_OPERAND_BUSY: -EBUSY, the SPTE is unfrozen and the fault retried.
    t = out.next();
    t[v.budgetBusy]!--;
    k.policy.onMap(t, g);
    k.policy.onMapFailed(t, g);
    t[v.spte + g] = SPTE_NONE;
    done(t, S.BUSY);
  }
}

/** vCPU c's fault at FAULT_SEAMCALL: tdx_sept_set_private_spte maps the frozen SPTE's page
 * with TDH.MEM.PAGE.AUG, under mmu_lock held for read. */
export function tdxSeptSetPrivateSpte(k: Kernel, c: number): Action {
  const v = k.v;
  const pc = v.vcpuPc + c;
  const gfnOf = (s: State) => s[v.faultGfn + c]!;
  return kernelStep({
    process: `vcpu${c}`,
    fn: 'tdx_sept_set_private_spte',
    file: TDX,
    fairness: 'weak',
    at: [pc, FAULT_SEAMCALL],
    holds: [k.locks.mmuLockRead],
    reads: [v.faultGfn + c, ...seamReads(k), ...k.scalars(v.budgetBusy)],
    writes: [
      pc,
      v.vcpuStatus + c,
      ...k.frames(v.spte, v.sept, v.pamt),
      ...k.scalars(v.vmBugged, v.budgetBusy),
      ...k.vcpuFields(v.inGuest),
      ...k.policyWrites,
    ],
    next(s, out) {
      tdxMemPageAug(k, s, out, gfnOf(s), (t, st) => {
        t[v.vcpuStatus + c] = st;
        t[pc] = FAULT_FINISH;
      });
    },
    call: (b, a) =>
      `TDH.MEM.PAGE.AUG gpa=${gpa(gfnOf(b))} level=4K -> ${statusText(a[v.vcpuStatus + c]!)}`,
    observe: (b, a) =>
      seamcallSeen(
        k,
        'tdh_mem_page_aug',
        { gpa: gpaOf(gfnOf(b)), level: 0, pfn: gfnOf(b) },
        a[v.vcpuStatus + c]!,
        b,
        a,
      ),
  });
}

/** A zapping SEAMCALL of tdx_sept_remove_private_spte on the leaf at the cursor. */
interface ZapSeamcall {
  /** as the trace names it, and the wrapper a tracer sees */
  readonly name: string;
  readonly wrapper: string;
  /** its label, the label of its retry by tdh_do_no_vcpus, and the label after success */
  readonly at: number;
  readonly retry: number;
  readonly then: number;
  /** the fault budget that makes it fail (a KVM or TDX module bug) */
  readonly failures: number;
  /** the SEAMCALL itself on the successor: its status */
  seamcall(t: State, gfn: number): number;
}

/** The leaf at the invalidator's cursor. */
const leaf = (inv: Invalidator, s: State) => s[inv.cursor]!;

/** What every zap step may write: the invalidator's own variables, KVM_BUG_ON's, the cursor's
 * move and the policy's hook on failure. */
const zapWrites = (k: Kernel, inv: Invalidator) => [
  inv.pc,
  inv.cursor,
  inv.status,
  ...k.scalars(k.v.vmBugged),
  ...k.vcpuFields(k.v.inGuest),
  ...k.policyWrites,
];
const zapReads = (k: Kernel, inv: Invalidator) => [
  ...own(inv),
  ...zapNextReads(k),
  ...seamReads(k),
];

/** TDX_BUG_ON after a failed BLOCK or REMOVE: the VM dies, the mirror SPTE is already gone,
 * and the TDP MMU moves on to the next leaf. */
function zapFailed(k: Kernel, inv: Invalidator, t: State, st: number): void {
  t[inv.status] = st;
  kvmBugOn(k, t);
  k.policy.onZapFailed(t, leaf(inv, t));
  zapNext(k, t, inv, leaf(inv, t) + 1);
}

/** What the caller did before the SEAMCALL: the retry flag goes, the mirror SPTE is zapped
 * (tdp_mmu_iter_set_spte clears it before calling remove_external_spte). */
function zapEnter(k: Kernel, inv: Invalidator, t: State): void {
  t[k.v.waitForSeptZap] = 0;
  t[k.v.spte + leaf(inv, t)] = SPTE_NONE;
}

/** One try of a zapping SEAMCALL: the module's own answer, and an injected failure while its
 * budget lasts. */
function zapSeamcall(
  k: Kernel,
  inv: Invalidator,
  op: ZapSeamcall,
  s: State,
  out: Successors,
): void {
  const t = out.next();
  zapEnter(k, inv, t);
  const st = op.seamcall(t, leaf(inv, t));
  if (st === S.SUCCESS) {
    t[inv.status] = st;
    t[inv.pc] = op.then;
  } else zapFailed(k, inv, t, st);
  if (s[op.failures]! > 0) {
    // A KVM or TDX module bug makes the SEAMCALL fail (the window the review is about).
    const f = out.next();
    f[op.failures]!--;
    zapEnter(k, inv, f);
    zapFailed(k, inv, f, S.STATE_INCORRECT);
  }
}

/**
 * tdh_do_no_vcpus (tdx.c): the BUSY-retry shape. The SEAMCALL is tried; on
 * TDX_OPERAND_BUSY (while a vCPU is in the guest, within the `busy` budget) KVM sets
 * wait_for_sept_zap so no vCPU re-enters, kicks every vCPU out, and tries once more.
 * Two steps: the first try, and the retry.
 */
function tdhDoNoVcpus(k: Kernel, inv: Invalidator, op: ZapSeamcall): Action[] {
  const v = k.v;
  const footprint = {
    reads: [...zapReads(k, inv), ...k.scalars(op.failures)],
    writes: [
      ...zapWrites(k, inv),
      ...k.scalars(v.waitForSeptZap, op.failures),
      ...k.frames(v.spte, v.sept, v.pamt, v.blockAge),
    ],
  };
  const call = (retry: string) => (b: State, a: State) =>
    `${op.name}${retry} gpa=${gpa(leaf(inv, b))} level=4K -> ${statusText(a[inv.status]!)}${a[v.vmBugged] > b[v.vmBugged]! ? '; KVM_BUG_ON: VM dead, vCPUs kicked' : ''}`;
  const observe = (b: State, a: State) =>
    seamcallSeen(k, op.wrapper, { gpa: gpaOf(leaf(inv, b)), level: 0 }, a[inv.status]!, b, a);
  const first = kernelStep({
    process: inv.process,
    fn: 'tdx_sept_remove_private_spte',
    file: TDX,
    fairness: 'weak',
    at: [inv.pc, op.at],
    holds: [k.locks.mmuLockWrite],
    reads: [...footprint.reads, ...k.scalars(v.budgetBusy)],
    writes: [...footprint.writes, ...k.scalars(v.budgetBusy)],
    next(s, out) {
      zapSeamcall(k, inv, op, s, out);
      if (!(s[v.budgetBusy]! > 0 && anyInGuest(k, s))) return;
      const t = out.next();
      t[v.budgetBusy]!--;
      t[inv.status] = S.BUSY;
      t[v.waitForSeptZap] = 1;
      kickAll(k, t);
      t[inv.pc] = op.retry;
    },
    call: call(''),
    observe,
  });
  const retry = kernelStep({
    process: inv.process,
    fn: 'tdh_do_no_vcpus',
    file: TDX,
    fairness: 'weak',
    at: [inv.pc, op.retry],
    holds: [k.locks.mmuLockWrite],
    ...footprint,
    next: (s, out) => zapSeamcall(k, inv, op, s, out),
    call: call(' (retry, vCPUs kept out)'),
    observe,
  });
  return [first, retry];
}

/** tdx_track: TDH.MEM.TRACK, only if the TD runs (else nothing can have run in it). */
function tdxTrack(k: Kernel, inv: Invalidator): Action {
  const v = k.v;
  return kernelStep({
    process: inv.process,
    fn: 'tdx_track',
    file: TDX,
    fairness: 'weak',
    at: [inv.pc, ZAP_TRACK],
    holds: [k.locks.mmuLockWrite],
    reads: [...own(inv), ...seamReads(k)],
    writes: [
      inv.pc,
      inv.status,
      ...k.scalars(v.vmBugged),
      ...k.vcpuFields(v.inGuest, v.entryAge),
      ...k.frames(v.blockAge),
    ],
    next(_, out) {
      const t = out.next();
      if (t[v.tdOpState] !== TD_OP_RUNNABLE) {
        t[inv.pc] = ZAP_REMOVE; // nothing can have run in the TD: no tracking needed
        return;
      }
      const st = k.seam.track(t);
      t[inv.status] = st;
      if (st !== S.SUCCESS) kvmBugOn(k, t);
      t[inv.pc] = ZAP_KICK;
    },
    call: (_, a) =>
      a[inv.pc] === ZAP_REMOVE
        ? 'TD not runnable: no TDH.MEM.TRACK'
        : `TDH.MEM.TRACK -> ${statusText(a[inv.status]!)}`,
    observe: (b, a) =>
      a[inv.pc] === ZAP_REMOVE ? [] : seamcallSeen(k, 'tdh_mem_track', {}, a[inv.status]!, b, a),
  });
}

/** tdx_track's kvm_make_all_cpus_request(KVM_REQ_OUTSIDE_GUEST_MODE). */
function kvmMakeAllCpusRequest(k: Kernel, inv: Invalidator): Action {
  return kernelStep({
    process: inv.process,
    fn: 'kvm_make_all_cpus_request',
    file: TDX,
    fairness: 'weak',
    at: [inv.pc, ZAP_KICK],
    holds: [k.locks.mmuLockWrite],
    reads: own(inv),
    writes: [inv.pc, ...k.vcpuFields(k.v.inGuest)],
    next(_, out) {
      const t = out.next();
      kickAll(k, t);
      t[inv.pc] = ZAP_REMOVE;
    },
    call: () => 'KVM_REQ_OUTSIDE_GUEST_MODE: every vCPU out of the guest',
  });
}

/** After REMOVE: TDH.PHYMEM.PAGE.WBINVD of the page under the TD's HKID, tdx_clear_page, the
 * policy's hook, and on to the next leaf. */
function tdhPhymemPageWbinvdHkid(k: Kernel, inv: Invalidator): Action {
  const v = k.v;
  return kernelStep({
    process: inv.process,
    fn: 'tdx_sept_remove_private_spte',
    file: TDX,
    fairness: 'weak',
    at: [inv.pc, ZAP_WBINVD],
    holds: [k.locks.mmuLockWrite],
    reads: [...own(inv), ...zapNextReads(k), ...k.frames(v.pamt)],
    writes: [inv.pc, inv.cursor, inv.status, ...k.frames(v.dirty, v.content), ...k.policyWrites],
    next(_, out) {
      const t = out.next();
      const frame = leaf(inv, t);
      t[inv.status] = k.mutated('skip-wbinvd') ? S.SUCCESS : k.seam.pageWbinvd(t, frame);
      t[v.content + frame] = CONTENT_STALE; // tdx_quirk_reset_page / tdx_clear_page
      k.policy.onRemoved(t, frame);
      zapNext(k, t, inv, frame + 1);
    },
    call: (b, a) =>
      `TDH.PHYMEM.PAGE.WBINVD pa=${gpa(leaf(inv, b))} (HKID) -> ${statusText(a[inv.status]!)}; tdx_clear_page${a[inv.pc] === INV_MMU_UNLOCK ? '; last leaf' : ''}`,
    observe: (b, a) =>
      seamcallSeen(k, 'tdh_phymem_page_wbinvd_hkid', { pfn: leaf(inv, b) }, a[inv.status]!, b, a),
  });
}

/** tdx_sept_remove_private_spte on each leaf the invalidator's TDP MMU walk reaches: BLOCK
 * (BUSY-retried), TRACK and the kick, REMOVE (BUSY-retried), WBINVD and clear. */
export function tdxSeptRemovePrivateSpte(k: Kernel, inv: Invalidator): Action[] {
  const v = k.v;
  return [
    ...tdhDoNoVcpus(k, inv, {
      name: 'TDH.MEM.RANGE.BLOCK',
      wrapper: 'tdh_mem_range_block',
      at: ZAP_BLOCK,
      retry: ZAP_BLOCK_RETRY,
      then: ZAP_TRACK,
      failures: v.budgetBlockFails,
      seamcall: (t, g) => k.seam.rangeBlock(t, g),
    }),
    tdxTrack(k, inv),
    kvmMakeAllCpusRequest(k, inv),
    ...tdhDoNoVcpus(k, inv, {
      name: 'TDH.MEM.PAGE.REMOVE',
      wrapper: 'tdh_mem_page_remove',
      at: ZAP_REMOVE,
      retry: ZAP_REMOVE_RETRY,
      then: ZAP_WBINVD,
      failures: v.budgetRemoveFails,
      seamcall: (t, g) => k.seam.pageRemove(t, g),
    }),
    tdhPhymemPageWbinvdHkid(k, inv),
  ];
}

/** KVM_TDX_INIT_MEM_REGION: kvm_gmem_populate -> tdx_gmem_post_populate -> TDH.MEM.PAGE.ADD. */
export function tdxGmemPostPopulate(k: Kernel, t: State, g: number): number {
  const v = k.v;
  k.policy.onMap(t, g);
  const st = k.seam.pageAdd(t, g);
  if (st !== S.SUCCESS) {
    k.policy.onMapFailed(t, g);
    return st;
  }
  t[v.spte + g] = SPTE_PRESENT;
  t[v.guestData + g] = 1; // the initial image is the guest's data, measured and accepted
  t[v.accepted + g] = 1;
  return st;
}
