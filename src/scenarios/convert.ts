import { defaultScenario, vcpusParam, type ScenarioFamily } from './family.js';

/** One HugeTLB folio of two subpages, both private and used by the guest; the guest converts
 * the second to shared (splitting the folio), the VMM does I/O on it, and it goes back. The
 * folio is always two subpages (a simplification, see docs/system-model.md), so only the vCPUs
 * can be set. */
export const convertFamily: ScenarioFamily = {
  name: 'convert',
  doc: 'One huge folio (2 subpages): partial conversion to shared (split), GUP I/O, back to private (merge), teardown.',
  params: { vcpus: vcpusParam(1) },
  build: ({ vcpus }) => ({
    name: 'convert',
    doc: convertFamily.doc,
    gfns: 2,
    hugeFolio: 2,
    vcpus: vcpus!,
    guestGfns: [0, 1],
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
