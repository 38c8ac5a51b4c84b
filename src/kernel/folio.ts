/**
 * struct page / folio refcounts (include/linux/mm.h, mm/swap.c, mm/filemap.c): a folio's
 * refcount, folio_get and folio_put, freeing at zero, allocation into the page cache.
 *
 * Our simplifications: a folio's refcount is the sum of its holders, kept per kind so a trace
 * says who holds what (the kernel keeps one number and cannot tell them apart); guest_memfd's
 * page cache holds one reference per folio (the kernel holds one per page); a HugeTLB folio is
 * the first `hugeFolio` frames, until it is split.
 */
import type { State } from '../engine/index.js';
import type { KernelConfig } from './config.js';
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
      ...v.frames(...this.holders),
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
    return this.v.frames(this.v.owner, this.v.present, this.v.refPageCache);
  }

  /** The frames of the folio that holds `frame` (the huge folio, or the frame alone). */
  folioFrames(s: State, frame: number): [number, number] {
    return [this.folioStart(s, frame), this.folioEnd(s, frame)];
  }

  /** folioFrames without the pair, for the paths that run on every state. */
  private inHugeFolio(s: State, frame: number): boolean {
    return this.huge > 1 && frame < this.huge && !s[this.v.folioSplit];
  }
  private folioStart(s: State, frame: number): number {
    return this.inHugeFolio(s, frame) ? 0 : frame;
  }
  private folioEnd(s: State, frame: number): number {
    return this.inHugeFolio(s, frame) ? this.huge : frame + 1;
  }

  /** References held on one frame's struct page, by every kind of holder. */
  frameRefs(s: State, frame: number): number {
    const v = this.v;
    let n = 0;
    for (const h of this.holders) n += s[h + frame]!;
    for (let c = 0; c < this.vcpus; c++) if (s[v.faultRef + c] && s[v.faultGfn + c] === frame) n++;
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
   * back to the allocator, unless the page-reference policy keeps them. */
  freeIfUnused(t: State, frame: number): void {
    const v = this.v;
    const from = this.folioStart(t, frame);
    const to = this.folioEnd(t, frame);
    if (t[v.owner + from] !== OWNER_GMEM || this.folioRefs(t, frame) !== 0) return;
    for (let f = from; f < to; f++) if (t[v.present + f]) return;
    for (let f = from; f < to; f++) if (!this.mayFree(t, f)) return;
    for (let f = from; f < to; f++) t[v.owner + f] = OWNER_FREE;
  }

  /** Can this frame's struct page hold a flag of its own? Not a tail page of a HugeTLB folio
   * under HVO, whose struct page is the shared, read-only one (mm/hugetlb_vmemmap.c). */
  hasOwnPageFlags(s: State, frame: number): boolean {
    const huge = this.huge;
    return !(this.config.hvo && huge > 1 && !s[this.v.folioSplit] && frame > 0 && frame < huge);
  }

  /** Can guest_memfd allocate the folio for `frame` now (all its frames free and unpoisoned)? */
  canAllocate(s: State, frame: number): boolean {
    const from = this.folioStart(s, frame);
    const to = this.folioEnd(s, frame);
    for (let f = from; f < to; f++)
      if (s[this.v.owner + f] !== OWNER_FREE || s[this.v.poison + f]) return false;
    return true;
  }

  /** filemap_alloc_folio + filemap_add_folio: the page cache's reference on the folio. */
  allocate(t: State, frame: number): void {
    const v = this.v;
    const [from, to] = this.folioFrames(t, frame);
    for (let f = from; f < to; f++) {
      t[v.owner + f] = OWNER_GMEM;
      t[v.present + f] = 1;
    }
    t[v.refPageCache + from] = 1;
  }
}
