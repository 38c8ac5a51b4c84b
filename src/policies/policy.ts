import type { State } from '../engine/index.js';
import type { Kernel } from '../kernel/kernel.js';

/**
 * A page-reference design: hooks the kernel modules call where the real code takes or drops a
 * reference on a private page, or handles a failed S-EPT zap. `t` is the successor state being
 * built; a hook changes it through the kernel's helpers (k.mm.get / k.mm.put, k.v.*).
 */
export interface PagePolicy {
  readonly name: string;
  /** One sentence: the design, and where it comes from. */
  readonly doc: string;
  /** tdx_sept_set_private_spte, before TDH.MEM.PAGE.AUG or TDH.MEM.PAGE.ADD. */
  onMap(t: State, gfn: number, k: Kernel): void;
  /** The map SEAMCALL returned an error (TDX_OPERAND_BUSY included). */
  onMapFailed(t: State, gfn: number, k: Kernel): void;
  /** After a successful TDH.MEM.PAGE.REMOVE, TDH.PHYMEM.PAGE.WBINVD and clear. */
  onRemoved(t: State, gfn: number, k: Kernel): void;
  /** TDH.MEM.RANGE.BLOCK or TDH.MEM.PAGE.REMOVE failed and KVM_BUG_ON fired. */
  onZapFailed(t: State, gfn: number, k: Kernel): void;
  /** May the allocator take this frame back when its folio's refcount reaches zero? */
  mayFree(t: State, frame: number, k: Kernel): boolean;
  /**
   * Must guest_memfd keep this page (its unmap failed and said so)? Then a punch hole or a
   * conversion of it fails with -EIO and leaves it in the file, and file release, which cannot
   * fail, leaks it. Optional: no by default.
   */
  keepsPage?(t: State, frame: number, k: Kernel): boolean;
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
