import type { PagePolicy } from '../policies/policy.js';
import type { ModuleVersion } from './module.js';
import type { TreeFeature, TreeName } from './trees.js';

/** One operation of the VMM's script, performed in order (each is a kernel path). */
export type VmmOp =
  | { readonly op: 'init-mem'; readonly gfn: number } // KVM_TDX_INIT_MEM_REGION
  | { readonly op: 'finalize' } // KVM_TDX_FINALIZE_VM
  | { readonly op: 'punch-hole'; readonly gfns: readonly number[] } // fallocate(PUNCH_HOLE)
  | { readonly op: 'to-shared'; readonly gfns: readonly number[] } // guest_memfd conversion ioctl
  | { readonly op: 'to-private'; readonly gfns: readonly number[] }
  | { readonly op: 'gup'; readonly gfn: number } // mmap + GUP pin of a shared page for I/O
  // The VMM stops its vCPUs, then closes the VM fd and guest_memfd: `close` fixes which goes
  // first; without it, either may (at exit, files close in fd order, and a VMM may close either
  // on purpose). The VM is destroyed when the last of the two is closed.
  | { readonly op: 'teardown'; readonly close?: 'vm-first' | 'gmem-first' };

export const faultKinds = [
  'remove-fails',
  'block-fails',
  'busy',
  'transient-refs',
  'memory-failure',
  'retry-fails',
  'wbinvd-fails',
  'add-fails',
  'demote-fails', // TDH.MEM.PAGE.DEMOTE fails (a KVM or TDX module bug): huge-pages.md 5.4
] as const;
export type FaultKind = (typeof faultKinds)[number];
export type FaultBudget = Readonly<Partial<Record<FaultKind, number>>>;

/**
 * Deliberately broken variants of the model, each breaking one property; the tests use them
 * to show that every property can fail.
 */
export const mutationNames = [
  'truncate-before-unmap', // punch hole frees the folio before KVM is told
  'skip-wbinvd', // REMOVE is not followed by TDH.PHYMEM.PAGE.WBINVD
  'convert-without-zap', // private->shared conversion leaves the S-EPT mapping
  'double-put', // the fault path drops its temporary reference twice
  'zap-whole-folio', // a partial conversion zaps every subpage of the huge folio
  'split-expects-zero', // the split's refcount check forgets guest_memfd's own reference
  'truncate-waits-for-zero', // punch hole waits for a refcount that its own reference keeps up
  'no-unpin-after-remove', // the pin policy forgets tdx_unpin after REMOVE
  'stop-without-kick', // teardown waits for vCPUs to leave the guest without kicking them
  'invalidate-end-leaks', // kvm_gmem_invalidate_end forgets mmu_invalidate_in_progress--
  'ignore-wbinvd-status', // KVM clears the page and goes on as if a failed WBINVD had succeeded
  'split-copies-mark', // the huge-folio split copies the head's page_ext / page-flag mark to every subpage
  'reclaim-before-hkid-release', // kvm_destroy_vm calls the design's teardown hook before tdx_mmu_release_hkid
  'pamt-unlocked', // tdx_pamt_get reads the refcount and PAMT.ADDs in separate steps, without pamt_lock
  'pamt-put-on-zap-failure', // tdx_pamt_put also after a failed REMOVE
  'pamt-free-despite-remove-error', // tdx_pamt_put frees the pair although PAMT.REMOVE failed
  'split-skipped', // an invalidation of part of a 2M leaf neither splits nor zaps it (no kvm_split_cross_boundary_leafs)
] as const;
export type Mutation = (typeof mutationNames)[number];

/** The guest's accept level (`--param accept=` of huge-map), in the parameter's value order. */
export const acceptLevels = ['linux', '2m', '4k', 'either'] as const;
export type AcceptLevel = (typeof acceptLevels)[number];

export interface Scenario {
  readonly name: string;
  readonly doc: string;
  /** guest_memfd indices and GFNs, one to one; each backed by a frame (frames.ts) */
  readonly gfns: number;
  /** subpages of the HugeTLB folio at index 0 (1 = only 4 KiB folios) */
  readonly hugeFolio: number;
  /** free blocks of frames (each as large as the HugeTLB folio) beyond the GFNs' own, for
   * guest_memfd to reallocate a folio onto (frames.ts); 0 when absent: frame = GFN */
  readonly spareBlocks?: number;
  /** the TDX module lacks ENHANCED_DEMOTE_INTERRUPTIBILITY: DEMOTE may return
   * TDX_INTERRUPTED_RESTARTABLE (seam.ts demote); absent: it has it */
  readonly demoteInterruptible?: boolean;
  readonly vcpus: number;
  /** GFNs the guest accepts and writes */
  readonly guestGfns: readonly number[];
  /** the GFNs of guestGfns each vCPU touches, by vCPU (absent: every vCPU touches them all) */
  readonly vcpuGfns?: readonly (readonly number[])[];
  /** `script`: the VMM performs `ops` once each, in order. `any`: `ops` is a menu, and the VMM
   * performs any of them, any number of times, in any order, until it tears the VM down (for
   * checking a real host's log, whose VMM follows no script of ours). */
  readonly vmm?: 'script' | 'any';
  readonly ops: readonly VmmOp[];
  /** fault budgets used when the command line gives none */
  readonly faults: FaultBudget;
  /** the guest may also access a GFN as private while guest_memfd says it is shared (as
   * private_mem_kvm_exits_test does on purpose) */
  readonly strayPrivateAccesses?: boolean;
  /** The level the guest accepts a huge range at (td_guest.ts): `linux` (absent) accepts
   * before touching, 2M first and 4K if that fails; `2m` and `4k` accept at that level only and
   * `either` picks one per range; those three may touch a page before accepting it. */
  readonly acceptLevel?: AcceptLevel;
  /** what the scenario needs of a kernel tree beyond what every tree has (trees.ts) */
  readonly needs?: readonly TreeFeature[];
}

export interface KernelConfig {
  readonly scenario: Scenario;
  readonly policy: PagePolicy;
  readonly faults: FaultBudget;
  /** HugeTLB Vmemmap Optimization: tail pages share one read-only struct page */
  readonly hvo: boolean;
  /** No page_ext client is enabled at boot, so mm/page_ext.c allocates no table and
   * lookup_page_ext finds none (page_ext exists only when a client's need() asks for it) */
  readonly withoutPageExt?: boolean;
  readonly mutations?: ReadonlySet<Mutation>;
  /** the kernel tree the run models; without one, trees.ts's resolveTree picks it */
  readonly tree?: TreeName;
  /** the TDX module the run models; without one, module.ts's resolveModule picks it */
  readonly module?: ModuleVersion;
}
