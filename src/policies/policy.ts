import type { State } from '../engine/index.js';

/**
 * What a policy may see and do: the references it may take and drop, the per-frame marks it
 * may set, and nothing else of the kernel (the kernel hands it this, not itself). Variables are
 * indexes into the state: `t[ctx.v.marked + frame]` is the frame's mark. Each hook gets the
 * frame of the page (the frame behind the GFN the kernel maps or zaps: src/kernel/frames.ts).
 */
export interface PolicyContext {
  readonly v: {
    /** references a policy may hold: TDX's own pin, and a GUP-style pin */
    readonly refPin: number;
    readonly refGup: number;
    /** per-frame marks: a policy's own bit, and HWPOISON */
    readonly marked: number;
    readonly poison: number;
    /** the S-EPT entry's state (seam.ts's SEPT_*) by GFN, read-only: what the zap got as far as */
    readonly sept: number;
  };
  /** the number of frames */
  readonly frames: number;
  readonly seam: {
    /** TDH.PHYMEM.PAGE.RECLAIM of one of the TD's ordinary pages: its status (seam.ts) */
    pageReclaim(t: State, frame: number): number;
    /** The PAMT leaf that holds the frame, as RECLAIM walks to it: its head frame and its size
     * in frames (R8 of a successful RECLAIM of the head: N for a 2M page, 1 for a 4K one). A
     * RECLAIM of any frame but the head fails with TDX_OPERAND_INVALID (huge-pages.md M8). */
    pamtLeaf(t: State, frame: number): { head: number; pages: number };
    /** tdx_clear_page / tdx_quirk_reset_page: MOVDIR64B over the page, which resets its
     * TD-bit lines (the model assumes X86_BUG_TDX_PW_MCE) */
    clearPage(t: State, frame: number): void;
    /** is the status TDX_SUCCESS? */
    ok(status: number): boolean;
  };
  readonly mm: {
    /** folio_get / folio_put on the frame's folio, by holder (one of the ref* above) */
    get(t: State, holder: number, frame: number): void;
    put(t: State, holder: number, frame: number): void;
    /** Can the frame's struct page hold a flag of its own (not an HVO tail page)? */
    hasOwnPageFlags(s: State, frame: number): boolean;
    /** Does the frame have a page_ext entry (some page_ext client enabled at boot)? */
    hasPageExt(frame: number): boolean;
  };
  /** Is this deliberately broken variant of the model switched on (config.ts mutationNames)? */
  mutated(mutation: string): boolean;
}

/** The zapping SEAMCALLs of tdx_sept_remove_private_spte, in the order KVM makes them. */
export type ZapSeamcallName = 'BLOCK' | 'TRACK' | 'REMOVE' | 'WBINVD';

/**
 * A page-reference design: hooks the kernel modules call where the real code takes or drops a
 * reference on a private page, or handles a failed S-EPT zap. `t` is the successor state being
 * built; a hook changes it only through its context (k.mm.get / k.mm.put, k.v.*).
 */
export interface PagePolicy {
  readonly name: string;
  /** One sentence: the design, and where it comes from. */
  readonly doc: string;
  /** The kernel tree whose code the design is (src/kernel/trees.ts): `v6.17`, `series-v3`
   * (the default: every design of the review but `pin` patches the post-series tree) or
   * `conversion-rfc`. A series-v3 design is native on `hugepage-v3` too (trees.ts `carries`);
   * on another tree a run is a hypothetical port. */
  readonly tree?: string;
  /** tdx_sept_set_private_spte, before TDH.MEM.PAGE.AUG or TDH.MEM.PAGE.ADD. */
  onMap(t: State, frame: number, k: PolicyContext): void;
  /** The map SEAMCALL returned an error (TDX_OPERAND_BUSY included). */
  onMapFailed(t: State, frame: number, k: PolicyContext): void;
  /**
   * TDH.MEM.PAGE.REMOVE succeeded: the S-EPT no longer maps the page, but its cache lines under
   * the TD's HKID are not yet written back (TDH.PHYMEM.PAGE.WBINVD comes next). Where a design
   * says it clears its mark "after a successful REMOVE" it does so here. Optional: nothing by
   * default.
   */
  onRemoveSucceeded?(t: State, frame: number, k: PolicyContext): void;
  /** After a successful TDH.MEM.PAGE.REMOVE, TDH.PHYMEM.PAGE.WBINVD and clear. */
  onRemoved(t: State, frame: number, k: PolicyContext): void;
  /**
   * A zapping SEAMCALL failed and KVM_BUG_ON fired; `which` says which one. BLOCK or REMOVE:
   * the S-EPT may still map the page. WBINVD: REMOVE succeeded but the page was neither written
   * back nor cleared (dirty TD cache lines may remain). TRACK: never passed today (a failed
   * TRACK lets the zap go on to REMOVE, which then fails and is reported as REMOVE).
   */
  onZapFailed(t: State, frame: number, k: PolicyContext, which: ZapSeamcallName): void;
  /** May the allocator take this frame back when its folio's refcount reaches zero? */
  mayFree(t: State, frame: number, k: PolicyContext): boolean;
  /**
   * Must guest_memfd keep this page (its unmap failed and said so)? Then a punch hole or a
   * conversion of it fails with -EIO and leaves it in the file, and the inode eviction after
   * file release, which cannot fail, leaks it. Optional: no by default.
   */
  keepsPage?(t: State, frame: number, k: PolicyContext): boolean;
  /**
   * May guest_memfd convert this private page to shared? If not, the conversion fails with
   * -EFAULT and changes nothing. Optional: yes by default.
   */
  mayConvertToShared?(t: State, frame: number, k: PolicyContext): boolean;
  /**
   * kvm_destroy_vm, once tdx_mmu_release_hkid has freed the HKID (the TD is in TD_TEARDOWN, its
   * cache lines written back) and before the TDR is reclaimed: the design may RECLAIM the pages
   * it kept (k.seam). Optional: KVM reclaims no ordinary page.
   */
  onTdTeardown?(t: State, k: PolicyContext): void;
}

/** Hooks that do nothing, for policies to override. */
export const noHooks: Omit<PagePolicy, 'name' | 'doc'> = {
  onMap() {},
  onMapFailed() {},
  onRemoved() {},
  onZapFailed() {},
  mayFree: () => true,
};

/** A policy that broke its contract (wrote what it must not): the policy's fault, not the
 * kernel's, so the command line blames the policy's file. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}
