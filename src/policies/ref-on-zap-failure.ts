import { noHooks, type PagePolicy } from './policy.js';

/** Weighed in the review: no pin, but get_page() on a page whose BLOCK or REMOVE failed, so it
 * leaks on purpose instead of being freed while the S-EPT maps it. A failed WBINVD takes the
 * reference too: Yan Zhao's POC "KVM: TDX: Hold folio ref count on fatal error" (2025-06-16,
 * aE/q9VKkmaCcuwpU) takes it when tdx_sept_drop_private_spte fails, which in the tree it
 * patches includes a failed WBINVD. */
export const refOnZapFailure: PagePolicy = {
  ...noHooks,
  name: 'ref-on-zap-failure',
  doc: 'TDX takes a page reference only when zapping the page fails, and never drops it.',
  onZapFailed: (t, frame, k) => k.mm.get(t, k.v.refPin, frame),
};
