/**
 * The kernel trees a run can model, each a set of named switches with their sources. A step
 * that differs between trees reads the run's switch (`k.tree.<name>`); no step is copied per
 * tree, and a run follows one tree, never a blend. Which tree a run models: `resolveTree`.
 *
 * Sources (short names as in docs/plans/fidelity-ii.md): [v6.17] torvalds/linux 3829d81b6958
 * arch/x86/kvm/vmx/tdx.c; [v3] "KVM: x86/mmu: TDX post-populate cleanups" v3 (Sean
 * Christopherson, 2025-10-16, base-commit f222788458c8); [gmem-6.18] a 6.18-era
 * virt/kvm/guest_memfd.c (kvm_gmem_populate, kvm_gmem_get_pfn); [kx-gmem] kvm-x86/linux
 * virt/kvm/guest_memfd.c @5e38e1bd4e7b; [rfc-v2] Ackerley Tng, "guest_memfd: 1G page
 * support" RFC v2, 51 patches, May 2025 (cover.1747264138; branch googleprodkernel/linux-cc
 * gmem-1g-page-support-rfc-v2), lineage A of the conversion series
 * (../shared/reference/trees.md); [hp-v3 NN] Yan Zhao, "[PATCH v3 NN/24] KVM: TDX huge page
 * support for private memory", kvm@vger, 2026-01-06 (cover Message-ID
 * 20260106101646.24809-1-yan.y.zhao@intel.com), read as docs/plans/huge-pages.md section 0 says;
 * [gmem-hv3] the HugeTLB "restructuring" guest_memfd it builds on (huge-pages.md section 3).
 */

export const treeNames = ['v6.17', 'series-v3', 'conversion-rfc', 'hugepage-v3'] as const;
export type TreeName = (typeof treeNames)[number];

/** What a scenario may need of a tree beyond what every tree has. */
export type TreeFeature = 'in-place-conversion' | 'hugetlb' | 'huge-leaves' | 'dpamt';
/** The kernel's Dynamic PAMT code (arch/x86/virt/vmx/tdx/tdx.c tdx_pamt_get/put), if it has
 * one: `v4` = Dynamic PAMT v4 with 08/16's optimisation (src/kernel/tdx_pamt.ts). */
export type DpamtKernel = 'none' | 'v4';

/** How KVM_TDX_INIT_MEM_REGION maps and adds a page (tdx.ts). */
export type AddPath = 'premap' | 'underMmuLock';

/** The switches, by name: what the steps read. */
export interface Switches {
  /** TDX takes a page reference on every page it maps (tdx_sept_set_private_spte's get_page,
   * tdx_unpin). The pin itself is the `pin` design's hooks: a design ported onto a tree
   * replaces this switch (see `portChanges`). */
  readonly tdxPins: boolean;
  /** premap: kvm_tdp_map_page sets the mirror SPTE and counts the page in nr_premapped, ADD
   * runs after it outside mmu_lock. underMmuLock: kvm_tdp_mmu_map_private_pfn ADDs under
   * read mmu_lock with the mirror SPTE frozen. */
  readonly addPath: AddPath;
  /** kvm_gmem_get_pfn takes filemap_invalidate_lock shared: a fault during an invalidation
   * sleeps on it. Without it the fault retries on mmu_invalidate_seq/in_progress. */
  readonly getPfnTakesInvalidateLock: boolean;
  /** INIT_MEM_REGION (and INIT_VM, FINALIZE, INIT_VCPU) take kvm->lock, every vcpu->mutex
   * and slots_lock (tdx_vm_state_guard): a vCPU in KVM_RUN makes it wait. */
  readonly vmStateGuard: boolean;
  /** kvm_gmem_populate answers -EEXIST for a folio already prepared. */
  readonly populateEexist: boolean;
  /** guest_memfd converts in place between shared and private (its own ioctl). */
  readonly inPlaceConversion: boolean;
  /** guest_memfd backs memory with HugeTLB folios and splits/merges them on conversion. */
  readonly hugetlb: boolean;
  /** The kernel enables Dynamic PAMT (TDX module 2.0) and refcounts PAMT page pairs per 2M
   * range: `--module 2.0` needs it. */
  readonly dpamt: DpamtKernel;
  /** KVM maps private memory with 2M S-EPT leaves where the folio allows (AUG at 2M, SEPT.ADD
   * of a 4K table on first 4K use, DEMOTE to split); without it every leaf is 4K and the S-EPT
   * tables are implicit (docs/system-model.md). */
  readonly hugeLeaves: boolean;
  /** A HugeTLB guest_memfd refuses (-EINVAL) an fallocate whose offset or length is not a
   * multiple of its huge page: a punch covers whole huge folios or nothing. Without it a
   * punch is page-aligned only. */
  readonly punchWholeHugePages: boolean;
  /** A punch of a HugeTLB guest_memfd merges split pieces back to the huge folio before it
   * truncates, and only with a safe refcount (every folio's refcount only what the page cache
   * and the lookup hold): else -EAGAIN, nothing truncated, after the zap. Without it the
   * punch truncates whatever the refcounts. */
  readonly punchMergesFirst: boolean;
  /** The conversion to shared ends the invalidation (kvm_gmem_invalidate_end) before it splits
   * the HugeTLB folio (kvm_gmem_restructure), still under filemap_invalidate_lock. Without it
   * the split is the invalidation's own work, before invalidate_end. */
  readonly restructureAfterInvalidateEnd: boolean;
}
export type SwitchName = keyof Switches;

