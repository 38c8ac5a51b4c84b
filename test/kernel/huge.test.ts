import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { buildSystem, parseFaults, systemModel } from '../../src/kernel/index.js';
import { S } from '../../src/kernel/seam.js';
import { policies } from '../../src/policies/index.js';
import { scenarioFamilies, scenarios } from '../../src/scenarios/index.js';
import { callsReached, steps } from './helpers.js';

/** The TDX system on tree hugepage-v3 (issue 17: 2M S-EPT leaves, tables, DEMOTE). */
function huge(scenario: string, policy: string, faults = '', params: Record<string, number> = {}) {
  return hugeSystem(scenario, policy, faults, params).model;
}
function hugeSystem(
  scenario: string,
  policy: string,
  faults = '',
  params: Record<string, number> = {},
) {
  const family = scenarioFamilies[scenario]!;
  const defaults = Object.fromEntries(
    Object.entries(family.params).map(([k, p]) => [k, p.default]),
  );
  return systemModel({
    scenario: family.build({ ...defaults, ...params }),
    policy: policies[policy]!,
    faults: parseFaults(faults),
    hvo: false,
    tree: 'hugepage-v3',
  });
}

describe('huge-map on hugepage-v3: 2M AUG, the guest’s 2M ACCEPT, the 2M zap', () => {
  it.each([
    [2, 364],
    [4, 1932],
  ])('folio-pages=%i: every property holds, %i states', (pages, states) => {
    const r = check(huge('huge-map', 'nopin', '', { 'folio-pages': pages }));
    expect([r.result, r.distinctStates]).toEqual(['ok', states]);
  });

  it('maps the folio with one AUG at 2M, zaps it at 2M and writes back every page', () => {
    const calls = callsReached(huge('huge-map', 'nopin'));
    expect(calls).toContain(
      'TDH.MEM.PAGE.AUG gpa=0x0 level=2M -> TDX_SUCCESS (0x0000000000000000)',
    );
    expect(calls).toContain('gpa=0x0 level=2M -> TDX_SUCCESS (0x0000000000000000)');
    expect(calls).toContain(
      'TDH.MEM.RANGE.BLOCK gpa=0x0 level=2M -> TDX_SUCCESS (0x0000000000000000)',
    );
    expect(calls).toContain(
      'TDH.MEM.PAGE.REMOVE gpa=0x0 level=2M -> TDX_SUCCESS (0x0000000000000000)',
    );
    expect(calls).toContain(
      "TDH.PHYMEM.PAGE.WBINVD pa=0x0 (x2, the 2M page's) (HKID) -> TDX_SUCCESS (0x0000000000000000); tdx_clear_page; last leaf",
    );
    expect([...calls].some((c) => c.includes('level=4K'))).toBe(false);
  });

  it('a failed 2M REMOVE puts every page of the folio on the failed-zap path: nopin reuses a mapped frame', () => {
    const r = check(huge('huge-map', 'nopin', 'remove-fails=1'));
    expect([r.result, r.violation?.property]).toEqual(['violation', 'no-reuse-while-mapped']);
  });
});

describe('a partial conversion splits the 2M leaf (convert on hugepage-v3)', () => {
  it('BLOCK, TRACK and the kick at 2M, DEMOTE, then the 4K zap of the converted page', () => {
    const calls = callsReached(huge('convert', 'nopin'));
    expect(calls).toContain(
      'TDH.MEM.PAGE.DEMOTE gpa=0x0 level=2M -> TDX_SUCCESS (0x0000000000000000)',
    );
    expect(calls).toContain(
      'TDH.MEM.RANGE.BLOCK gpa=0x1000 level=4K -> TDX_SUCCESS (0x0000000000000000)',
    );
  });

  it('a failed DEMOTE: the next 4K BLOCK fails with TDX_EPT_WALK_FAILED, and nopin frees a frame the S-EPT maps', () => {
    const r = check(huge('convert', 'nopin', 'demote-fails=1'));
    expect(r.violation?.property).toBe('no-reuse-while-mapped');
    const trace = steps(r.violation!.trace);
    expect(trace).toHaveLength(32);
    expect(trace.slice(9, 14)).toEqual([
      'vmm:tdx_sept_remove_private_spte',
      'vmm:tdx_track',
      'vmm:kvm_make_all_cpus_request',
      'vmm:tdx_sept_split_private_spte',
      'vmm:tdx_sept_remove_private_spte',
    ]);
    expect(trace.at(-1)).toBe('host:alloc_pages');
    // the 4K BLOCK after the split: the walk stops at the 2M leaf the failed DEMOTE left
    const { kernel } = hugeSystem('convert', 'nopin', 'demote-fails=1');
    expect(r.violation!.trace[13]!.state[kernel.v.vmmStatus]).toBe(S.WALK_FAILED);
  });

  it('pin, ported: the folio split waits forever for the pins of the pages still mapped', () => {
    const r = check(huge('convert', 'pin'));
    expect([r.violation?.property, r.violation?.kind]).toEqual([
      'conversion-completes@op0',
      'liveness',
    ]);
  });

  it('today’s scenarios keep no 2M state off hugepage-v3 (the block of zeroes)', () => {
    const m = buildSystem({
      scenario: scenarios.convert!,
      policy: policies.nopin!,
      faults: {},
      hvo: false,
    });
    expect(m.stateSize).toBe(
      buildSystem({
        scenario: scenarios.convert!,
        policy: policies.nopin!,
        faults: {},
        hvo: false,
        tree: 'conversion-rfc',
      }).stateSize,
    );
  });
});

