import { noHooks, type PagePolicy } from './policy.js';

/** Weighed in the review: on a failed zap, mark the page HWPOISON (SetPageHWPoison, or
 * folio_set_hugetlb_hwpoison for a HugeTLB subpage, which keeps its own list and so works under
 * HVO) so the allocator never hands it out again. Ackerley Tng's option g (2025-06-23,
 * diqzy0tikran) speaks of "unmapping errors" without naming WBINVD; a failed WBINVD is treated
 * as a failed REMOVE (our extension). */
export const hwpoison: PagePolicy = {
  ...noHooks,
  name: 'hwpoison',
  doc: 'A page whose zap failed is marked HWPOISON: freed, but never reused.',
  onZapFailed: (t, frame, k) => void (t[k.v.poison + frame] = 1),
};
