/**
 * An invalidating process (the VMM's punch hole, conversion and release, or the memory-failure
 * handler) as the paths it runs see it, and the cursor of its zap: the pieces guest_memfd,
 * the TDP MMU and TDX share, kept here so that they import this instead of each other. Its
 * program is programs.ts's invalidation labels; invalidation.ts puts its steps together.
 */
import type { Observation, State } from '../engine/index.js';
import type { Kernel } from './kernel.js';
import { FAULT_MAP, INV_MMU_UNLOCK, ZAP_BLOCK } from './programs.js';
import { MIRROR_LEAF, SPTE_NONE } from './vars.js';

export type InvalidationWork = 'truncate' | 'to-shared' | 'release' | 'none';

export interface Invalidator {
  readonly process: string;
  /** variable indexes of its program counter, GFN cursor and last status */
  readonly pc: number;
  readonly cursor: number;
  readonly status: number;
  /** The GFNs being invalidated, as a bit mask. */
  range(s: State): number;
  /** The work done between unmapping and invalidate_end. */
  work(s: State): InvalidationWork;
  /** The path is refused before it takes filemap_invalidate_lock (another step ends it). */
  refused?(s: State): boolean;
  /** Called as the path takes filemap_invalidate_lock. */
  begin?(t: State): void;
  /** What a tracer sees as the path begins: its entry point. */
  entry?(s: State): Observation[];
  /** Called in the step that ends the path, to move its process on. */
  finish(t: State): void;
  /** Footprint of the above: what `range` and `work` read, what `begin` and `finish` write. */
  readonly reads: readonly number[];
  readonly beginWrites: readonly number[];
  readonly finishWrites: readonly number[];
}

/** The invalidator's own variables: read and written by every step of its path. */
export const own = (inv: Invalidator): number[] => [inv.pc, inv.cursor, inv.status, ...inv.reads];

/** The next GFN at or after `from` in the invalidated range with a present mirror SPTE, or -1
 * (tdp_mmu_zap_leafs walking the range, arch/x86/kvm/mmu/tdp_mmu.c). */
export function nextLeaf(k: Kernel, s: State, inv: Invalidator, from: number): number {
  let range = inv.range(s);
  if (k.mutated('zap-whole-folio')) {
    for (let g = 0; g < k.gfns; g++) if (range & (1 << g)) range |= k.folioRange(s, g);
  }
  for (let g = from; g < k.gfns; g++)
    if (range & (1 << g) && s[k.v.spte + g] !== SPTE_NONE && !splitSkipped(k, s, range, g))
      return g;
  return -1;
}

/** The `split-skipped` mutation: a 2M leaf the range covers only in part is left alone. */
function splitSkipped(k: Kernel, s: State, range: number, g: number): boolean {
  if (!k.mutated('split-skipped')) return false;
  const r = k.seam.rangeOf(g);
  if (r < 0 || s[k.v.mirror2m + r] !== MIRROR_LEAF) return false;
  return !k.seam.rangeGfns(r).every((x) => range & (1 << x));
}

/** Moves an invalidator on to the next leaf to zap, or to dropping mmu_lock. */
export function zapNext(k: Kernel, t: State, inv: Invalidator, from: number): void {
  const g = nextLeaf(k, t, inv, from);
  t[inv.cursor] = Math.max(g, 0);
  t[inv.pc] = g < 0 ? INV_MMU_UNLOCK : ZAP_BLOCK;
}

/** What zapNext reads beyond the invalidator's own variables. */
export const zapNextReads = (k: Kernel): number[] => [
  ...k.frames(k.v.spte),
  ...k.scalars(k.v.folioSplit),
  ...k.frames(k.v.folioBlock),
];

/** kvm_mmu_invalidate_begin (virt/kvm/kvm_main.c): in_progress++ and mmu_invalidate_seq++,
 * so every fault that read the sequence before is stale. */
export function kvmMmuInvalidateBegin(k: Kernel, t: State): void {
  t[k.v.invalidateInProgress]!++;
  for (let c = 0; c < k.vcpus; c++) if (t[k.v.vcpuPc + c] === FAULT_MAP) t[k.v.faultStale + c] = 1;
}
