import { describe, expect, it } from 'vitest';
import { callsReached, run, system } from './helpers.js';

/** The page-ext design (Yan Zhao's PAGE_EXT_FIRMWARE_IN_USE): a per-pfn mark outside the
 * vmemmap, refused by the allocator, present only when a page_ext client is enabled. */
describe('page-ext', () => {
  it('HVO does not affect it: a failed REMOVE in the huge folio leaks the frame, no invariant breaks (page-flag: the frame is reused while mapped)', () => {
    const pageExt = run({
      scenario: 'convert',
      policy: 'page-ext',
      faults: 'remove-fails=1',
      hvo: true,
      only: [],
    }).result;
    expect(pageExt).toMatchObject({ result: 'ok', distinctStates: 5276 });
    expect(pageExt.findings.map((f) => [f.kind, f.property, f.trace.length])).toEqual([
      ['leak', 'teardown-reclaims', 34],
    ]);
    const pageFlag = run({
      scenario: 'convert',
      policy: 'page-flag',
      faults: 'remove-fails=1',
      hvo: true,
      only: [],
    }).result;
    expect(pageFlag.violation?.property).toBe('no-reuse-while-mapped');
  });

  it('without a page_ext client nothing is marked: a failed REMOVE frees the frame the S-EPT maps, as with nopin', () => {
    const { result } = run({
      scenario: 'basic',
      policy: 'page-ext',
      faults: 'remove-fails=1',
      withoutPageExt: true,
    });
    expect(result).toMatchObject({ result: 'violation', distinctStates: 211 });
    expect(result.violation!.property).toBe('no-reuse-while-mapped');
    expect(result.violation!.trace).toHaveLength(14);
    const nopin = run({ scenario: 'basic', policy: 'nopin', faults: 'remove-fails=1' }).result;
    expect(nopin.distinctStates).toBe(211);
  });

  it('a to-shared conversion of a page still marked (its REMOVE failed) fails with -EFAULT', () => {
    const calls = callsReached(
      system({ scenario: 'convert', policy: 'page-ext', faults: 'remove-fails=1' }),
    );
    expect(calls).toContain('to shared, gfns 1 -> -EFAULT');
    const clean = callsReached(system({ scenario: 'convert', policy: 'page-ext' }));
    expect([...clean].filter((c) => c.includes('-EFAULT'))).toEqual([]);
  });

  it('the mutation split-copies-mark re-marks the converted subpage, which the allocator then refuses: a leak with no fault', () => {
    for (const policy of ['page-ext', 'page-flag']) {
      const { result } = run({ scenario: 'convert', policy, mutations: ['split-copies-mark'] });
      expect(result).toMatchObject({ result: 'ok', distinctStates: 4413 });
      expect(result.findings.map((f) => [f.kind, f.property, f.trace.length])).toEqual([
        ['leak', 'teardown-reclaims', 35],
      ]);
      const clean = run({ scenario: 'convert', policy }).result;
      expect(clean).toMatchObject({ result: 'ok', distinctStates: 4254, findings: [] });
    }
  });
});
