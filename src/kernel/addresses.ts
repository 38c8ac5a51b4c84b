import type { LoggedEvent } from '../engine/index.js';

const PAGE = 0x1000;

/**
 * The TDX system's address hook for trace validation (Model.mapAddresses).
 * Renames a real host's addresses to a model's: each distinct guest page (a `gpa`, a `gfn`, or
 * an `offset`/`start` into guest_memfd, all in one space: guest_memfd binds the file at GFN 0)
 * becomes page 0, 1, ... in order of first appearance, and each host frame (`pfn`) becomes the
 * page it was first mapped at (by an AUG or ADD that logs both). Lengths and ends are scaled.
 */
export function mapAddresses(events: readonly LoggedEvent[]): LoggedEvent[] {
  const pages = new Map<number, number>();
  const frames = new Map<number, number>();
  const page = (gfn: number) => {
    if (!pages.has(gfn)) pages.set(gfn, pages.size);
    return pages.get(gfn)!;
  };
  return events.map((e) => {
    if (!e.args) return e;
    const a: Record<string, number> = { ...e.args };
    if (a.gpa !== undefined) a.gpa = page(Math.floor(a.gpa / PAGE)) * PAGE;
    if (a.gfn !== undefined) a.gfn = page(a.gfn);
    if (a.offset !== undefined) a.offset = page(Math.floor(a.offset / PAGE)) * PAGE;
    if (a.start !== undefined) {
      const span = (a.end ?? a.start + 1) - a.start;
      a.start = page(a.start);
      a.end = a.start + span;
    }
    if (a.pfn !== undefined) {
      if (e.args.gpa !== undefined && !frames.has(a.pfn)) frames.set(a.pfn, a.gpa! / PAGE);
      a.pfn = frames.get(a.pfn) ?? a.pfn;
    }
    return { ...e, args: a };
  });
}
