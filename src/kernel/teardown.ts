/**
 * VM teardown as the kernel does it. The VMM's vCPU threads leave KVM_RUN (virt/kvm/kvm_main.c);
 * then it closes the VM fd (the vCPU fds with it) and guest_memfd, in the order its scenario
 * fixes or in either. Each guest_memfd file holds a reference on the VM (__kvm_gmem_create takes
 * kvm_get_kvm; the file pins the VM, not the other way round: kvm-x86 virt/kvm/guest_memfd.c),
 * so kvm_destroy_vm runs at the last of the two closes: in kvm_vm_release's kvm_put_kvm when
 * guest_memfd went first, inside kvm_gmem_release's when it went last (Yan Zhao's exit flow,
 * 2025-06-16, on TDX huge page RFC 08/21).
 *
 * kvm_gmem_release zaps and unbinds but does not truncate (guest_memfd.ts): the folios belong to
 * the inode and are dropped when it is evicted, after release returns (VFS __fput; our reading,
 * the VFS code not re-read: ../shared/reference/trees.md Q2). kvm_destroy_vm
 * (virt/kvm/kvm_main.c): kvm_arch_pre_destroy_vm -> vt_vm_pre_destroy -> tdx_mmu_release_hkid,
 * then kvm_arch_destroy_vm -> tdx_vm_destroy -> tdx_reclaim_td_control_pages (arch/x86/kvm/vmx/
 * main.c and tdx.c, v6.17 and series-v3). KVM RECLAIMs no ordinary guest page in any tree; a
 * design may (its onTdTeardown hook, called in tdx_vm_destroy before the control pages: our
 * placement).
 *
 * Our simplifications: the S-EPT page tables, TDCS and TDVPR pages are not modelled: the TDR
 * stands for the TD's control pages; slots_lock is not modelled (no other modelled path takes
 * it); TDH.VP.FLUSH of each vCPU is folded into tdx_mmu_release_hkid (every vCPU is out of the
 * guest by then).
 */
import type { Action, State } from '../engine/index.js';
import { guestReleases, truncate, truncateWrites } from './guest_memfd.js';
import type { Kernel } from './kernel.js';
import {
  INV_LOCK,
  VCPU_IDLE,
  VMM_CLOSE,
  VMM_EVICT,
  VMM_PUT_KVM,
  VMM_RECLAIM,
  VMM_RELEASE_HKID,
  VMM_STOP_VCPUS,
  VMM_TD_TEARDOWN,
  VMM_WAIT_VCPUS,
} from './programs.js';
import { S, statusText, statusValue } from './seam.js';
import { kickAll } from './tdx.js';
import {
  ATTR_PRIVATE,
  GMEM_EVICTED,
  GMEM_OPEN,
  TD_TEARDOWN,
  TDR_LIVE,
  TABLE_EPT,
  TABLE_LEAKED,
  TABLE_ORPHAN,
  VM_FD_CLOSED,
  VM_FD_OPEN,
} from './vars.js';
import { advance, advanceWrites, vmmStep } from './vmm_op.js';

/** Does vCPU c's guest access still wait to be served: the VM alive and the GFN still private?
 * An access to a GFN that went shared (a conversion after its fault) does not: the model's
 * guest does not retry it (td_guest.ts), and in the kernel its retry ends KVM_RUN with -EFAULT
 * (kvm_mmu_faultin_pfn, arch/x86/kvm/mmu/mmu.c: a private fault on a shared GFN is a
 * KVM_EXIT_MEMORY_FAULT). */
export function accessWaits(k: Kernel, s: State, c: number): boolean {
  const need = s[k.v.need + c]!;
  return need !== 0 && !s[k.v.vmBugged] && s[k.v.attr + need - 1] === ATTR_PRIVATE;
}

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
    reads: [v.vmBugged, ...k.vcpuFields(v.need), ...k.frames(v.attr)],
    writes: [
      v.vcpusStopped,
      v.vmmPc,
      ...k.vcpuFields(v.inGuest, v.need),
      ...k.frames(v.guestData, v.accepted),
    ],
    ready(s) {
      for (let c = 0; c < k.vcpus; c++) if (accessWaits(k, s, c)) return false;
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

/** Every vCPU is out of KVM_RUN: the VMM closes its files. */
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
      t[v.vmmPc] = VMM_CLOSE;
    },
    call: () => 'every vCPU out of KVM_RUN',
  });
}

/** The order the scenario fixes for the two closes, if any. */
const closeOrder = (k: Kernel, s: State) => {
  const op = k.script.current(s);
  return op?.op === 'teardown' ? op.close : undefined;
};

/** Where kvm_destroy_vm begins: tdx_mmu_release_hkid (the mutation calls the design's teardown
 * hook first). */
function destroyVm(k: Kernel): number {
  return k.policy.onTdTeardown && k.mutated('reclaim-before-hkid-release')
    ? VMM_TD_TEARDOWN
    : VMM_RELEASE_HKID;
}