/** One switch's value in a tree, where it was read, and whether the value is our inference. */
export interface Fact<T> {
  readonly value: T;
  readonly source: string;
  /** not read in the source: our inference, said why in `source` */
  readonly inferred?: true;
}

export interface Tree {
  readonly name: TreeName;
  /** one line for --help */
  readonly doc: string;
  /** the commit or base the tree is, and where that was read */
  readonly base: string;
  readonly facts: { readonly [K in SwitchName]: Fact<Switches[K]> };
  /** trees whose designs are native here too: this tree keeps their code at the calls their
   * hooks sit at, with the source that says so */
  readonly carries?: { readonly trees: readonly TreeName[]; readonly source: string };
}

const no = (source: string): Fact<boolean> => ({ value: false, source });
const yes = (source: string): Fact<boolean> => ({ value: true, source });

export const trees: Readonly<Record<TreeName, Tree>> = {
  'v6.17': {
    name: 'v6.17',
    doc: 'pre-series: TDX pins mapped pages, INIT_MEM_REGION premaps and ADDs outside mmu_lock',
    base: 'torvalds/linux 3829d81b6958 (the audit tree; read as having the 6.17 tdx.c shape, its tag not checked)',
    facts: {
      tdxPins: yes('[v6.17] tdx.c tdx_sept_set_private_spte get_page, tdx_unpin'),
      addPath: {
        value: 'premap',
        source:
          '[v6.17] tdx.c tdx_gmem_post_populate (kvm_tdp_map_page, then TDH.MEM.PAGE.ADD), nr_premapped',
      },
      getPfnTakesInvalidateLock: {
        value: false,
        source:
          '[gmem-6.18]/[kx-gmem] kvm_gmem_get_pfn: file reference and folio lock only; 6.17 itself between them, not read',
        inferred: true,
      },
      vmStateGuard: no('[v6.17] tdx.c: INIT_MEM_REGION holds its vcpu->mutex and slots_lock only'),
      populateEexist: {
        value: true,
        source:
          '[gmem-6.18] kvm_gmem_populate: is_prepared -> -EEXIST; the shape runs from 6.12 until Michael Roth\'s "Remove preparation tracking" (2026), so 6.17 has it',
        inferred: true,
      },
      inPlaceConversion: no('per-VM KVM_SET_MEMORY_ATTRIBUTES only (trees.md)'),
      hugetlb: no('guest_memfd allocates order-0 folios (trees.md)'),
      dpamt: { value: 'none', source: 'Dynamic PAMT was not merged (v4 posted Nov 2025)' },
      hugeLeaves: no('tdx_gmem_max_mapping_level answers 4K (v6.17 tdx.c): TDX maps 4K only'),
      punchWholeHugePages: no(
        '[gmem-6.18]/[kx-gmem] kvm_gmem_fallocate: offset and len PAGE_ALIGNED only (no HugeTLB guest_memfd)',
      ),
      punchMergesFirst: no(
        '[gmem-6.18] kvm_gmem_punch_hole: truncate_inode_pages_range, no refcount check',
      ),
      restructureAfterInvalidateEnd: no('no HugeTLB folio to restructure (trees.md)'),
    },
  },
  'series-v3': {
    name: 'series-v3',
    doc: 'post-series mainline: no pin, ADD under read mmu_lock with the SPTE frozen, the VM-state guard',
    base: 'f222788458c8 (the base-commit of [v3]) plus its 25 patches',
    facts: {
      tdxPins: no('[v3] 07/25 "KVM: TDX: Drop superfluous page pinning in S-EPT management"'),
      addPath: {
        value: 'underMmuLock',
        source:
          '[v3] 04/25 kvm_tdp_mmu_map_private_pfn, 15/25 tdx_mem_page_add from tdx_sept_set_private_spte',
      },
      getPfnTakesInvalidateLock: no('[gmem-6.18]/[kx-gmem] kvm_gmem_get_pfn'),
      vmStateGuard: yes('[v3] 24/25 tdx_vm_state_guard'),
      populateEexist: yes('[gmem-6.18] kvm_gmem_populate: is_prepared -> -EEXIST'),
      inPlaceConversion: no('per-VM KVM_SET_MEMORY_ATTRIBUTES only (trees.md)'),
      hugetlb: no('guest_memfd allocates order-0 (or THP, not modelled) folios (trees.md)'),
      dpamt: { value: 'none', source: '[v3] has no Dynamic PAMT patch' },
      hugeLeaves: no('[v3] keeps TDX at 4K; 2M leaves come with [hp-v3] 24/24 (its cover)'),
      punchWholeHugePages: no(
        '[gmem-6.18]/[kx-gmem] kvm_gmem_fallocate: offset and len PAGE_ALIGNED only (no HugeTLB guest_memfd)',
      ),
      punchMergesFirst: no(
        '[gmem-6.18]/[kx-gmem] kvm_gmem_punch_hole: truncate_inode_pages_range, no refcount check',
      ),
      restructureAfterInvalidateEnd: no('no HugeTLB folio to restructure (trees.md)'),
    },
  },
  'conversion-rfc': {
    name: 'conversion-rfc',
    doc: "Ackerley Tng's in-place conversion with HugeTLB (lineage A, RFC v2, May 2025)",
    base: 'not read: the RFC v2 cover letter (its base-commit) was not found; it predates [v3] (May vs October 2025), so our inference is a pre-series kvm/next',
    facts: {
      tdxPins: {
        value: true,
        source:
          'predates [v3] 07/25, and the TDX huge-page RFC on top of it still used refcounts (Ackerley Tng, 2025-06-23: "uses refcounts to indicate that TDX is using a page")',
        inferred: true,
      },
      addPath: {
        value: 'premap',
        source: 'predates [v3] 04/25 and 15/25, so the [v6.17] shape',
        inferred: true,
      },
      getPfnTakesInvalidateLock: {
        value: true,
        source:
          '[rfc-v2] 02/51 takes filemap_invalidate_lock_shared in kvm_gmem_get_pfn (read as quoted in Fuad Tabba\'s review, trees.md); Yan Zhao, "KVM: TDX: Fix locking in kvm_gmem_populate" (2025-07-03), quoted in Michael Roth\'s gmem-populate-rework v3 cover (2026-01-08)',
      },
      vmStateGuard: {
        value: false,
        source: 'predates [v3] 24/25, so the [v6.17] locking',
        inferred: true,
      },
      populateEexist: {
        value: true,
        source: 'predates the 2026 removal of preparation tracking, so the [gmem-6.18] shape',
        inferred: true,
      },
      inPlaceConversion: yes('[rfc-v2] 04/51 KVM_GMEM_CONVERT_SHARED/PRIVATE'),
      hugetlb: yes('[rfc-v2] HugeTLB allocation, 38/51 split on conversion'),
      dpamt: { value: 'none', source: 'predates Dynamic PAMT v4 (Nov 2025)', inferred: true },
      hugeLeaves: no('[rfc-v2] leaves TDX at 4K: the TDX huge-page series came later ([hp-v3] 00)'),
      punchWholeHugePages: {
        value: false,
        source:
          '[rfc-v2] kvm_gmem_fallocate not read; no bundled run punches part of a HugeTLB folio there (the model refuses it), so the mainline page alignment',
        inferred: true,
      },
      punchMergesFirst: {
        value: false,
        source:
          '[rfc-v2] punch hole not read; the merge-before-truncate (merge_truncate_range) is the later restructuring base of [gmem-hv3] (huge-pages.md G2)',
        inferred: true,
      },
      restructureAfterInvalidateEnd: {
        value: false,
        source:
          "[rfc-v2] 38/51 splits the folio inside the conversion's invalidation; the zap-before-split FIXUP came with [gmem-hv3] ([hp-v3] 00, Base (2))",
        inferred: true,
      },
    },
  },
  'hugepage-v3': {
    name: 'hugepage-v3',
    doc: "Yan Zhao's TDX huge page v3 (Jan 2026) on HugeTLB guest_memfd and Dynamic PAMT v4",
    base: "[hp-v3] 00: googleprodkernel/linux-cc wip-gmem-conversions-hugetlb-restructuring-12-08-25 with its FIXUPs, Sean Christopherson's TDX cleanups and Dynamic PAMT v4 (the branch itself not read: huge-pages.md 9)",
    facts: {
      tdxPins: no('[hp-v3] 00 item 10: no folio reference on mapped pages (the [v3] 07/25 shape)'),
      addPath: {
        value: 'underMmuLock',
        source: "built on [v3] (its cover names Sean Christopherson's cleanups): 04/25, 15/25",
        inferred: true,
      },
      getPfnTakesInvalidateLock: yes(
        '[gmem-hv3] kvm_gmem_get_pfn holds the invalidate lock shared (huge-pages.md G5)',
      ),
      vmStateGuard: {
        value: true,
        source: 'built on [v3], whose 24/25 adds tdx_vm_state_guard',
        inferred: true,
      },
      populateEexist: {
        value: true,
        source:
          'its guest_memfd base (Dec 2025) predates the 2026 removal of preparation tracking, so the [gmem-6.18] shape',
        inferred: true,
      },
      inPlaceConversion: yes(
        '[gmem-hv3] __kvm_gmem_set_attributes (KVM_SET_MEMORY_ATTRIBUTES2 on the guest_memfd fd), huge-pages.md G3',
      ),
      hugetlb: yes(
        '[gmem-hv3] HugeTLB restructuring: split on to-shared, merge on to-private (G3)',
      ),
      dpamt: {
        value: 'v4',
        source:
          'Dynamic PAMT v4 07/16, 08/16 (tdx_pamt_get/put), 13/16, 14/16 (Rick Edgecombe, 2025-11-20); [hp-v3] 17/24 (4K only)',
      },
      hugeLeaves: yes(
        '[hp-v3] 00 items 3-4 and 24/24: gmem_max_mapping_level up to 2M once the TD is RUNNABLE',
      ),
      punchWholeHugePages: yes(
        '[gmem-hv3] kvm_gmem_fallocate: offset and len IS_ALIGNED to PAGE_SIZE << page_order, else -EINVAL (huge-pages.md G1)',
      ),
      punchMergesFirst: yes(
        '[gmem-hv3] kvm_gmem_punch_hole -> merge_truncate_range(require_merge): kvm_gmem_has_safe_refcount, else -EAGAIN before kvm_gmem_truncate_range (G2)',
      ),
      restructureAfterInvalidateEnd: yes(
        '[gmem-hv3] kvm_gmem_convert: kvm_gmem_zap, kvm_gmem_invalidate_end, then kvm_gmem_restructure; filemap_invalidate_lock held by __kvm_gmem_set_attributes throughout (G3)',
      ),
    },
    carries: {
      trees: ['series-v3'],
      source:
        "[hp-v3] 00 item 10: the no-pin mapping and void removal hook of [v3], so the series designs' hooks sit at the same calls (huge-pages.md 5.8)",
    },
  },
};

