import { noHooks, type PagePolicy } from './policy.js';

/**
 * Weighed in the review: the unmap hook returns an error and guest_memfd keeps the page. What
 * each caller then does: punch hole and conversion fail with -EIO and leave the page in the
 * file; memory failure leaves it anyway; file release and VM teardown cannot fail, so they leak
 * it. The page is remembered with the `marked` bit (our stand-in for the error reaching
 * guest_memfd). The thread's text as far as read does not name WBINVD: a failed WBINVD is
 * treated as a failed REMOVE (our extension; v6.17's unmap hook returned -EIO for it too,
 * tdx_sept_drop_private_spte).
 */
export const unmapError: PagePolicy = {
  ...noHooks,
  name: 'unmap-error',
  doc: 'The unmap hook returns an error; guest_memfd keeps the page, and callers that cannot fail leak it.',
  onZapFailed: (t, frame, k) => void (t[k.v.marked + frame] = 1),
  keepsPage: (t, frame, k) => t[k.v.marked + frame] === 1,
};
