import { noHooks, type PagePolicy } from './policy.js';

/** Weighed in the review: no pin, but get_page() on a page whose BLOCK or REMOVE failed, so it
 * leaks on purpose instead of being freed while the S-EPT maps it. */
export const refOnZapFailure: PagePolicy = {
  ...noHooks,
  name: 'ref-on-zap-failure',
  doc: 'TDX takes a page reference only when zapping the page fails, and never drops it.',
  onZapFailed: (t, gfn, k) => k.mm.get(t, k.v.refPin, gfn),
};
