/**
 * mm: struct page / folio refcounts, freeing at zero, the page allocator handing a freed frame
 * to another owner, and references taken and dropped by others (include/linux/mm.h,
 * mm/swap.c, mm/page_alloc.c, mm/filemap.c).
 *
 * Our simplifications: a folio's refcount is the sum of its holders, kept per kind so a trace
 * says who holds what (the kernel keeps one number and cannot tell them apart); guest_memfd's
 * page cache holds one reference per folio (the kernel holds one per page); a HugeTLB folio is
 * the first `hugeFolio` frames, until it is split.
 */
import type { Action, State } from '../engine/index.js';
import type { Kernel } from './kernel.js';
import { kernelStep } from './step.js';
import { CONTENT_HOST, OWNER_FREE, OWNER_GMEM, OWNER_HOST, type Vars } from './vars.js';

export class Mm {
  readonly holders: readonly number[];
  private readonly v: Vars;
  private readonly huge: number;
  private readonly vcpus: number;

  constructor(private readonly k: Kernel) {
    const v = (this.v = k.v);
    this.holders = [v.refPageCache, v.refPin, v.refTransient, v.refUserMap, v.refGup, v.refHwpoison];
    this.huge = k.config.scenario.hugeFolio;
    this.vcpus = k.config.scenario.vcpus;
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
    for (let f = from; f < to; f++) if (!this.k.policy.mayFree(t, f, this.k)) return;
    for (let f = from; f < to; f++) t[v.owner + f] = OWNER_FREE;
  }

  /** Can this frame's struct page hold a flag of its own? Not a tail page of a HugeTLB folio
   * under HVO, whose struct page is the shared, read-only one (mm/hugetlb_vmemmap.c). */
  hasOwnPageFlags(s: State, frame: number): boolean {
    const huge = this.k.config.scenario.hugeFolio;
    return !(this.k.config.hvo && huge > 1 && !s[this.v.folioSplit] && frame > 0 && frame < huge);
  }

  /** Can guest_memfd allocate the folio for `frame` now (all its frames free and unpoisoned)? */
  canAllocate(s: State, frame: number): boolean {
    const from = this.folioStart(s, frame);
    const to = this.folioEnd(s, frame);
    for (let f = from; f < to; f++) if (s[this.v.owner + f] !== OWNER_FREE || s[this.v.poison + f]) return false;
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

/** Others in the kernel: speculative references (folio_try_get from a page-cache walk, a
 * /proc reader, or compaction isolating the folio for migration, which
 * kvm_gmem_migrate_folio refuses with a WARN: guest_memfd pages never move) taken within the
 * `transient-refs` budget and always dropped, and the page allocator handing freed frames to
 * another owner and taking them back. */
export function mmSteps(k: Kernel): Action[] {
  const v = k.v;
  // Without a budget for them, transient references are never taken: their steps are left out.
  const transient = (k.config.faults['transient-refs'] ?? 0) > 0;
  const transientSteps = [
    kernelStep({
      process: 'others',
      fn: 'folio_try_get',
      file: 'mm/filemap.c',
      next(s, out) {
        if (!s[v.budgetTransient]) return;
        for (let f = 0; f < k.gfns; f++) {
          // Only a folio with a reference can be got speculatively.
          if (s[v.owner + f] !== OWNER_GMEM || k.mm.folioRefs(s, f) === 0) continue;
          const t = out.next();
          t[v.budgetTransient]!--;
          k.mm.get(t, v.refTransient, f);
        }
      },
      call: (b, a) => `transient reference on frame ${changedFrame(k, b, a, v.refTransient)}`,
    }),
    // Each frame's release is fair on its own: one holder cannot starve another's frame.
    ...perFrame(k, (f) =>
      kernelStep({
        process: 'others',
        fn: 'folio_put',
        file: 'mm/swap.c',
        fairness: 'weak', // transient references are eventually dropped
        next: (s, out) => void (s[v.refTransient + f] && k.mm.put(out.next(), v.refTransient, f)),
        call: () => `transient reference on frame ${f} dropped`,
      }),
    ),
  ];
  return [
    ...(transient ? transientSteps : []),
    ...perFrame(k, (f) =>
      kernelStep({
        process: 'host',
        fn: 'alloc_pages',
        file: 'mm/page_alloc.c',
        requires: [[v.owner + f, OWNER_FREE]],
        next(s, out) {
          if (s[v.poison + f]) return; // HWPOISON pages are never handed out
          // One other owner, holding one frame at a time, is all a reuse needs (simplification).
          for (let g = 0; g < k.gfns; g++) if (s[v.owner + g] === OWNER_HOST) return;
          const t = out.next();
          t[v.owner + f] = OWNER_HOST;
          t[v.content + f] = CONTENT_HOST;
        },
        call: () => `frame ${f} reused by the host, which writes its own data`,
      }),
    ),
    ...perFrame(k, (f) =>
      kernelStep({
        process: 'host',
        fn: '__free_pages',
        file: 'mm/page_alloc.c',
        fairness: 'weak',
        requires: [[v.owner + f, OWNER_HOST]],
        next: (_, out) => void (out.next()[v.owner + f] = OWNER_FREE),
        call: () => `frame ${f} freed by the host`,
      }),
    ),
  ];
}

export function perFrame(k: Kernel, make: (frame: number) => Action): Action[] {
  return Array.from({ length: k.gfns }, (_, f) => make(f));
}

/** The frame whose `field` differs between two states, for trace lines. */
export function changedFrame(k: Kernel, b: State, a: State, field: number): number {
  for (let f = 0; f < k.gfns; f++) if (b[field + f] !== a[field + f]) return f;
  return -1;
}
