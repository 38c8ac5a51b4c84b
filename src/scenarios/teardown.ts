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
  params: {
    vcpus: vcpusParam(1),
    pages: pagesParam(2),
    close: {
      default: 0,
      min: 0,
      max: 2,
      doc: 'which file the VMM closes first: 0 either, 1 the VM fd, 2 guest_memfd',
    },
  },
  build: ({ vcpus, pages, close }) => ({
    name: 'teardown',
    doc: teardownFamily.doc,
    gfns: pages!,
    hugeFolio: 1,
    vcpus: vcpus!,
    guestGfns: gfnRange(0, pages!),
    ops: [
      close
        ? { op: 'teardown', close: close === 1 ? 'vm-first' : 'gmem-first' }
        : { op: 'teardown' },
    ],
    faults: {},
  }),
};

export const teardown = defaultScenario(teardownFamily);
