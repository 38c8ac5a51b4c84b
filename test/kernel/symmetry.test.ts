import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { contentionStatesInAll, contentionWith } from '../../bench/contention4.js';

// The count the bench gives for six vCPUs (docs/performance.md), checked where the plain search
// fits.
describe('vCPU symmetry: what a representative stands for', () => {
  it.each([
    [2, 5426, 9984],
    [3, 31668, 159820],
  ])(
    'contention with %i vCPUs: the orbit sizes of the %i states up to symmetry add up to the %i states in full',
    (vcpus, reduced, inAll) => {
      expect(contentionStatesInAll(vcpus)).toEqual({ reduced, inAll });
      expect(check(contentionWith(vcpus), { liveness: false }).distinctStates).toBe(inAll);
    },
  );
});