describe('mapping-within-folio (hugepage-v3)', () => {
  it('holds when a partial conversion splits the 2M leaf; breaks when the split is skipped (mutation split-skipped)', () => {
    const { model } = systemModel({
      scenario: scenarios.convert!,
      policy: policies.nopin!,
      faults: {},
      hvo: false,
      tree: 'hugepage-v3',
      mutations: new Set(['split-skipped'] as const),
    });
    // the same step also breaks no-private-and-shared-at-once (gfn 1 goes shared): judge ours alone
    const only = model.invariants!.filter((i) => i.name === 'mapping-within-folio');
    const r = check({ ...model, invariants: only, liveness: [] });
    expect([r.violation?.property, r.violation?.trace.length]).toEqual([
      'mapping-within-folio',
      12,
    ]);
    const unbroken = huge('convert', 'nopin');
    const ours = unbroken.invariants!.filter((i) => i.name === 'mapping-within-folio');
    const clean = check({ ...unbroken, invariants: ours, liveness: [] });
    expect(clean.result).toBe('ok');
  });
});

describe('the guest’s accept level (huge-map --param accept, [hp-v3] 13/24)', () => {
  const accept = { linux: 0, '2m': 1, '4k': 2, either: 3 };
  it.each([
    ['linux', 364],
    ['2m', 364],
    ['4k', 1236],
    ['either', 2248],
  ] as const)('accept=%s, folio-pages=2: every property holds, %i states', (level, states) => {
    const model = huge('huge-map', 'nopin', '', { accept: accept[level] });
    expect(model.liveness!.map((p) => p.name)).toContain('accept-completes@gfn1');
    const r = check(model);
    expect([r.result, r.distinctStates]).toEqual(['ok', states]);
  });

  it('a 4K ACCEPT on a PENDING 2M leaf exits with level 4K: the vCPU splits the leaf, sets GUEST_INHIBIT, and the fault and the ACCEPT then succeed at 4K', () => {
    const calls = callsReached(huge('huge-map', 'nopin', '', { accept: accept['4k'] }));
    for (const call of [
      'gpa=0x0 -> TD exit: EPT violation (no accept level)',
      'TDH.MEM.PAGE.AUG gpa=0x0 level=2M -> TDX_SUCCESS (0x0000000000000000)',
      'gpa=0x0 -> TD exit: EPT violation (EEQ ACCEPT)',
      'EEQ ACCEPT level=4K gfn 0: write_lock(mmu_lock); kvm_split_cross_boundary_leafs: split the 2M leaf',
      'TDH.MEM.PAGE.DEMOTE gpa=0x0 level=2M -> TDX_SUCCESS (0x0000000000000000)',
      'hugepage_set_guest_inhibit; write_unlock(mmu_lock); the fault maps at 4K',
      'gpa=0x0 -> TDX_SUCCESS (0x0000000000000000)',
      // an ACCEPT of a range with no leaf yet: nothing to split, GUEST_INHIBIT, a 4K mapping
      'EEQ ACCEPT level=4K gfn 0: write_lock(mmu_lock); no 2M leaf to split',
      'TDH.MEM.SEPT.ADD gpa=0x0 level=2M (table) -> TDX_SUCCESS; TDH.MEM.PAGE.AUG gpa=0x0 level=4K -> TDX_SUCCESS (0x0000000000000000)',
    ])
      expect(calls).toContain(call);
    // the Linux guest never meets the handler's split
    expect(
      [...callsReached(huge('huge-map', 'nopin'))].some((c) => c.includes('EEQ ACCEPT level=4K')),
    ).toBe(false);
  });

  it('a failed DEMOTE in the accept handler: nopin frees a frame the S-EPT maps (28 steps)', () => {
    const r = check(huge('huge-map', 'nopin', 'demote-fails=1', { accept: accept['4k'] }));
    expect(r.violation?.property).toBe('no-reuse-while-mapped');
    const trace = steps(r.violation!.trace);
    expect(trace).toHaveLength(29); // the initial state and 28 steps
    expect(trace.slice(2, 15)).toEqual([
      'vcpu0:guest access before ACCEPT',
      'vcpu0:kvm_mmu_faultin_pfn',
      'vcpu0:kvm_tdp_mmu_map',
      'vcpu0:tdx_sept_set_private_spte',
      'vcpu0:kvm_mmu_finish_page_fault',
      'vcpu0:tdx_vcpu_run',
      'vcpu0:TDG.MEM.PAGE.ACCEPT (retried after the fault)',
      'vcpu0:tdx_honor_guest_accept_level',
      'vcpu0:tdx_sept_remove_private_spte',
      'vcpu0:tdx_track',
      'vcpu0:kvm_make_all_cpus_request',
      'vcpu0:tdx_sept_split_private_spte',
      'vcpu0:tdx_honor_guest_accept_level',
    ]);
    expect(trace.at(-1)).toBe('host:alloc_pages');
  });

  it('accept-completes breaks where the guest’s page is held by a conversion that never ends (pin on convert)', () => {
    const model = huge('convert', 'pin');
    const r = check({
      ...model,
      invariants: [],
      liveness: model.liveness!.filter((p) => p.name.startsWith('accept-completes')),
    });
    expect([r.violation?.property, r.violation?.kind, r.violation?.trace.length]).toEqual([
      'accept-completes@gfn0',
      'liveness',
      17,
    ]);
  });
});
