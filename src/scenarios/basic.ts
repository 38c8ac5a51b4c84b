import {
  defaultScenario,
  gfnRange,
  pagesParam,
  vcpusParam,
  type ScenarioFamily,
} from './family.js';

/** One vCPU, two GFNs by default: the initial image (gfn 0) is added before finalize, the guest
 * accepts and writes the other pages, the VMM punches the first out, then tears the VM down. */
export const basicFamily: ScenarioFamily = {
  name: 'basic',
  doc: 'One vCPU, two 4 KiB pages: ADD, finalize, fault + accept + write, punch hole, teardown.',
  params: { vcpus: vcpusParam(1), pages: pagesParam(2, 2) },
  build: ({ vcpus, pages }) => ({
    name: 'basic',
    doc: basicFamily.doc,
    gfns: pages!,
    hugeFolio: 1,
    vcpus: vcpus!,
    guestGfns: gfnRange(1, pages!),
    ops: [
      { op: 'init-mem', gfn: 0 },
      { op: 'finalize' },
      { op: 'punch-hole', gfns: [0] },
      { op: 'teardown' },
    ],
    faults: {},
  }),
};

export const basic = defaultScenario(basicFamily);
