/**
 * Dynamic PAMT (module 2.0, src/kernel/tdx_pamt.ts) in the dpamt scenario: each of its
 * mutations breaking its property. The scenario's exact state counts and verdicts:
 * test/claims.test.ts (claims --huge); the v4 race: test/cli/system.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { buildSystem, parseFaults, type Mutation } from '../../src/kernel/index.js';
import { policies } from '../../src/policies/index.js';
import { dpamtFamily } from '../../src/scenarios/dpamt.js';
import { steps } from './helpers.js';

function dpamtRun(busy: number, faults: string, mutations: Mutation[], only?: string) {
  const scenario = dpamtFamily.build({ vcpus: 2, busy });
  const model = buildSystem({
    scenario,
    policy: policies.nopin!,
    faults: faults ? parseFaults(faults) : scenario.faults,
    hvo: false,
    mutations: new Set(mutations),
  });
  return check({
    ...model,
    invariants: model.invariants!.filter((i) => !only || i.name === only),
    ...(only ? { liveness: [] } : {}),
  });
}

describe('Dynamic PAMT (module 2.0)', () => {
  it('pamt-unlocked: two gets both PAMT.ADD, one put removes the pair under the other AUG', () => {
    const r = dpamtRun(1, '', ['pamt-unlocked']);
    expect(r.violation?.property).toBe('no-bug-without-fault');
    expect(steps(r.violation!.trace).slice(-6)).toEqual([
      'vcpu1:tdx_pamt_get', // refcount 0: on to PAMT.ADD without pamt_lock
      'vcpu0:tdx_pamt_get', // PAMT.ADD: TDX_SUCCESS, refcount 1
      'vcpu1:tdx_pamt_get', // PAMT.ADD: TDX_HPA_RANGE_NOT_FREE, refcount 1 (not 2)
      'vcpu0:tdx_sept_set_private_spte', // AUG BUSY, put: refcount 0
      'vcpu0:tdx_pamt_put', // PAMT.REMOVE: TDX_SUCCESS, the pair freed
      'vcpu1:tdx_sept_set_private_spte', // AUG: TDX_MISSING_PAMT_PAGE_PAIR, TDX_BUG_ON
    ]);
    expect(r.violation!.trace).toHaveLength(16);
  });

  it('pamt-put-on-zap-failure + pamt-free-despite-remove-error: the pair freed while the module uses it', () => {
    const both: Mutation[] = ['pamt-put-on-zap-failure', 'pamt-free-despite-remove-error'];
    const r = dpamtRun(0, 'remove-fails=1', both, 'pamt-page-in-use');
    expect(r.violation?.property).toBe('pamt-page-in-use');
    expect(steps(r.violation!.trace).at(-1)).toBe('vmm:tdx_sept_remove_private_spte');
    expect(r.violation!.trace).toHaveLength(14);
    // The put alone keeps the pair: PAMT.REMOVE refuses while the page is the TD's.
    expect(dpamtRun(0, 'remove-fails=1', both.slice(0, 1), 'pamt-page-in-use').result).toBe('ok');
  });
});
