import { describe, expect, it } from 'vitest';
import { check, defineModel, simulate, type Action, type Model } from '../../src/engine/index.js';
import { collisionProbability } from '../../src/engine/fingerprint.js';
import { VisitedSet } from '../../src/engine/visited.js';
import { Search } from '../../src/engine/search.js';
import hanoi from '../../examples/hanoi.js';
import puzzle8 from '../../examples/puzzle8.js';
import naiveMutex from '../../examples/naive-mutex.js';

/** x counts 0..limit-1 and wraps; `done` is set by `finish`, enabled only when x is 1. */
function toggler(finishFairness: 'weak' | 'strong' | undefined, limit = 2): Model {
  const actions: Action[] = [
    {
      name: 'tick',
      process: 'clock',
      fairness: 'weak',
      next: (s, out) => void (s[1] === 0 && (out.next()[0] = (s[0]! + 1) % limit)),
    },
    {
      name: 'finish',
      process: 'worker',
      ...(finishFairness ? { fairness: finishFairness } : {}),
      next: (s, out) => void (s[0] === 1 && s[1] === 0 && (out.next()[1] = 1)),
    },
  ];
  return {
    stateSize: 2,
    initial: () => [new Uint8Array(2)],
    actions,
    isFinal: (s) => s[1] === 1,
    liveness: [
      { name: 'finishes', doc: 'never finishes', kind: 'eventually', p: (s) => s[1] === 1 },
    ],
  };
}

describe('breadth-first search', () => {
  it('is deterministic: the same model gives the same counts and counterexample', () => {
    const a = check(naiveMutex.build({}));
    const b = check(naiveMutex.build({}));
    expect({ ...b, seconds: 0, statesPerSecond: 0 }).toEqual({
      ...a,
      seconds: 0,
      statesPerSecond: 0,
    });
  });

  it('stops at --max-states with result incomplete and says so', () => {
    const r = check(hanoi.build({ disks: 8 }), { maxStates: 1000 });
    expect(r.result).toBe('incomplete');
    expect(r.stoppedBy).toBe('max-states');
    expect(r.distinctStates).toBeGreaterThanOrEqual(1000);
    expect(r.distinctStates).toBeLessThan(6561);
  });

  it('--max-states N stops with exactly N states known; a model of exactly N states completes', () => {
    for (const n of [1, 10, 11, 14, 1000])
      expect(check(hanoi.build({ disks: 8 }), { maxStates: n })).toMatchObject({
        result: 'incomplete',
        stoppedBy: 'max-states',
        distinctStates: n,
      });
    // Hanoi with 2 disks has 9 states.
    expect(check(hanoi.build({ disks: 2 }), { maxStates: 9 })).toMatchObject({
      result: 'ok',
      distinctStates: 9,
    });
    expect(check(hanoi.build({ disks: 2 }), { maxStates: 8 })).toMatchObject({
      result: 'incomplete',
      distinctStates: 8,
    });
  });

  it('stops at --max-depth with result incomplete and explores exactly the states within it', () => {
    // Hanoi with 2 disks: 1 state at depth 0, 2 at depth 1, 2 at depth 2 (moves of the big disk need the small one out of the way).
    const r = check(hanoi.build({ disks: 2 }), { maxDepth: 1 });
    expect(r).toMatchObject({ result: 'incomplete', stoppedBy: 'max-depth', distinctStates: 3 });
  });

  it('a model that throws in an action is reported with the action and the state', () => {
    const bad: Model = {
      stateSize: 1,
      initial: () => [new Uint8Array(1)],
      actions: [
        {
          name: 'explode',
          process: 'p',
          next: () => {
            throw new Error('boom');
          },
        },
      ],
    };
    expect(() => check(bad)).toThrow('action "explode" (process p) threw: boom in state [0]');
  });

  it('estimates the collision probability the way TLC does', () => {
    expect(collisionProbability(1e6, 3e6)).toBeCloseTo((1e6 * 2e6) / 2 ** 64, 20);
    expect(collisionProbability(10, 10)).toBe(0);
  });
});

describe('partitions (the parallel search)', () => {
  it('every wide level moved into partitions and back: the search goes on as if it never left', () => {
    const model = puzzle8.build({});
    const search = new Search(model, {});
    let moved = 0;
    while (search.nextState()) {
      const [from, to] = search.levelRange;
      if (from === search.levelStart && to - from >= 2048) {
        const parts = search.partition(3);
        expect(parts.reduce((n, p) => n + p.count, 0)).toBe(to - from);
        search.unpartition(parts);
        moved++;
      }
      search.expandNext();
    }
    // Timing, and the peak of the tables (the partitions' and the store's at once).
    const { seconds: _s, statesPerSecond: _r, bytesPerState: _b, ...after } = search.finish();
    const { seconds: _t, statesPerSecond: _q, bytesPerState: _c, ...alone } = check(model);
    expect(moved).toBe(14);
    expect(after).toEqual(alone);
  });
});

