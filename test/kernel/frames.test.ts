/**
 * Frames apart from GFNs (src/kernel/frames.ts): which frame backs a GFN, lowest-free
 * allocation of blocks where a scenario has spare blocks, and frame = GFN where it has none.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { buildSystem, parseFaults } from '../../src/kernel/index.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { kvm_gmem_mapping_order } from '../../src/kernel/guest_memfd.js';
import {
  ATTR_PRIVATE,
  ATTR_SHARED,
  OWNER_FREE,
  OWNER_GMEM,
  OWNER_HOST,
} from '../../src/kernel/vars.js';
import { policies } from '../../src/policies/index.js';
import { scenarioFamilies, scenarios } from '../../src/scenarios/index.js';
import { transitions } from './helpers.js';

const config = (family: string, params: Record<string, number>) => ({
  scenario: scenarioFamilies[family]!.build({
    ...Object.fromEntries(
      Object.entries(scenarioFamilies[family]!.params).map(([k, p]) => [k, p.default]),
    ),
    ...params,
  }),
  policy: policies.nopin!,
  faults: parseFaults(''),
  hvo: false,
});

describe('frames apart from GFNs', () => {
  it('every bundled scenario keeps frame = GFN: no folio.block variable, no spare frame', () => {
    for (const scenario of Object.values(scenarios)) {
      const k = new Kernel({ scenario, policy: policies.nopin!, faults: {}, hvo: false });
      expect([scenario.name, k.v.folioBlock === k.v.zero, k.frameCount]).toEqual([
        scenario.name,
        true,
        scenario.gfns,
      ]);
    }
  });

  it('convert with a spare block: the folio gets the lowest free 2-frame block', () => {
    const k = new Kernel(config('convert', { 'spare-blocks': 1 }));
    const v = k.v;
    const s = buildSystem(k.config).initial()[0]!;
    expect([k.frameCount, k.frameOf(s, 0), k.frameOf(s, 1)]).toEqual([4, 0, 1]);
    // The host holds frame 1: block 0 is not free, so the folio goes to block 2.
    s[v.owner + 1] = OWNER_HOST;
    expect(k.mm.canAllocate(s, 1)).toBe(true);
    k.mm.allocate(s, 1);
    expect([k.frameOf(s, 0), k.frameOf(s, 1)]).toEqual([2, 3]);
    expect([s[v.owner + 2], s[v.owner + 3], s[v.refPageCache + 2], s[v.present + 0]]).toEqual([
      OWNER_GMEM,
      OWNER_GMEM,
      1,
      1,
    ]);
    // Without a spare block the folio waits for its own frames.
    const own = new Kernel(config('convert', {}));
    const t = buildSystem(own.config).initial()[0]!;
    t[own.v.owner + 1] = OWNER_HOST;
    expect(own.mm.canAllocate(t, 0)).toBe(false);
  });

  it('host (1 vCPU, 1 page) with a spare block: exact count, and the page is reallocated onto the spare frame', () => {
    const k = new Kernel(config('host', { vcpus: 1, pages: 1, 'spare-blocks': 1 }));
    const model = buildSystem(k.config);
    const writes = model.actions.map((a) => new Set(a.writes));
    const undeclared = new Set<string>();
    let moved = 0;
    const key = (x: Uint8Array) => Buffer.from(x).toString('latin1');
    const states = new Set(model.initial().map(key));
    for (const { s, action, next } of transitions(model)) {
      states.add(key(next));
      // Declared writes cover every change (the folio.block variable included).
      for (let i = 0; i < s.length; i++)
        if (s[i] !== next[i] && !writes[action]!.has(i))
          undeclared.add(`${model.actions[action]!.name}: ${k.v.names[i]}`);
      if (k.frameOf(next, 0) === 1 && next[k.v.present]) moved++;
    }
    expect([...undeclared]).toEqual([]);
    expect(states.size).toBe(16_049); // 3,487 without the spare block
    expect(moved).toBeGreaterThan(0);
  });

  it('a split HugeTLB folio goes back to the allocator only with its whole block (G6)', () => {
    const k = new Kernel(config('convert', {}));
    const v = k.v;
    const s = buildSystem(k.config).initial()[0]!;
    k.mm.allocate(s, 0);
    // kvm_gmem_convert_range's split: every piece has its own page-cache reference.
    s[v.folioSplit] = 1;
    s[v.refPageCache + 1] = 1;
    // Piece 1 leaves the page cache while piece 0 is still in it: frame 1 stays guest_memfd's.
    s[v.present + 1] = 0;
    k.mm.put(s, v.refPageCache, 1);
    expect([s[v.owner], s[v.owner + 1]]).toEqual([OWNER_GMEM, OWNER_GMEM]);
    s[v.present] = 0;
    k.mm.put(s, v.refPageCache, 0);
    expect([s[v.owner], s[v.owner + 1]]).toEqual([OWNER_FREE, OWNER_FREE]);
  });

  it('kvm_gmem_mapping_order: the huge order only for the whole, all-private HugeTLB folio (G5)', () => {
    const k = new Kernel(config('convert', { 'folio-pages': 4 }));
    const v = k.v;
    const s = buildSystem(k.config).initial()[0]!;
    const orders = () => [0, 1, 2, 3].map((g) => kvm_gmem_mapping_order(k, s, g));
    expect(orders()).toEqual([0, 0, 0, 0]); // not allocated yet
    for (let g = 0; g < 4; g++) s[v.present + g] = 1;
    expect(orders()).toEqual([1, 1, 1, 1]);
    s[v.attr + 2] = ATTR_SHARED;
    expect(orders()).toEqual([0, 0, 0, 0]);
    s[v.attr + 2] = ATTR_PRIVATE;
    s[v.folioSplit] = 1;
    expect(orders()).toEqual([0, 0, 0, 0]);
    const basic = new Kernel(config('basic', {}));
    expect(kvm_gmem_mapping_order(basic, buildSystem(basic.config).initial()[0]!, 0)).toBe(0);
  });
});

describe('the S-EPT records the frame it maps (where folios move)', () => {
  it('a GFN whose folio moved to another block while the S-EPT still maps it is looked up on the mapped frame', () => {
    const k = new Kernel(config('host', { vcpus: 1, pages: 1, 'spare-blocks': 1 }));
    const v = k.v;
    const t = new Uint8Array(v.size);
    v.initial(t);
    t[v.tdOpState] = 1; // RUNNABLE
    expect(k.seam.pageAug(t, 0, k.frameOf(t, 0))).toBe(1); // TDX_SUCCESS: gfn 0 -> frame 0
    // the folio truncated and reallocated on the spare block while the entry stays (a failed zap)
    t[v.folioBlock] = 1;
    expect([k.frameOf(t, 0), k.seam.mappedFrame(t, 0)]).toEqual([1, 0]);
  });

  it('host with a spare block and a failed REMOVE: the frame the S-EPT maps is the kept one, so reclaim-after-teardown holds (it read the new block before: a false no-reuse-while-mapped)', () => {
    const model = buildSystem({
      ...config('host', { vcpus: 1, pages: 1, 'spare-blocks': 1 }),
      policy: policies['reclaim-after-teardown']!,
      faults: parseFaults('remove-fails=1'),
    });
    const r = check({ ...model, liveness: [] });
    expect([r.result, r.distinctStates]).toEqual(['ok', 23_902]);
  });

  it('convert on hugepage-v3 with a spare block runs (the 2M leaf records its block)', () => {
    const k = new Kernel({ ...config('convert', { 'spare-blocks': 1 }), tree: 'hugepage-v3' });
    expect([k.v.septFrame === k.v.zero, k.v.sept2mBlock === k.v.zero]).toEqual([false, false]);
  });
});
