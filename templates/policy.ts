/**
 * {{name}}: a page-reference policy for septcheck, made by `septcheck new policy`. Weigh it
 * against the bundled designs, and look at one of its runs:
 *
 *   septcheck claims --policy {{file}}
 *   septcheck check --scenario basic --policy {{file}} --faults remove-fails=1
 *
 * The kernel model calls these hooks where the real code takes or drops a reference on a
 * private page, or handles a failed S-EPT zap. `t` is the successor state being built: change
 * it only through the kernel's helpers, k.mm.get / k.mm.put (a reference on gfn's frame, by
 * holder) and the per-frame variables k.v.poison and k.v.marked (index: k.v.marked + frame).
 * As written, this is the review's "reference on zap failure": no pin on the normal path, and a
 * reference that is never dropped when BLOCK or REMOVE fails, so the page leaks instead of being
 * freed while the S-EPT still maps it.
 */
import type { PagePolicy } from 'septcheck'; // types only: nothing is loaded at run time

const policy: PagePolicy = {
  name: '{{name}}',
  doc: 'No pin; a reference taken when zapping a page fails, and never dropped.',

  // tdx_sept_set_private_spte, before TDH.MEM.PAGE.AUG or TDH.MEM.PAGE.ADD. A pin would be:
  // k.mm.get(t, k.v.refPin, gfn)
  onMap() {},

  // The map SEAMCALL failed (TDX_OPERAND_BUSY included): undo what onMap took.
  onMapFailed() {},

  // Optional: TDH.MEM.PAGE.REMOVE succeeded, before WBINVD (a mark "cleared after REMOVE").
  // onRemoveSucceeded(t, gfn, k) {},

  // After a successful TDH.MEM.PAGE.REMOVE, WBINVD and clear. A pin is dropped here:
  // k.mm.put(t, k.v.refPin, gfn)
  onRemoved() {},

  // A zapping SEAMCALL failed and KVM_BUG_ON fired; a fourth argument, `which`, says which one
  // ('BLOCK' or 'REMOVE': the S-EPT may still map the page; 'WBINVD': unmapped, but neither
  // written back nor cleared). Holding a reference keeps guest_memfd from freeing it.
  onZapFailed(t, gfn, k) {
    k.mm.get(t, k.v.refPin, gfn);
  },

  // A folio's refcount reached zero: may the allocator have the frame? (true: as today)
  mayFree: () => true,

  // Optional: must guest_memfd keep the page (its unmap failed)? Then punch hole and conversion
  // fail with -EIO and file release leaks it.
  // keepsPage: (t, frame, k) => t[k.v.marked + frame] !== 0,
};
export default policy;
