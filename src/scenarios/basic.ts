import type { Scenario } from '../kernel/config.js';

/** One vCPU, two GFNs: the initial image is added before finalize, the guest accepts and
 * writes the other page, the VMM punches the first out, then tears the VM down. */
export const basic: Scenario = {
  name: 'basic',
  doc: 'One vCPU, two 4 KiB pages: ADD, finalize, fault + accept + write, punch hole, teardown.',
  gfns: 2,
  hugeFolio: 1,
  vcpus: 1,
  guestGfns: [1],
  ops: [{ op: 'init-mem', gfn: 0 }, { op: 'finalize' }, { op: 'punch-hole', gfns: [0] }, { op: 'teardown' }],
  faults: {},
};
