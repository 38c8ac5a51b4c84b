/**
 * struct page / folio refcounts (include/linux/mm.h, mm/swap.c, mm/filemap.c): a folio's
 * refcount, folio_get and folio_put, freeing at zero, allocation into the page cache.
 *
 * Our simplifications: a folio's refcount is the sum of its holders, kept per kind so a trace
 * says who holds what (the kernel keeps one number and cannot tell them apart); guest_memfd's
 * page cache holds one reference per folio (the kernel holds one per page); a folio is a block
 * of frames (frames.ts): the HugeTLB folio `hugeFolio` frames, until it is split; lowest-free
 * allocation of a block, where the scenario has spare blocks (deterministic: the host's reuse of
 * a free frame, mm.ts, is where the choice matters).
 */
import type { State } from '../engine/index.js';
import type { KernelConfig } from './config.js';
import { folioSlot, frameOf, framePresent, slotGfn, slotPages } from './frames.js';
import { OWNER_FREE, OWNER_GMEM, type Vars } from './vars.js';

export class Mm {
  readonly holders: readonly number[];
  private readonly huge: number;
  private readonly vcpus: number;

  /** `mayFree`: the page-reference policy's say on giving a frame back to the allocator. */
  constructor(
    private readonly v: Vars,
    private readonly config: KernelConfig,
    private readonly mayFree: (t: State, frame: number) => boolean,
  ) {
    this.holders = [
      v.refPageCache,
      v.refPin,
      v.refTransient,
      v.refUserMap,
      v.refGup,
      v.refHwpoison,
    ];
    this.huge = config.scenario.hugeFolio;
    this.vcpus = config.scenario.vcpus;
    this.countReads = [
      ...v.frames(...this.holders, v.folioBlock),
      ...v.vcpuFields(v.faultRef, v.faultGfn),
      ...v.scalars(v.folioSplit),
    ];
    this.refReads = [
      ...this.countReads,
      ...v.frames(v.owner, v.present, v.marked, v.poison, v.sept),
    ];
  }

  /** Footprints: what frameRefs and folioRefs read. */
  readonly countReads: readonly number[];

  /** Footprints: what counting a folio's references and freeing it read (the policy's say
   * included), and what a folio_put by `holder` may write. */
  readonly refReads: readonly number[];
  putWrites(holder: number): number[] {
    return [...this.v.frames(holder, this.v.owner), ...this.v.scalars(this.v.refUnderflow)];
  }
  /** What allocate writes. */
  allocateWrites(): number[] {
    return this.v.frames(this.v.owner, this.v.present, this.v.refPageCache, this.v.folioBlock);
  }

  /** The frames of the folio that holds `frame` (the huge folio, or the frame alone). */
  folioFrames(s: State, frame: number): [number, number] {
    return [this.folioStart(s, frame), this.folioEnd(s, frame)];
  }

  /** The first frame of the HugeTLB folio's block, if `frame` is in the whole (unsplit) HugeTLB
   * folio; else -1. folioFrames without the pair, for the paths that run on every state. */
  private hugeHead(s: State, frame: number): number {
    if (this.huge <= 1 || s[this.v.folioSplit]) return -1;
    const head = frameOf(this.v, s, 0);
    return frame >= head && frame < head + this.huge ? head : -1;
  }
  private folioStart(s: State, frame: number): number {
    const head = this.hugeHead(s, frame);
    return head < 0 ? frame : head;
  }
  private folioEnd(s: State, frame: number): number {
    const head = this.hugeHead(s, frame);
    return head < 0 ? frame + 1 : head + this.huge;
  }

  /** References held on one frame's struct page, by every kind of holder. */
  frameRefs(s: State, frame: number): number {
    const v = this.v;
    let n = 0;
    for (const h of this.holders) n += s[h + frame]!;
    for (let c = 0; c < this.vcpus; c++) {
      if (!s[v.faultRef + c]) continue;
      const g = s[v.faultGfn + c]!;
      if ((v.blocksMove ? frameOf(v, s, g) : g) === frame) n++;
    }
    return n;
  }

  /** folio_ref_count: the folio's single refcount. */
  folioRefs(s: State, frame: number): number {
    const from = this.folioStart(s, frame);
    const to = this.folioEnd(s, frame);
    let n = 0;
    for (let f = from; f < to; f++) n += this.frameRefs(s, f);
    return n;
  }

  /** folio_get: `holder` is the base of one of the ref.* variables. */
  get(t: State, holder: number, frame: number): void {
    t[holder + frame]!++;
  }

