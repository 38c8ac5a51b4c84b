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
import type { VmmOp } from './config.js';
import { guestReleases, kvmGmemConvertToPrivate, rangeArgs, rangeText } from './guest_memfd.js';
import { invalidatingPath } from './invalidation.js';
import type { Invalidator } from './invalidator.js';
import type { Kernel } from './kernel.js';
import { perFrame } from './mm.js';
import { gpaOf } from './observe.js';
import {
  INV_LOCK,
  VCPU_IDLE,
  VMM_DONE,
  VMM_RECLAIM,
  VMM_RELEASE_HKID,
  VMM_START,
  VMM_STOP_VCPUS,
  VMM_WAIT_VCPUS,
} from './programs.js';
import { S, statusText, statusValue } from './seam.js';
import { gpa, kernelStep } from './step.js';
import { kickAll, tdxGmemPostPopulate } from './tdx.js';
import { PAGE_SIZE } from './uapi.js';
import { ATTR_PRIVATE, ATTR_SHARED, TD_OP_INITIALIZED, TDR_LIVE } from './vars.js';
import { entryPc, opRange } from './vmm_script.js';

function describeOp(op: VmmOp): string {
  return 'gfns' in op
    ? `${op.op} gfns ${op.gfns.join(',')}`
    : 'gfn' in op
      ? `${op.op} gfn ${op.gfn}`
      : op.op;
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
/** What advance writes. */
const advanceWrites = (k: Kernel) => [k.v.vmmOp, k.v.vmmPc, k.v.vmmCursor, k.v.vmmStatus];

/** The VMM takes up its current op, to begin it whenever it likes. */
export function startOp(k: Kernel, t: State): void {
  t[k.v.vmmPc] = entryPc(k.script.current(t));
}

/** A step of the VMM's script: enabled when op `op` is current, the VMM is at `at` and the
 * step is `ready`; strongly fair, as what it waits for (a free frame, a lock) is granted
 * fairly. It runs on the successor; its footprint adds to the script's (vmm.op, vmm.pc). */
interface VmmStep {
  readonly op: VmmOp['op'];
  readonly at: number;
  readonly fn: string;
  readonly file: string;
  readonly reads: readonly number[];
  readonly writes: readonly number[];
  ready?(s: State): boolean;
  run(s: State, t: State, op: VmmOp): void;
  call?(b: State, a: State): string;
  observe?(b: State, a: State): Observation[];
}

function vmmStep(k: Kernel, step: VmmStep): Action {
  const v = k.v;
  const ready = step.ready;
  return kernelStep({
    process: 'vmm',
    fn: step.fn,
    file: step.file,
    fairness: 'strong',
    at: [v.vmmPc, step.at],
    reads: [v.vmmOp, ...step.reads],
    writes: step.writes,
    next(s, out) {
      const op = k.script.current(s);
      if (op?.op !== step.op || (ready && !ready(s))) return;
      step.run(s, out.next(), op);
    },
    ...(step.call ? { call: step.call } : {}),
    ...(step.observe ? { observe: step.observe } : {}),
  });
}

/** The GFN the current op names. */
function opGfn(k: Kernel, s: State): number {
  const op = k.script.current(s);
  return op && 'gfn' in op ? op.gfn : 0;
}

/** With a VMM free to choose: its next operation, any of its menu (no fairness: it may also
 * do nothing). */
function ioctl(k: Kernel): Action {
  const v = k.v;
  const menu = k.config.scenario.ops;
  return kernelStep({
    process: 'vmm',
    fn: 'ioctl',
    file: 'userspace',
    at: [v.vmmOp, 0],
    reads: [],
    writes: [v.vmmOp, v.vmmPc],
    next(_, out) {
      menu.forEach((op, i) => {
        const t = out.next();
        t[v.vmmOp] = i + 1;
        t[v.vmmPc] = entryPc(op);
      });
    },
    call: (_, a) => describeOp(k.script.current(a)!),
  });
}

/** KVM_TDX_INIT_MEM_REGION: only while the TD is being built (tdx_vcpu_init_mem_region), and
 * only into a GFN whose attributes are private (kvm_gmem_populate); else -EINVAL, no SEAMCALL. */
function tdxVcpuInitMemRegion(k: Kernel): Action {
  const v = k.v;
  const allowed = (s: State, g: number) =>
    s[v.tdOpState] === TD_OP_INITIALIZED && s[v.attr + g] === ATTR_PRIVATE;
  const added = (b: State, a: State) => a[v.pamt + opGfn(k, b)] !== b[v.pamt + opGfn(k, b)];
  return vmmStep(k, {
    op: 'init-mem',
    at: VMM_START,
    fn: 'tdx_gmem_post_populate',
    file: 'arch/x86/kvm/vmx/tdx.c',
    reads: [
      ...k.scalars(v.tdOpState, v.tdLifecycle, v.folioSplit),
      ...k.frames(v.attr, v.present, v.owner, v.poison, v.sept, v.pamt),
    ],
    writes: [
      ...advanceWrites(k),
      ...k.mm.allocateWrites(),
      ...k.frames(v.sept, v.pamt, v.content, v.dirty, v.spte, v.guestData, v.accepted),
      ...k.policyWrites,
    ],
    ready: (s) =>
      !allowed(s, opGfn(k, s)) ||
      s[v.present + opGfn(k, s)] === 1 ||
      k.mm.canAllocate(s, opGfn(k, s)),
    run(s, t) {
      const g = opGfn(k, s);
      if (allowed(s, g)) {
        if (!t[v.present + g]) k.mm.allocate(t, g); // kvm_gmem_populate
        tdxGmemPostPopulate(k, t, g);
      }
      advance(k, t);
    },
    call: (b, a) =>
      allowed(b, opGfn(k, b))
        ? `KVM_TDX_INIT_MEM_REGION: TDH.MEM.PAGE.ADD gpa=${gpa(opGfn(k, b))} -> ${added(b, a) ? 'TDX_SUCCESS' : 'failed'}`
        : 'KVM_TDX_INIT_MEM_REGION -> -EINVAL',
    observe: (b, a) =>
      allowed(b, opGfn(k, b))
        ? [
            {
              fn: 'tdh_mem_page_add',
              args: { gpa: gpaOf(opGfn(k, b)), pfn: opGfn(k, b) },
              ret: statusValue(added(b, a) ? S.SUCCESS : S.STATE_INCORRECT),
            },
          ]
        : [],
  });
}

/** KVM_TDX_FINALIZE_VM: TDH.MR.FINALIZE. */
function tdxTdFinalize(k: Kernel): Action {
  const v = k.v;
  const finalized = (b: State, a: State) => a[v.tdOpState] !== b[v.tdOpState];
  return vmmStep(k, {
    op: 'finalize',
    at: VMM_START,
    fn: 'tdx_td_finalize',
    file: 'arch/x86/kvm/vmx/tdx.c',
    reads: [v.tdOpState],
    writes: [v.tdOpState, ...advanceWrites(k)],
    run(_, t) {
      k.seam.finalize(t);
      advance(k, t);
    },
    call: (b, a) =>
      `KVM_TDX_FINALIZE_VM: TDH.MR.FINALIZE -> ${finalized(b, a) ? 'TDX_SUCCESS' : 'TDX_OP_STATE_INCORRECT'}`,
    observe: (b, a) => [
      {
        fn: 'tdh_mr_finalize',
        ret: statusValue(finalized(b, a) ? S.SUCCESS : S.OP_STATE_INCORRECT),
      },
    ],
  });
}

/** guest_memfd's conversion ioctl to private (retried on -EAGAIN). */
function kvmGmemConvertToPrivateIoctl(k: Kernel): Action {
  const v = k.v;
  const converted = (b: State, a: State) => a[v.vmmOp] !== b[v.vmmOp];
  const range = (s: State) => opRange(k.script.current(s)!);
  return vmmStep(k, {
    op: 'to-private',
    at: VMM_START,
    fn: 'kvm_gmem_convert_range',
    file: 'virt/kvm/guest_memfd.c',
    reads: [v.filemapLock, ...k.mm.refReads, ...k.frames(v.attr)],
    writes: [
      ...advanceWrites(k),
      ...k.mm.putWrites(v.refUserMap),
      ...k.frames(v.attr, v.refPageCache),
      ...k.scalars(v.folioSplit),
    ],
    ready: (s) => s[v.filemapLock] === 0,
    run(_, t, op) {
      const st = kvmGmemConvertToPrivate(k, t, opRange(op));
      if (st === S.SUCCESS) advance(k, t);
      else t[v.vmmStatus] = st;
    },
    call: (b, a) =>
      `to private, gfns ${rangeText(k, range(b))} -> ${converted(b, a) ? '0' : '-EAGAIN'}`,
    observe: (b, a) => [
      {
        fn: 'kvm_gmem_convert',
        args: { ...rangeArgs(range(b)), shared: 0 },
        ret: converted(b, a) ? 0 : statusValue(S.EAGAIN),
      },
    ],
  });
}

/** mmap of the shared page and pin_user_pages on it for I/O. */
function pinUserPages(k: Kernel): Action {
  const v = k.v;
  return vmmStep(k, {
    op: 'gup',
    at: VMM_START,
    fn: 'pin_user_pages',
    file: 'mm/gup.c',
    reads: [
      ...k.frames(v.attr, v.present, v.owner, v.poison, v.refUserMap),
      ...k.scalars(v.folioSplit),
    ],
    writes: [...advanceWrites(k), ...k.mm.allocateWrites(), ...k.frames(v.refUserMap, v.refGup)],
    ready: (s) =>
      s[v.attr + opGfn(k, s)] === ATTR_SHARED &&
      (s[v.present + opGfn(k, s)] === 1 || k.mm.canAllocate(s, opGfn(k, s))),
    run(_, t, op) {
      const g = 'gfn' in op ? op.gfn : 0;
      if (!t[v.present + g]) k.mm.allocate(t, g); // kvm_gmem_fault_user_mapping allocates it
      if (!t[v.refUserMap + g]) k.mm.get(t, v.refUserMap, g);
      k.mm.get(t, v.refGup, g);
      advance(k, t);
    },
    call: (b) => `mmap + GUP pin of shared gfn ${opGfn(k, b)}`,
  });
}

/** Teardown begins: the VMM shuts the VM down once the guest is done (no access of its is
 * still waiting, unless the VM is dead and nothing will be served): its vCPU threads leave
 * KVM_RUN, each kicked out of the guest. */
function kvmVcpuKick(k: Kernel): Action {
  const v = k.v;
  const all = (1 << k.gfns) - 1;
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_STOP_VCPUS,
    fn: 'kvm_vcpu_kick',
    file: 'virt/kvm/kvm_main.c',
    reads: [v.vmBugged, ...k.vcpuFields(v.need)],
    writes: [
      v.vcpusStopped,
      v.vmmPc,
      ...k.vcpuFields(v.inGuest, v.need),
      ...k.frames(v.guestData, v.accepted),
    ],
    ready(s) {
      for (let c = 0; c < k.vcpus; c++) if (s[v.need + c] && !s[v.vmBugged]) return false;
      return true;
    },
    run(_, t) {
      t[v.vcpusStopped] = 1; // the VMM's vCPU threads leave KVM_RUN and do not come back
      if (!k.mutated('stop-without-kick')) kickAll(k, t);
      for (let c = 0; c < k.vcpus; c++) t[v.need + c] = 0;
      guestReleases(k, t, all);
      t[v.vmmPc] = VMM_WAIT_VCPUS;
    },
    call: () => 'VMM stops its vCPU threads: every vCPU kicked out of the guest',
  });
}