/** A tree's switch values, for the steps. */
export function switchesOf(name: TreeName): Switches {
  const f = trees[name].facts;
  return Object.fromEntries(
    Object.entries(f).map(([k, fact]) => [k, fact.value]),
  ) as unknown as Switches;
}

/** Does the tree have what a scenario needs? */
function provides(tree: TreeName, feature: TreeFeature): boolean {
  const s = switchesOf(tree);
  if (feature === 'dpamt') return s.dpamt !== 'none';
  if (feature === 'huge-leaves') return s.hugeLeaves;
  return feature === 'hugetlb' ? s.hugetlb : s.inPlaceConversion;
}

/** Is the design of `policyTree` native on `tree` (its own, or one the tree carries)? */
export function nativeOn(tree: TreeName, policyTree: TreeName): boolean {
  return tree === policyTree || (trees[tree].carries?.trees.includes(policyTree) ?? false);
}

export function isTreeName(name: string): name is TreeName {
  return (treeNames as readonly string[]).includes(name);
}

/** A tree that cannot run a scenario, or an unknown tree: the caller's input is at fault. */
export class TreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TreeError';
  }
}

/** Which tree a run models. */
export interface TreeChoice {
  readonly tree: TreeName;
  /** the tree whose code the design is (its home) */
  readonly policyTree: TreeName;
  /** the design runs on another tree than its own: a port of ours, not code anyone posted */
  readonly hypothetical: boolean;
}

