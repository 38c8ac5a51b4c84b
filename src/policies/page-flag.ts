import { noHooks, type PagePolicy } from './policy.js';

/**
 * Weighed in the review: mark the page (a page flag or page_ext bit) while TDX maps it and have
 * the allocator refuse a marked page. Under HVO a tail page of a HugeTLB folio has no struct
 * page of its own (its vmemmap is the shared read-only one), so the mark cannot be stored there:
 * the model drops it, the gentlest of the outcomes (a write would fault or mark every tail).
 * The mark is cleared after a successful REMOVE, before WBINVD: a page whose WBINVD then fails
 * is freed with the TD's dirty cache lines.
 */
export const pageFlag: PagePolicy = {
  ...noHooks,
  name: 'page-flag',
  doc: 'TDX marks each page it maps with a page flag; a marked page is never freed.',
  onMap: (t, frame, k) => {
    if (k.mm.hasOwnPageFlags(t, frame)) t[k.v.marked + frame] = 1;
  },
  onMapFailed: (t, frame, k) => void (t[k.v.marked + frame] = 0),
  // Rick Edgecombe's description Yan Zhao answers (2025-06-23, aFkeBtuNBN1RrDAJ): the mark is
  // cleared after a successful REMOVE (or RECLAIM), i.e. before the WBINVD.
  onRemoveSucceeded: (t, frame, k) => void (t[k.v.marked + frame] = 0),
  mayFree: (t, frame, k) => !t[k.v.marked + frame],
};
