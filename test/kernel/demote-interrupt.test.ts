import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { systemModel } from '../../src/kernel/index.js';
import { policies } from '../../src/policies/index.js';
import { scenarioFamilies } from '../../src/scenarios/index.js';
import { steps } from './helpers.js';

/** `convert` on hugepage-v3 with a module without ENHANCED_DEMOTE_INTERRUPTIBILITY. */
function convert(interruptible: number) {
  const { model } = systemModel({
    scenario: scenarioFamilies.convert!.build({
      vcpus: 1,
      'folio-pages': 2,
      'spare-blocks': 0,
      'demote-interruptible': interruptible,
    }),
    policy: policies.nopin!,
    faults: {},
    hvo: false,
    tree: 'hugepage-v3',
  });
  return model;
}

describe('DEMOTE interrupted (TDX_INTERRUPTED_RESTARTABLE, --param demote-interruptible=1)', () => {
  it('an interrupt storm keeps the split, hence the conversion, from finishing: a 14-step lasso', () => {
    const r = check(convert(1));
    const v = r.violation!;
    expect([v.kind, v.property, v.trace.length, v.loopStart]).toEqual([
      'liveness',
      'conversion-completes@op0',
      15,
      13,
    ]);
    expect(steps(v.trace).slice(-5)).toEqual([
      'vmm:tdx_track',
      'vmm:kvm_make_all_cpus_request',
      'vcpu0:tdx_vcpu_run',
      'vmm:tdx_sept_split_private_spte',
      'vmm:tdx_sept_split_private_spte',
    ]);
    // the loop is the DEMOTE alone, interrupted each time: nothing committed
    const loop = v.trace[v.loopStart!]!;
    expect(Array.from(v.trace.at(-1)!.state)).toEqual(Array.from(loop.state));
  });

  it('off by default (a module with ENHANCED_DEMOTE_INTERRUPTIBILITY): the run holds, as before', () => {
    const off = check(convert(0));
    expect([off.result, off.distinctStates]).toEqual(['ok', 2379]);
  });
});
