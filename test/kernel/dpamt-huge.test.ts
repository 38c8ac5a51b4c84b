import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { parseFaults, systemModel } from '../../src/kernel/index.js';
import { policies } from '../../src/policies/index.js';
import { scenarioFamilies } from '../../src/scenarios/index.js';
import { callsReached } from './helpers.js';

/** `convert` on tree hugepage-v3 (a 2M mapping split by a partial conversion), module 2.0 unless
 * said, judged on `only` (the dpamt-safe column's properties). */
function convert(policy: string, faults = '', pages = 2, module: '1.5' | '2.0' = '2.0') {
  const family = scenarioFamilies.convert!;
  const defaults = Object.fromEntries(
    Object.entries(family.params).map(([k, p]) => [k, p.default]),
  );
  const { model } = systemModel({
    scenario: family.build({ ...defaults, 'folio-pages': pages }),
    policy: policies[policy]!,
    faults: parseFaults(faults),
    hvo: false,
    tree: 'hugepage-v3',
    module,
  });
  const only = ['pamt-page-in-use', 'no-bug-without-fault', 'teardown-reclaims'];
  return {
    ...model,
    invariants: model.invariants!.filter((i) => only.includes(i.name)),
    liveness: [],
  };
}

describe('Dynamic PAMT with 2M leaves (module 2.0 on hugepage-v3)', () => {
  it.each([
    [2, 2411],
    [4, 30076],
  ])('a huge conversion, folio-pages=%i: every property holds, %i states', (pages, states) => {
    const family = scenarioFamilies.convert!;
    const { model } = systemModel({
      scenario: family.build({ vcpus: 1, 'folio-pages': pages }),
      policy: policies.nopin!,
      faults: {},
      hvo: false,
      tree: 'hugepage-v3',
      module: '2.0',
    });
    const r = check(pages === 2 ? model : { ...model, liveness: [] });
    expect([r.result, r.distinctStates]).toEqual(['ok', states]);
  });

  it('the split gets the new S-EPT page’s pair (K4), DEMOTE gives the range a pair with count N (K5, K6), and teardown returns both', () => {
    const calls = [...callsReached(convert('nopin'))];
    const has = (text: string) => calls.some((c) => c.includes(text));
    expect(
      has(
        'tdx_pamt_get(new S-EPT page) -> TDH.PHYMEM.PAMT.ADD -> TDX_SUCCESS (0x0000000000000000)',
      ),
    ).toBe(true);
    expect(has('TDH.MEM.PAGE.DEMOTE gpa=0x0 level=2M -> TDX_SUCCESS')).toBe(true);
    // the 4K zaps put the N references; the last one's PAMT.REMOVE gives the pair back
    expect(has('tdx_pamt_put -> TDH.PHYMEM.PAMT.REMOVE')).toBe(true);
    expect(has('TDH.PHYMEM.PAMT.REMOVE -> TDX_SUCCESS')).toBe(true);
  });

  it('a failed REMOVE: only reclaim-after-teardown gives every pair back (its 4K RECLAIM, then the put)', () => {
    const leak = check(convert('nopin', 'remove-fails=1'));
    expect([leak.result, leak.violation?.property ?? leak.findings[0]?.property]).toEqual([
      'ok',
      'teardown-reclaims',
    ]);
    const r = check(convert('reclaim-after-teardown', 'remove-fails=1'));
    expect([r.result, r.findings.length, r.distinctStates]).toEqual(['ok', 0, 3363]);
  });

  it('reclaim-after-teardown at 2M (module 1.5): the head frame’s RECLAIM takes the whole 2M page back, no tail is RECLAIMed', () => {
    const model = convert('reclaim-after-teardown', 'remove-fails=1', 2, '1.5');
    const calls = [...callsReached(model)].filter((c) => c.includes('teardown hook'));
    expect(calls).toContain(
      "reclaim-after-teardown's teardown hook: TDH.PHYMEM.PAGE.RECLAIM pfn 0 -> TDX_SUCCESS (0x0000000000000000)",
    );
    expect(calls.some((c) => c.includes('pfn 1 -> TDX_PAGE_METADATA_INCORRECT'))).toBe(false);
    const r = check(model);
    expect([r.result, r.findings.length]).toEqual(['ok', 0]);
  });
});

describe('SEPT.ADD BUSY (busy=1 on hugepage-v3)', () => {
  it('a 4K fault whose table link is BUSY gets -EBUSY and is retried; module 2.0 puts the leaf’s reference back', () => {
    const calls = [...callsReached(convert('nopin', 'busy=1'))];
    const busy = calls.filter((c) => c.includes('(table) -> TDX_OPERAND_BUSY'));
    expect(busy).toEqual([
      'TDH.MEM.SEPT.ADD gpa=0x0 level=2M (table) -> TDX_OPERAND_BUSY+SEPT_TREE (0x8000020000000092): -EBUSY, the fault retried; tdx_pamt_put: refcount 0',
    ]);
  });
});
