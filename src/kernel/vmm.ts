/**
 * The userspace VMM (QEMU, say): it runs the scenario's script of operations in order, each a
 * kernel path entered by an ioctl or syscall: KVM_TDX_INIT_MEM_REGION, KVM_TDX_FINALIZE_VM,
 * fallocate(PUNCH_HOLE), guest_memfd's conversion ioctl (retried on -EAGAIN), mmap + GUP of a
 * shared page for I/O (unpinned later by its I/O thread), and teardown: stop the vCPUs, close
 * guest_memfd (kvm_gmem_release), destroy the VM (tdx_mmu_release_hkid, then RECLAIM).
 *
 * Our simplification: the VM fd is closed only after guest_memfd (the file holds a reference
 * on the VM, so kvm_destroy_vm runs after kvm_gmem_release), and the S-EPT page tables, TDCS
 * and TDVPR pages are not modelled: the TDR stands for the TD's control pages.
 */
import type { Action, Observation, State } from '../engine/index.js';
import { gpaOf } from './observe.js';
import { PAGE_SIZE } from './uapi.js';
import type { VmmOp } from './config.js';
import { entryPc, opRange, VMM_DONE, VMM_RECLAIM, VMM_RELEASE_HKID, VMM_START, VMM_STOP_VCPUS, VMM_WAIT_VCPUS } from './vmm_script.js';
import { guestReleases, invalidationSteps, kvmGmemConvertToPrivate, rangeArgs, rangeText } from './guest_memfd.js';
import { INV_LOCK, type Invalidator } from './invalidation.js';
import type { Kernel } from './kernel.js';
import { S, statusText, statusValue } from './seam.js';
import { gpa, kernelStep } from './step.js';
import { mmuUnlockStep, VCPU_IDLE } from './tdp_mmu.js';
import { kickAll, tdxGmemPostPopulate, zapSteps } from './tdx.js';
import { perFrame } from './mm.js';
import { ATTR_PRIVATE, ATTR_SHARED, TD_OP_INITIALIZED, TDR_LIVE } from './vars.js';

function describeOp(op: VmmOp): string {
  return 'gfns' in op ? `${op.op} gfns ${op.gfns.join(',')}` : 'gfn' in op ? `${op.op} gfn ${op.gfn}` : op.op;
}

/** The op is over: on to the next one (or, with `any` op, back to choosing). */
function advance(k: Kernel, t: State): void {
  const v = k.v;
  if (k.script.any) t[v.vmmOp] = k.script.current(t)?.op === 'teardown' ? VMM_DONE : 0;
  else t[v.vmmOp]!++;
  startOp(k, t);
  t[v.vmmCursor] = 0;
  t[v.vmmStatus] = 0;
}

/** The VMM takes up its current op, to begin it whenever it likes. */
export function startOp(k: Kernel, t: State): void {
  t[k.v.vmmPc] = entryPc(k.script.current(t));
}

