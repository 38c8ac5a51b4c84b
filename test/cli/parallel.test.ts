import { describe, expect, it } from 'vitest';
import { septcheck } from './run.js';

// Timing, and the table sizes (a parallel safety search keeps each state's owning chunk).
const run = (...args: string[]) => {
  const {
    seconds: _s,
    statesPerSecond: _r,
    bytesPerState: _b,
    bytesPerVisitedState: _v,
    ...rest
  } = JSON.parse(septcheck('check', ...args, '--json').stdout);
  return rest;
};

/** The wide BFS levels go to partitions, one a thread; ordered by key, their states are the
 * sequential search's, in the same order. */
describe('check --workers 2', () => {
  it('the 8-puzzle: the same 181,440 states, transitions and depth', () => {
    const two = run('puzzle8', '--workers', '2');
    expect(two).toMatchObject({
      result: 'ok',
      distinctStates: 181440,
      transitions: 483840,
      depth: 31,
    });
    expect(two).toEqual(run('puzzle8', '--workers', '1'));
  });

  it('a level that fans out 60-fold, its last state a violation: the same counts and counterexample', () => {
    const two = run('test/fixtures/fan-model.ts', '--workers', '2');
    expect(two).toMatchObject({
      result: 'violation',
      distinctStates: 187393,
      transitions: 187392,
      depth: 2,
    });
    expect(two.violation.trace.at(-1).state).toEqual({ v0: 2, v1: 255, v2: 11, v3: 59 });
    expect(two).toEqual(run('test/fixtures/fan-model.ts', '--workers', '1'));
  });

  it('--max-memory stops the threads too, within the bound, within a level', () => {
    for (const model of ['test/fixtures/fan-model.ts', 'puzzle8']) {
      const r = JSON.parse(
        septcheck('check', model, '--workers', '2', '--max-memory', '4', '--json').stdout,
      );
      expect(r).toMatchObject({ result: 'incomplete', stoppedBy: 'max-memory' });
      expect(r.distinctStates * r.bytesPerState).toBeLessThanOrEqual(4 * 2 ** 20);
    }
  });

  it.each([['puzzle8'], ['test/fixtures/fan-model.ts']])(
    'threads that join mid-run (--join-after 0: the level and the visited table move into partitions at a wide level): the same counts and result %j',
    (...args) => {
      const joined = run(...args, '--workers', '2', '--join-after', '0');
      expect(joined).toEqual(run(...args, '--workers', '1'));
    },
  );

  it('--max-states N: exactly N states with threads too, wherever in a level the bound falls', () => {
    for (const n of ['10', '5000', '100000']) {
      const two = run('puzzle8', '--workers', '2', '--max-states', n);
      expect(two).toMatchObject({
        result: 'incomplete',
        stoppedBy: 'max-states',
        distinctStates: Number(n),
      });
      expect(two).toEqual(run('puzzle8', '--workers', '1', '--max-states', n));
    }
  });

  // Every state of a level has two parents in different places of the level before; the
  // findings' first states, the violation and the deadlock are where one thread finds them.
  // (The run without a violation is the --max-states one: its findings are the whole run's.)
  it.each([
    [['--param', 'bad=9'], 'violation', 37351, 66420, ['not-bad', { v0: 160, v1: 15, v2: 9 }]],
    [['--param', 'dead=6'], 'violation', 32189, 55884, ['deadlock', { v0: 1, v1: 8, v2: 6 }]],
    [
      ['--param', 'dead=8', '--param', 'bad=9'],
      'violation',
      37351,
      66420,
      ['not-bad', { v0: 160, v1: 15, v2: 9 }],
    ],
    [['--max-states', '30000'], 'finding', 30000, 51539, undefined],
  ])(
    'a lattice of 4,096-state levels %j: the same states, transitions, findings and counterexample',
    (extra, result, states, transitions, violation) => {
      const args = ['test/fixtures/lattice-model.ts', ...extra];
      const two = run(...args, '--workers', '2');
      expect(two).toMatchObject({ result, distinctStates: states, transitions });
      expect(two.violation && [two.violation.property, two.violation.trace.at(-1).state]).toEqual(
        violation,
      );
      expect(
        two.findings.map((f: { property: string; trace: { state: object }[] }) => [
          f.property,
          f.trace.at(-1)!.state,
        ]),
      ).toEqual([
        ['corner', { v0: 100, v1: 0, v2: 5 }],
        ['round', { v0: 0, v1: 0, v2: 7 }],
      ]);
      expect(two).toEqual(run(...args, '--workers', '1'));
    },
  );
});
