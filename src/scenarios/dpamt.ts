import {
  defaultScenario,
  faultParams,
  faultsOf,
  gfnRange,
  vcpusParam,
  type ScenarioFamily,
} from './family.js';

/** The faults dpamt takes as parameters (busy=1 by default, the race it is about). */
const dpamtFaultKinds = ['busy', 'remove-fails', 'wbinvd-fails', 'transient-refs'] as const;

/** Dynamic PAMT (module 2.0; docs/plans/huge-pages.md 5.9): two 4 KiB folios whose frames share
 * one 2M physical range, so one PAMT page pair and one kernel refcount serve both. The vCPUs
 * fault the pages (tdx_pamt_get before each AUG, tdx_pamt_put when it fails BUSY), the VMM
 * punches gfn 0 out racing the faults (REMOVE, WBINVD, reset, tdx_pamt_put), and teardown
 * zaps the rest: the last put's PAMT.REMOVE gives the pair back. */
export const dpamtFamily: ScenarioFamily = {
  name: 'dpamt',
  doc: 'Module 2.0: two vCPUs fault two pages of one 2M range (tdx_pamt_get/put), punch hole, teardown.',
  params: {
    vcpus: vcpusParam(2),
    ...faultParams(dpamtFaultKinds),
    busy: { default: 1, min: 0, max: 3, doc: 'TDX_OPERAND_BUSY answers a SEAMCALL may get' },
  },
  build: (p) => ({
    name: 'dpamt',
    doc: dpamtFamily.doc,
    gfns: 2,
    hugeFolio: 1,
    vcpus: p.vcpus!,
    guestGfns: gfnRange(0, 2),
    // vCPU c faults gfn c % 2: two GFNs, each faulted by its own vCPU (a third vCPU joins gfn 0)
    vcpuGfns: Array.from({ length: p.vcpus! }, (_, c) => [c % 2]),
    ops: [{ op: 'punch-hole', gfns: [0] }, { op: 'teardown' }],
    faults: faultsOf(p, dpamtFaultKinds),
    needs: ['dpamt'],
  }),
};

export const dpamt = defaultScenario(dpamtFamily);