/** The tree a design belongs to: its own declaration, else series-v3 (every design of the
 * review but `pin` is a patch on the post-series tree). */
export function policyTreeOf(policy: { readonly name: string; readonly tree?: string }): TreeName {
  const t = policy.tree ?? 'series-v3';
  if (!isTreeName(t))
    throw new TreeError(
      `policy "${policy.name}": unknown tree "${t}" (known: ${treeNames.join(', ')})`,
    );
  return t;
}

/**
 * The resolution rule: the tree given, if it has what the scenario (and the TDX module: 2.0
 * needs a kernel with Dynamic PAMT) needs; without one, the design's own tree when it has all
 * that, else the first tree that has it. A run is a hypothetical port unless the tree is the
 * design's own or carries it (`nativeOn`: every series-v3 design is native on hugepage-v3).
 */
export function resolveTree(
  policy: { readonly name: string; readonly tree?: string },
  scenario: {
    readonly name: string;
    readonly needs?: readonly TreeFeature[];
    readonly hugeFolio?: number;
    readonly spareBlocks?: number;
    readonly demoteInterruptible?: boolean;
  },
  given?: string,
  module = '1.5', // module.ts's ModuleVersion (a string here: module.ts imports this file)
): TreeChoice {
  const choice = chooseTree(policy, scenario, given, module);
  const leaves2m = switchesOf(choice.tree).hugeLeaves && (scenario.hugeFolio ?? 1) > 1;
  if (scenario.demoteInterruptible && !leaves2m)
    throw new TreeError(
      `--param demote-interruptible: scenario ${scenario.name} on ${choice.tree} has no 2M S-EPT leaves, so no DEMOTE (use --tree hugepage-v3)`,
    );
  return choice;
}

