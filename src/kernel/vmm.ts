/**
 * The userspace VMM (QEMU, say): it runs the scenario's script of operations in order, each a
 * kernel path entered by an ioctl or syscall: KVM_TDX_INIT_MEM_REGION, KVM_TDX_FINALIZE_VM,
 * fallocate(PUNCH_HOLE), guest_memfd's conversion ioctl (retried on -EAGAIN), mmap + GUP of a
 * shared page for I/O (unpinned later by its I/O thread), and teardown: stop the vCPUs, close
 * the VM fd and guest_memfd (kvm_gmem_release), destroy the VM (teardown.ts). The step helper is vmm_op.ts.
 */
import type { Action, State } from '../engine/index.js';
import type { VmmOp } from './config.js';
import {
  fallocateRefuses,
  guestReleases,
  kvmGmemConvertToPrivate,
  rangeArgs,
  rangeText,
} from './guest_memfd.js';
import { invalidatingPath } from './invalidation.js';
import type { Invalidator } from './invalidator.js';
import type { Kernel } from './kernel.js';
import { folioRelease, perFrame } from './mm.js';
import { INV_LOCK, VMM_PUT_KVM, VMM_START } from './programs.js';
import { S, statusText, statusValue } from './seam.js';
import { kernelStep } from './step.js';
import {
  evictInode,
  kvmGmemClose,
  kvmPutKvm,
  kvmVcpuKick,
  kvmVcpuRelease,
  kvmVmRelease,
  tdxMmuReleaseHkid,
  tdxReclaimTdControlPages,
  tdxVmDestroyHook,
} from './teardown.js';
import { kvmBugOn } from './tdx.js';
import { anyPremapped, tdxInitMemRegion, vmStateGuardFree } from './tdx_populate.js';
import { PAGE_SIZE } from './uapi.js';
import { ATTR_SHARED, TD_OP_INITIALIZED } from './vars.js';
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

/** KVM_TDX_FINALIZE_VM (tdx_td_finalize, v6.17 and series-v3 arch/x86/kvm/vmx/tdx.c): -EINVAL
 * with no SEAMCALL once the TD is RUNNABLE, or (premap trees, [v6.17]) while nr_premapped is
 * not 0; else TDH.MR.FINALIZE, whose error is KVM_BUG_ON and -EIO (its BUSY, -EBUSY, cannot
 * arise: see Seam.finalize). On series-v3 tdx_vm_ioctl takes tdx_vm_state_guard first ([v3]
 * 24), so a second FINALIZE waits, like INIT_MEM_REGION, while a vCPU is in KVM_RUN. */
function tdxTdFinalize(k: Kernel): Action {
  const v = k.v;
  const again = (s: State) => s[v.tdOpState] !== TD_OP_INITIALIZED || anyPremapped(k, s);
  const finalize = (b: State) => k.seam.finalize(b.slice());
  return vmmStep(k, {
    op: 'finalize',
    at: VMM_START,
    fn: 'tdx_td_finalize',
    file: 'arch/x86/kvm/vmx/tdx.c',
    reads: [
      v.tdOpState,
      v.tdLifecycle,
      ...k.frames(v.premapped),
      ...k.vcpuFields(v.inGuest, v.vcpuPc),
    ],
    writes: [v.tdOpState, v.vmBugged, ...k.vcpuFields(v.inGuest), ...advanceWrites(k)],
    ready: (s) => vmStateGuardFree(k, s),
    run(s, t) {
      if (!again(s) && k.seam.finalize(t) !== S.SUCCESS) kvmBugOn(k, t);
      advance(k, t);
    },
    call: (b) =>
      again(b)
        ? 'KVM_TDX_FINALIZE_VM -> -EINVAL'
        : `KVM_TDX_FINALIZE_VM: TDH.MR.FINALIZE -> ${statusText(finalize(b))}${finalize(b) !== S.SUCCESS ? '; KVM_BUG_ON -> -EIO' : ''}`,
    observe: (b) => (again(b) ? [] : [{ fn: 'tdh_mr_finalize', ret: statusValue(finalize(b)) }]),
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
      ...k.frames(v.attr, v.present, v.owner, v.poison, v.refUserMap, v.folioBlock),
      ...k.scalars(v.folioSplit),
    ],
    writes: [...advanceWrites(k), ...k.mm.allocateWrites(), ...k.frames(v.refUserMap, v.refGup)],
    ready: (s) =>
      s[v.attr + opGfn(k, s)] === ATTR_SHARED &&
      (s[v.present + opGfn(k, s)] === 1 || k.mm.canAllocate(s, opGfn(k, s))),
    run(_, t, op) {
      const g = 'gfn' in op ? op.gfn : 0;
      if (!t[v.present + g]) k.mm.allocate(t, g); // kvm_gmem_fault_user_mapping allocates it
      const frame = k.frameOf(t, g);
      if (!t[v.refUserMap + frame]) k.mm.get(t, v.refUserMap, frame);
      k.mm.get(t, v.refGup, frame);
      advance(k, t);
    },
    call: (b) => `mmap + GUP pin of shared gfn ${opGfn(k, b)}`,
  });
}

