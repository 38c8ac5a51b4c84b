import type { VmmOp } from '../kernel/config.js';
import {
  defaultScenario,
  gfnRange,
  pagesParam,
  spareBlocksParam,
  vcpusParam,
  type ScenarioFamily,
} from './family.js';

/** For checking a real host's log (septcheck validate): two vCPUs, two pages by default, and a
 * VMM that performs any of its operations, any number of times, in any order, until teardown. */
export const hostFamily: ScenarioFamily = {
  name: 'host',
  doc: 'Two vCPUs, two pages, a VMM free to add, finalize, punch, convert and tear down in any order.',
  params: { vcpus: vcpusParam(2), pages: pagesParam(2), 'spare-blocks': spareBlocksParam() },
  build: ({ vcpus, pages, 'spare-blocks': spare }) => {
    const gfns = gfnRange(0, pages!);
    return {
      name: 'host',
      doc: hostFamily.doc,
      gfns: gfns.length,
      hugeFolio: 1,
      ...(spare ? { spareBlocks: spare } : {}),
      vcpus: vcpus!,
      guestGfns: gfns,
      vmm: 'any',
      ops: [
        ...gfns.map((gfn): VmmOp => ({ op: 'init-mem', gfn })),
        { op: 'finalize' },
        ...gfns.flatMap((g): VmmOp[] => [
          { op: 'punch-hole', gfns: [g] },
          { op: 'to-shared', gfns: [g] },
          { op: 'to-private', gfns: [g] },
        ]),
        { op: 'teardown' },
      ],
      faults: {},
    };
  },
};

export const host = defaultScenario(hostFamily);
