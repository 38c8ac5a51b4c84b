import { describe, expect, it } from 'vitest';
import type { Mutation } from '../../src/kernel/index.js';
import { run } from './helpers.js';

/** Every property fails on a deliberately broken model: none is one that cannot fail. */
describe('each property catches its mutation', () => {
  const cases: Array<[string, string, string, Mutation, string, number]> = [
    ['no-reuse-while-mapped', 'basic', 'nopin', 'truncate-before-unmap', 'invariant', 7],
    ['flush-and-clear-before-reuse', 'basic', 'nopin', 'skip-wbinvd', 'invariant', 15],
    ['no-private-and-shared-at-once', 'convert', 'nopin', 'convert-without-zap', 'invariant', 11],
    ['refcount-sane', 'basic', 'nopin', 'double-put', 'invariant', 26],
    ['guest-data-kept', 'convert', 'nopin', 'zap-whole-folio', 'invariant', 23],
    ['teardown-reclaims', 'basic', 'pin', 'no-unpin-after-remove', 'leak', 29],
    ['conversion-completes@op0', 'convert', 'nopin', 'split-expects-zero', 'liveness', 10],
    ['split-completes', 'convert', 'nopin', 'split-expects-zero', 'liveness', 10],
    ['punch-hole-completes', 'basic', 'nopin', 'truncate-waits-for-zero', 'liveness', 16],
    ['teardown-completes', 'teardown', 'nopin', 'stop-without-kick', 'liveness', 6],
    ['fault-served', 'basic', 'nopin', 'invalidate-end-leaks', 'liveness', 21],
    ['vmm-completes', 'basic', 'nopin', 'truncate-waits-for-zero', 'liveness', 16],
  ];
  it.each(cases)(
    '%s (%s, %s, mutation %s)',
    (property, scenario, policy, mutation, kind, length) => {
      const isLiveness = kind === 'liveness';
      const { result } = run({
        scenario,
        policy,
        mutations: [mutation],
        ...(isLiveness ? { only: [property] } : {}),
      });
      const found = result.violation ?? result.findings[0];
      expect(found).toMatchObject({ kind, property });
      expect(found!.trace).toHaveLength(length);
      // And the same check on the unbroken model passes.
      const clean = run({ scenario, policy, ...(isLiveness ? { only: [property] } : {}) }).result;
      expect(clean.result).toBe(scenario === 'convert' && policy === 'pin' ? 'violation' : 'ok');
      expect(clean.findings).toEqual([]);
    },
  );
});
