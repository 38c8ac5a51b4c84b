import type { Params } from '../engine/index.js';
import type { Scenario } from '../kernel/config.js';
import {
  defaultScenario,
  demoteInterruptibleParam,
  faultParams,
  faultsOf,
  hugeFaultKinds,
  folioPagesParam,
  gfnRange,
  spareBlocksParam,
  vcpusParam,
  type ScenarioFamily,
} from './family.js';

/** One HugeTLB folio of `folio-pages` subpages (2 by default; each stands for a 4 KiB page of
 * the real folio's 512), all private and used by the guest; the guest converts the second to
 * shared (splitting the folio), the VMM does I/O on it, and it goes back. */
export const convertFamily: ScenarioFamily = {
  name: 'convert',
  doc: 'One huge folio (2 subpages by default): partial conversion to shared (split), GUP I/O, back to private (merge), teardown.',
  params: {
    vcpus: vcpusParam(1),
    'folio-pages': folioPagesParam(),
    'spare-blocks': spareBlocksParam(),
    'demote-interruptible': demoteInterruptibleParam(),
  },
  build: (p) => ({
    ...partialConversion('convert', convertFamily.doc, p),
    ...(p['spare-blocks'] ? { spareBlocks: p['spare-blocks'] } : {}),
    // guest_memfd's own conversion ioctl and HugeTLB split/merge: only conversion-rfc has both
    needs: ['in-place-conversion', 'hugetlb'],
  }),
};

/** The conversion both families script: the guest uses every page of the folio, page 1 goes
 * shared, the VMM does I/O on it, it goes back to private, teardown. */
function partialConversion(name: string, doc: string, p: Params): Scenario {
  const pages = p['folio-pages'] as number;
  return {
    name,
    doc,
    gfns: pages,
    hugeFolio: pages,
    vcpus: p.vcpus as number,
    ...(p['demote-interruptible'] ? { demoteInterruptible: true } : {}),
    guestGfns: gfnRange(0, pages),
    ops: [
      { op: 'to-shared', gfns: [1] },
      { op: 'gup', gfn: 1 },
      { op: 'to-private', gfns: [1] },
      { op: 'teardown' },
    ],
    faults: {},
  };
}

/** `convert` on a 2M mapping (tree hugepage-v3; docs/plans/huge-pages.md 5.9): the guest uses
 * all N pages of a folio KVM mapped with one 2M leaf; page 1 goes shared (the 2M leaf split:
 * BLOCK, TRACK, kick, DEMOTE; page 1 zapped; invalidate_end; the folio split to 4K folios), the
 * VMM does GUP I/O on it, it goes back to private (the folio merged; the mapping stays 4K: no
 * promotion, [hp-v3] 06), teardown. Faults as parameters. */
export const hugeConvertFamily: ScenarioFamily = {
  name: 'huge-convert',
  doc: 'A 2M-mapped huge folio: one page to shared (2M leaf split, folio split), GUP I/O, back to private (merge, mapping stays 4K), teardown.',
  params: {
    vcpus: vcpusParam(1),
    'folio-pages': folioPagesParam(),
    'demote-interruptible': demoteInterruptibleParam(),
    ...faultParams(hugeFaultKinds),
  },
  build: (p) => ({
    ...partialConversion('huge-convert', hugeConvertFamily.doc, p),
    faults: faultsOf(p, hugeFaultKinds),
    needs: ['in-place-conversion', 'hugetlb', 'huge-leaves'],
  }),
};

export const convert = defaultScenario(convertFamily);
export const hugeConvert = defaultScenario(hugeConvertFamily);