/** close(vmfd): kvm_vm_release -> kvm_put_kvm (virt/kvm/kvm_main.c), the VM's last reference
 * once guest_memfd is released. */
export function kvmVmRelease(k: Kernel): Action {
  const v = k.v;
  const last = (s: State) => s[v.gmemFile] !== GMEM_OPEN;
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_CLOSE,
    fn: 'kvm_vm_release',
    file: 'virt/kvm/kvm_main.c',
    reads: [v.vmFd, v.gmemFile],
    writes: [v.vmFd, v.vmmPc],
    ready: (s) => s[v.vmFd] === VM_FD_OPEN && (closeOrder(k, s) !== 'gmem-first' || last(s)),
    run(s, t) {
      t[v.vmFd] = VM_FD_CLOSED;
      t[v.vmmPc] = last(s) ? destroyVm(k) : VMM_CLOSE;
    },
    call: (b) =>
      `close(vmfd): kvm_put_kvm -> ${last(b) ? 'the last reference: kvm_destroy_vm' : 'guest_memfd still holds the VM'}`,
  });
}

/** close(guest_memfd): __fput -> kvm_gmem_release, an invalidating path over the whole file
 * (vmm.ts, guest_memfd.ts). */
export function kvmGmemClose(k: Kernel): Action {
  const v = k.v;
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_CLOSE,
    fn: '__fput',
    file: 'fs/file_table.c',
    reads: [v.vmFd, v.gmemFile],
    writes: [v.vmmPc],
    ready: (s) =>
      s[v.gmemFile] === GMEM_OPEN &&
      (closeOrder(k, s) !== 'vm-first' || s[v.vmFd] === VM_FD_CLOSED),
    run(_, t) {
      t[v.vmmPc] = INV_LOCK;
    },
    call: () => 'close(guest_memfd) -> kvm_gmem_release',
  });
}

/** The end of kvm_gmem_release: kvm_put_kvm, the VM's last reference once the VM fd is closed
 * (then kvm_destroy_vm runs here, before the inode is evicted). */
export function kvmPutKvm(k: Kernel): Action {
  const v = k.v;
  const last = (s: State) => s[v.vmFd] === VM_FD_CLOSED;
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_PUT_KVM,
    fn: 'kvm_put_kvm',
    file: 'virt/kvm/kvm_main.c',
    reads: [v.vmFd],
    writes: [v.vmmPc],
    run(s, t) {
      t[v.vmmPc] = last(s) ? destroyVm(k) : VMM_EVICT;
    },
    call: (b) => (last(b) ? 'the last reference: kvm_destroy_vm' : 'the VM fd still holds the VM'),
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
 * it). One step: nothing else touches the TD's key meanwhile. The design's teardown hook runs
 * next, only if the HKID was freed (else KVM leaks everything, as tdx_vm_destroy does). */
export function tdxMmuReleaseHkid(k: Kernel): Action {
  const v = k.v;
  const text = (fn: string) => fn.replace(/^tdh_/, 'TDH.').replace(/_/g, '.').toUpperCase();
  const hook = k.policy.onTdTeardown && !k.mutated('reclaim-before-hkid-release');
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_RELEASE_HKID,
    fn: 'tdx_mmu_release_hkid',
    file: 'arch/x86/kvm/vmx/tdx.c',
    reads: [v.tdLifecycle, ...k.frames(v.dirty, v.owner), ...k.vcpuFields(v.inGuest)],
    writes: [v.vmmStatus, v.vmmPc, v.tdLifecycle, ...k.frames(v.dirty, v.content)],
    run(_, t) {
      t[v.vmmStatus] = releaseHkidCalls(k, t).at(-1)!.st;
      t[v.vmmPc] = hook && t[v.tdLifecycle] === TD_TEARDOWN ? VMM_TD_TEARDOWN : VMM_RECLAIM;
    },
    call: (b) =>
      releaseHkidCalls(k, b.slice())
        .map(({ fn, st }) => `${text(fn)} -> ${statusText(st)}`)
        .join(', '),
    observe: (b) =>
      releaseHkidCalls(k, b.slice()).map(({ fn, st }) => ({ fn, ret: statusValue(st) })),
  });
}

/** tdx_vm_destroy, before the control pages: the design's onTdTeardown hook, with the
 * SEAMCALLs it makes (TDH.PHYMEM.PAGE.RECLAIM of the pages it kept). */
export function tdxVmDestroyHook(k: Kernel): Action {
  const v = k.v;
  const early = k.mutated('reclaim-before-hkid-release');
  const calls = (b: State) => k.policy.onTdTeardown!(b.slice());
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_TD_TEARDOWN,
    fn: 'tdx_vm_destroy',
    file: 'arch/x86/kvm/vmx/tdx.c',
    reads: [v.tdLifecycle, ...k.mm.refReads, ...k.frames(v.pamt)],
    writes: [v.vmmPc, ...k.policyTeardownWrites],
    run(_, t) {
      k.policy.onTdTeardown!(t);
      t[v.vmmPc] = early ? VMM_RELEASE_HKID : VMM_RECLAIM;
    },
    call: (b) =>
      `${k.policy.name}'s teardown hook: ${
        calls(b)
          .map(({ frame, st }) => `TDH.PHYMEM.PAGE.RECLAIM pfn ${frame} -> ${statusText(st)}`)
          .join(', ') || 'nothing to reclaim'
      }`,
    observe: (b) =>
      calls(b).map(({ frame, st }) => ({
        fn: 'tdh_phymem_page_reclaim',
        args: { pfn: frame },
        ret: statusValue(st),
      })),
  });
}

