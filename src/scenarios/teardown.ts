import {
  defaultScenario,
  gfnRange,
  pagesParam,
  vcpusParam,
  type ScenarioFamily,
} from './family.js';

/** The guest uses its pages (two by default), then the VM is destroyed while the guest may still
 * be running. */
export const teardownFamily: ScenarioFamily = {
  name: 'teardown',
  doc: 'One vCPU using two pages, then VM teardown: zap, HKID release, RECLAIM.',
  params: { vcpus: vcpusParam(1), pages: pagesParam(2) },
  build: ({ vcpus, pages }) => ({
    name: 'teardown',
    doc: teardownFamily.doc,
    gfns: pages!,
    hugeFolio: 1,
    vcpus: vcpus!,
    guestGfns: gfnRange(0, pages!),
    ops: [{ op: 'teardown' }],
    faults: {},
  }),
};

export const teardown = defaultScenario(teardownFamily);
