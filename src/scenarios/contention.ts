import type { Scenario } from '../kernel/config.js';

/** Two vCPUs fault the same page while the VMM punches it out; a SEAMCALL may find a lock held
 * by a vCPU in the guest (TDX_OPERAND_BUSY). */
export const contention: Scenario = {
  name: 'contention',
  doc: 'Two vCPUs on one page, punch hole racing their faults, one TDX_OPERAND_BUSY.',
  gfns: 1,
  hugeFolio: 1,
  vcpus: 2,
  guestGfns: [0],
  ops: [{ op: 'punch-hole', gfns: [0] }, { op: 'teardown' }],
  faults: { busy: 1 },
};
