/**
 * VM teardown as the VMM drives it: its vCPU threads leave KVM_RUN (virt/kvm/kvm_main.c), it
 * closes guest_memfd (kvm_gmem_release: an invalidating path over the whole file, vmm.ts), and
 * destroys the VM: tdx_mmu_release_hkid, then tdx_reclaim_td_control_pages
 * (arch/x86/kvm/vmx/tdx.c).
 *
 * Our simplification: the VM fd is closed only after guest_memfd (the file holds a reference
 * on the VM, so kvm_destroy_vm runs after kvm_gmem_release), and the S-EPT page tables, TDCS
 * and TDVPR pages are not modelled: the TDR stands for the TD's control pages.
 */
import type { Action, State } from '../engine/index.js';
import { guestReleases } from './guest_memfd.js';
import type { Kernel } from './kernel.js';
import {
  INV_LOCK,
  VCPU_IDLE,
  VMM_RECLAIM,
  VMM_RELEASE_HKID,
  VMM_STOP_VCPUS,
  VMM_WAIT_VCPUS,
} from './programs.js';
import { S, statusText, statusValue } from './seam.js';
import { kickAll } from './tdx.js';
import { TDR_LIVE } from './vars.js';
import { advance, advanceWrites, vmmStep } from './vmm_op.js';

/** Teardown begins: the VMM shuts the VM down once the guest is done (no access of its is
 * still waiting, unless the VM is dead and nothing will be served): its vCPU threads leave
 * KVM_RUN, each kicked out of the guest. */
export function kvmVcpuKick(k: Kernel): Action {
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
export function kvmVcpuRelease(k: Kernel): Action {
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

/** tdx_mmu_release_hkid's SEAMCALLs on t, in order, each with its status, up to the first
 * that fails (v6.17 and series-v3 arch/x86/kvm/vmx/tdx.c: VPFLUSHDONE, then CACHE.WB on one
 * CPU per package, where TDX_NO_HKID_READY_TO_WBCACHE counts as success, then KEY.FREEID). */
function releaseHkidCalls(k: Kernel, t: State): { fn: string; st: number }[] {
  const calls = [
    { fn: 'tdh_mng_vpflushdone', call: () => k.seam.vpFlushDone(t) },
    { fn: 'tdh_phymem_cache_wb', call: () => k.seam.cacheWb(t) },
    { fn: 'tdh_mng_key_freeid', call: () => k.seam.keyFreeId(t) },
  ];
  const done: { fn: string; st: number }[] = [];
  for (const { fn, call } of calls) {
    const st = call();
    done.push({ fn, st });
    if (st !== S.SUCCESS && st !== S.NO_HKID_READY) break;
  }
  return done;
}

/** tdx_mmu_release_hkid: TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB, TDH.MNG.KEY.FREEID, under
 * tdx_lock after TDH.VP.FLUSH of every vCPU (the vCPUs are out of the guest: teardown waited for
 * it). One step: nothing else touches the TD's key meanwhile. */
export function tdxMmuReleaseHkid(k: Kernel): Action {
  const v = k.v;
  const text = (fn: string) => fn.replace(/^tdh_/, 'TDH.').replace(/_/g, '.').toUpperCase();
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_RELEASE_HKID,
    fn: 'tdx_mmu_release_hkid',
    file: 'arch/x86/kvm/vmx/tdx.c',
    reads: [v.tdLifecycle, ...k.frames(v.dirty, v.owner), ...k.vcpuFields(v.inGuest)],
    writes: [v.vmmStatus, v.vmmPc, v.tdLifecycle, ...k.frames(v.dirty, v.content)],
    run(_, t) {
      t[v.vmmStatus] = releaseHkidCalls(k, t).at(-1)!.st;
      t[v.vmmPc] = VMM_RECLAIM;
    },
    call: (b) =>
      releaseHkidCalls(k, b.slice())
        .map(({ fn, st }) => `${text(fn)} -> ${statusText(st)}`)
        .join(', '),
    observe: (b) =>
      releaseHkidCalls(k, b.slice()).map(({ fn, st }) => ({ fn, ret: statusValue(st) })),
  });
}

/** tdx_reclaim_td_control_pages: TDH.PHYMEM.PAGE.RECLAIM of the TDR, leaked on purpose if the
 * module refuses. */
export function tdxReclaimTdControlPages(k: Kernel): Action {
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
