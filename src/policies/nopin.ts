import { noHooks, type PagePolicy } from './policy.js';

/** The patch: TDX takes no reference; guest_memfd keeps the page until KVM's MMU has been told.
 * A failed WBINVD: nothing holds the page, so truncation frees it neither written back nor
 * cleared (series-v3 patches 09, 10, 17: TDX_BUG_ON and return). */
export const nopin: PagePolicy = {
  name: 'nopin',
  doc: 'TDX holds no page reference (the patch under review).',
  ...noHooks,
};
