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
 * At 2M (a failed zap of a 2M leaf lists all N frames): RECLAIM walks the PAMT to the 2M leaf,
 * so the head frame's RECLAIM takes back the whole 2M page (R8 = 2M) and releases every listed
 * frame of it; a tail's RECLAIM would be TDX_OPERAND_INVALID (tdh_phymem_page_reclaim.c, 1.5.01;
 * docs/plans/huge-pages.md 5.8, M8). That RECLAIM of guest pages after HKID release is the
 * direction [hp-v3] 05's changelog announces (huge-pages.md K15).
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
    const release = (f: number) => {
      k.seam.clearPage(t, f);
      t[k.v.marked + f] = 0;
      k.mm.put(t, k.v.refPin, f);
    };
    // frames in order, so a 2M page's head comes before its tails
    for (let f = 0; f < k.frames; f++) {
      const kind = t[k.v.marked + f];
      if (!kind) continue;
      if (kind === FLUSH_ONLY) {
        release(f);
        continue;
      }
      const { head, pages } = k.seam.pamtLeaf(t, f);
      const st = k.seam.pageReclaim(t, f);
      // a tail of a 2M page whose head is not listed: TDX_OPERAND_INVALID (the RECLAIM must
      // name the head, M8, row C4), skipped, not a failure; the frame stays kept
      if (head !== f || !k.seam.ok(st)) continue; // else a failure: leaked on purpose
      // a 2M page comes back whole (R8 = 2M, row C3): every listed frame of it is released
      for (let g = f; g < f + pages; g++) if (t[k.v.marked + g]) release(g);
    }
  },
};
