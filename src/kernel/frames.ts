/**
 * Frames apart from GFNs: which physical frame backs a guest_memfd index. guest_memfd's folio
 * at an index is a block of frames: the HugeTLB folio (indices 0..N-1, N = the scenario's
 * `hugeFolio`) a block of N contiguous, N-aligned frames, every later index a 4 KiB folio of
 * one frame. A HugeTLB folio that is split stays on its block: a piece never moves to another
 * block (hugetlb_restructuring.c in intel/tdx db6391b774e3 splits in place; docs/plans/huge-pages.md
 * G6), so the frame of index g is its folio's block plus g's offset in the folio.
 *
 * Which block backs a folio is state (`folio.block[slot]`) only where the scenario can
 * reallocate onto another block: where it asks for spare blocks. Elsewhere every folio stays
 * on its own block and frame = GFN (the layout lowest-free allocation gives when folios are
 * allocated in index order), so those scenarios keep their states.
 *
 * Per-frame state (owner, content, dirty, poison, marked, td_bit, pamt, ref.*) is indexed by
 * frame, per-GFN state (attr, present, spte, sept, block_age, guest_data, accepted) by GFN:
 * every lookup of a GFN's frame goes through `frameOf`.
 */
import type { State } from '../engine/index.js';
import type { Scenario } from './config.js';

/** What the lookups read of the variables (vars.ts's Vars, which imports this file). */
interface FolioVars {
  readonly config: { readonly scenario: Scenario };
  /** the scenario has spare blocks: folios can move, and folioBlock is state */
  readonly blocksMove: boolean;
  readonly folioBlock: number;
  readonly present: number;
}

/** Pages of the HugeTLB folio at index 0 (1: only 4 KiB folios). */
const huge = (c: Scenario): number => c.hugeFolio;

/** The folio slot of index `gfn`: the HugeTLB folio is slot 0, each later index a slot. */
export function folioSlot(c: Scenario, gfn: number): number {
  const n = huge(c);
  return n > 1 ? (gfn < n ? 0 : gfn - n + 1) : gfn;
}

/** How many folio slots the file has. */
export function folioSlots(c: Scenario): number {
  return folioSlot(c, c.gfns - 1) + 1;
}

/** Frames in a slot's folio while it is whole. */
export function slotPages(c: Scenario, slot: number): number {
  return slot === 0 && huge(c) > 1 ? huge(c) : 1;
}

/** The first GFN of a slot. */
export function slotGfn(c: Scenario, slot: number): number {
  const n = huge(c);
  return n > 1 && slot > 0 ? slot + n - 1 : slot;
}

/** Frames of physical memory: one per GFN, and the scenario's spare blocks (each as large as
 * the HugeTLB folio) for guest_memfd to reallocate onto. */
export function frameCount(c: Scenario): number {
  return c.gfns + (c.spareBlocks ?? 0) * huge(c);
}

/** The frame backing index `gfn`: its folio's block, at gfn's offset in the folio. */
export function frameOf(v: FolioVars, s: State, gfn: number): number {
  if (!v.blocksMove) return gfn;
  const c = v.config.scenario;
  const slot = folioSlot(c, gfn);
  return s[v.folioBlock + slot]! + gfn - slotGfn(c, slot);
}

/** Is `frame` the frame of some present index (a folio in guest_memfd's page cache)? */
export function framePresent(v: FolioVars, s: State, frame: number): boolean {
  if (!v.blocksMove) return frame < v.config.scenario.gfns && !!s[v.present + frame];
  for (let g = 0; g < v.config.scenario.gfns; g++)
    if (s[v.present + g] && frameOf(v, s, g) === frame) return true;
  return false;
}

/** The GFN whose folio is on `frame` now, or -1: for trace lines and views. */
export function gfnOfFrame(v: FolioVars, s: State, frame: number): number {
  for (let g = 0; g < v.config.scenario.gfns; g++) if (frameOf(v, s, g) === frame) return g;
  return -1;
}
