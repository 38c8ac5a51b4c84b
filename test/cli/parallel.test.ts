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

/** Worker threads take over the wide BFS levels; merged in order, they find the same states. */
describe('check --workers 2', () => {
  it('the 8-puzzle (the workers claim new states themselves): the same 181,440 states, transitions and depth', () => {
    const two = run('puzzle8', '--workers', '2');
    expect(two).toMatchObject({
      result: 'ok',
      distinctStates: 181440,
      transitions: 483840,
      depth: 31,
    });
    expect(two).toEqual(run('puzzle8', '--workers', '1'));
  });

  it('a level wider than the visited table was sized for: the workers stop, the table grows, they finish; the same counts and counterexample', () => {
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

  it('--max-memory stops the threads too, within the bound, between chunks of a level', () => {
    for (const model of ['test/fixtures/fan-model.ts', 'puzzle8']) {
      const r = JSON.parse(
        septcheck('check', model, '--workers', '2', '--max-memory', '4', '--json').stdout,
      );
      expect(r).toMatchObject({ result: 'incomplete', stoppedBy: 'max-memory' });
      expect(r.distinctStates * r.bytesPerState).toBeLessThanOrEqual(4 * 2 ** 20);
    }
  });

  it.each([
    ['puzzle8'],
    ['--scenario', 'convert', '--faults', 'transient-refs=2'],
    ['test/fixtures/fan-model.ts'],
  ])(
    'threads that join mid-run (--join-after 0: the tables move to shared memory at the first wide level): the same counts and result %j',
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

  it('a violation: the same shortest counterexample, step for step', () => {
    const args = ['--scenario', 'convert', '--faults', 'memory-failure=1'];
    const two = run(...args, '--workers', '2');
    expect(two.violation.property).toBe('guest-data-kept');
    expect(two).toEqual(run(...args, '--workers', '1'));
  });

  it.each([[[]], [['--symmetry']]])(
    'a finding (a deliberate leak) the threads find: the same first counterexample %j',
    (extra) => {
      const args = [
        '--scenario',
        'basic',
        '--param',
        'vcpus=2',
        '--policy',
        'pin',
        '--faults',
        'remove-fails=1',
        ...extra,
      ];
      const two = run(...args, '--workers', '2');
      expect(two).toMatchObject({ result: 'leak', distinctStates: extra.length ? 15324 : 28393 });
      expect(
        two.findings.map((f: { property: string; trace: unknown[] }) => [
          f.property,
          f.trace.length,
        ]),
      ).toEqual([['teardown-reclaims', 28]]);
      expect(two).toEqual(run(...args, '--workers', '1'));
    },
  );

  it('liveness over the edges the workers sent back: the same verdict and counts', () => {
    const args = ['--scenario', 'convert', '--faults', 'transient-refs=2'];
    const two = run(...args, '--workers', '2');
    expect(two).toMatchObject({ result: 'ok', distinctStates: 44196 });
    expect(two).toEqual(run(...args, '--workers', '1'));
  });
});