export function vmmSteps(k: Kernel): Action[] {
  const v = k.v;
  const all = (1 << k.gfns) - 1;
  const inv: Invalidator = {
    process: 'vmm',
    pc: v.vmmPc,
    cursor: v.vmmCursor,
    status: v.vmmStatus,
    range: (s) => k.script.currentRange(s),
    work: (s) => (k.script.current(s)?.op === 'to-shared' ? 'to-shared' : 'truncate'),
    entry: (s) => {
      const op = k.script.current(s);
      const r = rangeArgs(inv.range(s));
      if (op?.op === 'punch-hole') return [{ fn: 'kvm_gmem_punch_hole', args: { offset: r.start * PAGE_SIZE, len: (r.end - r.start) * PAGE_SIZE } }];
      if (op?.op === 'to-shared') return [{ fn: 'kvm_gmem_convert', args: { ...r, shared: 1 } }];
      return [{ fn: 'kvm_gmem_release' }];
    },
    // The guest asked for the conversion (MapGPA) or let the pages go: its data there is gone.
    begin: (t) => {
      const op = k.script.current(t);
      if (op?.op !== 'teardown') guestReleases(k, t, inv.range(t));
    },
    finish(t) {
      const op = k.script.current(t)!;
      if (op.op === 'teardown') {
        t[v.vmmPc] = VMM_RELEASE_HKID;
        t[v.vmmStatus] = 0;
      } else advance(k, t);
    },
  };
  /** A step of the VMM's script, enabled when op `kind` is current, the VMM is at `pc` and the
   * step is `ready`; strongly fair, as what it waits for (a free frame, a lock) is granted fairly. */
  const opStep = (
    kind: VmmOp['op'],
    pc: number,
    fn: string,
    file: string,
    run: (s: State, t: State, op: VmmOp) => void,
    call?: (b: State, a: State) => string,
    ready: (s: State) => boolean = () => true,
    observe?: (b: State, a: State) => Observation[],
  ) =>
    kernelStep({
      process: 'vmm',
      fn,
      file,
      fairness: 'strong',
      at: [v.vmmPc, pc],
      next(s, out) {
        const op = k.script.current(s);
        if (op?.op !== kind || !ready(s)) return;
        run(s, out.next(), op);
      },
      ...(call ? { call } : {}),
      ...(observe ? { observe } : {}),
    });
  const initMemAllowed = (s: State, g: number) => s[v.tdOpState] === TD_OP_INITIALIZED && s[v.attr + g] === ATTR_PRIVATE;
  const opGfn = (s: State) => {
    const op = k.script.current(s);
    return op && 'gfn' in op ? op.gfn : 0;
  };

  const menu = k.config.scenario.ops;
  return [
    ...(k.script.any
      ? [
          kernelStep({
            process: 'vmm',
            fn: 'ioctl',
            file: 'userspace',
            // The VMM's next operation, any of its menu (no fairness: it may also do nothing).
            at: [v.vmmOp, 0],
            next(_, out) {
              menu.forEach((op, i) => {
                const t = out.next();
                t[v.vmmOp] = i + 1;
                t[v.vmmPc] = entryPc(op);
              });
            },
            call: (_, a) => describeOp(k.script.current(a)!),
          }),
        ]
      : []),
    // KVM_TDX_INIT_MEM_REGION: only while the TD is being built (tdx_vcpu_init_mem_region), and
    // only into a GFN whose attributes are private (kvm_gmem_populate); else -EINVAL, no SEAMCALL.
    opStep('init-mem', VMM_START, 'tdx_gmem_post_populate', 'arch/x86/kvm/vmx/tdx.c', (s, t) => {
      const g = opGfn(s);
      if (initMemAllowed(s, g)) {
        if (!t[v.present + g]) k.mm.allocate(t, g); // kvm_gmem_populate
        tdxGmemPostPopulate(k, t, g);
      }
      advance(k, t);
    }, (b, a) => (initMemAllowed(b, opGfn(b)) ? `KVM_TDX_INIT_MEM_REGION: TDH.MEM.PAGE.ADD gpa=${gpa(opGfn(b))} -> ${a[v.pamt + opGfn(b)] !== b[v.pamt + opGfn(b)] ? 'TDX_SUCCESS' : 'failed'}` : 'KVM_TDX_INIT_MEM_REGION -> -EINVAL'),
    (s) => !initMemAllowed(s, opGfn(s)) || s[v.present + opGfn(s)] === 1 || k.mm.canAllocate(s, opGfn(s)),
    (b, a) => (initMemAllowed(b, opGfn(b)) ? [{ fn: 'tdh_mem_page_add', args: { gpa: gpaOf(opGfn(b)), pfn: opGfn(b) }, ret: statusValue(a[v.pamt + opGfn(b)] !== b[v.pamt + opGfn(b)] ? S.SUCCESS : S.STATE_INCORRECT) }] : [])),
    opStep('finalize', VMM_START, 'tdx_td_finalize', 'arch/x86/kvm/vmx/tdx.c', (_, t) => {
      k.seam.finalize(t);
      advance(k, t);
    }, (b, a) => `KVM_TDX_FINALIZE_VM: TDH.MR.FINALIZE -> ${a[v.tdOpState] !== b[v.tdOpState] ? 'TDX_SUCCESS' : 'TDX_OP_STATE_INCORRECT'}`, undefined,
    (b, a) => [{ fn: 'tdh_mr_finalize', ret: statusValue(a[v.tdOpState] !== b[v.tdOpState] ? S.SUCCESS : S.OP_STATE_INCORRECT) }]),
    opStep('to-private', VMM_START, 'kvm_gmem_convert_range', 'virt/kvm/guest_memfd.c', (_, t, op) => {
      const st = kvmGmemConvertToPrivate(k, t, opRange(op));
      if (st === S.SUCCESS) advance(k, t);
      else t[v.vmmStatus] = st;
    }, (b, a) => `to private, gfns ${rangeText(k, opRange(k.script.current(b)!))} -> ${a[v.vmmOp] !== b[v.vmmOp] ? '0' : '-EAGAIN'}`, (s) => s[v.filemapLock] === 0,
    (b, a) => [{ fn: 'kvm_gmem_convert', args: { ...rangeArgs(opRange(k.script.current(b)!)), shared: 0 }, ret: a[v.vmmOp] !== b[v.vmmOp] ? 0 : statusValue(S.EAGAIN) }]),
    opStep('gup', VMM_START, 'pin_user_pages', 'mm/gup.c', (_, t, op) => {
      const g = 'gfn' in op ? op.gfn : 0;
      if (!t[v.present + g]) k.mm.allocate(t, g); // kvm_gmem_fault_user_mapping allocates it
      if (!t[v.refUserMap + g]) k.mm.get(t, v.refUserMap, g);
      k.mm.get(t, v.refGup, g);
      advance(k, t);
    }, (b) => `mmap + GUP pin of shared gfn ${opGfn(b)}`, (s) => s[v.attr + opGfn(s)] === ATTR_SHARED && (s[v.present + opGfn(s)] === 1 || k.mm.canAllocate(s, opGfn(s)))),
    // The VMM shuts the VM down once the guest is done: no access of its is still waiting
    // (unless the VM is dead and nothing will be served).
    opStep('teardown', VMM_STOP_VCPUS, 'kvm_vcpu_kick', 'virt/kvm/kvm_main.c', (_, t) => {
      t[v.vcpusStopped] = 1; // the VMM's vCPU threads leave KVM_RUN and do not come back
      if (!k.mutated('stop-without-kick')) kickAll(k, t);
      for (let c = 0; c < k.vcpus; c++) t[v.need + c] = 0;
      guestReleases(k, t, all);
      t[v.vmmPc] = VMM_WAIT_VCPUS;
    }, () => 'VMM stops its vCPU threads: every vCPU kicked out of the guest', (s) => {
      for (let c = 0; c < k.vcpus; c++) if (s[v.need + c] && !s[v.vmBugged]) return false;
      return true;
    }),
    opStep('teardown', VMM_WAIT_VCPUS, 'kvm_vcpu_release', 'virt/kvm/kvm_main.c', (_, t) => {
      t[v.vmmPc] = INV_LOCK;
    }, () => 'every vCPU out of KVM_RUN; close(guest_memfd) -> kvm_gmem_release', (s) => {
      for (let c = 0; c < k.vcpus; c++) if (s[v.vcpuPc + c] !== VCPU_IDLE || s[v.inGuest + c]) return false;
      return true;
    }),
    ...invalidationSteps(k, inv),
    ...zapSteps(k, inv),
    mmuUnlockStep(k, inv),
    opStep('teardown', VMM_RELEASE_HKID, 'tdx_mmu_release_hkid', 'arch/x86/kvm/vmx/tdx.c', (_, t) => {
      t[v.vmmStatus] = k.seam.releaseHkid(t);
      t[v.vmmPc] = VMM_RECLAIM;
    }, (_, a) => `TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB, TDH.MNG.KEY.FREEID -> ${statusText(a[v.vmmStatus]!)}`, undefined,
    (_, a) => ['tdh_mng_vpflushdone', 'tdh_phymem_cache_wb', 'tdh_mng_key_freeid'].map((fn) => ({ fn, ret: statusValue(a[v.vmmStatus]!) }))),
    opStep('teardown', VMM_RECLAIM, 'tdx_reclaim_td_control_pages', 'arch/x86/kvm/vmx/tdx.c', (_, t) => {
      const st = k.seam.reclaimTdr(t);
      advance(k, t);
      t[v.vmmStatus] = st;
    }, (_, a) => `TDH.PHYMEM.PAGE.RECLAIM (TDR) -> ${statusText(a[v.vmmStatus]!)}${a[v.tdr] !== TDR_LIVE && a[v.vmmStatus] !== S.SUCCESS ? '; TDR leaked on purpose' : ''}`, undefined,
    (_, a) => [{ fn: 'tdh_phymem_page_reclaim', args: { tdr: 1 }, ret: statusValue(a[v.vmmStatus]!) }]),
    // The VMM's I/O thread, when its script pins pages for I/O.
    ...perFrame(k, (g) =>
      kernelStep({
        process: 'vmm-io',
        fn: 'unpin_user_page',
        file: 'mm/gup.c',
        fairness: 'weak', // the I/O completes
        next: (s, out) => void (s[v.refGup + g] && k.mm.put(out.next(), v.refGup, g)),
        call: () => `I/O on gfn ${g} done, GUP pin dropped`,
      }),
    ).filter(() => menu.some((op) => op.op === 'gup')),
  ];
}
