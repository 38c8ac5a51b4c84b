import { acceptLevels } from '../kernel/config.js';
import {
  defaultScenario,
  demoteInterruptibleParam,
  faultParams,
  faultsOf,
  folioPagesParam,
  hugeFaultKinds,
  gfnRange,
  vcpusParam,
  type ScenarioFamily,
} from './family.js';

/** One HugeTLB folio of `folio-pages` pages (standing for a 2M page's 512) on a finalized TD:
 * the guest accepts the range at its `accept` level (by default a Linux guest: 2M first, 4K if
 * that fails) and writes every page, KVM maps it at 2M where it can (a 4K ACCEPT splits it and
 * inhibits 2M), and the VMM tears the VM down (the 2M zap, the table pages' RECLAIM). Tree
 * hugepage-v3 only (docs/huge-pages.md). */
export const hugeMapFamily: ScenarioFamily = {
  name: 'huge-map',
  doc: 'One huge folio on a running TD: the guest accepts it (2M, else 4K) and writes it, KVM maps 2M, teardown zaps and reclaims it.',
  params: {
    vcpus: vcpusParam(1),
    'folio-pages': folioPagesParam(),
    accept: {
      default: 0,
      min: 0,
      max: acceptLevels.length - 1,
      values: acceptLevels,
      doc: "the guest's accept level: linux (2M, then 4K if that fails), 2m, 4k, or either (a choice per range); all but linux may touch a page before accepting it",
    },
    'demote-interruptible': demoteInterruptibleParam(),
    ...faultParams(hugeFaultKinds),
  },
  build: (p) => ({
    name: 'huge-map',
    doc: hugeMapFamily.doc,
    gfns: p['folio-pages']!,
    hugeFolio: p['folio-pages']!,
    vcpus: p.vcpus!,
    guestGfns: gfnRange(0, p['folio-pages']!),
    ops: [{ op: 'teardown' }],
    faults: faultsOf(p, hugeFaultKinds),
    ...(p['demote-interruptible'] ? { demoteInterruptible: true } : {}),
    needs: ['hugetlb', 'huge-leaves'],
    ...(p.accept ? { acceptLevel: acceptLevels[p.accept]! } : {}),
  }),
};

export const hugeMap = defaultScenario(hugeMapFamily);
