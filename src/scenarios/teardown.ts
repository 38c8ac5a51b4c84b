import type { Scenario } from '../kernel/config.js';

/** The guest uses two pages, then the VM is destroyed while the guest may still be running. */
export const teardown: Scenario = {
  name: 'teardown',
  doc: 'One vCPU using two pages, then VM teardown: zap, HKID release, RECLAIM.',
  gfns: 2,
  hugeFolio: 1,
  vcpus: 1,
  guestGfns: [0, 1],
  ops: [{ op: 'teardown' }],
  faults: {},
};