function chooseTree(
  policy: { readonly name: string; readonly tree?: string },
  scenario: { readonly name: string; readonly needs?: readonly TreeFeature[] },
  given: string | undefined,
  module: string,
): TreeChoice {
  const policyTree = policyTreeOf(policy);
  const needs = [...(scenario.needs ?? [])];
  if (module === '2.0' && !needs.includes('dpamt')) needs.push('dpamt');
  const fits = (t: TreeName) => needs.every((f) => provides(t, f));
  if (given !== undefined) {
    if (!isTreeName(given))
      throw new TreeError(`--tree: unknown tree "${given}" (known: ${treeNames.join(', ')})`);
    if (module === '2.0' && !provides(given, 'dpamt'))
      throw new TreeError(
        `--module 2.0: tree ${given} has no Dynamic PAMT in its kernel, which would not enable it (${treeNames.filter((t) => provides(t, 'dpamt')).join(', ')} has)`,
      );
    if (!fits(given)) {
      const others = treeNames.filter(fits);
      throw new TreeError(
        `--tree ${given}: scenario ${scenario.name} needs ${needs.join(' + ')}, which ${given} does not have (${others.join(' and ')} ${others.length > 1 ? 'do' : 'does'})`,
      );
    }
    return { tree: given, policyTree, hypothetical: !nativeOn(given, policyTree) };
  }
  if (fits(policyTree)) return { tree: policyTree, policyTree, hypothetical: false };
  const tree = treeNames.find(fits);
  if (!tree) throw new TreeError(`scenario ${scenario.name}: no tree has ${needs.join(' + ')}`);
  return { tree, policyTree, hypothetical: !nativeOn(tree, policyTree) };
}

/** How a run names its tree: "series-v3", or "pin, ported onto conversion-rfc". */
export function treeText(policy: string, c: TreeChoice): string {
  return c.hypothetical ? `${policy}, ported onto ${c.tree}` : c.tree;
}

/** What a port of a design from its tree onto another changes: the switches that differ. */
export function portChanges(from: TreeName, to: TreeName): SwitchName[] {
  const a = switchesOf(from);
  const b = switchesOf(to);
  return (Object.keys(a) as SwitchName[]).filter((k) => a[k] !== b[k]);
}
