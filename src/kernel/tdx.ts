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
import type { Action, Observation, State, Successors } from '../engine/index.js';
import { gpaOf, seamcallSeen } from './observe.js';
import {
  INV_MMU_UNLOCK,
  ZAP_BLOCK,
  ZAP_BLOCK_RETRY,
  ZAP_KICK,
  ZAP_REMOVE,
  ZAP_REMOVE_RETRY,
  ZAP_TRACK,
  ZAP_WBINVD,
  type Invalidator,
} from './invalidation.js';
import type { Kernel } from './kernel.js';
import { S, statusText } from './seam.js';
import { gpa, kernelStep } from './step.js';
import { assertHeld, zapNext } from './tdp_mmu.js';
import { CONTENT_STALE, MMU_WRITER, SPTE_NONE, SPTE_PRESENT, TD_OP_RUNNABLE } from './vars.js';

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

/** tdx_sept_set_private_spte -> tdx_mem_page_aug, with the mirror SPTE frozen. Writes a
 * successor per result (the module's answer, and a BUSY while the budget lasts); `done` records
 * the status and moves the caller on. */
export function tdxSeptSetPrivateSpte(k: Kernel, s: State, out: Successors, g: number, done: (t: State, status: number) => void): void {
  const v = k.v;
  let t = out.next();
  k.policy.onMap(t, g, k);
  const st = k.seam.pageAug(t, g);
  if (st === S.SUCCESS) {
    t[v.spte + g] = SPTE_PRESENT;
  } else {
    // Any error other than BUSY is a KVM bug: KVM_BUG_ON, -EIO.
    kvmBugOn(k, t);
    k.policy.onMapFailed(t, g, k);
    t[v.spte + g] = SPTE_NONE;
  }
  done(t, st);
  if (s[v.budgetBusy]! > 0) {
    // TDX_OPERAND_BUSY: -EBUSY, the SPTE is unfrozen and the fault retried.
    t = out.next();
    t[v.budgetBusy]!--;
    k.policy.onMap(t, g, k);
    k.policy.onMapFailed(t, g, k);
    t[v.spte + g] = SPTE_NONE;
    done(t, S.BUSY);
  }
}

