import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { buildSystem, parseFaults } from '../../src/kernel/index.js';
import { noHooks, type PagePolicy } from '../../src/policies/index.js';
import { scenarios } from '../../src/scenarios/index.js';

/** The hooks a policy sees over a whole check of `basic` with these faults: which SEAMCALL
 * onZapFailed names, and whether onRemoved came after onRemoveSucceeded on the same frame. */
function hooksSeen(faults: string): Set<string> {
  const seen = new Set<string>();
  const recorder: PagePolicy = {
    ...noHooks,
    name: 'recorder',
    doc: 'Records the hooks the kernel calls.',
    onRemoveSucceeded: (t, gfn, k) => {
      seen.add('onRemoveSucceeded');
      t[k.v.marked + gfn] = 1;
    },
    onRemoved: (t, gfn, k) => {
      seen.add(`onRemoved after onRemoveSucceeded: ${t[k.v.marked + gfn] === 1}`);
      t[k.v.marked + gfn] = 0;
    },
    onZapFailed: (_t, _gfn, _k, which) => void seen.add(`onZapFailed ${which}`),
  };
  const model = buildSystem({
    scenario: scenarios.basic!,
    policy: recorder,
    faults: parseFaults(faults),
    hvo: false,
  });
  check(model);
  return seen;
}

describe('policy hooks learn which SEAMCALL failed', () => {
  it('no fault: REMOVE succeeds, then WBINVD and clear', () => {
    expect([...hooksSeen('')].sort()).toEqual([
      'onRemoveSucceeded',
      'onRemoved after onRemoveSucceeded: true',
    ]);
  });
  it('a failed BLOCK is named BLOCK, a failed REMOVE is named REMOVE', () => {
    expect(hooksSeen('block-fails=1')).toContain('onZapFailed BLOCK');
    expect(hooksSeen('block-fails=1')).not.toContain('onZapFailed REMOVE');
    expect(hooksSeen('remove-fails=1')).toContain('onZapFailed REMOVE');
    expect(hooksSeen('remove-fails=1')).not.toContain('onZapFailed BLOCK');
  });
});
