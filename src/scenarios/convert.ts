import {
  defaultScenario,
  demoteInterruptibleParam,
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
  build: ({
    vcpus,
    'folio-pages': pages,
    'spare-blocks': spare,
    'demote-interruptible': interruptible,
  }) => ({
    name: 'convert',
    doc: convertFamily.doc,
    gfns: pages!,
    hugeFolio: pages!,
    ...(spare ? { spareBlocks: spare } : {}),
    ...(interruptible ? { demoteInterruptible: true } : {}),
    vcpus: vcpus!,
    guestGfns: gfnRange(0, pages!),
    ops: [
      { op: 'to-shared', gfns: [1] },
      { op: 'gup', gfn: 1 },
      { op: 'to-private', gfns: [1] },
      { op: 'teardown' },
    ],
    faults: {},
    // guest_memfd's own conversion ioctl and HugeTLB split/merge: only conversion-rfc has both
    needs: ['in-place-conversion', 'hugetlb'],
  }),
};

export const convert = defaultScenario(convertFamily);