describe('visited set', () => {
  it('keeps every fingerprint and its id across growth and finds each again', () => {
    const v = new VisitedSet(16, { kind: 'ids' });
    for (let i = 0; i < 50_000; i++) expect(v.findOrInsert(i * 7919, i ^ 0x5bd1e995, i)).toBe(-1);
    for (let i = 0; i < 50_000; i++) expect(v.findOrInsert(i * 7919, i ^ 0x5bd1e995, -5)).toBe(i);
    expect(v.size).toBe(50_000);
  });

  it('without ids, tells known from new; the fingerprint 0 is a fingerprint like any other', () => {
    const v = new VisitedSet(16);
    expect(v.findOrInsert(0, 0, 0)).toBe(-1);
    expect(v.findOrInsert(0, 1, 0)).toBe(0); // 0 halves are stored as 1: one fingerprint in 2^63
    expect(v.findOrInsert(7, 0, 0)).toBe(-1);
    expect(v.find(7, 0)).toBe(0);
    expect(v.find(7, 2)).toBe(-1);
    expect(v.size).toBe(2);
  });
});

describe('liveness under fairness', () => {
  it('weak fairness does not force an action that is enabled only every other state', () => {
    const r = check(toggler('weak'));
    expect(r.violation).toMatchObject({
      kind: 'liveness',
      property: 'finishes',
      loopStart: 0,
      fairness: ['WF(tick@clock)', 'WF(finish@worker)'],
    });
    expect(r.violation!.trace.map((t) => t.action)).toEqual([null, 'tick', 'tick']);
  });

  it('strong fairness does force it', () => {
    expect(check(toggler('strong')).result).toBe('ok');
  });

  it('an action that is never enabled is no help: the clock stutters around forever', () => {
    const r = check(toggler('strong', 1));
    expect(r.violation?.property).toBe('finishes');
  });

  it('always-eventually fails on a reachable cycle that avoids p for good', () => {
    const m = defineModel({
      name: 'ring',
      doc: '',
      build: () => ({
        stateSize: 1,
        initial: () => [new Uint8Array(1)],
        // 0 -> 1 -> 2 -> 1: after the first step, state 0 is never seen again.
        actions: [
          {
            name: 'step',
            fairness: 'weak',
            next: (s, out) => void (out.next()[0] = s[0] === 2 ? 1 : s[0]! + 1),
          },
        ],
        liveness: [
          {
            name: 'back-home',
            doc: 'never home again',
            kind: 'alwaysEventually',
            p: (s) => s[0] === 0,
          },
        ],
      }),
    }).build({});
    const r = check(m);
    expect(r.violation).toMatchObject({ property: 'back-home', loopStart: 1 });
    expect(r.violation!.trace.map((t) => t.state[0])).toEqual([0, 1, 2, 1]);
  });

  it('leads-to holds when every p-state is followed by q under fairness', () => {
    const r = check(toggler('strong'));
    expect(r.result).toBe('ok');
  });
});

describe('random simulation', () => {
  it('finds the naive mutex violation and is deterministic for a seed', () => {
    const a = simulate(naiveMutex.build({}), { runs: 100, depth: 20, seed: 7 });
    const b = simulate(naiveMutex.build({}), { runs: 100, depth: 20, seed: 7 });
    expect(a.violation?.property).toBe('mutual-exclusion');
    expect(b.violation!.trace.map((t) => t.action)).toEqual(
      a.violation!.trace.map((t) => t.action),
    );
    expect(b.runs).toBe(a.runs);
  });

  it('reports ok on a safe model', () => {
    expect(simulate(hanoi.build({ disks: 3 }), { runs: 10, depth: 50, seed: 1 })).toMatchObject({
      result: 'ok',
      runs: 10,
      steps: 500,
    });
  });
});

describe('the memory bound', () => {
  it('stops cleanly with result incomplete before the tables outgrow --max-memory', () => {
    const r = check(hanoi.build({ disks: 12 }), { maxMemory: 8 * 2 ** 20 });
    expect(r).toMatchObject({ result: 'incomplete', stoppedBy: 'max-memory' });
    expect(r.distinctStates * r.bytesPerState).toBeLessThanOrEqual(8 * 2 ** 20);
    // The visited table (2^19 slots, 4 MiB) may not double to 8 MiB beside itself: it fills past
    // three quarters (393,216) to seven eighths (458,752), and the batch under way ends the run.
    expect(r.distinctStates).toBe(458769);
  });

  it('counts the doubling of the visited table at its peak: 12 MiB for 4 and 8 MiB together', () => {
    const free = check(hanoi.build({ disks: 12 }));
    expect(free.distinctStates).toBe(3 ** 12);
    expect(free.distinctStates * free.bytesPerState).toBeGreaterThan(12 * 2 ** 20);
    const bounded = check(hanoi.build({ disks: 12 }), { maxMemory: 12 * 2 ** 20 });
    expect(bounded).toMatchObject({ result: 'incomplete', distinctStates: 458769 });
    expect(check(hanoi.build({ disks: 12 }), { maxMemory: 14 * 2 ** 20 }).result).toBe('ok');
  });
});
