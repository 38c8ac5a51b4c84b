import type { PagePolicy } from './policy.js';

/**
 * Before "KVM: TDX: Drop superfluous page pinning in S-EPT management": get_page() in
 * tdx_sept_set_private_spte (arch/x86/kvm/vmx/tdx.c), put_page() in tdx_unpin when the map
 * SEAMCALL fails and after a successful REMOVE and clear; a failed zap keeps the reference, so
 * the page leaks instead of being freed while mapped. A failed WBINVD returns -EIO before
 * tdx_clear_page and tdx_unpin (v6.17 tdx_sept_drop_private_spte): the pin stays, a leak.
 */
export const pin: PagePolicy = {
  name: 'pin',
  tree: 'v6.17',
  doc: 'TDX holds a page reference on every page it maps (the code before the patch).',
  onMap: (t, frame, k) => k.mm.get(t, k.v.refPin, frame),
  onMapFailed: (t, frame, k) => k.mm.put(t, k.v.refPin, frame),
  onRemoved: (t, frame, k) => {
    if (!k.mutated('no-unpin-after-remove')) k.mm.put(t, k.v.refPin, frame);
  },
  onZapFailed() {},
  mayFree: () => true,
};