/** Every vCPU is out of KVM_RUN: close(guest_memfd), whose kvm_gmem_release invalidates the
 * whole file. */
function kvmVcpuRelease(k: Kernel): Action {
  const v = k.v;
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_WAIT_VCPUS,
    fn: 'kvm_vcpu_release',
    file: 'virt/kvm/kvm_main.c',
    reads: k.vcpuFields(v.vcpuPc, v.inGuest),
    writes: [v.vmmPc],
    ready(s) {
      for (let c = 0; c < k.vcpus; c++)
        if (s[v.vcpuPc + c] !== VCPU_IDLE || s[v.inGuest + c]) return false;
      return true;
    },
    run(_, t) {
      t[v.vmmPc] = INV_LOCK;
    },
    call: () => 'every vCPU out of KVM_RUN; close(guest_memfd) -> kvm_gmem_release',
  });
}

/** tdx_mmu_release_hkid: TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB, TDH.MNG.KEY.FREEID. */
function tdxMmuReleaseHkid(k: Kernel): Action {
  const v = k.v;
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_RELEASE_HKID,
    fn: 'tdx_mmu_release_hkid',
    file: 'arch/x86/kvm/vmx/tdx.c',
    reads: [v.tdLifecycle, ...k.frames(v.dirty, v.owner)],
    writes: [v.vmmStatus, v.vmmPc, v.tdLifecycle, ...k.frames(v.dirty, v.content)],
    run(_, t) {
      t[v.vmmStatus] = k.seam.releaseHkid(t);
      t[v.vmmPc] = VMM_RECLAIM;
    },
    call: (_, a) =>
      `TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB, TDH.MNG.KEY.FREEID -> ${statusText(a[v.vmmStatus]!)}`,
    observe: (_, a) =>
      ['tdh_mng_vpflushdone', 'tdh_phymem_cache_wb', 'tdh_mng_key_freeid'].map((fn) => ({
        fn,
        ret: statusValue(a[v.vmmStatus]!),
      })),
  });
}