/** The S-EPT table pages KVM frees as the TDP MMU's roots go (handle_removed_pt ->
 * tdx_sept_free_private_spt, after the HKID release: mainline tdx.c, DPAMT v4 14/16; huge-pages.md
 * K11): TDH.PHYMEM.PAGE.RECLAIM of each; one the module refuses (a failed DEMOTE's orphan) is
 * leaked on purpose. Each table's range and status, in order. */
function tdxSeptFreePrivateSpts(k: Kernel, t: State): { r: number; st: number }[] {
  const done: { r: number; st: number }[] = [];
  for (let r = 0; r < k.v.hugeRanges; r++) {
    if (t[k.v.table + r] !== TABLE_EPT && t[k.v.table + r] !== TABLE_ORPHAN) continue;
    const st = k.seam.tableReclaim(t, r);
    if (st !== S.SUCCESS) t[k.v.table + r] = TABLE_LEAKED;
    // module 2.0: the page's PAMT reference put after a successful RECLAIM only, so a page KVM
    // leaks keeps its pair too (DPAMT v4 14/16, read for huge-pages-check.md U9; not re-read)
    else k.pamt?.put(t, k.v.kernelBlock);
    done.push({ r, st });
  }
  return done;
}

/** tdx_reclaim_td_control_pages: TDH.PHYMEM.PAGE.RECLAIM of the TDR, leaked on purpose if the
 * module refuses. Then the guest_memfd inode is evicted if it was not already. The S-EPT table
 * pages go first (tdxSeptFreePrivateSpts): one step, as nothing else runs on the dead TD. */
export function tdxReclaimTdControlPages(k: Kernel): Action {
  const v = k.v;
  const tables = (b: State) =>
    tdxSeptFreePrivateSpts(k, b.slice())
      .map(
        ({ r, st }) =>
          `TDH.PHYMEM.PAGE.RECLAIM (S-EPT table of gfns ${k.seam.rangeGfns(r).join(',')}) -> ${statusText(st)}${st === S.SUCCESS ? '' : '; leaked'}, `,
      )
      .join('');
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_RECLAIM,
    fn: 'tdx_reclaim_td_control_pages',
    file: 'arch/x86/kvm/vmx/tdx.c',
    reads: [
      v.tdLifecycle,
      v.gmemFile,
      ...k.frames(v.pamt),
      ...k.ranges(v.table),
      ...v.pamtBlocks(v.pamt2m),
    ],
    writes: [v.tdr, ...advanceWrites(k), ...k.ranges(v.table), ...(k.pamt?.writes ?? [])],
    run(s, t) {
      tdxSeptFreePrivateSpts(k, t);
      const st = k.seam.reclaimTdr(t);
      if (s[v.gmemFile] === GMEM_EVICTED) advance(k, t);
      else t[v.vmmPc] = VMM_EVICT;
      t[v.vmmStatus] = st;
    },
    call: (b, a) =>
      `${tables(b)}TDH.PHYMEM.PAGE.RECLAIM (TDR) -> ${statusText(a[v.vmmStatus]!)}${a[v.tdr] !== TDR_LIVE && a[v.vmmStatus] !== S.SUCCESS ? '; TDR leaked on purpose' : ''}`,
    observe: (_, a) => [
      { fn: 'tdh_phymem_page_reclaim', args: { tdr: 1 }, ret: statusValue(a[v.vmmStatus]!) },
    ],
  });
}

/** The guest_memfd inode's eviction, after kvm_gmem_release returned: truncate_inode_pages_final
 * drops the page cache's reference on every folio (freed at zero, unless a reference or the
 * design keeps it). Then the VMM closes the VM fd, if it is still open. */
export function evictInode(k: Kernel): Action {
  const v = k.v;
  const all = (1 << k.gfns) - 1;
  return vmmStep(k, {
    op: 'teardown',
    at: VMM_EVICT,
    fn: 'evict',
    file: 'fs/inode.c',
    reads: [v.vmFd, ...k.mm.refReads],
    writes: [v.gmemFile, ...truncateWrites(k), ...advanceWrites(k)],
    run(s, t) {
      truncate(k, t, all);
      t[v.gmemFile] = GMEM_EVICTED;
      if (s[v.vmFd] === VM_FD_CLOSED) advance(k, t);
      else t[v.vmmPc] = VMM_CLOSE;
    },
    call: () => 'guest_memfd inode evicted: truncate_inode_pages_final drops every folio',
  });
}
