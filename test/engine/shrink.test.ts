import { describe, expect, it } from 'vitest';
import { check, replay, shrink, simulate, stillViolates } from '../../src/engine/index.js';
import { Expander } from '../../src/engine/successors.js';
import { resolveTarget } from '../../src/cli/target.js';
import { traceDoc } from '../../src/cli/trace-doc.js';
import { septcheck } from '../cli/run.js';

describe('shrinking a violation found by simulation', () => {
  it('naive-mutex: the random run of 10 steps becomes the shortest, 4, by breadth-first search', async () => {
    const t = await resolveTarget({ model: 'naive-mutex', params: {} });
    const found = simulate(t.model, { runs: 1000, depth: 100, seed: 1 }).violation!;
    const s = shrink(t.model, found);
    expect(s).toMatchObject({ method: 'bfs', before: 10, after: 4 });
    expect(s.after).toBe(check(t.model).violation!.trace.length - 1);
  });

  it('the TDX system: the failed REMOVE found in 80 steps is shown in 13, and the shrunk trace replays', async () => {
    const t = await resolveTarget({
      scenario: 'basic',
      policy: 'nopin',
      faults: 'remove-fails=1',
      hvo: false,
    });
    const s = shrink(t.model, simulate(t.model, { runs: 1000, depth: 100, seed: 1 }).violation!);
    expect(s).toMatchObject({ method: 'bfs', before: 80, after: 13 });
    const doc = traceDoc(t.model, s.counterexample, t.title, t.target);
    const r = replay(t.model, doc.steps);
    expect(r.ok).toBe(true);
    expect(stillViolates(t.model, r.ok ? r.states : [], doc)).toBeUndefined();
  });

  it('past its state bound the search gives way to delta debugging: philosophers 32 steps to 17, still a deadlock', async () => {
    const t = await resolveTarget({ model: 'philosophers', params: {} });
    const found = simulate(t.model, { runs: 1000, depth: 100, seed: 1 }).violation!;
    const s = shrink(t.model, found, 1);
    expect(s).toMatchObject({ method: 'delta', before: 32, after: 17 });
    const last = s.counterexample.trace[s.counterexample.trace.length - 1]!.state;
    expect(new Expander(t.model).of(last)).toEqual([]);
  });

  it('simulate prints the shrunk trace and says how; --no-shrink prints the run as found', () => {
    const shrunk = septcheck('simulate', 'naive-mutex');
    expect(shrunk.stdout).toContain(
      '\nshrunk from 10 to 4 steps by a breadth-first search as deep as the one found\n',
    );
    expect(shrunk.stdout).toContain('\n4  p1  set lock\n');
    const raw = septcheck('simulate', 'naive-mutex', '--no-shrink');
    expect(raw.stdout).not.toContain('shrunk');
    expect(raw.stdout).toContain('\n 9  p1  set lock\n');
  });
});