/** tdx_reclaim_td_control_pages: TDH.PHYMEM.PAGE.RECLAIM of the TDR, leaked on purpose if the
 * module refuses. */
function tdxReclaimTdControlPages(k: Kernel): Action {
  const v = k.v;
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_RECLAIM,
    fn: 'tdx_reclaim_td_control_pages',
    file: 'arch/x86/kvm/vmx/tdx.c',
    reads: [v.tdLifecycle, ...k.frames(v.pamt)],
    writes: [v.tdr, ...advanceWrites(k)],
    run(_, t) {
      const st = k.seam.reclaimTdr(t);
      advance(k, t);
      t[v.vmmStatus] = st;
    },
    call: (_, a) =>
      `TDH.PHYMEM.PAGE.RECLAIM (TDR) -> ${statusText(a[v.vmmStatus]!)}${a[v.tdr] !== TDR_LIVE && a[v.vmmStatus] !== S.SUCCESS ? '; TDR leaked on purpose' : ''}`,
    observe: (_, a) => [
      { fn: 'tdh_phymem_page_reclaim', args: { tdr: 1 }, ret: statusValue(a[v.vmmStatus]!) },
    ],
  });
}

/** The VMM's I/O thread: the I/O on frame f completes and its GUP pin goes. */
function unpinUserPage(k: Kernel, f: number): Action {
  const v = k.v;
  return kernelStep({
    process: 'vmm-io',
    fn: 'unpin_user_page',
    file: 'mm/gup.c',
    fairness: 'weak', // the I/O completes
    reads: k.mm.refReads,
    writes: k.mm.putWrites(v.refGup),
    next: (s, out) => void (s[v.refGup + f] && k.mm.put(out.next(), v.refGup, f)),
    call: () => `I/O on gfn ${f} done, GUP pin dropped`,
  });
}

