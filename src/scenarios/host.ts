import type { Scenario, VmmOp } from '../kernel/config.js';

const gfns = [0, 1];

/** For checking a real host's log (septcheck validate): two vCPUs, two pages, and a VMM that
 * performs any of its operations, any number of times, in any order, until teardown. */
export const host: Scenario = {
  name: 'host',
  doc: 'Two vCPUs, two pages, a VMM free to add, finalize, punch, convert and tear down in any order.',
  gfns: gfns.length,
  hugeFolio: 1,
  vcpus: 2,
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
