import { describe, expect, it } from 'vitest';
import { VisitedSet } from '../../src/engine/visited.js';

const SLOTS = 1 << 16;
/** Inserts fingerprints [from, to) (distinct, both halves nonzero). */
const fill = (v: VisitedSet, from: number, to: number) => {
  for (let i = from; i < to; i++) expect(v.findOrInsert(i + 1, ~i, 0)).toBe(-1);
};

describe('the visited table within a growth budget', () => {
  it('doubles at three quarters full when the budget allows, asking for the new table', () => {
    const asked: number[] = [];
    const v = new VisitedSet(SLOTS);
    v.budget = (bytes) => (asked.push(bytes), true);
    fill(v, 0, (SLOTS * 3) / 4);
    expect(v.bytes).toBe(SLOTS * 8);
    fill(v, (SLOTS * 3) / 4, (SLOTS * 3) / 4 + 1);
    expect(asked).toEqual([SLOTS * 16]);
    expect(v.bytes).toBe(SLOTS * 16);
  });

  it('refused, fills to seven eighths, asks again, then is crowded; a full table grows anyway', () => {
    const asked: number[] = [];
    const v = new VisitedSet(SLOTS);
    v.budget = (bytes) => (asked.push(bytes), false);
    fill(v, 0, (SLOTS * 3) / 4 + 1);
    expect([asked.length, v.crowded, v.bytes]).toEqual([1, false, SLOTS * 8]);
    fill(v, (SLOTS * 3) / 4 + 1, (SLOTS * 7) / 8 + 1);
    expect([asked.length, v.crowded, v.bytes]).toEqual([2, true, SLOTS * 8]);
    // Past seven eighths a batch may still add its successors, until one slot is left empty.
    fill(v, (SLOTS * 7) / 8 + 1, SLOTS - 2);
    expect([asked.length, v.crowded, v.bytes]).toEqual([2, true, SLOTS * 8]);
    fill(v, SLOTS - 2, SLOTS);
    expect([asked.length, v.crowded, v.bytes]).toEqual([2, false, SLOTS * 16]);
    for (let i = 0; i < SLOTS; i++) expect(v.find(i + 1, ~i)).toBe(0);
    expect(v.find(SLOTS + 1, ~SLOTS)).toBe(-1);
  });
});
