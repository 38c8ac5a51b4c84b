import { describe, expect, it } from 'vitest';
import { check, type Model } from '../../src/engine/index.js';
import { parseFaults, systemModel, vcpuOrbitSize } from '../../src/kernel/index.js';
import { policies } from '../../src/policies/index.js';
import { scenarioFamilies } from '../../src/scenarios/index.js';

/** The `--symmetry` run of the contention scenario with `vcpus` vCPUs, and the sum of the
 * orbit sizes of its states (an invariant sees each distinct state once). */
function reduced(vcpus: number): { states: number; inAll: number; plain: Model } {
  const { model, kernel } = systemModel({
    scenario: scenarioFamilies.contention!.build({ vcpus, pages: 1 }),
    policy: policies.nopin!,
    faults: parseFaults('busy=1'),
    hvo: false,
  });
  let inAll = 0;
  const counting: Model = {
    ...model,
    invariants: [
      ...(model.invariants ?? []),
      { name: 'orbit', doc: 'counts', check: (s) => ((inAll += vcpuOrbitSize(kernel, s)), true) },
    ],
  };
  const states = check(counting, { symmetry: true, liveness: false }).distinctStates;
  return { states, inAll, plain: model };
}

describe('vCPU symmetry: what a representative stands for', () => {
  it.each([
    [2, 5426, 9984],
    [3, 31668, 159820],
  ])(
    'contention with %i vCPUs: the orbit sizes of the %i states up to symmetry add up to the %i states in full',
    (vcpus, states, inAll) => {
      const r = reduced(vcpus);
      expect([r.states, r.inAll]).toEqual([states, inAll]);
      expect(check(r.plain, { liveness: false }).distinctStates).toBe(inAll);
    },
  );
});
