/**
 * mm: the rest of the kernel as guest_memfd's pages meet it: references taken and dropped by
 * others, and the page allocator handing a freed frame to another owner (mm/filemap.c,
 * mm/swap.c, mm/page_alloc.c).
 */
import type { Action, State } from '../engine/index.js';
import type { Kernel } from './kernel.js';
import { kernelStep } from './step.js';
import { CONTENT_HOST, OWNER_FREE, OWNER_GMEM, OWNER_HOST } from './vars.js';

/** folio_try_get: someone in the kernel takes a speculative reference (a page-cache walk, a
 * /proc reader, or compaction isolating the folio for migration, which kvm_gmem_migrate_folio
 * refuses with a WARN: guest_memfd pages never move), within the `transient-refs` budget. */
function folioTryGet(k: Kernel): Action {
  const v = k.v;
  return kernelStep({
    process: 'others',
    fn: 'folio_try_get',
    file: 'mm/filemap.c',
    reads: [v.budgetTransient, ...k.mm.refReads],
    writes: [v.budgetTransient, ...k.frames(v.refTransient)],
    next(s, out) {
      if (!s[v.budgetTransient]) return;
      for (let f = 0; f < k.frameCount; f++) {
        // Only a folio with a reference can be got speculatively.
        if (s[v.owner + f] !== OWNER_GMEM || k.mm.folioRefs(s, f) === 0) continue;
        const t = out.next();
        t[v.budgetTransient]!--;
        k.mm.get(t, v.refTransient, f);
      }
    },
    call: (b, a) => `transient reference on frame ${changedFrame(k, b, a, v.refTransient)}`,
  });
}

/** A holder that always lets go: its reference on frame f is eventually dropped (weakly
 * fair, frame by frame: one holder cannot starve another's frame). */
export interface Release {
  readonly process: string;
  readonly fn: string;
  readonly file: string;
  readonly holder: number;
  /** the trace line */
  readonly done: string;
}

export function folioRelease(k: Kernel, r: Release, f: number): Action {
  return kernelStep({
    process: r.process,
    fn: r.fn,
    file: r.file,
    fairness: 'weak',
    reads: k.mm.refReads,
    writes: k.mm.putWrites(r.holder),
    next: (s, out) => void (s[r.holder + f] && k.mm.put(out.next(), r.holder, f)),
    call: () => r.done,
  });
}

/** folio_put of a transient reference on frame f. */
function folioPut(k: Kernel, f: number): Action {
  const transient = {
    process: 'others',
    fn: 'folio_put',
    file: 'mm/swap.c',
    holder: k.v.refTransient,
  };
  return folioRelease(k, { ...transient, done: `transient reference on frame ${f} dropped` }, f);
}

/** alloc_pages: the page allocator hands free frame f to another owner, which writes its own
 * data. One other owner, holding one frame at a time, is all a reuse needs (simplification). */
function allocPages(k: Kernel, f: number): Action {
  const v = k.v;
  return kernelStep({
    process: 'host',
    fn: 'alloc_pages',
    file: 'mm/page_alloc.c',
    requires: [[v.owner + f, OWNER_FREE]],
    reads: [v.poison + f, ...k.frames(v.owner)],
    writes: [v.owner + f, v.content + f],
    next(s, out) {
      if (s[v.poison + f]) return; // HWPOISON pages are never handed out
      for (let g = 0; g < k.frameCount; g++) if (s[v.owner + g] === OWNER_HOST) return;
      const t = out.next();
      t[v.owner + f] = OWNER_HOST;
      t[v.content + f] = CONTENT_HOST;
    },
    call: () => `frame ${f} reused by the host, which writes its own data`,
  });
}

/** __free_pages: the other owner gives frame f back. */
function freePages(k: Kernel, f: number): Action {
  const v = k.v;
  return kernelStep({
    process: 'host',
    fn: '__free_pages',
    file: 'mm/page_alloc.c',
    fairness: 'weak',
    requires: [[v.owner + f, OWNER_HOST]],
    reads: [],
    writes: [v.owner + f],
    next: (_, out) => void (out.next()[v.owner + f] = OWNER_FREE),
    call: () => `frame ${f} freed by the host`,
  });
}

/** Others in the kernel: transient references (only with a budget for them) and the page
 * allocator. */
export function mmSteps(k: Kernel): Action[] {
  const transient = (k.config.faults['transient-refs'] ?? 0) > 0;
  return [
    ...(transient ? [folioTryGet(k), ...perFrame(k, (f) => folioPut(k, f))] : []),
    ...perFrame(k, (f) => allocPages(k, f)),
    ...perFrame(k, (f) => freePages(k, f)),
  ];
}

export function perFrame(k: Kernel, make: (frame: number) => Action): Action[] {
  return Array.from({ length: k.frameCount }, (_, f) => make(f));
}

/** The frame whose `field` differs between two states, for trace lines. */
export function changedFrame(k: Kernel, b: State, a: State, field: number): number {
  for (let f = 0; f < k.frameCount; f++) if (b[field + f] !== a[field + f]) return f;
  return -1;
}
