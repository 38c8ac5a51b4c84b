import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import hanoi from '../../examples/hanoi.js';
import puzzle8 from '../../examples/puzzle8.js';
import peterson from '../../examples/peterson.js';
import naiveMutex from '../../examples/naive-mutex.js';
import philosophers from '../../examples/philosophers.js';

const steps = (r: ReturnType<typeof check>) =>
  r.violation!.trace.map((t) => (t.action ? `${t.process}:${t.action}` : 'init'));

describe('bundled examples', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'hanoi with %i disks has exactly 3^n states and depth 2^n - 1',
    (disks) => {
      const r = check(hanoi.build({ disks }));
      expect(r.result).toBe('ok');
      expect(r.distinctStates).toBe(3 ** disks);
      expect(r.depth).toBe(2 ** disks - 1);
    },
  );

  it('hanoi with 3 disks has 3 * (3^n - 1) transitions (each legal move of the Sierpinski graph both ways)', () => {
    expect(check(hanoi.build({ disks: 3 })).transitions).toBe(78);
  });

  it('the 8-puzzle reaches exactly 181,440 boards from the solved one, the farthest 31 moves away', () => {
    const r = check(puzzle8.build({}));
    expect(r).toMatchObject({
      result: 'ok',
      distinctStates: 181440,
      transitions: 483840,
      depth: 31,
    });
  });

  it('peterson keeps mutual exclusion and every waiting process gets in under weak fairness', () => {
    const r = check(peterson.build({}));
    expect(r).toMatchObject({ result: 'ok', distinctStates: 34, transitions: 62 });
  });

  it('peterson without fairness: p0 waits forever while p1 runs round its loop (a lasso)', () => {
    const r = check(peterson.build({}), { fairness: false });
    expect(r.violation).toMatchObject({
      kind: 'liveness',
      property: 'p0-enters',
      loopStart: 1,
      fairness: [],
    });
    expect(steps(r)).toEqual([
      'init',
      'p0:want',
      'p1:want',
      'p1:raise flag',
      'p1:give turn',
      'p1:enter',
      'p1:leave',
    ]);
    const trace = r.violation!.trace;
    expect(Array.from(trace[trace.length - 1]!.state)).toEqual(Array.from(trace[1]!.state));
  });

  it('the naive mutex breaks mutual exclusion in 4 steps, the shortest way', () => {
    const r = check(naiveMutex.build({}));
    expect(r.violation).toMatchObject({ kind: 'invariant', property: 'mutual-exclusion' });
    expect(steps(r)).toEqual([
      'init',
      'p0:test lock',
      'p1:test lock',
      'p0:set lock',
      'p1:set lock',
    ]);
    expect(r.distinctStates).toBe(9);
  });

  it.each([2, 3, 5])('%i philosophers taking the left fork first deadlock after n steps', (n) => {
    const r = check(philosophers.build({ n }));
    expect(r.violation?.kind).toBe('deadlock');
    expect(steps(r)).toEqual([
      'init',
      ...Array.from({ length: n }, (_, i) => `phil${i}:take left`),
    ]);
  });

  it('philosophers without deadlock detection explore the whole graph', () => {
    expect(check(philosophers.build({ n: 5 }), { deadlock: false })).toMatchObject({
      result: 'ok',
      distinctStates: 82,
    });
  });
});
