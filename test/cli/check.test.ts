import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { root, septcheck } from './run.js';

describe('septcheck check', () => {
  it('prints the JSON report with the documented fields, exit 0 when ok', () => {
    const r = septcheck('check', 'puzzle8', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      model: 'puzzle8',
      params: {},
      result: 'ok',
      distinctStates: 181440,
      transitions: 483840,
      depth: 31,
      findings: [],
    });
    expect(typeof j.seconds).toBe('number');
    expect(typeof j.statesPerSecond).toBe('number');
    expect(j.violation).toBeUndefined();
  });

  it('with --por, checks liveness on the reduced graph under weak fairness, and says which properties it did not check (strongly fair steps)', () => {
    const weak = septcheck('check', 'peterson', '--por', '--json');
    expect(weak.code).toBe(0);
    expect(JSON.parse(weak.stdout).reduction).toEqual({
      method: 'stubborn-sets',
      reduced: ['mutual-exclusion', 'deadlock', 'p0-enters', 'p1-enters'],
      notChecked: [],
    });
    // Two levels of the TDX model (whose fault path is strongly fair) say it as well as all.
    const strong = septcheck('check', '--scenario', 'teardown', '--por', '--max-depth', '2');
    expect(strong.code).toBe(3);
    expect(strong.stdout).toContain(
      'partial-order reduction: liveness not checked (fault-served, teardown-completes, vmm-completes)',
    );
  });

  it('reports a violation with its trace, exit 1', () => {
    const r = septcheck('check', 'naive-mutex', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.result).toBe('violation');
    expect(j.violation.kind).toBe('invariant');
    expect(j.violation.property).toBe('mutual-exclusion');
    expect(
      j.violation.trace.map((t: { action: string; process: string }) => [t.action, t.process]),
    ).toEqual([
      [null, null],
      ['test lock', 'p0'],
      ['test lock', 'p1'],
      ['set lock', 'p0'],
      ['set lock', 'p1'],
    ]);
    expect(j.violation.trace[4].state).toEqual({ p0: 'critical', p1: 'critical', lock: 1 });
  });

  it('prints a lasso with loopStart for a liveness violation', () => {
    const j = JSON.parse(septcheck('check', 'peterson', '--no-fairness', '--json').stdout);
    expect(j.violation).toMatchObject({ kind: 'liveness', property: 'p0-enters', loopStart: 1 });
  });

  it('--no-liveness checks safety only: the lasso peterson shows without fairness is not looked for', () => {
    const j = JSON.parse(
      septcheck('check', 'peterson', '--no-fairness', '--no-liveness', '--json').stdout,
    );
    expect(j).toMatchObject({ result: 'ok', distinctStates: 34 });
  });

  it('--max-memory with liveness on: the host scenario ends as incomplete within the bound, its edges and the liveness check counted', () => {
    const r = septcheck(
      'check',
      '--scenario',
      'host',
      '--workers',
      '1',
      '--max-memory',
      '64',
      '--json',
    );
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ result: 'incomplete', stoppedBy: 'max-memory' });
    // The tables hold the edges and the arrays kept for the liveness check (above 128 bytes a
    // state); the room for the edges' next doubling (about 100 bytes a state) is kept unused.
    expect(j.distinctStates).toBe(229462);
    expect(j.bytesPerState).toBeGreaterThan(128);
    expect(j.distinctStates * j.bytesPerState).toBeLessThanOrEqual(64 * 2 ** 20);
  });

  it("V8's own heap limit is a bound too: a model that fills the heap ends as incomplete, not in a V8 crash", () => {
    const bin = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
    const r = spawnSync(
      process.execPath,
      [
        '--max-old-space-size=128',
        bin,
        'check',
        'test/fixtures/heap-model.ts',
        '--workers',
        '1',
        '--json',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'incomplete', stoppedBy: 'max-memory' });
  });

  it('passes --param to the model and says incomplete (exit 3) at a bound', () => {
    const r = septcheck('check', 'hanoi', '--param', 'disks=6', '--max-states', '100', '--json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      params: { disks: 6 },
      result: 'incomplete',
      stoppedBy: 'max-states',
    });
  });

  it('--no-deadlock turns the philosophers deadlock off', () => {
    expect(septcheck('check', 'philosophers', '--param', 'n=3', '--no-deadlock').code).toBe(0);
    const r = septcheck('check', 'philosophers', '--param', 'n=3');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('deadlock violated');
  });

  it('prints a human trace with what changed at each step', () => {
    const r = septcheck('check', 'naive-mutex');
    expect(r.stdout).toContain(
      '\n3  p0  set lock\n     p0: saw-free -> critical\n     lock: 0 -> 1\n',
    );
    expect(r.stdout).toContain('result: violation');
  });

  it('loads a user TypeScript model directly', () => {
    const r = septcheck('check', 'test/fixtures/counter-model.ts', '--param', 'limit=5', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ model: 'counter', result: 'violation', distinctStates: 6 });
    expect(j.violation.trace).toHaveLength(6);
  });
});

describe('bad input: one line, exit 2', () => {
  it.each([
    [
      ['check', 'nosuch'],
      'septcheck: unknown model "nosuch": not a bundled model (hanoi, puzzle8, peterson, naive-mutex, philosophers, counters) nor a .ts or .js file\n',
    ],
    [['check', 'missing.ts'], 'septcheck: missing.ts: no such file\n'],
    [
      ['check', 'hanoi', '--param', 'disks=99'],
      'septcheck: parameter disks=99 of model hanoi: expected an integer from 1 to 16\n',
    ],
    [
      ['check', 'hanoi', '--param', 'pegs=4'],
      'septcheck: model hanoi has no parameter "pegs" (it has: disks)\n',
    ],
    [
      // a name of Object.prototype is no parameter (it once ran, the value ignored)
      ['check', 'hanoi', '--param', 'valueOf=3'],
      'septcheck: model hanoi has no parameter "valueOf" (it has: disks)\n',
    ],
    [
      ['check', 'hanoi', '--param', 'disks'],
      "septcheck: option '--param <key=value>' argument 'disks' is invalid. expected key=value, got \"disks\"\n",
    ],
    [
      ['check', 'hanoi', '--max-states', 'many'],
      "septcheck: option '--max-states <n>' argument 'many' is invalid. --max-states must be an integer >= 1\n",
    ],
    [
      ['check', 'test/fixtures/throws.ts'],
      'septcheck: test/fixtures/throws.ts:11: action "step" threw: cannot read page 7 in state [1]\n',
    ],
  ])('%j', (args, stderr) => {
    const r = septcheck(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(stderr);
    expect(r.stdout).toBe('');
  });

  it('a model file that does not compile names the file', () => {
    const r = septcheck('check', 'test/fixtures/broken-syntax.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'septcheck: test/fixtures/broken-syntax.ts:1: does not compile: Expected identifier but found "=>"\n',
    );
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});

describe('septcheck simulate', () => {
  it('finds the naive mutex violation, deterministically for a seed', () => {
    const a = septcheck('simulate', 'naive-mutex', '--seed', '3', '--json');
    const b = septcheck('simulate', 'naive-mutex', '--seed', '3', '--json');
    expect(a.code).toBe(1);
    const ja = JSON.parse(a.stdout);
    expect({ ...ja, seconds: 0 }).toEqual({ ...JSON.parse(b.stdout), seconds: 0 });
    expect(ja.violation.property).toBe('mutual-exclusion');
  });
});
