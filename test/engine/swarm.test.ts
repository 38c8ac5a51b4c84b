import { describe, expect, it } from 'vitest';
import { shardSeed, swarmSearch } from '../../src/engine/index.js';
import hanoi from '../../examples/hanoi.js';
import naiveMutex from '../../examples/naive-mutex.js';

describe('a swarm member (bounded, seeded depth-first search)', () => {
  it('with room enough, visits every state: 3^4 for hanoi with 4 disks', () => {
    const r = swarmSearch(hanoi.build({ disks: 4 }), { seed: 7, maxStates: 1000, maxDepth: 1000 });
    expect(r).toMatchObject({ result: 'ok', distinctStates: 81 });
  });

  it('stops at its bound with result incomplete', () => {
    const r = swarmSearch(hanoi.build({ disks: 8 }), { seed: 7, maxStates: 500, maxDepth: 10_000 });
    expect(r).toMatchObject({ result: 'incomplete', distinctStates: 500 });
  });

  it('finds the naive mutex violation, on a path that leads to it', () => {
    const r = swarmSearch(naiveMutex.build({}), { seed: 3, maxStates: 100, maxDepth: 100 });
    expect(r.violation?.property).toBe('mutual-exclusion');
    const last = r.violation!.trace.at(-1)!.state;
    expect([last[0], last[1]]).toEqual([2, 2]);
  });

  it('differently seeded members explore differently; the same seed, the same way', () => {
    const run = (seed: number) =>
      swarmSearch(hanoi.build({ disks: 8 }), { seed, maxStates: 3000, maxDepth: 40 });
    const again = (seed: number) => {
      const { seconds: _, ...rest } = run(seed);
      return JSON.stringify(rest);
    };
    expect(again(shardSeed(1, 1))).toBe(again(shardSeed(1, 1)));
    const transitions = [1, 2, 3, 4].map((i) => run(shardSeed(1, i)).transitions);
    expect(new Set(transitions).size).toBeGreaterThan(1);
  });
});
