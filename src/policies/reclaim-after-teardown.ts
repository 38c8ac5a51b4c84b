import { noHooks, type PagePolicy } from './policy.js';

/** Kinds of entry on the design's list (the frame's `marked` value). */
const LISTED = 1; // RECLAIM after HKID release
const FLUSH_ONLY = 2; // REMOVE succeeded, WBINVD failed: the page is PT_NDA, so only the reset

/**
 * Ours: none of the thread proposed it. Yan Zhao came closest (2025-06-16, on TDX huge page
 * RFC 08/21: TDX must hold the page reference on an unmapping failure until reclaiming
 * succeeds, and reclaiming itself may fail) but named no RECLAIM step. On a failed zap KVM takes
 * a reference on the frame (as ref-on-zap-failure does) and lists it; in kvm_destroy_vm, once
 * tdx_mmu_release_hkid has freed the HKID (so CACHE.WB wrote back every line of the TD), it
 * RECLAIMs each listed frame (TDH.PHYMEM.PAGE.RECLAIM of a PT_REG page works in TD_TEARDOWN
 * without BLOCK, TRACK or REMOVE: tdh_phymem_page_reclaim.c, TDX module 1.5.01), clears it with
 * MOVDIR64B as tdx_reclaim_page does and drops the reference, so guest_memfd's eviction (or the
 * drop, if eviction came first) frees it clean. A RECLAIM that fails keeps the reference: the
 * frame leaks, as tdx_reclaim_control_page leaks a control page.
 *
 * A failed WBINVD (our extension, "flush only"): REMOVE succeeded, so the page is PT_NDA and a
 * RECLAIM would fail with TDX_PAGE_METADATA_INCORRECT (tdh_phymem_page_reclaim.c checks the
 * PAMT first); KVM keeps the reference and lists the page to be cleared after HKID release,
 * when CACHE.WB has written its dirty lines back, and only then drops the reference.
 */
export const reclaimAfterTeardown: PagePolicy = {
  ...noHooks,
  name: 'reclaim-after-teardown',
  doc: 'On a failed zap TDX takes a page reference and lists the page; after HKID release it RECLAIMs, clears and releases it (ours).',
  onZapFailed: (t, frame, k, which) => {
    if (t[k.v.marked + frame]) return; // listed already
    k.mm.get(t, k.v.refPin, frame);
    t[k.v.marked + frame] = which === 'WBINVD' ? FLUSH_ONLY : LISTED;
  },
  onTdTeardown: (t, k) => {
    for (let f = 0; f < k.frames; f++) {
      const kind = t[k.v.marked + f];
      if (!kind) continue;
      if (kind === LISTED && !k.seam.ok(k.seam.pageReclaim(t, f))) continue; // leaked on purpose
      k.seam.clearPage(t, f);
      t[k.v.marked + f] = 0;
      k.mm.put(t, k.v.refPin, f);
    }
  },
};