/** The VMM's invalidating path: punch hole, conversion to shared, and kvm_gmem_release at
 * teardown. */
function vmmInvalidator(k: Kernel): Invalidator {
  const v = k.v;
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
      if (op?.op === 'punch-hole')
        return [
          {
            fn: 'kvm_gmem_punch_hole',
            args: { offset: r.start * PAGE_SIZE, len: (r.end - r.start) * PAGE_SIZE },
          },
        ];
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
    reads: [v.vmmOp],
    beginWrites: k.frames(v.guestData, v.accepted),
    finishWrites: advanceWrites(k),
  };
  return inv;
}

/** The VMM: its script's (or menu's) operations, in the order of the script's kinds. */
export function vmmSteps(k: Kernel): Action[] {
  const gup = k.config.scenario.ops.some((op) => op.op === 'gup');
  return [
    ...(k.script.any ? [ioctl(k)] : []),
    tdxVcpuInitMemRegion(k),
    tdxTdFinalize(k),
    kvmGmemConvertToPrivateIoctl(k),
    pinUserPages(k),
    kvmVcpuKick(k),
    kvmVcpuRelease(k),
    ...invalidatingPath(k, vmmInvalidator(k)),
    tdxMmuReleaseHkid(k),
    tdxReclaimTdControlPages(k),
    ...(gup ? perFrame(k, (f) => unpinUserPage(k, f)) : []),
  ];
}
