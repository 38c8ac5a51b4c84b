import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { fallocateRefuses } from '../../src/kernel/guest_memfd.js';
import { parseFaults, systemModel } from '../../src/kernel/index.js';
import { policies } from '../../src/policies/index.js';
import { scenarioFamilies, scenarios } from '../../src/scenarios/index.js';
import { MIRROR_LEAF, MIRROR_TABLE, SPTE_NONE, TABLE_NONE } from '../../src/kernel/vars.js';
import { callsReached, steps, transitions } from './helpers.js';

/** guest_memfd on hugepage-v3 (huge-pages.md G1-G3): the huge-convert and huge-punch
 * scenarios, which resolve to that tree. */
function model(name: string, params: Record<string, number>, policy = 'nopin', faults = '') {
  const family = scenarioFamilies[name]!;
  const defaults = Object.fromEntries(
    Object.entries(family.params).map(([k, p]) => [k, p.default]),
  );
  const scenario = family.build({ ...defaults, ...params });
  return systemModel({
    scenario,
    policy: policies[policy]!,
    // as the command line: the scenario's faults unless --faults is given
    faults: faults ? parseFaults(faults) : scenario.faults,
    hvo: false,
  }).model;
}

describe('huge-convert: a partial conversion of a 2M-mapped folio', () => {
  // its counts at folio-pages 2 and 4 (2,379 and 29,548 for nopin) are asserted by
  // test/claims.test.ts's partial-unmap column, which runs on it
  it('ends the invalidation before it splits the folio (kvm_gmem_convert, G3), and merges it back', () => {
    const calls = callsReached(model('huge-convert', {}));
    expect(calls).toContain('kvm_mmu_invalidate_end'); // filemap_invalidate_lock still held
    expect(calls).toContain(
      'to shared, gfns 1, huge folio split -> TDX_SUCCESS (0x0000000000000000)',
    );
    expect(calls).toContain('to private, gfns 1 -> 0');
  });

  it('back to private the folio is merged, and gfn 1 is mapped again at 4K under the table (no promotion)', () => {
    const { model: m, kernel } = systemModel({
      scenario: scenarioFamilies['huge-convert']!.build({ vcpus: 1, 'folio-pages': 2 }),
      policy: policies.nopin!,
      faults: {},
      hvo: false,
    });
    const v = kernel.v;
    let merged4k = 0;
    let promoted = 0;
    for (const { next: s } of transitions(m)) {
      // once a table is linked (the split), the range never maps 2M again
      if (s[v.vmmOp] === 3 && s[v.table] !== TABLE_NONE && s[v.mirror2m] === MIRROR_LEAF)
        promoted++;
      if (
        s[v.vmmOp] === 3 && // the to-private op is done: teardown is next
        s[v.folioSplit] === 0 &&
        s[v.mirror2m] === MIRROR_TABLE &&
        s[v.spte + 1] !== SPTE_NONE
      )
        merged4k++;
    }
    expect(merged4k).toBeGreaterThan(0);
    expect(promoted).toBe(0);
  });

  it('its fault parameters are its default faults (demote-fails=1: nopin frees a mapped frame)', () => {
    const r = check(model('huge-convert', { 'demote-fails': 1 }));
    expect([r.violation?.property, r.violation?.trace.length]).toEqual([
      'no-reuse-while-mapped',
      32,
    ]);
  });
});

describe('huge-punch: the one-page punch is -EINVAL, the whole-folio punch -EAGAIN while a fault holds the folio', () => {
  it.each([
    [2, 1424],
    [4, 7444],
  ])('vcpus=1 folio-pages=%i: %i states, every property holding', (pages, states) => {
    const r = check(model('huge-punch', { vcpus: 1, 'folio-pages': pages }));
    expect([r.result, r.distinctStates]).toEqual(['ok', states]);
  });

  it('refuses the partial punch, zaps the 2M leaf whole, and punches again after -EAGAIN', () => {
    const calls = callsReached(model('huge-punch', { vcpus: 1 }));
    expect(calls).toContain(
      'fallocate(PUNCH_HOLE) gfns 1 -> -EINVAL: not whole huge pages of the HugeTLB file',
    );
    expect(calls).toContain(
      'TDH.MEM.PAGE.REMOVE gpa=0x0 level=2M -> TDX_SUCCESS (0x0000000000000000)',
    );
    expect(calls).toContain(
      'gfns 0,1 -> -EAGAIN: a folio holds more than the page cache, nothing truncated',
    );
    expect(calls).toContain('gfns 0,1 -> the whole folio truncated');
    expect([...calls].some((c) => c.includes('level=4K'))).toBe(false);
  });

  it('a failed 2M REMOVE sends the whole folio to the allocator (nopin): 16 steps', () => {
    const r = check(model('huge-punch', { 'remove-fails': 1 }));
    expect(r.violation?.property).toBe('no-reuse-while-mapped');
    const trace = steps(r.violation!.trace);
    expect(trace).toHaveLength(17);
    expect(trace.slice(-4)).toEqual([
      'vmm:tdx_sept_remove_private_spte',
      'vmm:KVM_MMU_UNLOCK (write)',
      'vmm:merge_truncate_range',
      'host:alloc_pages',
    ]);
  });
});

describe('kvm_gmem_fallocate refuses part of a huge page on hugepage-v3 only (punchWholeHugePages)', () => {
  const kernel = (scenario: string, tree: 'hugepage-v3' | 'conversion-rfc') =>
    systemModel({
      scenario: scenarios[scenario]!,
      policy: policies.nopin!,
      faults: {},
      hvo: false,
      tree,
    }).kernel;
  it.each([
    ['convert', 'hugepage-v3', 0b10, true], // one page of the 2-page HugeTLB folio
    ['convert', 'hugepage-v3', 0b11, false], // the whole folio
    ['convert', 'conversion-rfc', 0b10, false], // that tree punches pages
    ['basic', 'hugepage-v3', 0b01, false], // no HugeTLB file: page-aligned is enough
  ] as const)('%s on %s, gfns %i: refused %s', (scenario, tree, range, refused) => {
    expect(fallocateRefuses(kernel(scenario, tree), range)).toBe(refused);
  });
});
