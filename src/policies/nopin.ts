import { noHooks, type PagePolicy } from './policy.js';

/** The patch: TDX takes no reference; guest_memfd keeps the page until KVM's MMU has been told. */
export const nopin: PagePolicy = {
  name: 'nopin',
  doc: 'TDX holds no page reference (the patch under review).',
  ...noHooks,
};
