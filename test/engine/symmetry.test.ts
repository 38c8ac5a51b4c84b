import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import counters from '../../examples/counters.js';
import hanoi from '../../examples/hanoi.js';
import { system } from '../kernel/helpers.js';

const binomial = (n: number, r: number): number => (r === 0 ? 1 : (binomial(n - 1, r - 1) * n) / r);

describe('symmetry reduction', () => {
  it.each([
    [3, 3],
    [4, 3],
    [5, 2],
    [3, 5],
  ])('%i counters modulo %i: k^n states in full, C(n+k-1, n) up to symmetry', (n, k) => {
    expect(check(counters.build({ n, k })).distinctStates).toBe(k ** n);
    expect(check(counters.build({ n, k }), { symmetry: true }).distinctStates).toBe(
      binomial(n + k - 1, n),
    );
  });

  it('the TDX system with two interchangeable vCPUs: 9,984 states in full, 5,426 up to symmetry, the same verdict', () => {
    expect(check(system({ scenario: 'contention', faults: 'busy=1' }))).toMatchObject({
      result: 'ok',
      distinctStates: 9984,
    });
    expect(
      check(system({ scenario: 'contention', faults: 'busy=1' }), { symmetry: true }),
    ).toMatchObject({ result: 'ok', distinctStates: 5426 });
  });

  it('finds the same violation, as short', () => {
    const full = check(system({ scenario: 'contention', faults: 'remove-fails=1' })).violation!;
    const reduced = check(system({ scenario: 'contention', faults: 'remove-fails=1' }), {
      symmetry: true,
    }).violation!;
    expect(reduced.property).toBe(full.property);
    expect(reduced.trace).toHaveLength(full.trace.length);
  });

  it('a model without symmetry says so', () => {
    expect(() => check(hanoi.build({ disks: 3 }), { symmetry: true })).toThrow(
      'symmetry reduction asked for, but the model declares no symmetry (canonical)',
    );
  });
});