/** The zap of one private leaf by an invalidating path holding mmu_lock for write. */
export function zapSteps(k: Kernel, inv: Invalidator): Action[] {
  const v = k.v;
  const g = (s: State) => s[inv.cursor]!;
  const result = (_: State, a: State) => statusText(a[inv.status]!);
  const holdsMmuLock = (s: State) => assertHeld(s[v.mmuLock] === MMU_WRITER, 'mmu_lock (write)');
  /** TDX_BUG_ON after a failed BLOCK or REMOVE: the VM dies, the mirror SPTE is already gone,
   * and the TDP MMU moves on to the next leaf. */
  const failed = (t: State, st: number) => {
    t[inv.status] = st;
    kvmBugOn(k, t);
    k.policy.onZapFailed(t, g(t), k);
    zapNext(k, t, inv, g(t) + 1);
  };
  /** The module's own answer, and an injected failure while its budget lasts. */
  const seamcall = (s: State, out: Successors, budget: number, call: (t: State) => number, success: (t: State) => void) => {
    const t = out.next();
    const st = call(t);
    if (st === S.SUCCESS) {
      t[inv.status] = st;
      success(t);
    } else failed(t, st);
    if (s[budget]! > 0) {
      // A KVM or TDX module bug makes the SEAMCALL fail (the window the review is about).
      const f = out.next();
      f[budget]!--;
      enter(f);
      failed(f, S.STATE_INCORRECT);
    }
  };
  /** What the caller did before the SEAMCALL: the retry flag goes, the mirror SPTE is zapped
   * (tdp_mmu_iter_set_spte clears it before calling remove_external_spte). */
  const enter = (t: State) => {
    t[v.waitForSeptZap] = 0;
    t[v.spte + g(t)] = SPTE_NONE;
  };
  /** tdh_do_no_vcpus: on TDX_OPERAND_BUSY, keep vCPUs out, kick them, and retry once. */
  const busy = (s: State, out: Successors, retryPc: number) => {
    if (!(s[v.budgetBusy]! > 0 && anyInGuest(k, s))) return;
    const t = out.next();
    t[v.budgetBusy]!--;
    t[inv.status] = S.BUSY;
    t[v.waitForSeptZap] = 1;
    kickAll(k, t);
    t[inv.pc] = retryPc;
  };
  const block = (s: State, out: Successors) => {
    seamcall(s, out, v.budgetBlockFails, (t) => {
      enter(t);
      return k.seam.rangeBlock(t, g(t));
    }, (t) => (t[inv.pc] = ZAP_TRACK));
  };
  const remove = (s: State, out: Successors) => {
    seamcall(s, out, v.budgetRemoveFails, (t) => {
      enter(t);
      return k.seam.pageRemove(t, g(t));
    }, (t) => (t[inv.pc] = ZAP_WBINVD));
  };
  const seamcallText = (name: string) => (b: State, a: State) => `${name} gpa=${gpa(g(b))} level=4K -> ${result(b, a)}${a[v.vmBugged] > b[v.vmBugged]! ? '; KVM_BUG_ON: VM dead, vCPUs kicked' : ''}`;
  const seen = (wrapper: string) => (b: State, a: State) => seamcallSeen(k, wrapper, { gpa: gpaOf(g(b)), level: 0 }, a[inv.status]!, b, a);
  const step = (fn: string, pc: number, body: (s: State, out: Successors) => void, call: (b: State, a: State) => string, observe?: (b: State, a: State) => Observation[]) =>
    kernelStep({
      process: inv.process,
      fn,
      file: TDX,
      fairness: 'weak',
      at: [inv.pc, pc],
      next(s, out) {
        holdsMmuLock(s);
        body(s, out);
      },
      call,
      ...(observe ? { observe } : {}),
    });

  return [
    step('tdx_sept_remove_private_spte', ZAP_BLOCK, (s, out) => {
      block(s, out);
      busy(s, out, ZAP_BLOCK_RETRY);
    }, seamcallText('TDH.MEM.RANGE.BLOCK'), seen('tdh_mem_range_block')),
    step('tdh_do_no_vcpus', ZAP_BLOCK_RETRY, block, seamcallText('TDH.MEM.RANGE.BLOCK (retry, vCPUs kept out)'), seen('tdh_mem_range_block')),
    step('tdx_track', ZAP_TRACK, (_, out) => {
      const t = out.next();
      if (t[v.tdOpState] !== TD_OP_RUNNABLE) {
        t[inv.pc] = ZAP_REMOVE; // nothing can have run in the TD: no tracking needed
        return;
      }
      const st = k.seam.track(t);
      t[inv.status] = st;
      if (st !== S.SUCCESS) kvmBugOn(k, t);
      t[inv.pc] = ZAP_KICK;
    }, (b, a) => (a[inv.pc] === ZAP_REMOVE ? 'TD not runnable: no TDH.MEM.TRACK' : `TDH.MEM.TRACK -> ${result(b, a)}`),
    (b, a) => (a[inv.pc] === ZAP_REMOVE ? [] : seamcallSeen(k, 'tdh_mem_track', {}, a[inv.status]!, b, a))),
    step('kvm_make_all_cpus_request', ZAP_KICK, (_, out) => {
      const t = out.next();
      kickAll(k, t);
      t[inv.pc] = ZAP_REMOVE;
    }, () => 'KVM_REQ_OUTSIDE_GUEST_MODE: every vCPU out of the guest'),
    step('tdx_sept_remove_private_spte', ZAP_REMOVE, (s, out) => {
      remove(s, out);
      busy(s, out, ZAP_REMOVE_RETRY);
    }, seamcallText('TDH.MEM.PAGE.REMOVE'), seen('tdh_mem_page_remove')),
    step('tdh_do_no_vcpus', ZAP_REMOVE_RETRY, remove, seamcallText('TDH.MEM.PAGE.REMOVE (retry, vCPUs kept out)'), seen('tdh_mem_page_remove')),
    step('tdx_sept_remove_private_spte', ZAP_WBINVD, (_, out) => {
      const t = out.next();
      const frame = g(t);
      t[inv.status] = k.mutated('skip-wbinvd') ? S.SUCCESS : k.seam.pageWbinvd(t, frame);
      t[v.content + frame] = CONTENT_STALE; // tdx_quirk_reset_page / tdx_clear_page
      k.policy.onRemoved(t, frame, k);
      zapNext(k, t, inv, frame + 1);
    }, (b, a) => `TDH.PHYMEM.PAGE.WBINVD pa=${gpa(g(b))} (HKID) -> ${result(b, a)}; tdx_clear_page${a[inv.pc] === INV_MMU_UNLOCK ? '; last leaf' : ''}`,
    (b, a) => seamcallSeen(k, 'tdh_phymem_page_wbinvd_hkid', { pfn: g(b) }, a[inv.status]!, b, a)),
  ];
}

/** KVM_TDX_INIT_MEM_REGION: kvm_gmem_populate -> tdx_gmem_post_populate -> TDH.MEM.PAGE.ADD. */
export function tdxGmemPostPopulate(k: Kernel, t: State, g: number): number {
  const v = k.v;
  k.policy.onMap(t, g, k);
  const st = k.seam.pageAdd(t, g);
  if (st !== S.SUCCESS) {
    k.policy.onMapFailed(t, g, k);
    return st;
  }
  t[v.spte + g] = SPTE_PRESENT;
  t[v.guestData + g] = 1; // the initial image is the guest's data, measured and accepted
  t[v.accepted + g] = 1;
  return st;
}
