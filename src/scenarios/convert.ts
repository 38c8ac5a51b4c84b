import type { Scenario } from '../kernel/config.js';

/** One HugeTLB folio of two subpages, both private and used by the guest; the guest converts
 * the second to shared (splitting the folio), the VMM does I/O on it, and it goes back. */
export const convert: Scenario = {
  name: 'convert',
  doc: 'One huge folio (2 subpages): partial conversion to shared (split), GUP I/O, back to private (merge), teardown.',
  gfns: 2,
  hugeFolio: 2,
  vcpus: 1,
  guestGfns: [0, 1],
  ops: [{ op: 'to-shared', gfns: [1] }, { op: 'gup', gfn: 1 }, { op: 'to-private', gfns: [1] }, { op: 'teardown' }],
  faults: {},
};
