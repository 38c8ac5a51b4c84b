import { describe, expect, it } from 'vitest';
import {
  check,
  replay,
  viewState,
  type Action,
  type Liveness,
  type Model,
} from '../../src/engine/index.js';
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

  it('says what it checked reduced and what it did not check (liveness with strong fairness), never silently', () => {
    const model = peterson.build({});
    expect(check(model, { por: true }).reduction).toEqual({
      method: 'stubborn-sets',
      reduced: ['mutual-exclusion', 'deadlock', 'p0-enters', 'p1-enters'],
      notChecked: [],
    });
    const strong = {
      ...model,
      actions: model.actions.map((a) => (a.fairness ? { ...a, fairness: 'strong' as const } : a)),
    };
    expect(check(strong, { por: true }).reduction).toEqual({
      method: 'stubborn-sets',
      reduced: ['mutual-exclusion', 'deadlock'],
      notChecked: ['p0-enters', 'p1-enters'],
    });
    // Without fairness, strong or weak makes no difference.
    expect(check(strong, { por: true, fairness: false }).reduction?.notChecked).toEqual([]);
    expect(check(strong, { por: true, liveness: false }).reduction?.notChecked).toEqual([]);
  });

  it('liveness on the reduced graph: the steps that change what a property reads stay, the others are reduced (27 states to 7), and a lasso found there replays', () => {
    const ok = { ...workers(3, 2, false), liveness: [finishes(2)] };
    expect(check(ok)).toMatchObject({ result: 'ok', distinctStates: 27, transitions: 54 });
    expect(check(ok, { por: true })).toMatchObject({
      result: 'ok',
      distinctStates: 7,
      transitions: 6,
    });
    // w0 never reaches 3: the final state stutters forever.
    const never = { ...workers(3, 2, false), liveness: [finishes(3)] };
    const full = check(never);
    const reduced = check(never, { por: true });
    expect(verdict(full)).toEqual(['violation', 'liveness', 'w0-finishes']);
    expect(verdict(reduced)).toEqual(verdict(full));
    expect(reduced.distinctStates).toBe(7);
    const steps = reduced.violation!.trace.map((t) => ({
      action: t.action,
      process: t.process,
      state: viewState(never, t.state),
    }));
    expect(replay(never, steps)).toMatchObject({ ok: true });
    // With every step weakly fair, each state but the last enables a fair step: nothing reduced.
    const fair = {
      ...ok,
      actions: ok.actions.map((a) => ({ ...a, fairness: 'weak' as const })),
    };
    expect(check(fair, { por: true })).toMatchObject({ result: 'ok', distinctStates: 27 });
  });

  it('liveness under weak fairness: a state where a fair step is enabled is expanded fully, so no cycle that ignores it looks fair (a reduced graph that left it out would report a false lasso)', () => {
    // p0 (weakly fair) moves once, to 1; p1 (no fairness) toggles its bit forever. Under weak
    // fairness p0 moves; a graph reduced to p1's toggle at (0, 0) would hide that p0 is enabled
    // there, and the cycle (0, 0) -> (0, 1) -> (0, 0) would look fair.
    const model: Model = {
      stateSize: 2,
      initial: () => [new Uint8Array(2)],
      actions: [
        {
          name: 'move',
          process: 'p0',
          fairness: 'weak',
          reads: [0],
          writes: [0],
          next: (s, out) => void (s[0] === 0 && (out.next()[0] = 1)),
        },
        {
          name: 'toggle',
          process: 'p1',
          reads: [1],
          writes: [1],
          next: (s, out) => void (out.next()[1] = 1 - s[1]!),
        },
      ],
      liveness: [
        { name: 'p0-moves', doc: 'p0 moves', kind: 'eventually', p: (s) => s[0] === 1, reads: [0] },
      ],
    };
    expect(verdict(check(model))).toEqual(['ok', undefined, undefined]);
    expect(check(model, { por: true })).toMatchObject({ result: 'ok', distinctStates: 4 });
    // Without fairness the lasso is real, and found reduced too.
    expect(verdict(check(model, { por: true, fairness: false }))).toEqual(
      verdict(check(model, { fairness: false })),
    );
    expect(check(model, { por: true, fairness: false }).result).toBe('violation');
  });

  it('peterson: the same liveness verdicts with --por as without', () => {
    const model = peterson.build({});
    const full = check(model);
    const reduced = check(model, { por: true });
    expect(verdict(reduced)).toEqual(verdict(full));
    expect(reduced.distinctStates).toBe(full.distinctStates);
  });
});

/** `eventually` w0's counter is `goal`: it reads w0's counter only. */
function finishes(goal: number): Liveness {
  return {
    name: 'w0-finishes',
    doc: 'w0 counts to its goal',
    kind: 'eventually',
    p: (s) => s[0] === goal,
    reads: [0],
  };
}
