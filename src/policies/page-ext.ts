import { noHooks, type PagePolicy } from './policy.js';

/**
 * Weighed in the review ("page flags or page_ext ... does not work for HVO", 07/25's changelog):
 * Yan Zhao's PAGE_EXT_FIRMWARE_IN_USE proposal (2025-06-23, aFkeBtuNBN1RrDAJ). A bit in the
 * page's page_ext entry is set per 4 KiB page when it is handed to the TDX module (AUG, ADD)
 * and cleared after a successful REMOVE (or RECLAIM), as Rick Edgecombe described it; the page
 * allocator's free path warns and does not free a folio with a marked subpage; a to-shared
 * conversion fails with -EFAULT while a page in its range is marked; a folio split does not copy
 * the bit (the mutation split-copies-mark does).
 *
 * mm/page_ext.c (torvalds/linux 063ff7cd8bf2): page_ext is a table per memory section allocated
 * apart from the vmemmap and found by pfn (lookup_page_ext), so HVO, which remaps only the
 * vmemmap (mm/hugetlb_vmemmap.c), leaves every subpage its own bit (our inference from the two
 * files). But the table exists only when some client's need() asks for it at boot (page_owner,
 * page_table_check, memory allocation profiling: debug or accounting features); without one
 * lookup_page_ext finds nothing, the bit is never set, and the design is nopin.
 */
export const pageExt: PagePolicy = {
  ...noHooks,
  name: 'page-ext',
  doc: 'TDX marks each page it maps in its page_ext entry (per pfn, outside the vmemmap); the allocator refuses a marked page.',
  onMap: (t, frame, k) => {
    if (k.mm.hasPageExt(frame)) t[k.v.marked + frame] = 1;
  },
  onMapFailed: (t, frame, k) => void (t[k.v.marked + frame] = 0),
  // Cleared after a successful REMOVE, before WBINVD: a page whose WBINVD then fails is freed
  // with the TD's dirty cache lines.
  onRemoveSucceeded: (t, frame, k) => void (t[k.v.marked + frame] = 0),
  mayFree: (t, frame, k) => !t[k.v.marked + frame],
  mayConvertToShared: (t, frame, k) => !t[k.v.marked + frame],
};