/** The VMM's I/O thread: the I/O on frame f completes and its GUP pin goes. */
function unpinUserPage(k: Kernel, f: number): Action {
  const io = { process: 'vmm-io', fn: 'unpin_user_page', file: 'mm/gup.c', holder: k.v.refGup };
  return folioRelease(k, { ...io, done: `I/O on frame ${f} done, GUP pin dropped` }, f);
}

/** fallocate(PUNCH_HOLE) of part of a huge folio of a HugeTLB guest_memfd: kvm_gmem_fallocate
 * refuses it with -EINVAL before taking any lock ([gmem-hv3], huge-pages.md G1; trees.ts
 * punchWholeHugePages). The VMM sees the error and goes on to its next op. */
function kvmGmemFallocateRefused(k: Kernel): Action {
  const range = (s: State) => k.script.currentRange(s);
  const punch = (s: State) => {
    const r = rangeArgs(range(s));
    return { offset: r.start * PAGE_SIZE, len: (r.end - r.start) * PAGE_SIZE };
  };
  return vmmStep(k, {
    op: 'punch-hole',
    at: INV_LOCK,
    fn: 'kvm_gmem_fallocate',
    file: 'virt/kvm/guest_memfd.c',
    reads: [],
    writes: advanceWrites(k),
    ready: (s) => fallocateRefuses(k, range(s)),
    run: (_, t) => advance(k, t),
    call: (b) =>
      `fallocate(PUNCH_HOLE) gfns ${rangeText(k, range(b))} -> -EINVAL: not whole huge pages of the HugeTLB file`,
    observe: (b) => [{ fn: 'kvm_gmem_fallocate', args: punch(b), ret: statusValue(S.EINVAL) }],
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
    refused: (s) =>
      k.script.current(s)?.op === 'punch-hole' && fallocateRefuses(k, k.script.currentRange(s)),
    work: (s) => {
      const op = k.script.current(s)?.op;
      return op === 'to-shared' ? 'to-shared' : op === 'teardown' ? 'release' : 'truncate';
    },
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
        t[v.vmmPc] = VMM_PUT_KVM;
        t[v.vmmStatus] = 0;
      } else if (op.op === 'punch-hole' && t[v.vmmStatus] === S.EAGAIN)
        t[v.vmmPc] = INV_LOCK; // fallocate returned -EAGAIN (G2): the VMM punches again
      else advance(k, t);
    },
    reads: [v.vmmOp],
    beginWrites: k.frames(v.guestData, v.accepted),
    finishWrites: advanceWrites(k),
  };
  return inv;
}

/** Can one of the VMM's punches be refused (so the refusal is a step of this model)? */
const refusesSomePunch = (k: Kernel) =>
  k.config.scenario.ops.some((op) => op.op === 'punch-hole' && fallocateRefuses(k, opRange(op)));

/** The VMM: its script's (or menu's) operations, in the order of the script's kinds. */
export function vmmSteps(k: Kernel): Action[] {
  const gup = k.config.scenario.ops.some((op) => op.op === 'gup');
  return [
    ...(k.script.any ? [ioctl(k)] : []),
    ...tdxInitMemRegion(k),
    ...(refusesSomePunch(k) ? [kvmGmemFallocateRefused(k)] : []),
    tdxTdFinalize(k),
    kvmGmemConvertToPrivateIoctl(k),
    pinUserPages(k),
    kvmVcpuKick(k),
    kvmVcpuRelease(k),
    kvmVmRelease(k),
    kvmGmemClose(k),
    ...invalidatingPath(k, vmmInvalidator(k)),
    kvmPutKvm(k),
    tdxMmuReleaseHkid(k),
    ...(k.policy.onTdTeardown ? [tdxVmDestroyHook(k)] : []),
    tdxReclaimTdControlPages(k),
    evictInode(k),
    ...(gup ? perFrame(k, (f) => unpinUserPage(k, f)) : []),
  ];
}