  /** folio_put: drops a reference and frees the folio at zero. */
  put(t: State, holder: number, frame: number): void {
    if (t[holder + frame] === 0) {
      t[this.v.refUnderflow] = 1;
      return;
    }
    t[holder + frame]!--;
    this.freeIfUnused(t, frame);
  }

  /** __folio_put when the last reference went and the folio left the page cache: its frames go
   * back to the allocator, unless the page-reference policy keeps them. A piece of a split
   * HugeTLB folio goes back only with its whole block, once every piece is unused: the split
   * pieces are merged before the huge page returns to HugeTLB (plan G6: intel/tdx
   * mm/hugetlb_restructuring.c @db6391b774e3 merges on truncate, AMDESE's version once every
   * piece is freed; conversion-rfc's RFC v2 33/51 merges and truncates: our inference that it
   * frees the same way, ../shared/reference/trees.md Q1). */
  freeIfUnused(t: State, frame: number): void {
    const v = this.v;
    const [from, to] = this.blockFrames(t, frame);
    if (t[v.owner + from] !== OWNER_GMEM) return;
    for (let f = from; f < to; f++) if (this.frameRefs(t, f) !== 0 || framePresent(v, t, f)) return;
    for (let f = from; f < to; f++) if (!this.mayFree(t, f)) return;
    for (let f = from; f < to; f++) t[v.owner + f] = OWNER_FREE;
  }

  /** References on the frames that go back to the allocator together with `frame`: at 0 nobody
   * will put the last one, so a frame still guest_memfd's then is never freed. */
  blockRefs(s: State, frame: number): number {
    const [from, to] = this.blockFrames(s, frame);
    let n = 0;
    for (let f = from; f < to; f++) n += this.frameRefs(s, f);
    return n;
  }

  /** The frames that go back to the allocator together with `frame`: the HugeTLB folio's whole
   * block (split or not), or the frame alone. */
  private blockFrames(s: State, frame: number): [number, number] {
    if (this.huge <= 1) return [frame, frame + 1];
    const head = frameOf(this.v, s, 0);
    return frame >= head && frame < head + this.huge
      ? [head, head + this.huge]
      : [frame, frame + 1];
  }

  /** Can this frame's struct page hold a flag of its own? Not a tail page of a HugeTLB folio
   * under HVO, whose struct page is the shared, read-only one (mm/hugetlb_vmemmap.c). */
  hasOwnPageFlags(s: State, frame: number): boolean {
    const head = this.hugeHead(s, frame);
    return !(this.config.hvo && head >= 0 && frame !== head);
  }

  /** Can guest_memfd allocate the folio for index `gfn` now? */
  canAllocate(s: State, gfn: number): boolean {
    return this.block(s, gfn) >= 0;
  }

  /** The first frame of the block the folio for index `gfn` would get (all its frames free and
   * unpoisoned), or -1. A piece of a split HugeTLB folio, and any folio where the scenario has
   * no spare block, gets its own frames back; elsewhere the lowest free block of the folio's
   * size, aligned to it. */
  private block(s: State, gfn: number): number {
    const v = this.v;
    const slot = folioSlot(this.config.scenario, gfn);
    const n = slotPages(this.config.scenario, slot);
    const own = v.folioBlock === v.zero || (n > 1 && s[v.folioSplit]);
    const free = (from: number, to: number) => {
      for (let f = from; f < to; f++)
        if (s[v.owner + f] !== OWNER_FREE || s[v.poison + f]) return false;
      return true;
    };
    if (own) {
      const [from, to] = this.folioFrames(s, frameOf(v, s, gfn));
      return free(from, to) ? from : -1;
    }
    for (let b = 0; b + n <= v.frameCount; b += n) if (free(b, b + n)) return b;
    return -1;
  }

  /** filemap_alloc_folio + filemap_add_folio: the folio for index `gfn` (canAllocate said
   * yes), with the page cache's reference. */
  allocate(t: State, gfn: number): void {
    const v = this.v;
    const c = this.config.scenario;
    const slot = folioSlot(c, gfn);
    const from = this.block(t, gfn);
    const piece = slotPages(c, slot) > 1 && t[v.folioSplit];
    const pages = piece ? 1 : slotPages(c, slot);
    const first = piece ? gfn : slotGfn(c, slot);
    if (v.folioBlock !== v.zero && !piece) t[v.folioBlock + slot] = from;
    for (let i = 0; i < pages; i++) {
      t[v.owner + from + i] = OWNER_GMEM;
      t[v.present + first + i] = 1;
    }
    t[v.refPageCache + from] = 1;
  }
}
