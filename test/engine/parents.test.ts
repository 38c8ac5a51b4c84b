import { describe, expect, it } from 'vitest';
import { ParentLog } from '../../src/engine/parents.js';

describe('the parent log (two bytes a state)', () => {
  it('gives back every parent and ordinal: gaps of 255 and more, ordinals past one byte and two, across blocks', () => {
    const log = new ParentLog();
    const parents: number[] = [];
    const ordinals: number[] = [];
    let parent = -1;
    for (let id = 0; id < 200_000; id++) {
      // three initial states, then parents that step by 0, 1, 254, 255, 256 or 70,000
      if (id >= 3) parent += [0, 0, 1, 254, 255, 256, 0, 70_000][id % 8]!;
      const ordinal = id === 150_000 ? 70_000 : id % 1000 === 7 ? 300 : id % 5;
      log.add(parent, ordinal);
      parents.push(parent);
      ordinals.push(ordinal);
    }
    expect(log.initialCount).toBe(3);
    for (let id = 0; id < parents.length; id++) {
      if (log.parentOf(id) !== parents[id] || log.ordinalOf(id) !== ordinals[id])
        expect([id, log.parentOf(id), log.ordinalOf(id)]).toEqual([id, parents[id], ordinals[id]]);
    }
  });

  it('costs two bytes a state while ordinals fit in a byte', () => {
    const log = new ParentLog();
    for (let id = 0; id < 1 << 20; id++) log.add(id === 0 ? -1 : (id - 1) >> 1, id & 3);
    expect(log.bytes / log.count).toBeCloseTo(2 + 4 / 256, 5);
    expect(log.pathTo(1000)).toEqual([0, 2, 6, 14, 30, 61, 124, 249, 499, 1000]);
  });

  it('refuses a parent before the previous one (not a breadth-first order)', () => {
    const log = new ParentLog();
    log.add(-1, 0);
    log.add(0, 0);
    expect(() => log.add(-1, 0)).toThrow("parent log: state 2's parent -1 precedes 0");
  });
});
