import { hwpoison } from './hwpoison.js';
import { nopin } from './nopin.js';
import { pageExt } from './page-ext.js';
import { pageFlag } from './page-flag.js';
import { pin } from './pin.js';
import type { PagePolicy } from './policy.js';
import { reclaimAfterTeardown } from './reclaim-after-teardown.js';
import { refOnZapFailure } from './ref-on-zap-failure.js';
import { unmapError } from './unmap-error.js';

export type { PagePolicy, PolicyContext, ZapSeamcallName } from './policy.js';
export { noHooks, PolicyError } from './policy.js';

/** The bundled page-reference designs of the review, by name, in the review's order; then ours. */
export const policies: Readonly<Record<string, PagePolicy>> = {
  pin,
  nopin,
  'unmap-error': unmapError,
  'ref-on-zap-failure': refOnZapFailure,
  'page-flag': pageFlag,
  'page-ext': pageExt,
  hwpoison,
  'reclaim-after-teardown': reclaimAfterTeardown,
};

/** The bundled design of that name, if any: own names only ("constructor" is no design). */
export function bundledPolicy(name: string): PagePolicy | undefined {
  return Object.hasOwn(policies, name) ? policies[name] : undefined;
}
