import {
  defaultScenario,
  gfnRange,
  pagesParam,
  vcpusParam,
  type ScenarioFamily,
} from './family.js';

/** Two vCPUs by default fault the same page while the VMM punches it out; a SEAMCALL may find a
 * lock held by a vCPU in the guest (TDX_OPERAND_BUSY). Wider: every vCPU faults every page. */
export const contentionFamily: ScenarioFamily = {
  name: 'contention',
  doc: 'Two vCPUs on one page, punch hole racing their faults, one TDX_OPERAND_BUSY.',
  params: { vcpus: vcpusParam(2), pages: pagesParam(1) },
  build: ({ vcpus, pages }) => ({
    name: 'contention',
    doc: contentionFamily.doc,
    gfns: pages!,
    hugeFolio: 1,
    vcpus: vcpus!,
    guestGfns: gfnRange(0, pages!),
    ops: [{ op: 'punch-hole', gfns: gfnRange(0, pages!) }, { op: 'teardown' }],
    faults: { busy: 1 },
  }),
};

export const contention = defaultScenario(contentionFamily);
