import { describe, expect, it } from 'vitest';
import { check, replay, viewState, type Action, type Model } from '../../src/engine/index.js';
import counters from '../../examples/counters.js';
import hanoi from '../../examples/hanoi.js';
import naiveMutex from '../../examples/naive-mutex.js';
import peterson from '../../examples/peterson.js';
import philosophers from '../../examples/philosophers.js';

/** n processes of m independent local steps each (pc i counts 0..m), and a flag only the last
 * step of process 0 may raise, which an invariant watches. */
function workers(n: number, m: number, flagged: boolean): Model {
  const actions: Action[] = Array.from({ length: n }, (_, i) => ({
    name: 'step',
    process: `w${i}`,
    reads: [i],
    writes: i === 0 && flagged ? [i, n] : [i],
    next(s, out) {
      if (s[i]! >= m) return;
      const t = out.next();
      t[i] = s[i]! + 1;
      if (i === 0 && flagged && t[i] === m) t[n] = 1;
    },
  }));
  return {
    stateSize: n + 1,
    initial: () => [new Uint8Array(n + 1)],
    actions,
    isFinal: (s) => s.subarray(0, n).every((pc) => pc === m),
    invariants: flagged
      ? [{ name: 'never-flagged', doc: 'process 0 finished', check: (s) => s[n] === 0, reads: [n] }]
      : [],
  };
}

/** n processes of three labelled steps (pc i: 0, 1, 2, then 3); the second reads a shared
 * counter that the third increments. */
function labelled(n: number): Model {
  const f = n;
  const step = (
    i: number,
    at: number,
    reads: number[],
    writes: number[],
    bump: boolean,
  ): Action => ({
    name: `step${at}`,
    process: `p${i}`,
    guard: [[i, at]],
    reads,
    writes,
    next(s, out) {
      const t = out.next();
      t[i] = at + 1;
      if (bump) t[f] = s[f]! + 1;
    },
  });
  return {
    stateSize: n + 1,
    initial: () => [new Uint8Array(n + 1)],
    actions: Array.from({ length: n }, (_, i) => [
      step(i, 0, [i], [i], false),
      step(i, 1, [i, f], [i], false),
      step(i, 2, [i, f], [i, f], true),
    ]).flat(),
    isFinal: (s) => s.subarray(0, n).every((pc) => pc === 3),
  };
}

const verdict = (r: ReturnType<typeof check>) => [
  r.result,
  r.violation?.kind,
  r.violation?.property,
];

describe('partial-order reduction (stubborn sets from footprints)', () => {
  it('independent processes: one interleaving instead of every one, exactly', () => {
    // 4 processes of 3 steps: 4^4 = 256 states in full; reduced, one path of 12 steps.
    expect(check(workers(4, 3, false))).toMatchObject({
      result: 'ok',
      distinctStates: 256,
      transitions: 768,
    });
    expect(check(workers(4, 3, false), { por: true })).toMatchObject({
      result: 'ok',
      distinctStates: 13,
      transitions: 12,
    });
  });

  it('a visible step (it writes what an invariant reads) waits until it is the only one left; the violation is still found, by a longer path', () => {
    const full = check(workers(3, 2, true));
    const reduced = check(workers(3, 2, true), { por: true });
    expect(verdict(reduced)).toEqual(verdict(full));
    expect(full).toMatchObject({ result: 'violation', distinctStates: 5, transitions: 4 });
    // The invisible steps of w1 and w2 go first (a reduced search keeps no shortest counterexample).
    expect(reduced).toMatchObject({ result: 'violation', distinctStates: 7, transitions: 6 });
    expect(reduced.violation!.trace.map((t) => Array.from(t.state).join(''))).toEqual([
      '0000',
      '0100',
      '0200',
      '0210',
      '0220',
      '1220',
      '2221',
    ]);
  });

  it("guards: a step waiting at another label of its process is not dependent on this one, and only the steps that write the failing guard's variable can enable it (16 states to 11, 64 to 30; without the guards, nothing is reduced)", () => {
    expect(check(labelled(2))).toMatchObject({ result: 'ok', distinctStates: 16, transitions: 24 });
    expect(check(labelled(2), { por: true })).toMatchObject({
      result: 'ok',
      distinctStates: 11,
      transitions: 14,
    });
    expect(check(labelled(3))).toMatchObject({ distinctStates: 64, transitions: 144 });
    expect(check(labelled(3), { por: true })).toMatchObject({
      distinctStates: 30,
      transitions: 57,
    });
    // The same footprints without guards (every step tests its label in `next`).
    const unguarded = labelled(3);
    const actions = unguarded.actions.map((a) => {
      const [[pc, at]] = a.guard as [[number, number]];
      return {
        ...a,
        guard: undefined,
        next: (s: Uint8Array, out: { next(): Uint8Array }) => void (s[pc] === at && a.next(s, out)),
      };
    });
    expect(check({ ...unguarded, actions }, { por: true })).toMatchObject({ distinctStates: 64 });
  });

  it('the cycle proviso: counters that wrap around are expanded fully where a reduced successor is known (all 27 states, 45 of 81 transitions)', () => {
    expect(check(counters.build({ n: 3, k: 3 }), { por: true })).toMatchObject({
      result: 'ok',
      distinctStates: 27,
      transitions: 45,
    });
  });

  it.each([
    ['peterson', peterson.build({})],
    ['naive-mutex', naiveMutex.build({})],
    ['philosophers n=3', philosophers.build({ n: 3 })],
    ['philosophers n=6', philosophers.build({ n: 6 })],
    ['counters n=4 k=3', counters.build({ n: 4, k: 3 })],
    ['hanoi disks=4', hanoi.build({ disks: 4 })],
  ])('%s: the same verdict as without, and the counterexample replays', (_, model) => {
    const full = check(model, { liveness: false });
    const reduced = check(model, { liveness: false, por: true });
    expect(verdict(reduced)).toEqual(verdict(full));
    expect(reduced.distinctStates).toBeLessThanOrEqual(full.distinctStates);
    if (reduced.violation) {
      const steps = reduced.violation.trace.map((t) => ({
        action: t.action,
        process: t.process,
        state: viewState(model, t.state),
      }));
      expect(replay(model, steps)).toMatchObject({ ok: true });
    }
  });

  it('says what it checked reduced and what it did not check (liveness), never silently', () => {
    const r = check(peterson.build({}), { por: true });
    expect(r.reduction).toEqual({
      method: 'stubborn-sets',
      reduced: ['mutual-exclusion', 'deadlock'],
      notChecked: ['p0-enters', 'p1-enters'],
    });
  });
});
