/**
 * The userspace VMM (QEMU, say): it runs the scenario's script of operations in order, each a
 * kernel path entered by an ioctl or syscall: KVM_TDX_INIT_MEM_REGION, KVM_TDX_FINALIZE_VM,
 * fallocate(PUNCH_HOLE), guest_memfd's conversion ioctl (retried on -EAGAIN), mmap + GUP of a
 * shared page for I/O (unpinned later by its I/O thread), and teardown: stop the vCPUs, close
 * guest_memfd (kvm_gmem_release), destroy the VM (teardown.ts). The step helper is vmm_op.ts.
 */
import type { Action, State } from '../engine/index.js';
import type { VmmOp } from './config.js';
import { guestReleases, kvmGmemConvertToPrivate, rangeArgs, rangeText } from './guest_memfd.js';
import { invalidatingPath } from './invalidation.js';
import type { Invalidator } from './invalidator.js';
import type { Kernel } from './kernel.js';
import { perFrame } from './mm.js';
import { gpaOf } from './observe.js';
import { VMM_RELEASE_HKID, VMM_START } from './programs.js';
import { S, statusValue } from './seam.js';
import { gpa, kernelStep } from './step.js';
import {
  kvmVcpuKick,
  kvmVcpuRelease,
  tdxMmuReleaseHkid,
  tdxReclaimTdControlPages,
} from './teardown.js';
import { tdxGmemPostPopulate } from './tdx.js';
import { PAGE_SIZE } from './uapi.js';
import { ATTR_PRIVATE, ATTR_SHARED, TD_OP_INITIALIZED } from './vars.js';
import { advance, advanceWrites, opGfn, vmmStep } from './vmm_op.js';
import { entryPc, opRange } from './vmm_script.js';

function describeOp(op: VmmOp): string {
  return 'gfns' in op
    ? `${op.op} gfns ${op.gfns.join(',')}`
    : 'gfn' in op
      ? `${op.op} gfn ${op.gfn}`
      : op.op;
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
