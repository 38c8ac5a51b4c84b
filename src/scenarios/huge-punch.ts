import {
  defaultScenario,
  faultParams,
  faultsOf,
  folioPagesParam,
  gfnRange,
  vcpusParam,
  type ScenarioFamily,
} from './family.js';

const faults = ['transient-refs', 'busy', 'remove-fails', 'block-fails', 'wbinvd-fails'] as const;

/** Punch hole of a 2M-mapped huge folio (tree hugepage-v3; docs/plans/huge-pages.md 5.9): the
 * guest uses every page; the VMM first punches one page, which a HugeTLB guest_memfd refuses
 * (-EINVAL, huge-pages.md G1), then the whole folio while the other vCPU may fault on it: the
 * 2M zap (BLOCK, TRACK, kick, REMOVE, WBINVD of each page), then merge_truncate_range, -EAGAIN
 * while a fault (or a transient reference) holds the folio, punched again (G2); teardown.
 * Faults as parameters (none by default). */
export const hugePunchFamily: ScenarioFamily = {
  name: 'huge-punch',
  doc: 'A 2M-mapped huge folio: a one-page punch (-EINVAL), then the whole folio punched while a vCPU may fault on it (-EAGAIN, again), teardown.',
  params: {
    vcpus: vcpusParam(2),
    'folio-pages': folioPagesParam(),
    ...faultParams(faults),
  },
  build: (p) => {
    const pages = p['folio-pages']!;
    return {
      name: 'huge-punch',
      doc: hugePunchFamily.doc,
      gfns: pages,
      hugeFolio: pages,
      vcpus: p.vcpus!,
      guestGfns: gfnRange(0, pages),
      ops: [
        { op: 'punch-hole', gfns: [1] },
        { op: 'punch-hole', gfns: gfnRange(0, pages) },
        { op: 'teardown' },
      ],
      faults: faultsOf(p, faults),
      needs: ['hugetlb', 'huge-leaves'],
    };
  },
};

export const hugePunch = defaultScenario(hugePunchFamily);
