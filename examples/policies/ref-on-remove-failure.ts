/**
 * A worked example of a page-reference policy: a variant of ref-on-zap-failure that takes its
 * reference only when REMOVE fails, reasoning that a failed BLOCK leaves the page mapped and
 * "nothing was removed yet". septcheck shows why that is not enough: after a failed BLOCK the
 * TDP MMU still drops the mirror SPTE and guest_memfd still frees the page.
 *
 *   septcheck claims --policy examples/policies/ref-on-remove-failure.ts
 *   septcheck check --scenario basic --policy examples/policies/ref-on-remove-failure.ts --faults block-fails=1
 */
import type { PagePolicy } from '../../src/policies/index.js';

const policy: PagePolicy = {
  name: 'ref-on-remove-failure',
  doc: 'Take a page reference when REMOVE fails (but not when BLOCK fails).',
  onMap() {},
  onMapFailed() {},
  onRemoved() {},
  onZapFailed(t, gfn, k, which) {
    if (which === 'REMOVE') k.mm.get(t, k.v.refPin, gfn);
  },
  mayFree: () => true,
};
export default policy;
